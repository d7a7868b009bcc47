/*
 * authority.c: the signing authority (authority.h): decisions on
 * enrollment requests, signing, the request records (enroll_dir.c).  The
 * policy hook runs in authority_hook.c (its verdicts come back through
 * auth_hook_ops), renewals are checked in authority_renew.c, tokens in
 * authority_token.c, names taken in authority_names.c, the bounds per
 * source in authority_source.c.  struct authority holds a pointer to the
 * part of each that keeps state (the hooks, the CRL of renewals, the
 * sources): each allocates, writes and frees its own, and this file
 * writes only its own fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/x509_csr.h>

#include "authority.h"
#include "authority_hook.h"
#include "authority_names.h"
#include "authority_renew.h"
#include "authority_source.h"
#include "authority_token.h"
#include "csr.h"
#include "enroll_dir.h"
#include "identity.h"
#include "log.h"
#include "pkifile.h"
#include "x509_issue.h"

#define AUTH_CHAIN_MAX	32768
#define AUTH_SWEEP	60.0

struct authority {
	struct authority_params	 p;	/* p.dir, p.names, p.hook: ours */
	char			 dir[4096];
	char			*names, *hook;
	struct pki_rng		 rng;
	struct pki_ca		 ca;
	long long		 last_sweep;
	unsigned		 npending;	/* at the last sweep, + new */
	struct auth_hooks	*hooks;		/* authority_hook.c's */
	struct auth_renew	*renew;		/* authority_renew.c's */
	struct auth_srcs	*srcs;		/* authority_source.c's */
};

/*
 * A pending request expires at its deadline on file (gw-cert pending list
 * shows it) or pending_ttl after it arrived, whichever comes first: a
 * shorter pending_ttl applies to requests already queued.
 */
static int
auth_expired(const struct authority *a, const struct ed_info *info,
    long long now)
{
	return info->expires <= now ||
	    info->received + (long long)a->p.pending_ttl <= now;
}

/* Request ${x}, counted as pending, is not any more. */
static void
auth_unqueue(struct authority *a, const struct auth_ctx *x)
{
	if (!x->queued)
		return;
	if (a->npending > 0)
		a->npending--;
	auth_src_pending(a->srcs, x->source, -1);
}

/* Log the decision once (unless x->quiet), then answer. */
static void
auth_answer(struct authority_result *res, const struct auth_ctx *x,
    authority_cb cb, void *arg)
{
	void (*logf)(const char *, ...) = res->status == GW_ENROLL_REFUSED ?
	    log_warnx : log_info;
	char esc[LOG_ESC_MAX];

	if (!x->quiet)
		logf("event=enroll_%s name=%s source=%s via=%s kind=%s "
		    "token=%s rid=%s reason=%s detail=\"%s\"",
		    gw_enroll_status_str(res->status),
		    x->name[0] ? x->name : "-", x->source[0] ? x->source : "-",
		    x->via[0] ? x->via : "-", x->kind, x->token_id[0] ?
		    x->token_id : "-", res->request_id[0] ? res->request_id :
		    "-", res->status == GW_ENROLL_REFUSED ?
		    gw_reason_str(res->reason) : "-", log_esc(esc, sizeof(esc),
		    res->message, LOG_ESC_STR, 0));
	if (cb != NULL)
		cb(res, arg);
}

static void
auth_refuse(unsigned reason, const struct auth_ctx *x, authority_cb cb,
    void *arg, const char *fmt, const char *detail)
{
	struct authority_result res;

	authority_result_make(&res, GW_ENROLL_REFUSED, reason, 0, x->rid, NULL,
	    fmt, detail);
	auth_answer(&res, x, cb, arg);
}

