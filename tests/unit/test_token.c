/*
 * test_token.c: bootstrap tokens (certs/pki/token.c) and the CSR checks
 * (certs/pki/csr.c) that every enrollment request passes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509_csr.h>

#include "csr.h"
#include "proto.h"
#include "token.h"
#include "x509_issue.h"

static const uint8_t key[TOKEN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void
mint(struct token_terms *t, uint64_t expires, uint16_t uses,
    const char *names, char *out, size_t len)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->id, "\x01\x23\x45\x67\x89\xab\xcd\xef", TOKEN_ID_LEN);
	t->expires = expires;
	t->uses = uses;
	snprintf(t->names, sizeof(t->names), "%s", names);
	assert_int_equal(token_mint(key, t, out, len), 0);
}

/* token_terms_init: the terms gw-cert token create mints, checked. */
static void
test_token_terms_init(void **state)
{
	static const uint8_t id[TOKEN_ID_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	char names[TOKEN_NAMES_MAX + 1], tok[TOKEN_STR_MAX];
	struct token_terms t, v;

	(void)state;
	assert_int_equal(token_terms_init(&t, id, 4000000000ull, 3,
	    "agent-*"), 0);
	assert_memory_equal(t.id, id, TOKEN_ID_LEN);
	assert_int_equal(t.expires, 4000000000ull);
	assert_int_equal(t.uses, 3);
	assert_string_equal(t.names, "agent-*");
	assert_int_equal(token_mint(key, &t, tok, sizeof(tok)), 0);
	assert_int_equal(token_verify(key, tok, 1000, &v), 0);
	assert_memory_equal(v.id, id, TOKEN_ID_LEN);
	assert_string_equal(v.names, "agent-*");
	/* The longest names that fit, then one byte more. */
	memset(names, 'a', sizeof(names));
	names[TOKEN_NAMES_MAX - 1] = '\0';
	assert_int_equal(token_terms_init(&t, id, 1, 1, names), 0);
	names[TOKEN_NAMES_MAX - 1] = 'a';
	names[TOKEN_NAMES_MAX] = '\0';
	assert_int_equal(token_terms_init(&t, id, 1, 1, names), -1);
}

static void
test_token_roundtrip(void **state)
{
	struct token_terms t, v;
	char tok[TOKEN_STR_MAX], id[17];

	(void)state;
	mint(&t, 2000000000, 3, "agent-*,web-*", tok, sizeof(tok));
	assert_memory_equal(tok, "gwt1.", 5);
	assert_null(strpbrk(tok, "+/= "));	/* base64url, no padding */
	assert_int_equal(token_verify(key, tok, 1999999999, &v), 0);
	assert_memory_equal(v.id, t.id, TOKEN_ID_LEN);
	assert_int_equal(v.expires, 2000000000);
	assert_int_equal(v.uses, 3);
	assert_string_equal(v.names, "agent-*,web-*");
	token_id_hex(v.id, id);
	assert_string_equal(id, "0123456789abcdef");
	/* Expiry is exclusive; the MAC is checked first either way. */
	assert_int_equal(token_verify(key, tok, 2000000000, &v),
	    GW_R_TOKEN_EXPIRED);
	/* Empty names: any name. */
	mint(&t, 2000000000, 1, "", tok, sizeof(tok));
	assert_int_equal(token_verify(key, tok, 0, &v), 0);
	assert_string_equal(v.names, "");
}

static void
test_token_forged(void **state)
{
	struct token_terms t, v;
	char tok[TOKEN_STR_MAX], bad[TOKEN_STR_MAX + 2];
	uint8_t other[TOKEN_KEY_LEN] = { 9 };
	size_t n;

	(void)state;
	mint(&t, 2000000000, 1, "agent-*", tok, sizeof(tok));
	n = strlen(tok);
	/* Every single-character change is refused. */
	for (size_t i = 0; i < n; i++) {
		memcpy(bad, tok, n + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(token_verify(key, bad, 0, &v),
		    GW_R_TOKEN_INVALID);
	}
	/* The spare bits of the last base64 digit: one spelling only. */
	memcpy(bad, tok, n + 1);
	bad[n - 1] = (char)(bad[n - 1] == 'A' ? 'B' : bad[n - 1] ^ 1);
	assert_int_equal(token_verify(key, bad, 0, &v), GW_R_TOKEN_INVALID);
	/* Truncated, extended, another key, garbage. */
	memcpy(bad, tok, n + 1);
	bad[n - 1] = '\0';
	assert_int_equal(token_verify(key, bad, 0, &v), GW_R_TOKEN_INVALID);
	snprintf(bad, sizeof(bad), "%sA", tok);
	assert_int_equal(token_verify(key, bad, 0, &v), GW_R_TOKEN_INVALID);
	assert_int_equal(token_verify(other, tok, 0, &v), GW_R_TOKEN_INVALID);
	assert_int_equal(token_verify(key, "", 0, &v), GW_R_TOKEN_INVALID);
	assert_int_equal(token_verify(key, "gwt1..", 0, &v),
	    GW_R_TOKEN_INVALID);
	/* A longer name pattern cannot be smuggled into an old token. */
	mint(&t, 2000000000, 1, "agent-x", tok, sizeof(tok));
	assert_int_equal(token_verify(key, tok, 0, &v), 0);
	assert_string_equal(v.names, "agent-x");
}

/* A CSR for ${name} with a fresh key of ${rsa} bits (0: P-256). */
static size_t
make_csr(struct pki_rng *rng, unsigned rsa, const char *name, uint8_t *der,
    size_t cap)
{
	mbedtls_pk_context pk;
	char err[256];
	size_t len = 0;

	mbedtls_pk_init(&pk);
	if (rsa != 0) {
		/* pki_genkey takes 2048+ for real keys; make a weak one. */
		assert_int_equal(mbedtls_pk_setup(&pk,
		    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
		assert_int_equal(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk),
		    mbedtls_ctr_drbg_random, &rng->drbg, rsa, 65537), 0);
	} else
		assert_int_equal(pki_genkey(&pk, 0, rng, err, sizeof(err)), 0);
	assert_int_equal(pki_csr(&pk, name, rng, der, cap, &len, err,
	    sizeof(err)), 0);
	mbedtls_pk_free(&pk);
	return len;
}

static void
test_csr_check(void **state)
{
	struct pki_rng rng;
	struct csr_info ci;
	uint8_t der[CSR_DER_MAX];
	char err[256];
	size_t len;

	(void)state;
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	len = make_csr(&rng, 0, "agent-1", der, sizeof(der));
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.name, "agent-1");
	assert_string_equal(ci.key_desc, "EC P-256");
	assert_int_equal(strlen(ci.key_fp), 64);

	/* The last byte is inside the signature: it no longer verifies. */
	der[len - 1] ^= 1;
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_string_equal(err, "signature does not verify");
	/* A byte of the signed part: the same. */
	der[len - 1] ^= 1;
	der[len / 3] ^= 0x40;
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	/* Truncated, empty, too large. */
	assert_int_equal(csr_check(der, len / 2, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_int_equal(csr_check(der, 0, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_int_equal(csr_check(der, CSR_DER_MAX + 1, &ci, err,
	    sizeof(err)), GW_R_BAD_CSR);

	/* A weak RSA key. */
	len = make_csr(&rng, 1024, "agent-2", der, sizeof(der));
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_non_null(strstr(err, "1024"));

	/* A name the CN rules refuse. */
	len = make_csr(&rng, 0, "agent 3", der, sizeof(der));
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_non_null(strstr(err, "[A-Za-z0-9._-]"));
	pki_rng_free(&rng);
}

/*
 * Requests made by OpenSSL 3.0 (what an operator's tools send), each valid:
 *   csr_md5: openssl req -new -md5 -key rsa2048.pem -subj /CN=agent-md5
 *   csr_ed25519: openssl req -new -key ed25519.pem -subj /CN=agent-ed
 *   csr_p521: openssl req -new -key p521.pem -subj /CN=agent-p521
 *   csr_ca: openssl req -new -key p256.pem -subj /CN=agent-ca \
 *     -addext basicConstraints=critical,CA:TRUE
 */
static const char csr_md5[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIICWTCCAUECAQAwFDESMBAGA1UEAwwJYWdlbnQtbWQ1MIIBIjANBgkqhkiG9w0B\n"
	"AQEFAAOCAQ8AMIIBCgKCAQEAkXc9K6Tq+BVwu/vKaWIF7ejCxEynFGxv19VirRVZ\n"
	"hsdFlc4s+ysSVwif20eB9jwWm3fT4z34TSOX+b3T5EAO7ZBnKBPNg80MzsaEzFTC\n"
	"PPAHZO33I15qu7LP8Ik7fKJD0lSi0hX1XKv9bewKF0AFdDbIHPjV9ZU4mmXEHzG1\n"
	"pmsxI1wxQ1JOvtTZFPZ7Uky+1fhINIhk9HsjcPpA2SG822tchH8rKELss02FeXP4\n"
	"nTEiC9hbUtAvIGoouuYkKpPmrmG3OQdOTkyx5v2vRg9x9jYR6zD2G22QHvXyYITO\n"
	"O0FJVdNOQnosEUWAoxNWSsOUaVguV10c0kbRwXOqcnU/xwIDAQABoAAwDQYJKoZI\n"
	"hvcNAQEEBQADggEBAGGiBaWQddSzKZNdJeQAQftZvXDlINmuSPqd2SIT5jvmHG64\n"
	"gX9rLQMh/tLJwd7uIqLVQt0+CtlRgU3QWWAZG/OLpqjhXfMjg8bWsDG1Y98mYzVb\n"
	"O2ox11kHCK7qkT7hb5qP9cR3UjdTvZLq+f2Knayo+HIPLvmxTMxMdPh95B23EzeD\n"
	"JpONAGSB5E2jhgxUmmA66xmn383pRiRRodZgPsAtrCCOBBf/a+dVBd2j5A4fYVil\n"
	"NEhVR1OdnovOkTt1sYlVZ5n+ZEKxUtBcZLQjOKmqu1EeVPAqF234X6XfEUYcAuQZ\n"
	"0gfDv7U6bkF8vKdjwoCMeAQJdDOpMSTx8yN5AGE=\n"
	"-----END CERTIFICATE REQUEST-----\n";

static const char csr_ed25519[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIGSMEYCAQAwEzERMA8GA1UEAwwIYWdlbnQtZWQwKjAFBgMrZXADIQDiqVLjvKcp\n"
	"yNLErgCj3hqy9IwP3AHMQkgtvUz1EKw6xKAAMAUGAytlcANBAJtTUiWeT/IQVO3d\n"
	"TZYEtxf70TLhTlt7mvmkxbEZwlEGvhkHfXJiglBkGpwFn7DoFfHOwur7DKmJTM3i\n"
	"i9n42AI=\n"
	"-----END CERTIFICATE REQUEST-----\n";

static const char csr_p521[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIIBVzCBugIBADAVMRMwEQYDVQQDDAphZ2VudC1wNTIxMIGbMBAGByqGSM49AgEG\n"
	"BSuBBAAjA4GGAAQA1aHs4ZnTypyWxs1vwuvx8QHa+nBE7lK5s7GslREGYR6Qfq1u\n"
	"QS291YTqE5vqLq0K5LYRcw7mpLB4y0CmoSWllTIBQwmDuk1GHDaOIzGKggv6UZVm\n"
	"WVntc0lTgHD85TNNObSYXnFLoGm3YqTEiykHv8caVGnjazpbLAvqF6No8igPOKmg\n"
	"ADAKBggqhkjOPQQDAgOBiwAwgYcCQgG2t+LDd5mYaokjH6kSCGhoA7dSkj3K4Wxr\n"
	"QwROYf9pZO1M4F4bBrGfazUFulQ6RKHpnOpPOwp8NWWr8PURHUwLNQJBI5LsHxsb\n"
	"LrXPLlZVUBysr3oq+51U6TVznsS4bFrEWnvYHPW22fW9zjrPCiD9/ktusUt+/sQh\n"
	"XU4fNKS1VMaUFBc=\n"
	"-----END CERTIFICATE REQUEST-----\n";

static const char csr_ca[] =
	"-----BEGIN CERTIFICATE REQUEST-----\n"
	"MIHwMIGXAgEAMBMxETAPBgNVBAMMCGFnZW50LWNhMFkwEwYHKoZIzj0CAQYIKoZI\n"
	"zj0DAQcDQgAEHx0zl6qaW1x+35CHqz7j5VM5bgETOU52lt1dBeAlzwHdAwzXoFEz\n"
	"IR+xh/Z4s1ljtQW/B+GGxkzprFET99d6naAiMCAGCSqGSIb3DQEJDjETMBEwDwYD\n"
	"VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAeoKhMP9Sv+0ejqjBEbG7W\n"
	"rN5XlpBVhTvUIhS7ogpT5gIhAN/BiwzMmLBgBn/eRraScHZ1kKb9M5ucvU13nH/r\n"
	"BDGD\n"
	"-----END CERTIFICATE REQUEST-----\n";


/* The DER of PEM request ${pem} into ${der}; its length. */
static size_t
pem_der(const char *pem, uint8_t *der, size_t cap)
{
	mbedtls_pem_context ctx;
	size_t used, len;

	mbedtls_pem_init(&ctx);
	assert_int_equal(mbedtls_pem_read_buffer(&ctx,
	    "-----BEGIN CERTIFICATE REQUEST-----",
	    "-----END CERTIFICATE REQUEST-----", (const unsigned char *)pem,
	    NULL, 0, &used), 0);
	len = ctx.MBEDTLS_PRIVATE(buflen);
	assert_true(len <= cap);
	memcpy(der, ctx.MBEDTLS_PRIVATE(buf), len);
	mbedtls_pem_free(&ctx);
	return len;
}

/*
 * A P-256 CSR for agent-x signed with ${md}, asking for the extension
 * ${oid} = ${val} (none if NULL), ${crit}ical or not, and for key usage
 * ${ku} (none if 0).
 */
static size_t
make_csr_ext(struct pki_rng *rng, mbedtls_md_type_t md, const char *oid,
    int crit, const char *val, size_t vlen, unsigned ku, uint8_t *der,
    size_t cap)
{
	mbedtls_x509write_csr w;
	mbedtls_pk_context pk;
	char err[256];
	int n;

	mbedtls_pk_init(&pk);
	assert_int_equal(pki_genkey(&pk, 0, rng, err, sizeof(err)), 0);
	mbedtls_x509write_csr_init(&w);
	mbedtls_x509write_csr_set_md_alg(&w, md);
	mbedtls_x509write_csr_set_key(&w, &pk);
	assert_int_equal(mbedtls_x509write_csr_set_subject_name(&w,
	    "CN=agent-x"), 0);
	if (oid != NULL)
		assert_int_equal(mbedtls_x509write_csr_set_extension(&w, oid,
		    strlen(oid), crit, (const unsigned char *)val, vlen), 0);
	if (ku != 0)
		assert_int_equal(mbedtls_x509write_csr_set_key_usage(&w,
		    (unsigned char)ku), 0);
	n = mbedtls_x509write_csr_der(&w, der, cap, mbedtls_ctr_drbg_random,
	    &rng->drbg);
	assert_true(n > 0);
	mbedtls_x509write_csr_free(&w);
	mbedtls_pk_free(&pk);
	memmove(der, der + cap - (size_t)n, (size_t)n);
	return (size_t)n;
}

/* csr_check(${der}, ${len}) refuses, with exactly ${why}. */
static void
refused(const uint8_t *der, size_t len, const char *why)
{
	struct csr_info ci;
	char err[256];

	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)),
	    GW_R_BAD_CSR);
	assert_string_equal(err, why);
}

/* Each refusal of a valid, well-formed request names its cause. */
static void
test_csr_refusals(void **state)
{
	struct pki_rng rng;
	struct csr_info ci;
	uint8_t der[CSR_DER_MAX];
	char err[256];
	size_t len;

	(void)state;
	assert_int_equal(pki_rng_init(&rng, err, sizeof(err)), 0);
	/* OpenSSL's. */
	len = pem_der(csr_md5, der, sizeof(der));
	refused(der, len, "CSR signed with MD5: weak signature");
	len = pem_der(csr_ca, der, sizeof(der));
	refused(der, len, "CSR asks for CA:TRUE");
	len = pem_der(csr_ed25519, der, sizeof(der));
	refused(der, len, "CSR signed with Ed25519 (1.3.101.112): "
	    "unsupported signature algorithm");
	len = pem_der(csr_p521, der, sizeof(der));
	refused(der, len, "EC key on curve P-521 (1.3.132.0.35): use P-256 "
	    "or P-384");

	/* mbedTLS's: SHA-1 parses and verifies, and is refused all the same. */
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA1, NULL, 0, NULL, 0, 0, der,
	    sizeof(der));
	refused(der, len, "CSR signed with SHA-1: weak signature");
	/* CA:TRUE not critical: mbedTLS skips it; pathLen or not. */
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256,
	    MBEDTLS_OID_BASIC_CONSTRAINTS, 0, "\x30\x03\x01\x01\xff", 5, 0,
	    der, sizeof(der));
	refused(der, len, "CSR asks for CA:TRUE");
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256,
	    MBEDTLS_OID_BASIC_CONSTRAINTS, 1,
	    "\x30\x06\x01\x01\xff\x02\x01\x00", 8, 0, der, sizeof(der));
	refused(der, len, "CSR asks for CA:TRUE");
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256, NULL, 0, NULL, 0,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE | MBEDTLS_X509_KU_KEY_CERT_SIGN,
	    der, sizeof(der));
	refused(der, len, "CSR asks for key usage keyCertSign");
	/* nameConstraints (permitted dNSName example.com), not critical. */
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256,
	    MBEDTLS_OID_NAME_CONSTRAINTS, 0,
	    "\x30\x0f\xa0\x0d\x30\x0b\x82\x09" "localhost", 17, 0, der,
	    sizeof(der));
	refused(der, len, "CSR has forbidden extension nameConstraints "
	    "(2.5.29.30) (for CAs only)");
	/* extendedKeyUsage clientAuth, critical: mbedTLS does not parse it. */
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256,
	    MBEDTLS_OID_EXTENDED_KEY_USAGE, 1,
	    "\x30\x0a\x06\x08" MBEDTLS_OID_CLIENT_AUTH, 12, 0, der,
	    sizeof(der));
	refused(der, len, "CSR has forbidden extension extendedKeyUsage "
	    "(2.5.29.37) (critical, not supported)");

	/* What OpenSSL's default request carries is taken. */
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA256,
	    MBEDTLS_OID_BASIC_CONSTRAINTS, 0, "\x30\x00", 2,
	    MBEDTLS_X509_KU_DIGITAL_SIGNATURE |
	    MBEDTLS_X509_KU_KEY_ENCIPHERMENT, der, sizeof(der));
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)), 0);
	assert_string_equal(ci.name, "agent-x");
	len = make_csr_ext(&rng, MBEDTLS_MD_SHA384,
	    MBEDTLS_OID_EXTENDED_KEY_USAGE, 0,
	    "\x30\x0a\x06\x08" MBEDTLS_OID_CLIENT_AUTH, 12, 0, der,
	    sizeof(der));
	assert_int_equal(csr_check(der, len, &ci, err, sizeof(err)), 0);
	pki_rng_free(&rng);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_terms_init),
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_forged),
		cmocka_unit_test(test_csr_check),
		cmocka_unit_test(test_csr_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
