/*
 * test_token.c: bootstrap tokens (certs/token.c) and the CSR checks
 * (certs/csr.c) that every enrollment request passes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_roundtrip),
		cmocka_unit_test(test_token_forged),
		cmocka_unit_test(test_csr_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