/* The certificate for ${csr} (checked: ${ci}), signed by ${ca}. */
static int
auth_issue(const struct csr_info *ci, mbedtls_x509_csr *csr, unsigned days,
    struct pki_ca *ca, struct pki_rng *rng, unsigned char *crt, size_t cap,
    char *err, size_t errlen)
{
	struct pki_req req = { .role = PKI_ROLE_AGENT, .name = ci->name };

	pki_validity(&req, days);
	return pki_sign(&req, &csr->pk, ca, rng, crt, cap, err, errlen);
}

/*
 * Sign the CSR of request ${rid} in ${dir} with ${ca} for ${days}: role
 * agent, named by the CSR's CN, whatever else the CSR asks for.  The
 * certificate goes to issued.txt, then the chain (leaf + CA file) becomes
 * the request's answer; a copy in ${chain} (capacity ${cap}).
 */
static int
auth_sign(const char *dir, struct pki_ca *ca, struct pki_rng *rng,
    const char *rid, unsigned days, char *name, char *chain, size_t cap,
    char *err, size_t errlen)
{
	static unsigned char crt[16384];
	static uint8_t der[CSR_DER_MAX];
	struct csr_info ci;
	mbedtls_x509_csr csr;
	size_t len, n;
	int rc = -1;

	mbedtls_x509_csr_init(&csr);
	if (ed_csr(dir, rid, der, sizeof(der), &len, err, errlen) != 0)
		goto out;
	if (csr_check(der, len, &ci, err, errlen) != 0 ||
	    mbedtls_x509_csr_parse_der(&csr, der, len) != 0)
		goto out;
	if (auth_issue(&ci, &csr, days, ca, rng, crt, sizeof(crt), err,
	    errlen) != 0)
		goto out;
	n = strlen((char *)crt);
	if (n + strlen(ca->crt_pem) + 1 > cap) {
		snprintf(err, errlen, "chain too long");
		goto out;
	}
	memcpy(chain, crt, n);
	strcpy(chain + n, ca->crt_pem);
	/* Recorded first: a certificate is never out without a trace. */
	if (pki_record_issued(dir, crt, n, "agent", err, errlen) != 0 ||
	    ed_answer(dir, rid, "cert.pem", chain, err, errlen) != 0)
		goto out;
	if (name != NULL)
		snprintf(name, ID_NAME_MAX, "%s", ci.name);
	rc = 0;
out:
	mbedtls_x509_csr_free(&csr);
	return rc;
}

/* Answer with the state of request x->rid (a poll, or a resent CSR). */
static void
auth_state(struct authority *a, const struct auth_ctx *x, authority_cb cb,
    void *arg)
{
	struct authority_result res;
	struct auth_ctx y = *x;
	struct ed_info info;
	long long answered = 0;
	enum ed_state st;
	char *buf = NULL;
	size_t len;

	st = ed_state(a->p.dir, x->rid, &info, &answered);
	if (st != ED_NONE) {	/* for the log: whom a poll is about */
		snprintf(y.name, sizeof(y.name), "%s", info.name);
		if (y.token_id[0] == '\0')
			snprintf(y.token_id, sizeof(y.token_id), "%s",
			    info.token);
	}
	if (st == ED_PENDING && auth_expired(a, &info, time(NULL))) {
		ed_remove(a->p.dir, x->rid);
		if (a->npending > 0)
			a->npending--;
		auth_src_pending(a->srcs, info.source, -1);
		authority_result_make(&res, GW_ENROLL_REFUSED,
		    GW_R_REQUEST_EXPIRED, 0, x->rid, NULL, "request expired: "
		    "nobody approved it in %us", a->p.pending_ttl);
	} else if (st == ED_PENDING)
		authority_result_make(&res, GW_ENROLL_PENDING, 0,
		    a->p.retry_after, x->rid, NULL, "waiting for an operator "
		    "(gw-cert approve %s)", x->rid);
	else if (st == ED_ISSUED && (buf = malloc(AUTH_CHAIN_MAX)) != NULL &&
	    ed_read(a->p.dir, x->rid, "cert.pem", buf, AUTH_CHAIN_MAX,
	    &len) == 0)
		authority_result_make(&res, GW_ENROLL_ISSUED, 0, 0, x->rid, buf,
		    "issued");
	else if (st == ED_ISSUED)
		authority_result_make(&res, GW_ENROLL_REFUSED, GW_R_INTERNAL,
		    0, x->rid, NULL, "cannot read the certificate");
	else if (st == ED_DENIED && (buf = malloc(512)) != NULL &&
	    ed_read(a->p.dir, x->rid, "denied", buf, 512, &len) == 0) {
		buf[strcspn(buf, "\n")] = '\0';
		authority_result_make(&res, GW_ENROLL_REFUSED, GW_R_DENIED, 0,
		    x->rid, NULL, "%s", buf);
	} else if (st == ED_DENIED)
		authority_result_make(&res, GW_ENROLL_REFUSED, GW_R_DENIED, 0,
		    x->rid, NULL, "denied by an operator");
	else
		authority_result_make(&res, GW_ENROLL_REFUSED,
		    GW_R_REQUEST_UNKNOWN, 0, x->rid, NULL, "no request %s "
		    "(never made, or expired and removed)", x->rid);
	auth_answer(&res, &y, cb, arg);
	free(buf);
}

