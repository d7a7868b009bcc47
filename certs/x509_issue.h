/*
 * x509_issue.h: the PKI operations of gw-cert on mbedTLS's X.509 writer:
 * generate a key, make a self-signed CA, issue a certificate for a role.
 * Nothing here prints; errors come back as "what: why" in ${err}.
 */
#ifndef GW_X509_ISSUE_H
#define GW_X509_ISSUE_H

#include <stddef.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#define PKI_MAX_SAN	16

enum pki_role { PKI_ROLE_CA, PKI_ROLE_GATEWAY, PKI_ROLE_MGMT, PKI_ROLE_AGENT };

/* A random generator, seeded once per run. */
struct pki_rng {
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* What to put in a certificate. */
struct pki_req {
	enum pki_role	 role;
	const char	*name;			/* CN */
	const char	*dns[PKI_MAX_SAN];	/* extra DNS SANs */
	size_t		 ndns;
	unsigned char	 ip[PKI_MAX_SAN][16];	/* IP SANs, raw */
	size_t		 iplen[PKI_MAX_SAN];	/* 4 or 16 */
	size_t		 nip;
	char		 not_before[16];	/* YYYYMMDDhhmmss, UTC */
	char		 not_after[16];
	unsigned	 rsa_bits;		/* 0: ECDSA, see ec_bits */
	unsigned	 ec_bits;		/* 0 or 256: P-256, 384: P-384 */
};

/* The CA that signs: its certificate and its key. */
struct pki_ca {
	mbedtls_x509_crt	 crt;
	mbedtls_pk_context	 key;
	char			*crt_pem;	/* the CA file, appended to chains */
};

/** pki_rng_init(r, err, errlen): seed ${r}; 0 or -1. */
int pki_rng_init(struct pki_rng *r, char *err, size_t errlen);

/** pki_rng_free(r): free ${r}. */
void pki_rng_free(struct pki_rng *r);

/**
 * pki_validity(req, days): not_before one hour ago (clock skew), not_after
 * ${days} days from now.
 */
void pki_validity(struct pki_req *req, unsigned days);

/**
 * pki_ca_load(ca, dir, rng, err, errlen): load ${dir}/ca.crt and
 * ${dir}/ca.key into ${ca}.  0 or -1; pki_ca_free() in both cases.
 */
int pki_ca_load(struct pki_ca *ca, const char *dir, struct pki_rng *rng,
    char *err, size_t errlen);

/** pki_ca_free(ca): free ${ca}. */
void pki_ca_free(struct pki_ca *ca);

/**
 * pki_make(req, ca, rng, crt_pem, crtlen, key_pem, keylen, err, errlen):
 * generate a key and a certificate for ${req}, signed by ${ca} (or
 * self-signed when ${ca} is NULL, which makes a CA), as PEM into
 * ${crt_pem} and ${key_pem}.  0 or -1.
 */
int pki_make(const struct pki_req *req, struct pki_ca *ca,
    struct pki_rng *rng, unsigned char *crt_pem, size_t crtlen,
    unsigned char *key_pem, size_t keylen, char *err, size_t errlen);

/**
 * pki_sign(req, key, ca, rng, crt_pem, crtlen, err, errlen): a certificate
 * for ${req} and the public key of ${key}, signed by ${ca} (or by ${key}
 * itself when ${ca} is NULL: a root CA), as PEM into ${crt_pem}.  0 or -1.
 */
int pki_sign(const struct pki_req *req, mbedtls_pk_context *key,
    struct pki_ca *ca, struct pki_rng *rng, unsigned char *crt_pem,
    size_t crtlen, char *err, size_t errlen);

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

#endif /* GW_X509_ISSUE_H */
