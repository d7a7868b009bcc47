/*
 * authority_hook.h: what the files of the signing authority share
 * (authority.c, decisions; authority_hook.c, the policy hook;
 * authority_renew.c, renewals; authority_token.c, tokens;
 * authority_source.c, what each source asked): its state, one request's
 * context.
 *
 * The hook is an executable run for each new request before it is signed
 * or queued: the CSR (PEM) on its stdin, the request in its environment
 * (GW_ENROLL_KIND, _NAME, _SOURCE, _VIA, _KEY_FINGERPRINT, _REQUEST_ID,
 * _TOKEN_ID).  Exit 0 signs, 1 denies, 2 queues for an operator; any
 * other status, a signal or hook_timeout refuses (the hook fails closed).
 * At most hook_max run at once, hook_queue more wait (authority_hook.c).
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
#define AUTH_BUSY	4	/* no room to run the hook: overload */

#define AUTH_SRC_BUCKETS	256

struct auth_src;

struct auth_hook;

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

/**
 * auth_decide(a, x, verdict, cb, arg): carry out a decision on the request
 * on file: AUTH_SIGN, AUTH_DENY, AUTH_PENDING, or a failure: AUTH_FAILED,
 * AUTH_BUSY (authority_hook.h).
 */
void auth_decide(struct authority *a, const struct auth_ctx *x, int verdict,
    authority_cb cb, void *arg);

/**
 * auth_hook_run(a, x, csr, len, cb, arg): ask the hook about request ${x};
 * its verdict goes to auth_decide(), then to ${cb} unless cancelled.  It
 * runs at once if fewer than hook_max run, else waits its turn; with
 * hook_queue requests waiting already, the verdict is AUTH_BUSY.
 */
void auth_hook_run(struct authority *a, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg);

/**
 * auth_hook_busy(a, rid): 1 if a hook is deciding request ${rid} (or
 * waits to).
 */
int auth_hook_busy(const struct authority *a, const char *rid);

/**
 * auth_hook_close_all(a): kill every running hook; their requests and the
 * waiting ones are dropped (auth_drop), no callbacks.
 */
void auth_hook_close_all(struct authority *a);

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

/**
 * auth_token_admit(a, token, name, id, replace, why, len): check ${token}
 * for a request named ${name} (decision 5) and count one use; its id (hex)
 * into ${id}.  A name that is taken (auth_name_taken) is refused unless
 * the token was made for exactly that name, which sets ${replace}.  0, or
 * the refusal (enum gw_reason) with ${why}.
 */
unsigned auth_token_admit(struct authority *a, const char *token,
    const char *name, char id[17], int *replace, char *why, size_t len);

/**
 * auth_name_live(dir, name, serial, until, err, errlen): 1 if CA
 * directory ${dir} has issued a certificate named ${name} that is neither
 * expired nor revoked (its serial into ${serial}, 80 bytes, its expiry
 * YYYYMMDDhhmmss UTC into ${until}, 16 bytes); 0 if not; -1 if issued.txt
 * or revoked.txt cannot be read (${err}).
 */
int auth_name_live(const char *dir, const char *name, char *serial,
    char *until, char *err, size_t errlen);

/**
 * auth_name_taken(dir, name, why, len): 1 if ${name} is taken in CA
 * directory ${dir} (auth_name_live), with what to do in ${why}; -1 if
 * that cannot be told (fail closed, ${why}); else 0.
 */
int auth_name_taken(const char *dir, const char *name, char *why,
    size_t len);

/**
 * auth_token_refund(a, id): give back one use of token ${id} (its request
 * failed before an answer).
 */
void auth_token_refund(struct authority *a, const char *id);

/**
 * auth_drop(a, x): forget request ${x} after a failure (a hook that did
 * not answer, a signature that failed): remove its record and give back
 * the token use it took, so that the agent may simply try again.
 */
void auth_drop(struct authority *a, const struct auth_ctx *x);

/**
 * auth_src_admit(a, source, pending, now, log, why, len): 0 if ${source}
 * may make one more request (a ${pending} one counts against
 * max_pending_per_source; every one takes from its hourly bucket, which
 * is then charged), else GW_R_OVERLOAD with ${why}, and ${log} 1 if the
 * refusal is to be logged (once a minute per source), else 0.
 */
unsigned auth_src_admit(struct authority *a, const char *source,
    int pending, long long now, int *log, char *why, size_t len);

/**
 * auth_src_pending(a, source, delta): one request of ${source} more
 * (${delta} 1) or fewer (-1) pending.
 */
void auth_src_pending(struct authority *a, const char *source, int delta);

/**
 * auth_src_recount(a, now): forget every pending count (a sweep counts
 * them again) and the sources that hold nothing: none pending, a full
 * bucket as of ${now}.
 */
void auth_src_recount(struct authority *a, long long now);

/**
 * auth_src_free(a): free every source entry.
 */
void auth_src_free(struct authority *a);

#endif /* GW_AUTHORITY_HOOK_H */
