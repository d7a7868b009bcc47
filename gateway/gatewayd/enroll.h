/*
 * enroll.h: enrollment requests in the gateway.  A request comes from the
 * enrollment listener (a new agent: CSR and maybe a token, or a poll) or
 * from an open agent session (renewal, attested by the session's
 * certificate).  The gateway checks the CSR and its name itself, then
 * forwards the request to the management server over a ready link (the
 * signing key never sits on the gateway) or, in a standalone gateway
 * ([enroll] mode = local), hands it to its own signing authority, which
 * runs in a signer process (signer_client.h): gatewayd never holds the key.
 *
 * Each request gets exactly one answer: the authority's, or a refusal
 * (bad-csr, policy, overload, upstream-lost, timeout) from the gateway.
 */
#ifndef GW_ENROLL_H
#define GW_ENROLL_H

#include "frame.h"
#include "gw.h"

/* The answer to one request: a view, valid during the call only. */
typedef void (*enroll_cb)(const struct gw_enroll_result *res, void *arg);

/**
 * enroll_new(gw, err, errlen): the request table, its timer and, with
 * mode = local, the signing authority: enroll.c's part of struct gw, which
 * the caller keeps as gw->enroll.  NULL with ${err} on error.
 */
struct enroll *enroll_new(struct gw *gw, char *err, size_t errlen);

/**
 * enroll_free(e): answer nothing more, free everything of ${e};
 * enroll_free(NULL) is a no-op.
 */
void enroll_free(struct enroll *e);

/**
 * enroll_submit(gw, req, name, cb, arg): check and forward ${req} (its
 * source and client_cert already set by the caller).  ${name}, if not
 * NULL, is the name the CSR must carry (a renewal keeps its name).  Call
 * ${cb}(res, ${arg}) exactly once, possibly before this returns, unless
 * enroll_cancel(${arg}) comes first.
 */
void enroll_submit(struct gw *gw, const struct gw_enroll *req,
    const char *name, enroll_cb cb, void *arg);

/** enroll_cancel(gw, arg): the requester ${arg} is gone. */
void enroll_cancel(struct gw *gw, void *arg);

/** enroll_result(gw, u, f): ENROLL_RESULT ${f} arrived on link ${u}. */
void enroll_result(struct gw *gw, struct upstream *u,
    const struct gw_frame *f);

/** enroll_link_down(gw, u): link ${u} is gone: fail what it carried. */
void enroll_link_down(struct gw *gw, struct upstream *u);

#endif /* GW_ENROLL_H */