static void auth_drop(struct authority *, const struct auth_ctx *);

/*
 * Carry out a decision on request ${x}, on file: AUTH_SIGN, AUTH_DENY,
 * AUTH_PENDING, or a failure: AUTH_FAILED, AUTH_BUSY, with what happened
 * in ${why} (the hook's too: auth_hook_ops).
 */
static void
auth_decide(struct authority *a, const struct auth_ctx *x, int verdict,
    const char *why, authority_cb cb, void *arg)
{
	char err[200], taken[256], *chain;

	/*
	 * Again here: a hook ran in between, or two requests for one new
	 * name came at once.  What the hook would sign for a taken name
	 * waits for the operator (approve --replace).
	 */
	if (verdict == AUTH_SIGN && strcmp(x->kind, "renewal") != 0 &&
	    !x->replace) {
		switch (auth_name_taken(a->p.dir, x->name, taken,
		    sizeof(taken))) {
		case 0:
			break;
		case 1:
			if (strcmp(x->kind, "pending") == 0) {
				log_info("event=enroll_name_taken name=%s "
				    "rid=%s detail=\"left pending: %s\"",
				    x->name, x->rid, taken);
				verdict = AUTH_PENDING;
				break;
			}
			auth_drop(a, x);
			auth_refuse(GW_R_NAME_TAKEN, x, cb, arg, "%s",
			    taken);
			return;
		default:
			auth_drop(a, x);
			auth_refuse(GW_R_INTERNAL, x, cb, arg, "%s",
			    taken);
			return;
		}
	}
	switch (verdict) {
	case AUTH_BUSY:
		auth_drop(a, x);
		auth_refuse(GW_R_OVERLOAD, x, cb, arg, "policy hook busy: "
		    "%s", why);
		return;
	case AUTH_SIGN:
		if ((chain = malloc(AUTH_CHAIN_MAX)) == NULL ||
		    auth_sign(a->p.dir, &a->ca, &a->rng, x->rid,
		    a->p.cert_days, NULL, chain, AUTH_CHAIN_MAX, err,
		    sizeof(err)) != 0) {
			free(chain);
			auth_drop(a, x);
			auth_refuse(GW_R_INTERNAL, x, cb, arg,
			    "cannot sign: %s", err);
			return;
		}
		free(chain);
		break;
	case AUTH_DENY:
		if (ed_answer(a->p.dir, x->rid, "denied",
		    "denied by policy hook\n", err, sizeof(err)) != 0) {
			auth_refuse(GW_R_INTERNAL, x, cb, arg, "%s", err);
			return;
		}
		break;
	case AUTH_PENDING:
		auth_state(a, x, cb, arg);
		return;
	default:
		/* The hook failed: fail closed; a retry asks it again. */
		auth_drop(a, x);
		auth_refuse(GW_R_INTERNAL, x, cb, arg, "policy hook failed: "
		    "%s", why);
		return;
	}
	auth_unqueue(a, x);	/* decided: out of the queue */
	auth_state(a, x, cb, arg);
}

