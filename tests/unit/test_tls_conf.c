/*
 * test_tls_conf.c: what tls_conf_new refuses at start rather than on
 * every handshake: a certificate chain of our own that cannot go out in
 * one TLS record (MBEDTLS_SSL_OUT_CONTENT_LEN, 16 KiB), named with its file,
 * its size and what to do; the same certificate alone is taken.  And the revocation
 * check on a certificate kept as DER (conn_peer_der) after a reload, and
 * the certificate and CRL dates the metrics show.  Private keys (the
 * TLS key, the CA's, the token key) that others than their owner may read
 * or write are refused with the file and its mode.  The verify flags of a
 * refused certificate or CRL are each named (tls_verify_str).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ftw.h>
#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "authority_fixture.h"
#include "tls_conf.h"

static char tdir[64];

static int
setup(void **state)
{
	char err[256], p[128];

	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_tls_conf.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca", tdir);
	make_ca(p, "tls_conf test CA");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pki_rng_free(&rng);
	nftw(tdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ${path}: ${copies} copies of the CA certificate; its DER length out. */
static void
write_chain(const char *path, int copies, size_t *der_len)
{
	char src[128], buf[8192];
	mbedtls_x509_crt crt;
	FILE *in, *out;
	size_t n;

	snprintf(src, sizeof(src), "%s/ca/ca.crt", tdir);
	assert_non_null(in = fopen(src, "r"));
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_true(n > 0 && n < sizeof(buf));
	assert_non_null(out = fopen(path, "w"));
	for (int i = 0; i < copies; i++)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(out);
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, src), 0);
	*der_len = crt.raw.len;
	mbedtls_x509_crt_free(&crt);
}

static void
test_chain_must_fit_a_record(void **state)
{
	char one[128], many[128], key[128], ca[128], err[512];
	struct tls_conf_params p = { .server = 1, .tls12 = 1 };
	struct tls_conf *tc;
	size_t der;
	int copies;

	(void)state;
	snprintf(one, sizeof(one), "%s/one.crt", tdir);
	snprintf(many, sizeof(many), "%s/many.crt", tdir);
	snprintf(key, sizeof(key), "%s/ca/ca.key", tdir);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", tdir);
	write_chain(one, 1, &der);
	copies = MBEDTLS_SSL_OUT_CONTENT_LEN / (int)der + 1;
	write_chain(many, copies, &der);
	p.key = key;
	p.ca = ca;

	p.cert = one;
	err[0] = '\0';
	tc = tls_conf_new(&p, err, sizeof(err));
	if (tc == NULL)
		fail_msg("one certificate refused: %s", err);
	tls_conf_free(tc);

	p.cert = many;
	assert_null(tls_conf_new(&p, err, sizeof(err)));
	if (strstr(err, many) == NULL ||
	    strstr(err, "certificate chain too big") == NULL ||
	    strstr(err, "a record holds 16384") == NULL ||
	    strstr(err, "leave the root out") == NULL)
		fail_msg("%d certificates of %zu bytes: '%s'", copies, der,
		    err);
}

/* ${path}: a CRL of ${tdir}/ca revoking ${crt}'s serial. */
static void
revoke_serial(const mbedtls_x509_crt *crt, const char *path)
{
	static unsigned char pem[8192];
	struct pki_revoked rv;
	struct pki_ca ca;
	char d[128], err[256];

	snprintf(d, sizeof(d), "%s/ca", tdir);
	assert_int_equal(pki_ca_load(&ca, d, &rng, err, sizeof(err)), 0);
	memset(&rv, 0, sizeof(rv));
	memcpy(rv.serial, crt->serial.p, crt->serial.len);
	rv.len = crt->serial.len;
	memcpy(rv.when, "20240101000000", 15);
	assert_int_equal(pki_crl_write(&ca, &rng, &rv, 1, 7, pem, sizeof(pem),
	    err, sizeof(err)), 0);
	pki_ca_free(&ca);
	assert_int_equal(pki_write_file(path, pem, strlen((char *)pem), 0644,
	    err, sizeof(err)), 0);
}

/*
 * The CA's own certificate, revoked by a CRL it signed: found from its DER
 * (and by the parsed form); bytes that are no certificate count as revoked.
 */
static void
test_revoked_from_der(void **state)
{
	char crl[128], key[128], ca[128], err[512];
	struct tls_conf_params p = { .server = 1, .tls12 = 1 };
	mbedtls_x509_crt crt;
	struct tls_conf *tc;
	uint8_t junk[64];
	int64_t t0, t1;
	int revoked;

	(void)state;
	snprintf(crl, sizeof(crl), "%s/ca/ca.crl", tdir);
	snprintf(key, sizeof(key), "%s/ca/ca.key", tdir);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", tdir);
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, ca), 0);
	p.cert = ca;
	p.key = key;
	p.ca = ca;

	/* No CRL: nothing is revoked, and no CRL dates. */
	assert_non_null(tc = tls_conf_new(&p, err, sizeof(err)));
	assert_int_equal(tls_conf_revoked_der(tc, crt.raw.p, crt.raw.len), 0);
	assert_int_equal(tls_conf_crl_dates(tc, &t0, &t1), -1);
	assert_true(tls_conf_own_expiry(tc) > (int64_t)time(NULL));
	tls_conf_free(tc);

	revoke_serial(&crt, crl);
	p.crl = crl;
	tc = tls_conf_new(&p, err, sizeof(err));
	if (tc == NULL)
		fail_msg("%s", err);
	revoked = tls_conf_revoked_der(tc, crt.raw.p, crt.raw.len);
	assert_int_equal(revoked, 1);
	assert_int_equal(tls_conf_revoked(tc, &crt), 1);
	memset(junk, 0x30, sizeof(junk));
	assert_int_equal(tls_conf_revoked_der(tc, junk, sizeof(junk)), 1);
	/* The CRL was made now, its next update in 7 days (revoke_serial). */
	assert_int_equal(tls_conf_crl_dates(tc, &t0, &t1), 0);
	assert_true(t0 <= (int64_t)time(NULL) && t0 > (int64_t)time(NULL) - 60);
	assert_int_equal(t1 - t0, 7 * 86400);
	tls_conf_free(tc);
	mbedtls_x509_crt_free(&crt);
}

