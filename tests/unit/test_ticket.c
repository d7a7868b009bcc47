/*
 * test_ticket.c: session ticket keys and the peer sealed into a ticket
 * (tls_ticket.c).  A ticket written by one gateway process parses in the
 * next one that reads the same key file; the peer certificate comes back
 * byte for byte; a ticket altered anywhere, or sealed under a key no longer
 * kept, or whose full handshake is older than the lifetime, is refused;
 * a stale key file is rotated (the old key kept one period); a damaged
 * file, or one others than its owner may read, is refused with file:line;
 * a link planted at the temporary's name is not written through, and a
 * key file that is a link is not read.  Past the CRL's nextUpdate a ticket
 * resumes no more than a full handshake passes (tls_conf.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>
#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "authority_fixture.h"
#include "tls_conf.h"
#include "tls_rng.h"
#include "tls_ticket.h"

static char tdir[64];
static char keys[128];
static mbedtls_x509_crt peer_crt;

static int
setup(void **state)
{
	char err[256], p[128];

	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_ticket.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca", tdir);
	make_ca(p, "ticket test CA");
	snprintf(p, sizeof(p), "%s/ca/ca.crt", tdir);
	mbedtls_x509_crt_init(&peer_crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&peer_crt, p), 0);
	snprintf(keys, sizeof(keys), "%s/ticket.keys", tdir);
	assert_int_equal(tls_rng_setup(err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mbedtls_x509_crt_free(&peer_crt);
	pki_rng_free(&rng);
	nftw(tdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* A TLS 1.3 server session, as mbedTLS hands it to f_ticket_write. */
static void
session_init(mbedtls_ssl_session *s)
{
	mbedtls_ssl_session_init(s);
	s->MBEDTLS_PRIVATE(tls_version) = MBEDTLS_SSL_VERSION_TLS1_3;
	s->MBEDTLS_PRIVATE(endpoint) = MBEDTLS_SSL_IS_SERVER;
	s->MBEDTLS_PRIVATE(ciphersuite) = MBEDTLS_TLS1_3_AES_128_GCM_SHA256;
	s->MBEDTLS_PRIVATE(resumption_key_len) = 32;
	memset(s->MBEDTLS_PRIVATE(resumption_key), 0x5a, 32);
	s->MBEDTLS_PRIVATE(ticket_creation_time) = mbedtls_ms_time();
}

static size_t
write_ticket(struct tls_ticket *t, int64_t auth_time, unsigned char *buf,
    size_t cap)
{
	struct tls_resumed peer = { &peer_crt, auth_time };
	mbedtls_ssl_session s;
	uint32_t life = 0;
	size_t n = 0;

	session_init(&s);
	assert_int_equal(tls_ticket_write(t, &s, &peer, buf, buf + cap, &n,
	    &life), 0);
	assert_int_equal(life, tls_ticket_lifetime(t));
	mbedtls_ssl_session_free(&s);
	return n;
}

static int
parse_ticket(struct tls_ticket *t, const unsigned char *ticket, size_t n,
    struct tls_resumed *peer)
{
	unsigned char copy[4096];	/* parsing decrypts in place */
	mbedtls_ssl_session s;
	int rc;

	memcpy(copy, ticket, n);
	mbedtls_ssl_session_init(&s);
	rc = tls_ticket_parse(t, &s, copy, n, peer);
	if (rc == 0)
		assert_int_equal(s.MBEDTLS_PRIVATE(resumption_key)[0], 0x5a);
	mbedtls_ssl_session_free(&s);
	return rc;
}

static struct tls_ticket *
open_keys(const char *path, uint32_t lifetime)
{
	char err[512] = "";
	struct tls_ticket *t = tls_ticket_new(path, lifetime, err, sizeof(err));

	if (t == NULL)
		fail_msg("tls_ticket_new: %s", err);
	return t;
}

