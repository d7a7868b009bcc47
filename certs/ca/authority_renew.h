/*
 * authority_renew.h: whether a certificate may renew (authority_renew.c).
 * The authority (authority.c) owns a struct auth_renew, the CA that
 * renewals chain to and its CRL as last read, which this module alone
 * allocates, writes and frees.
 */
#ifndef GW_AUTHORITY_RENEW_H
#define GW_AUTHORITY_RENEW_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/x509_crt.h>

struct auth_renew;

/**
 * auth_renew_new(dir, ca, renew_after, err, errlen): renewals to CA
 * directory ${dir} (valid until auth_renew_free), which chain to ${ca}
 * (ca.crt's first certificate: a copy is kept) and renew once
 * ${renew_after} percent of their validity is over.  NULL on error, with
 * ${err}.
 */
struct auth_renew *auth_renew_new(const char *dir, const mbedtls_x509_crt *ca,
    unsigned renew_after, char *err, size_t errlen);

/**
 * auth_renew_ok(r, der, derlen, name, reason, why, len): 1 if certificate
 * ${der} (attested by the gateway) may renew as ${name}: this CA signed it
 * (ca.crt's first certificate, not its parents), it is valid now, not on
 * DIR/ca.crl, a client certificate, named ${name}, and renew_after
 * percent of its validity is over.  Else 0, the refusal in ${reason}
 * (GW_R_POLICY, GW_R_REVOKED, GW_R_INTERNAL, GW_R_OVERLOAD: too early)
 * and ${why}.
 */
int auth_renew_ok(struct auth_renew *r, const uint8_t *der, size_t derlen,
    const char *name, unsigned *reason, char *why, size_t len);

/** auth_renew_free(r): free ${r}; NULL is a no-op. */
void auth_renew_free(struct auth_renew *r);

#endif /* GW_AUTHORITY_RENEW_H */