/*
 * SECURITY.md: a private key anyone but its owner may read or write stops
 * the program, naming the file and its mode; 0600 and 0400 are taken.
 * The same for the gateway's TLS key (tls_conf_new), the CA's key
 * (pki_ca_load: gw-cert, gw-mgmt's authority) and the token key.
 */
static void
test_key_modes(void **state)
{
	static const struct {
		mode_t mode;
		const char *want;	/* NULL: taken */
	} cases[] = {
		{ 0640, "group-readable (mode 640)" },
		{ 0604, "world-readable (mode 604)" },
		{ 0644, "world-readable (mode 644)" },
		{ 0620, "writable by others (mode 620)" },
		{ 0602, "writable by others (mode 602)" },
		{ 0600, NULL },
		{ 0400, NULL },
	};
	char d[128], key[128], ca[128], tk[160], err[512], want[256];
	struct tls_conf_params p = { .server = 1, .tls12 = 1 };
	struct tls_conf *tc;
	struct pki_ca pca;
	uint8_t k[32];

	(void)state;
	snprintf(d, sizeof(d), "%s/ca", tdir);
	snprintf(key, sizeof(key), "%s/ca/ca.key", tdir);
	snprintf(ca, sizeof(ca), "%s/ca/ca.crt", tdir);
	snprintf(tk, sizeof(tk), "%s/ca/enroll/token.key", tdir);
	assert_int_equal(ed_init(d, err, sizeof(err)), 0);
	assert_int_equal(ed_token_key(d, k, 1, err, sizeof(err)), 0);
	p.cert = ca;
	p.key = key;
	p.ca = ca;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(chmod(key, cases[i].mode), 0);
		assert_int_equal(chmod(tk, cases[i].mode), 0);
		err[0] = '\0';
		tc = tls_conf_new(&p, err, sizeof(err));
		if ((tc == NULL) != (cases[i].want != NULL))
			fail_msg("mode %03o: tls_conf_new: %s", cases[i].mode,
			    tc ? "taken" : err);
		tls_conf_free(tc);
		if (cases[i].want == NULL) {
			assert_int_equal(pki_ca_load(&pca, d, &rng, err,
			    sizeof(err)), 0);
			pki_ca_free(&pca);
			assert_int_equal(ed_token_key(d, k, 0, err,
			    sizeof(err)), 0);
			continue;
		}
		snprintf(want, sizeof(want), "%s: private key is %s", key,
		    cases[i].want);
		if (strstr(err, want) == NULL)
			fail_msg("tls_conf_new: '%s' lacks '%s'", err, want);
		err[0] = '\0';
		assert_int_equal(pki_ca_load(&pca, d, &rng, err, sizeof(err)),
		    -1);
		pki_ca_free(&pca);
		if (strstr(err, want) == NULL)
			fail_msg("pki_ca_load: '%s' lacks '%s'", err, want);
		err[0] = '\0';
		assert_int_equal(ed_token_key(d, k, 1, err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s: token key is %s", tk,
		    cases[i].want);
		if (strstr(err, want) == NULL)
			fail_msg("ed_token_key: '%s' lacks '%s'", err, want);
	}
	assert_int_equal(chmod(key, 0600), 0);
}

/* Each verify flag has its name; the names the tests grep do not move. */
static void
test_verify_str(void **state)
{
	static const struct {
		uint32_t	 flags;
		const char	*want;
	} cases[] = {
		{ MBEDTLS_X509_BADCERT_NOT_TRUSTED, "unknown-ca" },
		{ MBEDTLS_X509_BADCERT_EXPIRED, "expired" },
		{ MBEDTLS_X509_BADCERT_REVOKED, "revoked" },
		{ MBEDTLS_X509_BADCERT_BAD_MD, "weak-signature" },
		{ MBEDTLS_X509_BADCERT_BAD_PK, "bad-key-type" },
		{ MBEDTLS_X509_BADCERT_BAD_KEY, "weak-key" },
		{ MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "bad-key-usage" },
		{ MBEDTLS_X509_BADCRL_BAD_MD, "crl-weak-signature" },
		{ MBEDTLS_X509_BADCRL_BAD_PK, "crl-bad-key-type" },
		{ MBEDTLS_X509_BADCRL_BAD_KEY, "crl-weak-key" },
		{ MBEDTLS_X509_BADCERT_NOT_TRUSTED |
		    MBEDTLS_X509_BADCRL_BAD_MD,
		    "unknown-ca,crl-weak-signature" },
		{ MBEDTLS_X509_BADCERT_KEY_USAGE |
		    MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "bad-key-usage" },
	};
	char buf[96];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(tls_verify_str(cases[i].flags, buf,
		    sizeof(buf)), cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_must_fit_a_record),
		cmocka_unit_test(test_revoked_from_der),
		cmocka_unit_test(test_key_modes),
		cmocka_unit_test(test_verify_str),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