/*
 * Forget request ${x} after a failure (a hook that did not answer, a
 * signature that failed): remove its record and give back the token use
 * it took, so that the agent may simply try again.
 */
static void
auth_drop(struct authority *a, const struct auth_ctx *x)
{
	auth_unqueue(a, x);
	ed_remove(a->p.dir, x->rid);
	if (x->counted)
		auth_token_refund(a->p.dir, x->token_id);
}

/* What the policy hook hands back (authority_hook.h). */
static const struct auth_hook_ops auth_hook_ops = {
	.decide = auth_decide,
	.drop = auth_drop,
};

/* Remove expired pending requests and old answers, at most once a minute. */
static void
auth_sweep(struct authority *a)
{
	char rid[ED_RID_LEN + 1];
	struct ed_info info;
	long long now = time(NULL), answered;
	void *cur = NULL;

	if (now - a->last_sweep < AUTH_SWEEP)
		return;
	a->last_sweep = now;
	a->npending = 0;
	auth_src_recount(a->srcs, now);
	while (ed_next(a->p.dir, &cur, rid)) {
		answered = 0;
		switch (ed_state(a->p.dir, rid, &info, &answered)) {
		case ED_PENDING:
			if (auth_expired(a, &info, now))
				ed_remove(a->p.dir, rid);
			else {
				a->npending++;
				auth_src_pending(a->srcs, info.source, 1);
			}
			break;
		case ED_ISSUED:
		case ED_DENIED:
			if (answered + (long long)a->p.pending_ttl <= now)
				ed_remove(a->p.dir, rid);
			break;
		case ED_NONE:
			break;
		}
	}
}

/* Record request ${x} (new, or a pending one that brings proof now). */
static int
auth_record(struct authority *a, const struct auth_ctx *x,
    const struct authority_req *req, const struct csr_info *ci, char *why,
    size_t len)
{
	long long now = time(NULL);
	struct ed_new nr = {
		.name = ci->name, .key_fp = ci->key_fp,
		.key_desc = ci->key_desc, .source = x->source, .via = x->via,
		.token = x->token_id, .kind = x->kind,
		.received = now, .expires = now + a->p.pending_ttl,
	};

	return ed_create(a->p.dir, x->rid, req->csr, req->csr_len, &nr, why,
	    len);
}

/* A poll (request_id only): the request's state, or request-unknown. */
static void
auth_poll(struct authority *a, struct auth_ctx *x,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	snprintf(x->kind, sizeof(x->kind), "poll");
	if (req->request_id == NULL || !ed_rid_valid(req->request_id)) {
		auth_refuse(GW_R_REQUEST_UNKNOWN, x, cb, arg, "%s",
		    "no such request id");
		return;
	}
	snprintf(x->rid, sizeof(x->rid), "%s", req->request_id);
	auth_state(a, x, cb, arg);
}

/*
 * Decision 4, 5 or 6 (authority.h) on request ${x} of ${req}, in state
 * ${st}: its proof (a certificate to renew, a token) or room for it in
 * the queue.  0, or the refusal (enum gw_reason) with ${why}; a refusal
 * its source's bucket logged already this minute sets x->quiet.
 */
