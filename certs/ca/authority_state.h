/*
 * authority_state.h: the state of a signing authority (authority.h), a
 * module of types below every file of the authority: authority.c
 * (decisions), authority_hook.c (the policy hook), authority_renew.c
 * (renewals), authority_token.c (tokens), authority_source.c (what each
 * source asked) include it; one request's context; the verdicts.  Types
 * only: each file's functions are in its own header, and only authority.c
 * calls the others (the hook answers through auth_hook_ops), so calls go
 * down: authority.c -> its helpers -> this state.
 */
#ifndef GW_AUTHORITY_STATE_H
#define GW_AUTHORITY_STATE_H

#include <mbedtls/x509_crl.h>

#include "authority_msg.h"
#include "identity.h"
#include "x509_issue.h"

#define AUTH_SIGN	0
#define AUTH_DENY	1
#define AUTH_PENDING	2
#define AUTH_FAILED	3
#define AUTH_BUSY	4	/* no room to run the hook: overload */

#define AUTH_SRC_BUCKETS	256

struct auth_src;

struct auth_hook;

struct auth_hook_ops;

struct authority {
	struct authority_params	 p;	/* p.dir, p.names, p.hook: ours */
	char			 dir[4096];
	char			*names, *hook;
	struct pki_rng		 rng;
	struct pki_ca		 ca;
	mbedtls_x509_crt	 issuer;	/* ca.crt's first */
	mbedtls_x509_crl	 crl;		/* DIR/ca.crl, as read */
	int			 crl_state;	/* AUTH_CRL_* */
	long long		 crl_id[4];	/* inode, size, mtime */
	long long		 last_sweep;
	unsigned		 npending;	/* at the last sweep, + new */
	const struct auth_hook_ops *hook_ops;	/* authority.c's */
	struct auth_hook	*hooks;		/* running */
	unsigned		 nhooks;
	struct auth_hook	*queue, **queue_tail;	/* waiting, oldest
						   first */
	unsigned		 nqueue;
	struct auth_src		*src[AUTH_SRC_BUCKETS];	/* per source */
};

#define AUTH_CRL_NONE	0	/* no DIR/ca.crl */
#define AUTH_CRL_OK	1
#define AUTH_CRL_BAD	2	/* there but unreadable: renewals fail */

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
	int	counted;		/* took a use of token_id */
	int	queued;			/* counted in npending and its
					   source's pending */
	int	quiet;			/* its refusal goes unlogged (its
					   source's was, this minute) */
	int	replace;		/* may take a live name: a token
					   made for this one name */
};

#endif /* GW_AUTHORITY_STATE_H */
