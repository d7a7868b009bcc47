/*
 * relay_issuer.h: [downstream] agent_issuers, the issuer DN globs a
 * relayed agent's issuer must match (relay.c).  Pure.
 */
#ifndef GW_RELAY_ISSUER_H
#define GW_RELAY_ISSUER_H

/**
 * relay_issuer_match(globs, dn): does ${globs}, a '|'-separated list of
 * issuer DN globs, match ${dn}?  1 or 0.
 */
int relay_issuer_match(const char *globs, const char *dn);

#endif /* GW_RELAY_ISSUER_H */
