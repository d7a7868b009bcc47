/*
 * x509_issue.h: the PKI operations of a CA on mbedTLS's X.509 writer
 * (gw-cert and gw-signer only): load a CA, make a self-signed CA, issue a
 * certificate for a role.  Keys and CSRs are pkikey.h's.
 * Nothing here prints; errors come back as "what: why" in ${err}.
 */
#ifndef GW_X509_ISSUE_H
#define GW_X509_ISSUE_H

#include <stddef.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "pkikey.h"

#define PKI_MAX_SAN	16

enum pki_role { PKI_ROLE_CA, PKI_ROLE_GATEWAY, PKI_ROLE_MGMT, PKI_ROLE_AGENT };

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

#endif /* GW_X509_ISSUE_H */
