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
 *
 * The authority (authority.c) owns a struct auth_hooks, the hooks running
 * and waiting, which this module alone allocates, writes and frees; the
 * verdicts come back up only through the struct auth_hook_ops it is given.
 */
#ifndef GW_AUTHORITY_HOOK_H
#define GW_AUTHORITY_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "authority_msg.h"
#include "identity.h"

/* Verdicts on a request: the hook's exit codes 0-2, then failures. */
#define AUTH_SIGN	0
#define AUTH_DENY	1
#define AUTH_PENDING	2
#define AUTH_FAILED	3
#define AUTH_BUSY	4	/* no room to run the hook: overload */

struct authority;
struct auth_hooks;

/*
 * One request being decided: the authority's (authority.c writes it); the
 * hook reads it, keeps a copy and hands that back.
 */
struct auth_ctx {
	char	rid[AUTH_RID_LEN + 1];
	char	name[ID_NAME_MAX];
	char	source[64];
	char	via[ID_NAME_MAX];
	char	kind[16];		/* token | pending | renewal | poll */
	char	token_id[17];
	char	key_fp[65];
	int	counted;		/* took a use of token_id */
	int	queued;			/* counted in npending and its
					   source's pending */
	int	quiet;			/* its refusal goes unlogged (its
					   source's was, this minute) */
	int	replace;		/* may take a live name: a token
					   made for this one name */
};

/* What the hook hands back to the authority (authority.c's). */
struct auth_hook_ops {
	/*
	 * decide(a, x, verdict, why, cb, arg): carry out a verdict on
	 * request ${x}: AUTH_SIGN, AUTH_DENY, AUTH_PENDING, or a failure:
	 * AUTH_FAILED, AUTH_BUSY, with what happened in ${why}; then answer
	 * ${cb}(res, ${arg}) unless ${cb} is NULL.
	 */
	void	(*decide)(struct authority *, const struct auth_ctx *, int,
		    const char *, authority_cb, void *);
	/*
	 * drop(a, x): forget request ${x}, unanswered (its record, its token
	 * use: auth_drop in authority.c).
	 */
	void	(*drop)(struct authority *, const struct auth_ctx *);
};

/**
 * auth_hook_new(p, ops, a): the hooks of authority ${a}, which runs
 * ${p}->hook on ${p}->loop (hook_timeout, hook_max, hook_queue) and hears
 * the verdicts through ${ops}.  ${p}'s strings, ${ops} and ${a} must live
 * until auth_hook_free().  NULL if out of memory.
 */
struct auth_hooks *auth_hook_new(const struct authority_params *p,
    const struct auth_hook_ops *ops, struct authority *a);

/**
 * auth_hook_run(hs, x, csr, len, cb, arg): ask the hook about request
 * ${x}; its verdict goes to the ops' decide(), then to ${cb} unless
 * cancelled.  It runs at once if fewer than hook_max run, else waits its
 * turn; with hook_queue requests waiting already, the verdict is
 * AUTH_BUSY.
 */
void auth_hook_run(struct auth_hooks *hs, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg);

/**
 * auth_hook_cancel(hs, arg): the requester ${arg} is gone: never call it.
 * Its request, waiting, is dropped at once; running, its hook is ended
 * (SIGTERM, SIGKILL after a grace) and it is dropped when the hook exits.
 */
void auth_hook_cancel(struct auth_hooks *hs, void *arg);

/**
 * auth_hook_busy(hs, rid): 1 if a hook is deciding request ${rid} (or
 * waits to).
 */
int auth_hook_busy(const struct auth_hooks *hs, const char *rid);

/**
 * auth_hook_free(hs): kill every running hook; their requests and the
 * waiting ones are dropped (the ops' drop), no callbacks; free ${hs}.
 * NULL is a no-op.
 */
void auth_hook_free(struct auth_hooks *hs);

#endif /* GW_AUTHORITY_HOOK_H */