static unsigned
auth_admit(struct authority *a, struct auth_ctx *x,
    const struct authority_req *req, enum ed_state st, char *why,
    size_t len)
{
	unsigned reason;
	int log = 1;

	if (req->client_cert != NULL) {
		if (!auth_renew_ok(a->renew, req->client_cert,
		    req->client_cert_len, x->name, &reason, why, len))
			return reason;
		reason = auth_src_admit(a->srcs, x->source, 0, time(NULL), &log,
		    why, len);
	} else if (req->token && req->token[0]) {
		if ((reason = auth_token_admit(a->p.dir, req->token, x->name,
		    x->token_id, &x->replace, why, len)) == 0)
			x->counted = 1;
		return reason;
	} else if (a->npending >= a->p.max_pending) {
		snprintf(why, len, "%s", "too many pending requests");
		return GW_R_OVERLOAD;
	} else if (st == ED_NONE)
		reason = auth_src_admit(a->srcs, x->source, 1, time(NULL), &log,
		    why, len);
	else
		return 0;
	if (reason != 0)
		x->quiet = !log;
	return reason;
}

/*
 * The queue's length, kept between sweeps, in all and by source: request
 * ${x}, in state ${st} (${info} on file), joins it or, proof come, leaves.
 */
static void
auth_count(struct authority *a, struct auth_ctx *x, enum ed_state st,
    const struct ed_info *info)
{
	if (st == ED_NONE && strcmp(x->kind, "pending") == 0) {
		a->npending++;
		auth_src_pending(a->srcs, x->source, 1);
		x->queued = 1;
	} else if (st == ED_PENDING) {	/* proof came: out of the queue */
		if (a->npending > 0)
			a->npending--;
		auth_src_pending(a->srcs, info->source, -1);
	}
}

/**
 * authority_submit(a, req, cb, arg): decide ${req} and call ${cb}(res,
 * ${arg}) exactly once, unless authority_cancel(${arg}) comes first.
 * Without a hook to run, ${cb} is called before this returns.  Every
 * decision is logged once (name, source, via, outcome; never the token).
 */
void
authority_submit(struct authority *a, const struct authority_req *req,
    authority_cb cb, void *arg)
{
	struct auth_ctx x;
	struct csr_info ci;
	struct ed_info info;
	char why[256];
	unsigned reason;
	enum ed_state st;

	memset(&x, 0, sizeof(x));
	snprintf(x.source, sizeof(x.source), "%s", req->source ? req->source :
	    "");
	snprintf(x.via, sizeof(x.via), "%s", req->via ? req->via : "");
	snprintf(x.kind, sizeof(x.kind), "%s", req->client_cert ? "renewal" :
	    req->token && req->token[0] ? "token" : "pending");
	auth_sweep(a);
	if (req->csr == NULL) {
		auth_poll(a, &x, req, cb, arg);
		return;
	}
	if (csr_check(req->csr, req->csr_len, &ci, why, sizeof(why)) != 0) {
		auth_refuse(GW_R_BAD_CSR, &x, cb, arg, "%s", why);
		return;
	}
	snprintf(x.name, sizeof(x.name), "%s", ci.name);
	snprintf(x.key_fp, sizeof(x.key_fp), "%s", ci.key_fp);
	if (a->p.names != NULL && !id_policy_match(a->p.names, ci.name)) {
		auth_refuse(GW_R_POLICY, &x, cb, arg, "the name '%s' is not "
		    "allowed by the authority", ci.name);
		return;
	}
	ed_rid(req->csr, req->csr_len, x.rid);
	st = ed_state(a->p.dir, x.rid, &info, NULL);
	/*
	 * A resent CSR gets its request's answer, and takes no second token
	 * use; only a request queued without proof may bring one now.
	 */
	if (st == ED_ISSUED || st == ED_DENIED || (st == ED_PENDING &&
	    (strcmp(info.kind, "pending") != 0 ||
	    strcmp(x.kind, "pending") == 0 ||
	    auth_hook_busy(a->hooks, x.rid)))) {
		auth_state(a, &x, cb, arg);
		return;
	}
	if ((reason = auth_admit(a, &x, req, st, why, sizeof(why))) != 0) {
		auth_refuse(reason, &x, cb, arg, "%s", why);
		return;
	}
	if (auth_record(a, &x, req, &ci, why, sizeof(why)) != 0) {
		auth_drop(a, &x);
		auth_refuse(GW_R_INTERNAL, &x, cb, arg, "%s", why);
		return;
	}
	auth_count(a, &x, st, &info);
	if (a->p.hook != NULL) {
		auth_hook_run(a->hooks, &x, req->csr, req->csr_len, cb, arg);
		return;
	}
	auth_decide(a, &x, strcmp(x.kind, "pending") == 0 ? AUTH_PENDING :
	    AUTH_SIGN, "", cb, arg);
}

