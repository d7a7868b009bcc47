/*
 * pkikey.h: keys and certificate requests on mbedTLS, for every program
 * that makes its own key (gw-agent, gw-cert): a random generator, a new
 * key, a key's kind, a CSR.  Nothing here signs for a CA (x509_issue.h).
 * Errors come back as "what: why" in ${err}.
 */
#ifndef GW_PKIKEY_H
#define GW_PKIKEY_H

#include <stddef.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

/* A random generator, seeded once per run. */
struct pki_rng {
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
};

/**
 * pki_mberr(err, errlen, what, rc): "${what}: " and mbedTLS's words for
 * error ${rc} into ${err}; -1.
 */
int pki_mberr(char *err, size_t errlen, const char *what, int rc);

/** pki_rng_init(r, err, errlen): seed ${r}; 0 or -1. */
int pki_rng_init(struct pki_rng *r, char *err, size_t errlen);

/** pki_rng_free(r): free ${r}. */
void pki_rng_free(struct pki_rng *r);

/**
 * pki_genkey(pk, rsa_bits, rng, err, errlen): make ${pk} a new key: RSA
 * of ${rsa_bits} bits, or ECDSA P-256 when ${rsa_bits} is 0.  0 or -1.
 */
int pki_genkey(mbedtls_pk_context *pk, unsigned rsa_bits,
    struct pki_rng *rng, char *err, size_t errlen);

/**
 * pki_genkey_ec(pk, ec_bits, rng, err, errlen): make ${pk} a new ECDSA key
 * on P-256 (${ec_bits} 0 or 256) or P-384 (384).  0 or -1.
 */
int pki_genkey_ec(mbedtls_pk_context *pk, unsigned ec_bits,
    struct pki_rng *rng, char *err, size_t errlen);

/**
 * pki_ec_parse(s, ec_bits): the curve ${s} names ("p256" or "p384", as the
 * --ec options take it) as its size in ${ec_bits}.  0 or -1.
 */
int pki_ec_parse(const char *s, unsigned *ec_bits);

/**
 * pki_key_kind(pk, rsa_bits, ec_bits, err, errlen): the type and size of
 * ${pk} as pki_genkey() and pki_genkey_ec() take them: RSA of ${rsa_bits}
 * bits (${ec_bits} 0), or ECDSA on P-256 or P-384 (${ec_bits} 256 or 384,
 * ${rsa_bits} 0).  0, or -1 for any other key.
 */
int pki_key_kind(const mbedtls_pk_context *pk, unsigned *rsa_bits,
    unsigned *ec_bits, char *err, size_t errlen);

/**
 * pki_csr(key, name, rng, der, cap, derlen, err, errlen): a PKCS#10
 * request for subject "CN=${name}" signed by ${key} (SHA-256), as DER at
 * the start of ${der} (capacity ${cap}); its length in ${derlen}.  0 or -1.
 */
int pki_csr(mbedtls_pk_context *key, const char *name, struct pki_rng *rng,
    unsigned char *der, size_t cap, size_t *derlen, char *err,
    size_t errlen);

#endif /* GW_PKIKEY_H */
