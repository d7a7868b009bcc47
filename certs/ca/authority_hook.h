/*
 * authority_hook.h: the policy hook of a signing authority.  The hook
 * is an executable run for each new request before it is signed or
 * queued: the CSR (PEM) on its stdin, the request in its environment
 * (GW_ENROLL_KIND, _NAME, _SOURCE, _VIA, _KEY_FINGERPRINT, _REQUEST_ID,
 * _TOKEN_ID).  Exit 0 signs, 1 denies, 2 queues for an operator; any
 * other status, a signal or hook_timeout refuses (the hook fails closed).
 * At most hook_max run at once, hook_queue more wait (authority_hook.c).
 * It runs as a child of the event loop (ev_child, the default loop): the
 * loop goes on serving while it decides.
 */
#ifndef GW_AUTHORITY_HOOK_H
#define GW_AUTHORITY_HOOK_H

#include "authority_state.h"

/*
 * What the hook hands back to the authority (authority.c sets
 * a->hook_ops): the hook module calls nothing above it but these.
 */
struct auth_hook_ops {
	/*
	 * decide(a, x, verdict, cb, arg): carry out a verdict on request
	 * ${x}: AUTH_SIGN, AUTH_DENY, AUTH_PENDING, or a failure: AUTH_FAILED,
	 * AUTH_BUSY; then answer ${cb}(res, ${arg}) unless ${cb} is NULL.
	 */
	void	(*decide)(struct authority *, const struct auth_ctx *, int,
		    authority_cb, void *);
	/*
	 * drop(a, x): forget request ${x}, unanswered (its record, its token
	 * use: auth_drop in authority.c).
	 */
	void	(*drop)(struct authority *, const struct auth_ctx *);
};

/**
 * auth_hook_run(a, x, csr, len, cb, arg): ask the hook about request ${x};
 * its verdict goes to a->hook_ops->decide(), then to ${cb} unless
 * cancelled.  It runs at once if fewer than hook_max run, else waits its
 * turn; with hook_queue requests waiting already, the verdict is
 * AUTH_BUSY.
 */
void auth_hook_run(struct authority *a, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg);

/**
 * auth_hook_cancel(a, arg): the requester ${arg} is gone: never call it.
 * Its request, waiting, is dropped at once; running, its hook is ended
 * (SIGTERM, SIGKILL after a grace) and it is dropped when the hook exits.
 */
void auth_hook_cancel(struct authority *a, void *arg);

/**
 * auth_hook_busy(a, rid): 1 if a hook is deciding request ${rid} (or
 * waits to).
 */
int auth_hook_busy(const struct authority *a, const char *rid);

/**
 * auth_hook_close_all(a): kill every running hook; their requests and the
 * waiting ones are dropped (a->hook_ops->drop), no callbacks.
 */
void auth_hook_close_all(struct authority *a);

#endif /* GW_AUTHORITY_HOOK_H */