/* The defaults of what ${p} leaves 0 (authority_msg.h). */
static void
auth_defaults(struct authority_params *p)
{
	if (p->cert_days == 0)
		p->cert_days = 365;
	if (p->pending_ttl == 0)
		p->pending_ttl = 7 * 86400;
	if (p->max_pending == 0)
		p->max_pending = 10000;
	if (p->retry_after == 0)
		p->retry_after = 30;
	if (p->hook_timeout == 0)
		p->hook_timeout = 10;
	if (p->max_pending_per_source == 0)
		p->max_pending_per_source = 16;
	if (p->new_per_source == 0)
		p->new_per_source = 60;
	if (p->renew_after == 0)
		p->renew_after = 33;
	if (p->hook_max == 0)
		p->hook_max = 4;
	if (p->hook_queue == 0)
		p->hook_queue = 64;
}

/*
 * The CA of ${a} and the parts of the modules that keep state for it:
 * sources, renewals, hooks.  0, or -1 with ${err}.
 */
static int
auth_load(struct authority *a, char *err, size_t errlen)
{
	if (pki_rng_init(&a->rng, err, errlen) != 0 ||
	    pki_ca_load(&a->ca, a->dir, &a->rng, err, errlen) != 0 ||
	    ed_init(a->dir, err, errlen) != 0)
		return -1;
	if ((a->renew = auth_renew_new(a->dir, &a->ca.crt, a->p.renew_after,
	    err, errlen)) == NULL)
		return -1;
	if ((a->srcs = auth_src_new(a->p.max_pending_per_source,
	    a->p.new_per_source)) == NULL ||
	    (a->hooks = auth_hook_new(&a->p, &auth_hook_ops, a)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/**
 * authority_open(p, err, errlen): load the CA of ${p}->dir and create
 * DIR/enroll and its subdirectories if missing.  NULL on error, with
 * "what: why" in ${err}.
 */
struct authority *
authority_open(const struct authority_params *p, char *err, size_t errlen)
{
	struct authority *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->p = *p;
	a->p.dir = a->dir;
	if (p->dir == NULL || snprintf(a->dir, sizeof(a->dir), "%s", p->dir) >=
	    (int)sizeof(a->dir)) {
		snprintf(err, errlen, "ca_dir: missing or too long");
		goto fail;
	}
	if (p->names != NULL && (a->p.names = a->names = strdup(p->names)) ==
	    NULL)
		goto nomem;
	if (p->hook != NULL && (a->p.hook = a->hook = strdup(p->hook)) == NULL)
		goto nomem;
	/* ev_child works on the default loop only (libev). */
	if (p->hook != NULL && (p->loop == NULL ||
	    !ev_is_default_loop(p->loop))) {
		snprintf(err, errlen, "hook %s: needs the default event loop",
		    p->hook);
		goto fail;
	}
	if (p->hook != NULL && access(p->hook, X_OK) != 0) {
		snprintf(err, errlen, "hook %s: %s", p->hook, strerror(errno));
		goto fail;
	}
	auth_defaults(&a->p);
	a->last_sweep = -AUTH_SWEEP;
	if (auth_load(a, err, errlen) != 0)
		goto fail;
	auth_sweep(a);
	return a;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	authority_close(a);
	return NULL;
}

/**
 * authority_cancel(a, arg): the requester ${arg} is gone: never call it.
 * Its request is dropped (its token use given back): a waiting one at
 * once, a running hook is ended (SIGTERM, SIGKILL after a grace) first.
 */
void
authority_cancel(struct authority *a, void *arg)
{
	auth_hook_cancel(a->hooks, arg);
}

/** authority_close(a): kill running hooks, free ${a}; NULL is a no-op. */
void
authority_close(struct authority *a)
{
	if (a == NULL)
		return;
	auth_hook_free(a->hooks);	/* drops through a: first */
	auth_src_free(a->srcs);
	auth_renew_free(a->renew);
	pki_ca_free(&a->ca);
	pki_rng_free(&a->rng);
	free(a->names);
	free(a->hook);
	free(a);
}

/* Request ${rid} of ${dir}, pending and not expired; its info in ${info}. */
static int
auth_pending(const char *dir, const char *rid, struct ed_info *info,
    char *err, size_t errlen)
{
	if (!ed_rid_valid(rid)) {
		snprintf(err, errlen, "%s: not a request id", rid);
		return -1;
	}
	if (ed_state(dir, rid, info, NULL) != ED_PENDING ||
	    info->expires <= (long long)time(NULL)) {
		snprintf(err, errlen, "request %s: not pending (gw-cert "
		    "pending list)", rid);
		return -1;
	}
	return 0;
}

/**
 * authority_approve(dir, rid, days, replace, name, err, errlen): sign
 * pending request ${rid} of CA directory ${dir} for ${days} days (gw-cert
 * approve): its CSR is checked again, the certificate recorded in
 * issued.txt and stored for the agent's next poll.  A name that already
 * has a valid certificate is refused unless ${replace} (approve
 * --replace).  Its name goes to ${name} (ID_NAME_MAX).  0 or -1.
 */
int
authority_approve(const char *dir, const char *rid, unsigned days,
    int replace, char *name, char *err, size_t errlen)
{
	struct ed_info info;
	struct pki_rng rng;
	struct pki_ca ca;
	char *chain = NULL;
	int rc = -1;

	if (auth_pending(dir, rid, &info, err, errlen) != 0)
		return -1;
	if (!replace && auth_name_taken(dir, info.name, err, errlen) != 0)
		return -1;
	if (pki_rng_init(&rng, err, errlen) != 0) {
		pki_rng_free(&rng);
		return -1;
	}
	if (pki_ca_load(&ca, dir, &rng, err, errlen) == 0) {
		if ((chain = malloc(AUTH_CHAIN_MAX)) == NULL)
			snprintf(err, errlen, "out of memory");
		else
			rc = auth_sign(dir, &ca, &rng, rid, days, name, chain,
			    AUTH_CHAIN_MAX, err, errlen);
	}
	free(chain);
	pki_ca_free(&ca);
	pki_rng_free(&rng);
	return rc;
}

/**
 * authority_deny(dir, rid, reason, name, err, errlen): deny pending request
 * ${rid} of CA directory ${dir} (gw-cert deny); the agent's next poll gets
 * ${reason} (one line; NULL: "denied by an operator").  Its name goes to
 * ${name} (ID_NAME_MAX).  0 or -1.
 */
int
authority_deny(const char *dir, const char *rid, const char *reason,
    char *name, char *err, size_t errlen)
{
	struct ed_info info;
	char text[512];

	if (reason == NULL)
		reason = "denied by an operator";
	if (strpbrk(reason, "\r\n") != NULL || strlen(reason) > 200) {
		snprintf(err, errlen, "reason: one line of at most 200 "
		    "characters");
		return -1;
	}
	if (auth_pending(dir, rid, &info, err, errlen) != 0)
		return -1;
	snprintf(text, sizeof(text), "%s\n", reason);
	if (ed_answer(dir, rid, "denied", text, err, errlen) != 0)
		return -1;
	snprintf(name, ID_NAME_MAX, "%s", info.name);
	return 0;
}
