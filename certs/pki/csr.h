/*
 * csr.h: the checks every enrollment request passes, at the gateway and
 * again at the signing authority: a PKCS#10 CSR that parses, whose
 * self-signature verifies, with a strong enough key and a plain name.
 */
#ifndef GW_CSR_H
#define GW_CSR_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define CSR_DER_MAX	8192

struct csr_info {
	char	name[ID_NAME_MAX];	/* CN */
	char	key_desc[32];		/* "EC P-256", "RSA 3072" */
	char	key_fp[65];		/* hex SHA-256 of the public key DER */
};

/**
 * csr_check(der, len, out, err, errlen): parse the CSR ${der}, verify its
 * self-signature, accept only ECDSA P-256/P-384 or RSA 2048..8192 keys and
 * a CN of 1..64 characters from [A-Za-z0-9._-]; refuse a signature with
 * MD5 or SHA-1, a request for CA:TRUE, keyCertSign or cRLSign, a CA's
 * extension, a critical extension other than keyUsage, subjectAltName and
 * nsCertType; fill ${out}.  Return 0, or GW_R_BAD_CSR with the reason,
 * which names the cause, in ${err}.
 */
int csr_check(const uint8_t *der, size_t len, struct csr_info *out,
    char *err, size_t errlen);

/**
 * csr_key_fp(pk, out): hex SHA-256 of public key ${pk} (DER
 * SubjectPublicKeyInfo) into ${out}; 0 or -1.
 */
int csr_key_fp(const void *pk, char out[65]);

#endif /* GW_CSR_H */
