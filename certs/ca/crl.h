/*
 * crl.h: a CRL signed by the CA (mbedTLS parses CRLs but has no writer:
 * this is the writer, built on its ASN.1 writer, signer and PEM encoder).
 */
#ifndef GW_CRL_H
#define GW_CRL_H

#include <stddef.h>

#include "x509_issue.h"

struct pki_revoked {
	unsigned char	serial[32];	/* big-endian */
	size_t		len;
	char		when[16];	/* YYYYMMDDhhmmss, UTC */
};

/**
 * pki_crl_write(ca, rng, v, n, days, pem, pemlen, err, errlen): a v2 CRL
 * of the ${n} revoked certificates ${v}, this update now, next update in
 * ${days} days, signed with SHA-256 by ${ca}, as PEM into ${pem}.  0 or -1.
 */
int pki_crl_write(struct pki_ca *ca, struct pki_rng *rng,
    const struct pki_revoked *v, size_t n, unsigned days, unsigned char *pem,
    size_t pemlen, char *err, size_t errlen);

#endif /* GW_CRL_H */
