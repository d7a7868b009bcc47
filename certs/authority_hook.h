/*
 * authority_hook.h: what authority.c and authority_hook.c share: the
 * authority's state, one request's context, and the policy hook.
 *
 * The hook is an executable run for each new request before it is signed
 * or queued: the CSR (PEM) on its stdin, the request in its environment
 * (GW_ENROLL_KIND, _NAME, _SOURCE, _VIA, _KEY_FINGERPRINT, _REQUEST_ID,
 * _TOKEN_ID).  Exit 0 signs, 1 denies, 2 queues for an operator; any
 * other status, a signal or hook_timeout refuses (the hook fails closed).
 * It runs as a child of the event loop (ev_child, the default loop): the
 * loop goes on serving while it decides.
 */
#ifndef GW_AUTHORITY_HOOK_H
#define GW_AUTHORITY_HOOK_H

#include <mbedtls/x509_crl.h>

#include "authority.h"
#include "identity.h"
#include "x509_issue.h"

#define AUTH_SIGN	0
#define AUTH_DENY	1
#define AUTH_PENDING	2
#define AUTH_FAILED	3

struct auth_hook;

struct authority {
	struct authority_params	 p;	/* p.dir, p.names, p.hook: ours */
	char			 dir[4096];
	char			*names, *hook;
	struct pki_rng		 rng;
	struct pki_ca		 ca;
	mbedtls_x509_crl	 crl;
	int			 has_crl;
	long long		 crl_mtime;
	long long		 last_sweep;
	unsigned		 npending;	/* at the last sweep, + new */
	struct auth_hook	*hooks;		/* running */
};

/* One request being decided. */
struct auth_ctx {
	char	rid[AUTH_RID_LEN + 1];
	char	name[ID_NAME_MAX];
	char	source[64];
	char	via[ID_NAME_MAX];
	char	kind[16];		/* token | pending | renewal | poll */
	char	token_id[17];
	char	key_fp[65];
	char	hook_why[96];		/* AUTH_FAILED: what happened */
};

/**
 * auth_decide(a, x, verdict, cb, arg): carry out a decision on the request
 * on file: AUTH_SIGN, AUTH_DENY or AUTH_PENDING (authority_hook.h).
 */
void auth_decide(struct authority *a, const struct auth_ctx *x, int verdict,
    authority_cb cb, void *arg);

/**
 * auth_hook_run(a, x, csr, len, cb, arg): ask the hook about request ${x};
 * its verdict goes to auth_decide(), then to ${cb} unless cancelled.
 */
void auth_hook_run(struct authority *a, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg);

/** auth_hook_close_all(a): kill every running hook; no callbacks. */
void auth_hook_close_all(struct authority *a);

#endif /* GW_AUTHORITY_HOOK_H */
