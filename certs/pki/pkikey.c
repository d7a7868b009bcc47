/*
 * pkikey.c: keys and requests with mbedTLS (see pkikey.h): the random
 * generator, a new key, its kind, a CSR.  Nothing here signs for a CA
 * (x509_issue.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/error.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_csr.h>
#include <psa/crypto.h>

#include "pkikey.h"

#define PKI_DN_MAX	512

/**
 * pki_mberr(err, errlen, what, rc): "${what}: " and mbedTLS's words for
 * error ${rc} into ${err}; -1.
 */
int
pki_mberr(char *err, size_t errlen, const char *what, int rc)
{
	char buf[160];

	mbedtls_strerror(rc, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, buf);
	return -1;
}

/** pki_rng_init(r, err, errlen): seed ${r}; 0 or -1. */
int
pki_rng_init(struct pki_rng *r, char *err, size_t errlen)
{
	static const char pers[] = "gw-cert";
	int rc;

	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	if (psa_crypto_init() != PSA_SUCCESS) {
		snprintf(err, errlen, "cannot initialise PSA crypto");
		return -1;
	}
	if ((rc = mbedtls_ctr_drbg_seed(&r->drbg, mbedtls_entropy_func,
	    &r->entropy, (const unsigned char *)pers, sizeof(pers) - 1)) != 0)
		return pki_mberr(err, errlen, "random generator", rc);
	return 0;
}

/** pki_rng_free(r): free ${r}. */
void
pki_rng_free(struct pki_rng *r)
{
	mbedtls_ctr_drbg_free(&r->drbg);
	mbedtls_entropy_free(&r->entropy);
}

/**
 * pki_genkey(pk, rsa_bits, rng, err, errlen): make ${pk} a new key: RSA
 * of ${rsa_bits} bits, or ECDSA P-256 when ${rsa_bits} is 0.  0 or -1.
 */
int
pki_genkey(mbedtls_pk_context *pk, unsigned rsa_bits, struct pki_rng *rng,
    char *err, size_t errlen)
{
	int rc;

	if (rsa_bits != 0) {
		if ((rc = mbedtls_pk_setup(pk,
		    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA))) != 0 ||
		    (rc = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk),
		    mbedtls_ctr_drbg_random, &rng->drbg, rsa_bits, 65537)) != 0)
			return pki_mberr(err, errlen, "RSA key", rc);
		return 0;
	}
	return pki_genkey_ec(pk, 256, rng, err, errlen);
}

/**
 * pki_genkey_ec(pk, ec_bits, rng, err, errlen): make ${pk} a new ECDSA key
 * on P-256 (${ec_bits} 0 or 256) or P-384 (384).  0 or -1.
 */
int
pki_genkey_ec(mbedtls_pk_context *pk, unsigned ec_bits, struct pki_rng *rng,
    char *err, size_t errlen)
{
	mbedtls_ecp_group_id grp;
	int rc;

	if (ec_bits == 0 || ec_bits == 256)
		grp = MBEDTLS_ECP_DP_SECP256R1;
	else if (ec_bits == 384)
		grp = MBEDTLS_ECP_DP_SECP384R1;
	else {
		snprintf(err, errlen, "ECDSA key: no curve of %u bits (256 "
		    "or 384)", ec_bits);
		return -1;
	}
	if ((rc = mbedtls_pk_setup(pk,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (rc = mbedtls_ecp_gen_key(grp, mbedtls_pk_ec(*pk),
	    mbedtls_ctr_drbg_random, &rng->drbg)) != 0)
		return pki_mberr(err, errlen, "ECDSA key", rc);
	return 0;
}

/**
 * pki_ec_parse(s, ec_bits): the curve ${s} names ("p256" or "p384", as the
 * --ec options take it) as its size in ${ec_bits}.  0 or -1.
 */
int
pki_ec_parse(const char *s, unsigned *ec_bits)
{
	if (strcmp(s, "p256") == 0)
		*ec_bits = 256;
	else if (strcmp(s, "p384") == 0)
		*ec_bits = 384;
	else
		return -1;
	return 0;
}

/**
 * pki_key_kind(pk, rsa_bits, ec_bits, err, errlen): the type and size of
 * ${pk} as pki_genkey() and pki_genkey_ec() take them: RSA of ${rsa_bits}
 * bits (${ec_bits} 0), or ECDSA on P-256 or P-384 (${ec_bits} 256 or 384,
 * ${rsa_bits} 0).  0, or -1 for any other key.
 */
int
pki_key_kind(const mbedtls_pk_context *pk, unsigned *rsa_bits,
    unsigned *ec_bits, char *err, size_t errlen)
{
	*rsa_bits = *ec_bits = 0;
	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_RSA:
		*rsa_bits = (unsigned)mbedtls_pk_get_bitlen(pk);
		return 0;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECDSA:
		switch (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk))) {
		case MBEDTLS_ECP_DP_SECP256R1:
			*ec_bits = 256;
			return 0;
		case MBEDTLS_ECP_DP_SECP384R1:
			*ec_bits = 384;
			return 0;
		default:
			break;
		}
		snprintf(err, errlen, "ECDSA key on a curve other than P-256 "
		    "and P-384");
		return -1;
	default:
		snprintf(err, errlen, "%s key: neither RSA nor ECDSA",
		    mbedtls_pk_get_name(pk));
		return -1;
	}
}

/**
 * pki_csr(key, name, rng, der, cap, derlen, err, errlen): a PKCS#10
 * request for subject "CN=${name}" signed by ${key} (SHA-256), as DER at
 * the start of ${der} (capacity ${cap}); its length in ${derlen}.  0 or -1.
 */
int
pki_csr(mbedtls_pk_context *key, const char *name, struct pki_rng *rng,
    unsigned char *der, size_t cap, size_t *derlen, char *err,
    size_t errlen)
{
	mbedtls_x509write_csr w;
	char subject[PKI_DN_MAX];
	int rc;

	if (strpbrk(name, ",=+\\\"<>;#") != NULL ||
	    snprintf(subject, sizeof(subject), "CN=%s", name) >=
	    (int)sizeof(subject)) {
		snprintf(err, errlen, "name '%s': use letters, digits, '.', "
		    "'-', '_'", name);
		return -1;
	}
	mbedtls_x509write_csr_init(&w);
	mbedtls_x509write_csr_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&w, key);
	if ((rc = mbedtls_x509write_csr_set_subject_name(&w, subject)) != 0 ||
	    (rc = mbedtls_x509write_csr_der(&w, der, cap,
	    mbedtls_ctr_drbg_random, &rng->drbg)) < 0) {
		mbedtls_x509write_csr_free(&w);
		return pki_mberr(err, errlen, "CSR", rc);
	}
	mbedtls_x509write_csr_free(&w);
	/* The writer fills ${der} from its end. */
	*derlen = (size_t)rc;
	memmove(der, der + cap - *derlen, *derlen);
	return 0;
}