static void
test_roundtrip_across_restart(void **state)
{
	unsigned char ticket[4096];
	struct tls_resumed peer;
	struct tls_ticket *t1, *t2;
	struct stat st;
	int64_t now = (int64_t)time(NULL);
	size_t n;

	(void)state;
	unlink(keys);
	t1 = open_keys(keys, 3600);
	assert_int_equal(stat(keys, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	n = write_ticket(t1, now - 5, ticket, sizeof(ticket));
	tls_ticket_free(t1);

	t2 = open_keys(keys, 3600);	/* the next process */
	assert_int_equal(parse_ticket(t2, ticket, n, &peer), 0);
	assert_non_null(peer.crt);
	assert_int_equal(peer.crt->raw.len, peer_crt.raw.len);
	assert_memory_equal(peer.crt->raw.p, peer_crt.raw.p, peer_crt.raw.len);
	assert_int_equal(peer.auth_time, now - 5);
	tls_resumed_clear(&peer);
	assert_null(peer.crt);
	tls_ticket_free(t2);

	/* Memory-only keys: the next process knows nothing of them. */
	t1 = open_keys(NULL, 3600);
	n = write_ticket(t1, now, ticket, sizeof(ticket));
	tls_ticket_free(t1);
	t2 = open_keys(NULL, 3600);
	assert_int_not_equal(parse_ticket(t2, ticket, n, &peer), 0);
	assert_null(peer.crt);
	tls_ticket_free(t2);
}

static void
test_altered_tickets_refused(void **state)
{
	unsigned char ticket[4096];
	struct tls_resumed peer;
	struct tls_ticket *t;
	size_t n;

	(void)state;
	unlink(keys);
	t = open_keys(keys, 3600);
	n = write_ticket(t, (int64_t)time(NULL), ticket, sizeof(ticket));
	assert_true(n > 2 + 100 + peer_crt.raw.len);
	/* Every byte matters: length, mbedTLS's part, nonce, seal, tag. */
	for (size_t i = 0; i < n; i++) {
		ticket[i] ^= 0x01;
		assert_int_not_equal(parse_ticket(t, ticket, n, &peer), 0);
		assert_null(peer.crt);
		ticket[i] ^= 0x01;
	}
	assert_int_not_equal(parse_ticket(t, ticket, n - 1, &peer), 0);
	assert_int_not_equal(parse_ticket(t, ticket, 1, &peer), 0);
	assert_int_equal(parse_ticket(t, ticket, n, &peer), 0);
	tls_resumed_clear(&peer);
	tls_ticket_free(t);
}

static void
test_old_authentication_expires(void **state)
{
	unsigned char ticket[4096];
	struct tls_resumed peer;
	struct tls_ticket *t;
	size_t n;

	(void)state;
	t = open_keys(NULL, 60);
	n = write_ticket(t, (int64_t)time(NULL) - 61, ticket, sizeof(ticket));
	assert_int_equal(parse_ticket(t, ticket, n, &peer),
	    MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
	assert_null(peer.crt);
	tls_ticket_free(t);
}

static void
write_file(const char *path, mode_t mode, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
test_stale_file_rotates(void **state)
{
	static const char old_key[] =
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	char text[256], line[256];
	unsigned nkeys = 0, kept_old = 0;
	struct tls_ticket *t;
	FILE *f;

	(void)state;
	snprintf(text, sizeof(text), "# old\n%lld 0a0b0c0d %s\n",
	    (long long)time(NULL) - 7200, old_key);
	write_file(keys, 0600, text);
	t = open_keys(keys, 3600);	/* its key is two periods old */
	tls_ticket_free(t);
	assert_non_null(f = fopen(keys, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		nkeys++;
		if (strstr(line, old_key) != NULL) {
			assert_int_equal(nkeys, 2);	/* the older, second */
			kept_old = 1;
		}
	}
	fclose(f);
	assert_int_equal(nkeys, 2);
	assert_true(kept_old);
}

/*
 * The first save runs as root in a directory the service user may own: a
 * link planted at the temporary's name must not make it write through the
 * link (old code: O_CREAT|O_TRUNC truncated the target and the key file
 * became a link to it), and a key file that is a link is not read.
 */
static void
test_planted_links(void **state)
{
	char tmpf[160], victim[160], line[256], err[512];
	struct tls_ticket *t;
	struct stat st;
	FILE *f;

	(void)state;
	unlink(keys);
	snprintf(tmpf, sizeof(tmpf), "%s.tmp", keys);
	snprintf(victim, sizeof(victim), "%s/victim", tdir);
	write_file(victim, 0600, "root's\n");
	assert_int_equal(symlink(victim, tmpf), 0);
	t = open_keys(keys, 3600);
	tls_ticket_free(t);
	assert_non_null(f = fopen(victim, "r"));
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "root's\n");
	assert_int_equal(lstat(keys, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(lstat(tmpf, &st), -1);	/* the link is gone */

	unlink(keys);
	assert_int_equal(symlink(victim, keys), 0);
	err[0] = '\0';
	assert_null(tls_ticket_new(keys, 3600, err, sizeof(err)));
	assert_non_null(strstr(err, "ticket.keys: "));
	unlink(keys);
}

static void
test_bad_files_refused(void **state)
{
	static const struct {
		const char *text;
		mode_t mode;
		const char *want;
	} cases[] = {
		{ "1700000000 0a0b0c0d 0011\n", 0600, "ticket.keys:1: not a "
		    "ticket key" },
		{ "# c\n\n1700000000 0A0B0C0D 00112233445566778899aabbccddeeff"
		    "00112233445566778899aabbccddeeff\n", 0600,
		    "ticket.keys:3: not a ticket key" },
		{ "x 0a0b0c0d 00112233445566778899aabbccddeeff00112233445566778"
		    "899aabbccddeeff\n", 0600, "ticket.keys:1: not a ticket" },
		{ "1 0a0b0c0d 00112233445566778899aabbccddeeff00112233445566778"
		    "899aabbccddeeff\n1 0a0b0c0e 0011223344556677889"
		    "9aabbccddeeff00112233445566778899aabbccddeeff\n"
		    "1 0a0b0c0f 00112233445566778899aabbccddeeff0011223344"
		    "5566778899aabbccddeeff\n", 0600,
		    "ticket.keys:3: more than two keys" },
		{ "", 0644, "ticket.keys: ticket key file is world-readable "
		    "(mode 644)" },
		{ "", 0640, "ticket.keys: ticket key file is group-readable "
		    "(mode 640)" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(keys, cases[i].mode, cases[i].text);
		err[0] = '\0';
		assert_null(tls_ticket_new(keys, 3600, err, sizeof(err)));
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    cases[i].want);
	}
	assert_null(tls_ticket_new(keys, 0, err, sizeof(err)));
	assert_null(tls_ticket_new(keys, TLS_TICKET_MAX_LIFETIME + 1, err,
	    sizeof(err)));
}

/* ${path}: the CRL of ${tdir}/ca (nothing revoked), next update ${days}. */
static void
write_crl(const char *path, unsigned days)
{
	static unsigned char pem[8192];
	struct pki_ca ca;
	char d[128], err[256];

	snprintf(d, sizeof(d), "%s/ca", tdir);
	assert_int_equal(pki_ca_load(&ca, d, &rng, err, sizeof(err)), 0);
	assert_int_equal(pki_crl_write(&ca, &rng, NULL, 0, days, pem,
	    sizeof(pem), err, sizeof(err)), 0);
	pki_ca_free(&ca);
	assert_int_equal(pki_write_file(path, pem, strlen((char *)pem), 0644,
	    err, sizeof(err)), 0);
}

/* ${crt}: an agent's certificate from ${tdir}/ca, parsed. */
static void
make_agent(mbedtls_x509_crt *crt)
{
	static unsigned char pem[8192], key[8192];
	struct pki_req req = { .role = PKI_ROLE_AGENT, .name = "agent-1" };
	struct pki_ca ca;
	char d[128], err[256];

	snprintf(d, sizeof(d), "%s/ca", tdir);
	assert_int_equal(pki_ca_load(&ca, d, &rng, err, sizeof(err)), 0);
	pki_validity(&req, 30);
	assert_int_equal(pki_make(&req, &ca, &rng, pem, sizeof(pem), key,
	    sizeof(key), err, sizeof(err)), 0);
	pki_ca_free(&ca);
	mbedtls_x509_crt_init(crt);
	assert_int_equal(mbedtls_x509_crt_parse(crt, pem,
	    strlen((char *)pem) + 1), 0);
}

/*
 * What mbedTLS does with ${tc} in a full handshake (ssl_tls.c): verify the
 * peer ${crt} against the configured CA and CRL, with our f_vrfy; and what
 * it does with a ticket for ${crt}: the configured f_ticket_parse.  Return
 * the flags of the first; ${parse_rc}: the second's result.
 */
static uint32_t
both_ways(struct tls_conf *tc, struct tls_ticket *t, mbedtls_x509_crt *crt,
    int *parse_rc)
{
	const mbedtls_ssl_config *c = tls_conf_ssl(tc);
	struct tls_resumed peer = { crt, (int64_t)time(NULL) };
	struct tls_resumed slot = { NULL, 0 };
	unsigned char ticket[4096];
	mbedtls_ssl_session s;
	uint32_t flags = 0, life;
	size_t n = 0;

	(void)mbedtls_x509_crt_verify(crt, c->MBEDTLS_PRIVATE(ca_chain),
	    c->MBEDTLS_PRIVATE(ca_crl), NULL, &flags,
	    c->MBEDTLS_PRIVATE(f_vrfy), c->MBEDTLS_PRIVATE(p_vrfy));
	session_init(&s);
	assert_int_equal(tls_ticket_write(t, &s, &peer, ticket,
	    ticket + sizeof(ticket), &n, &life), 0);
	mbedtls_ssl_session_free(&s);
	mbedtls_ssl_session_init(&s);
	tls_conf_bind(&slot);
	*parse_rc = c->MBEDTLS_PRIVATE(f_ticket_parse)(
	    c->MBEDTLS_PRIVATE(p_ticket), &s, ticket, n);
	tls_conf_bind(NULL);
	tls_resumed_clear(&slot);
	mbedtls_ssl_session_free(&s);
	return flags;
}

/*
 * Past its CRL's nextUpdate a full handshake is refused (mbedTLS:
 * BADCRL_EXPIRED), and so is a resumption: the ticket holder gets a full
 * handshake, and is refused.  (Before, tickets let it in for 24 h.)  With
 * a CRL in its validity period both ways admit it.
 */
static void
test_crl_validity_both_ways(void **state)
{
	char crl[128], crt[128], key[128], err[512];
	struct tls_conf_params p = { .server = 1, .tls12 = 1 };
	mbedtls_x509_crt agent;
	struct tls_ticket *t;
	struct tls_conf *tc;
	uint32_t flags;
	int rc;

	(void)state;
	snprintf(crl, sizeof(crl), "%s/ca.crl", tdir);
	snprintf(crt, sizeof(crt), "%s/ca/ca.crt", tdir);
	snprintf(key, sizeof(key), "%s/ca/ca.key", tdir);
	p.cert = p.ca = crt;
	p.key = key;
	p.crl = crl;
	t = open_keys(NULL, 3600);
	p.tickets = t;
	make_agent(&agent);

	write_crl(crl, 7);
	if ((tc = tls_conf_new(&p, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	flags = both_ways(tc, t, &agent, &rc);
	assert_int_equal(flags, 0);
	assert_int_equal(rc, 0);
	tls_conf_free(tc);

	write_crl(crl, 0);		/* next update: now */
	if ((tc = tls_conf_new(&p, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	sleep(2);			/* now it is past */
	flags = both_ways(tc, t, &agent, &rc);
	assert_true(flags & MBEDTLS_X509_BADCRL_EXPIRED);	/* full */
	assert_int_equal(rc, MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
	tls_conf_free(tc);
	tls_ticket_free(t);
	mbedtls_x509_crt_free(&agent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_across_restart),
		cmocka_unit_test(test_altered_tickets_refused),
		cmocka_unit_test(test_old_authentication_expires),
		cmocka_unit_test(test_stale_file_rotates),
		cmocka_unit_test(test_bad_files_refused),
		cmocka_unit_test(test_planted_links),
		cmocka_unit_test(test_crl_validity_both_ways),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
