/*
 * authority.h: the signing authority of enrollment.  gw-mgmt runs it for
 * the requests its gateways forward; a standalone gatewayd ([enroll] mode
 * = local) runs it with its own intermediate CA.  gw-cert works on the
 * same directory (token create/list/revoke, pending list, approve, deny).
 *
 * Everything lives in the CA directory made by "gw-cert ca":
 *
 *   DIR/ca.crt, DIR/ca.key     the signing CA (an intermediate is fine;
 *                              ca.crt may hold its chain after it)
 *   DIR/ca.crl                 its CRL (gw-cert revoke / crl), if any
 *   DIR/issued.txt             one line per certificate (gw-cert list)
 *   DIR/enroll/token.key       the HMAC key of bootstrap tokens (0600)
 *   DIR/enroll/tokens/ID       a token's terms, for token list
 *   DIR/enroll/tokens/ID.used  how many requests it has admitted
 *   DIR/enroll/tokens/ID.revoked
 *   DIR/enroll/requests/RID/   one request: csr.pem, info, and then
 *                              cert.pem (issued) or denied (refused)
 *
 * RID, the request id, is the first 32 hex digits of the SHA-256 of the
 * CSR (DER), so a resent CSR finds its request again: the same answer,
 * no second token use.
 *
 * A request is decided in this order:
 *   1. request_id only (a poll): the request's state: issued (the chain),
 *      denied, pending, or refused request-unknown / request-expired.
 *   2. the CSR must pass csr_check() and its name the names policy,
 *      else refused bad-csr / policy.
 *   3. a CSR already on file: its request's state, as for a poll.
 *   4. client_cert (renewal, attested by the gateway): it must chain to
 *      this CA, be valid now, not be revoked, and carry the CSR's name;
 *      else refused policy / revoked.  It must have lived renew_after
 *      percent of its validity (33: the agent renews with a third left),
 *      and its source must have a new request left this hour
 *      (new_per_source_per_hour); else refused overload.  Then sign
 *      (subject to the hook).
 *   5. a token: it must verify (HMAC), be unexpired, unrevoked, have
 *      uses left and allow the name; else refused token-invalid /
 *      token-expired / token-used-up / policy.  A name that has a valid
 *      certificate (issued.txt, not expired, not in revoked.txt) is
 *      refused name-taken unless the token was made for that one name.
 *      It then counts one use and the request is signed (subject to the
 *      hook; the name is checked again before signing).
 *   6. neither: pending, until an operator approves or denies it or it
 *      expires (pending_ttl); max_pending bounds the queue, and each
 *      source (an IPv4 address, an IPv6 /64) may have
 *      max_pending_per_source requests in it and make
 *      new_per_source_per_hour new ones (with renewals); else refused
 *      overload.
 *      A taken name is approved only with --replace; a hook that would
 *      sign one leaves it pending instead.
 * The policy hook, when configured, runs for 4-6 before the decision:
 * exit 0 signs at once, 1 denies, 2 leaves the request pending; anything
 * else (a signal, the timeout) refuses it (internal): the hook fails
 * closed, and the request is forgotten (its token use given back) so that
 * the agent may try again.  hook_max hooks run at once and hook_queue
 * requests wait for one; more are refused overload, forgotten likewise.
 */
#ifndef GW_AUTHORITY_H
#define GW_AUTHORITY_H

#include <stddef.h>

#include "authority_msg.h"

struct authority;

/**
 * authority_open(p, err, errlen): load the CA of ${p}->dir and create
 * DIR/enroll and its subdirectories if missing.  NULL on error, with
 * "what: why" in ${err}.
 */
struct authority *authority_open(const struct authority_params *p,
    char *err, size_t errlen);

/**
 * authority_submit(a, req, cb, arg): decide ${req} and call ${cb}(res,
 * ${arg}) exactly once, unless authority_cancel(${arg}) comes first.
 * Without a hook to run, ${cb} is called before this returns.  Every
 * decision is logged once (name, source, via, outcome; never the token).
 */
void authority_submit(struct authority *a, const struct authority_req *req,
    authority_cb cb, void *arg);

/**
 * authority_cancel(a, arg): the requester ${arg} is gone: never call it.
 * Its request is dropped (its token use given back): a waiting one at
 * once, a running hook is ended (SIGTERM, SIGKILL after a grace) first.
 */
void authority_cancel(struct authority *a, void *arg);

/** authority_close(a): kill running hooks, free ${a}; NULL is a no-op. */
void authority_close(struct authority *a);

/**
 * authority_approve(dir, rid, days, replace, name, err, errlen): sign
 * pending request ${rid} of CA directory ${dir} for ${days} days (gw-cert
 * approve): its CSR is checked again, the certificate recorded in
 * issued.txt and stored for the agent's next poll.  A name that already
 * has a valid certificate is refused unless ${replace} (approve
 * --replace).  Its name goes to ${name} (ID_NAME_MAX).  0 or -1.
 */
int authority_approve(const char *dir, const char *rid, unsigned days,
    int replace, char *name, char *err, size_t errlen);

/**
 * authority_deny(dir, rid, reason, name, err, errlen): deny pending request
 * ${rid} of CA directory ${dir} (gw-cert deny); the agent's next poll gets
 * ${reason} (one line; NULL: "denied by an operator").  Its name goes to
 * ${name} (ID_NAME_MAX).  0 or -1.
 */
int authority_deny(const char *dir, const char *rid, const char *reason,
    char *name, char *err, size_t errlen);

#endif /* GW_AUTHORITY_H */
