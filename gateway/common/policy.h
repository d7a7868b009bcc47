/*
 * policy.h: which verified agent certificates may hold a session.
 *
 * A policy is compiled from configuration values, one key at a time
 * (policy_set), and evaluated against a certificate (policy_check).  Allow
 * keys: agent_names (CN globs), agent_issuers (issuing CA: DN globs or
 * "sha256:" fingerprints of a CA in agent_ca), agent_san_dns (DNS SAN
 * globs), agent_san_ip (IP SAN addresses or CIDR ranges), agent_san_uri
 * (URI SAN globs).  Deny keys: deny_names (globs on the CN and every DNS
 * SAN, without case), deny_fingerprints (SHA-256 of agent certificates).
 * Items within a key are ORed; every allow key that is set must match
 * (AND); a deny match refuses whatever the allow keys say.  This module
 * never logs.
 */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/x509_crt.h>

struct policy;

/** policy_new(): an empty policy (admits every certificate), or NULL. */
struct policy *policy_new(void);

/**
 * policy_set(p, key, value, why, whylen): compile ${value} of the policy
 * key ${key} into ${p} (replacing what that key held).  Return 0; -1 if
 * ${value} is malformed, the reason in ${why}, and the key left unset (the
 * caller discards ${p}); -2 if ${key} is no policy key.
 */
int policy_set(struct policy *p, const char *key, const char *value,
    char *why, size_t whylen);

/**
 * policy_cas(p, path, why, whylen): find each agent_issuers fingerprint of
 * ${p} among the certificates of the PEM bundle ${path} (agent_ca) and
 * keep that CA.  Read nothing if ${p} has no fingerprint.  Return 0, or -1
 * (the file does not load, or a fingerprint is none of its certificates)
 * with the reason in ${why}.
 */
int policy_cas(struct policy *p, const char *path, char *why,
    size_t whylen);

/** policy_has_fingerprints(p): 1 if agent_issuers names a fingerprint. */
int policy_has_fingerprints(const struct policy *p);

/**
 * policy_check(p, crt, why, whylen): 0 if ${p} admits the verified leaf
 * certificate ${crt}; else -1 with the rule that refused it in ${why}
 * ("fingerprint denied by deny_fingerprints", "issuer not allowed by
 * agent_issuers", ...).
 */
int policy_check(const struct policy *p, const mbedtls_x509_crt *crt,
    char *why, size_t whylen);

/**
 * policy_check_der(p, der, len, why, whylen): policy_check for a
 * certificate kept as DER; one that does not parse is refused.
 */
int policy_check_der(const struct policy *p, const uint8_t *der, size_t len,
    char *why, size_t whylen);

/**
 * policy_deny(p, name, fp, sans, n, why, whylen): the deny keys of ${p} for
 * an agent known by strings (a relayed OPEN): -1 with the rule in ${why} if
 * deny_fingerprints holds ${fp} or deny_names matches the CN ${name} or a
 * "DNS:" name of the subjectAltName list ${sans} (${n} bytes, "TYPE:value"
 * separated by one space; n 0: none); else 0.
 */
int policy_deny(const struct policy *p, const char *name,
    const uint8_t fp[32], const char *sans, size_t n, char *why,
    size_t whylen);

/** policy_free(p): free ${p}; NULL-safe. */
void policy_free(struct policy *p);

#endif /* GW_POLICY_H */
