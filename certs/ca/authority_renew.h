/*
 * authority_renew.h: whether a certificate may renew (authority_renew.c).
 */
#ifndef GW_AUTHORITY_RENEW_H
#define GW_AUTHORITY_RENEW_H

#include <stddef.h>
#include <stdint.h>

#include "authority_state.h"

/**
 * auth_renew_ok(a, der, derlen, name, reason, why, len): 1 if certificate
 * ${der} (attested by the gateway) may renew as ${name}: this CA signed it
 * (ca.crt's first certificate, not its parents), it is valid now, not on
 * DIR/ca.crl, a client certificate, named ${name}, and renew_after
 * percent of its validity is over.  Else 0, the refusal in ${reason}
 * (GW_R_POLICY, GW_R_REVOKED, GW_R_INTERNAL, GW_R_OVERLOAD: too early)
 * and ${why}.
 */
int auth_renew_ok(struct authority *a, const uint8_t *der, size_t derlen,
    const char *name, unsigned *reason, char *why, size_t len);

#endif /* GW_AUTHORITY_RENEW_H */
