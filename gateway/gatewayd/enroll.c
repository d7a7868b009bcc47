/*
 * enroll.c: enrollment requests in the gateway (see enroll.h): check,
 * forward to the management server or the local signer, match each
 * answer to its requester by ref, and answer for a request that cannot
 * get one (its link died, the timeout passed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "signer_client.h"
#include "csr.h"
#include "enroll.h"
#include "identity.h"
#include "log.h"
#include "upstream.h"

#define ENROLL_MAGIC		0x456e526cu	/* "EnRl" */
#define ENROLL_REQ_MAGIC	0x456e5271u	/* "EnRq" */
#define ENROLL_MAX_INFLIGHT	1024
#define ENROLL_CSR_MAX		8192	/* DER; a 8192-bit RSA CSR is ~1.2k */
#define ENROLL_TICK		1.0

/* Where a request is; only enroll_req_set_state() assigns it. */
enum enroll_req_state {
	ER_NEW,		/* checked, in the table, not handed on yet */
	ER_SIGNING,	/* with the local authority (mode = local) */
	ER_FORWARDED,	/* sent on link ${up}, waiting for its ref's answer */
	ER_DONE		/* answered, failed or cancelled: being freed */
};

/* A request is born in ER_NEW: its memory is zeroed. */
_Static_assert(ER_NEW == 0, "ER_NEW starts zeroed");

struct enroll_req {
	unsigned		 magic;		/* ENROLL_REQ_MAGIC */
	enum enroll_req_state	 state;
	struct enroll		*e;
	uint32_t		 ref;		/* ENROLL ref upstream */
	struct upstream		*up;		/* NULL: local authority */
	enroll_cb		 cb;
	void			*arg;
	double			 deadline;
	TAILQ_ENTRY(enroll_req)	 q;
};

struct enroll {
	unsigned		 magic;		/* ENROLL_MAGIC */
	struct gw		*gw;
	struct signer_client	*auth;		/* mode = local: the signer */
	TAILQ_HEAD(, enroll_req) reqs;
	unsigned		 n;
	uint32_t		 next_ref;
	ev_timer		 tick;
};

/* Answer ${cb} with a refusal made here. */
static void
enroll_refuse(enroll_cb cb, void *arg, unsigned reason, const char *msg)
{
	struct gw_enroll_result r = { .ref = 1, .status = GW_ENROLL_REFUSED };

	r.reason = (uint16_t)reason;
	r.message.p = (const uint8_t *)msg;
	r.message.len = (uint16_t)strlen(msg);
	cb(&r, arg);
}

static const char *
enroll_req_state_str(enum enroll_req_state s)
{
	static const char *const names[] = {
		"new", "signing", "forwarded", "done"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* A bug: say what, and stop before anything worse happens. */
static void
enroll_bug(const char *what)
{
	log_errx("event=bug detail=\"enroll: %s\"", what);
	abort();
}

/*
 * The one assignment of r->state: from ER_NEW to any other, from
 * ER_SIGNING or ER_FORWARDED to ER_DONE; nothing leaves ER_DONE.
 */
static void
enroll_req_set_state(struct enroll_req *r, enum enroll_req_state s)
{
	if (r->state == ER_DONE || s == ER_NEW ||
	    (r->state != ER_NEW && s != ER_DONE))
		enroll_bug("bad request state transition");
	log_debug("event=enroll_req_state ref=%u from=%s to=%s", r->ref,
	    enroll_req_state_str(r->state), enroll_req_state_str(s));
	r->state = s;
}

/* ${arg} of a callback: a request in the table, or abort. */
static struct enroll_req *
enroll_req_of(void *arg)
{
	struct enroll_req *r = arg;

	if (r == NULL || r->magic != ENROLL_REQ_MAGIC || r->state == ER_DONE)
		enroll_bug("callback for a request that is gone");
	return r;
}

static void
enroll_req_free(struct enroll *e, struct enroll_req *r)
{
	enroll_req_set_state(r, ER_DONE);
	TAILQ_REMOVE(&e->reqs, r, q);
	e->n--;
	r->magic = 0;
	free(r);
}

/* The local authority answered. */
static void
enroll_local_done(const struct authority_result *res, void *arg)
{
	struct enroll_req *r = enroll_req_of(arg);
	struct gw_enroll_result v;
	enroll_cb cb = r->cb;
	void *cbarg = r->arg;

	authority_result_view(res, 1, &v);
	/* The authority is done with ${r}: free it before the callback. */
	enroll_req_free(r->e, r);
	cb(&v, cbarg);
}

static void
enroll_local(struct enroll *e, struct enroll_req *r,
    const struct gw_enroll *req)
{
	struct authority_req_buf rb;
	struct authority_req ar;

	if (authority_req_from_enroll(req, "", &rb, &ar) != 0) {
		enroll_cb cb = r->cb;
		void *arg = r->arg;

		enroll_req_free(e, r);
		enroll_refuse(cb, arg, GW_R_PROTOCOL, "malformed request");
		return;
	}
	/* ${r} may be freed (answered) when this returns. */
	enroll_req_set_state(r, ER_SIGNING);
	signer_client_submit(e->auth, &ar, enroll_local_done, r);
}

/**
 * enroll_submit(gw, req, name, cb, arg): check and forward ${req} (its
 * source and client_cert already set by the caller).  ${name}, if not
 * NULL, is the name the CSR must carry (a renewal keeps its name).  Call
 * ${cb}(res, ${arg}) exactly once, possibly before this returns, unless
 * enroll_cancel(${arg}) comes first.
 */
void
enroll_submit(struct gw *gw, const struct gw_enroll *req, const char *name,
    enroll_cb cb, void *arg)
{
	struct enroll *e = gw->enroll;
	const struct gw_config *cfg = gw->cfg;
	struct gw_frame f = { .type = GW_T_ENROLL };
	struct enroll_req *r;
	struct csr_info ci;
	char why[256], msg[320];

	if (req->csr.len > 0) {
		if (req->csr.len > ENROLL_CSR_MAX ||
		    csr_check(req->csr.p, req->csr.len, &ci, why,
		    sizeof(why)) != 0) {
			snprintf(msg, sizeof(msg), "CSR refused by the gateway: "
			    "%s", req->csr.len > ENROLL_CSR_MAX ?
			    "larger than 8 KiB" : why);
			enroll_refuse(cb, arg, GW_R_BAD_CSR, msg);
			return;
		}
		if (name != NULL ? strcmp(name, ci.name) != 0 :
		    !id_policy_match(cfg->enroll_names ? cfg->enroll_names :
		    cfg->agent_names, ci.name)) {
			snprintf(msg, sizeof(msg), "name '%s' is not allowed "
			    "here%s", ci.name, name != NULL ?
			    ": a renewal keeps the certificate's name" : "");
			enroll_refuse(cb, arg, GW_R_POLICY, msg);
			return;
		}
	}
	if (e->n >= ENROLL_MAX_INFLIGHT) {
		enroll_refuse(cb, arg, GW_R_OVERLOAD,
		    "too many enrollment requests in progress, retry later");
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		enroll_refuse(cb, arg, GW_R_OVERLOAD, "out of memory");
		return;
	}
	r->magic = ENROLL_REQ_MAGIC;	/* born ER_NEW (zeroed) */
	r->e = e;
	r->cb = cb;
	r->arg = arg;
	r->deadline = ev_now(gw->loop) + cfg->enroll_timeout;
	TAILQ_INSERT_TAIL(&e->reqs, r, q);
	e->n++;
	if (e->auth != NULL) {
		enroll_local(e, r, req);
		return;
	}
	if ((r->up = gw->pick_link(gw)) == NULL) {
		enroll_req_free(e, r);
		enroll_refuse(cb, arg, GW_R_UPSTREAM_LOST,
		    "no management server reachable, retry later");
		return;
	}
	if (++e->next_ref == 0)
		e->next_ref = 1;
	r->ref = e->next_ref;
	f.u.enroll = *req;
	f.u.enroll.ref = r->ref;
	enroll_req_set_state(r, ER_FORWARDED);
	if (upstream_send(r->up, &f) != 0) {
		enroll_req_free(e, r);
		enroll_refuse(cb, arg, GW_R_OVERLOAD,
		    "management link busy, retry later");
	}
}

/** enroll_cancel(gw, arg): the requester ${arg} is gone. */
void
enroll_cancel(struct gw *gw, void *arg)
{
	struct enroll *e = gw->enroll;
	struct enroll_req *r, *next;

	if (e == NULL)
		return;
	for (r = TAILQ_FIRST(&e->reqs); r != NULL; r = next) {
		next = TAILQ_NEXT(r, q);
		if (r->arg != arg)
			continue;
		if (r->state == ER_SIGNING)
			signer_client_cancel(e->auth, r);
		enroll_req_free(e, r);
	}
}

/** enroll_result(gw, u, f): ENROLL_RESULT ${f} arrived on link ${u}. */
void
enroll_result(struct gw *gw, struct upstream *u, const struct gw_frame *f)
{
	struct enroll *e = gw->enroll;
	struct enroll_req *r;

	TAILQ_FOREACH(r, &e->reqs, q)
		if (r->state == ER_FORWARDED && r->up == u &&
		    r->ref == f->u.enroll_result.ref)
			break;
	if (r == NULL)
		return;		/* its requester is gone, or it timed out */
	enroll_cb cb = r->cb;
	void *arg = r->arg;

	enroll_req_free(e, r);
	cb(&f->u.enroll_result, arg);
}

/*
 * Fail every request on link ${u} (or, if ${u} is NULL, past its deadline).
 * A callback may submit or cancel others: rescan after each one.
 */
static void
enroll_fail(struct enroll *e, struct upstream *u, double now)
{
	struct enroll_req *r;

	for (;;) {
		TAILQ_FOREACH(r, &e->reqs, q)
			if (u != NULL ? r->up == u : r->deadline <= now)
				break;
		if (r == NULL)
			return;
		enroll_cb cb = r->cb;
		void *arg = r->arg;

		if (r->state == ER_SIGNING)
			signer_client_cancel(e->auth, r);
		enroll_req_free(e, r);
		if (u != NULL)
			enroll_refuse(cb, arg, GW_R_UPSTREAM_LOST,
			    "management server link lost, retry");
		else
			enroll_refuse(cb, arg, GW_R_TIMEOUT,
			    "no answer in time, retry later");
	}
}

/** enroll_link_down(gw, u): link ${u} is gone: fail what it carried. */
void
enroll_link_down(struct gw *gw, struct upstream *u)
{
	if (gw->enroll != NULL)
		enroll_fail(gw->enroll, u, 0);
}

static void
enroll_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct enroll *e = w->data;

	(void)revents;
	if (e == NULL || e->magic != ENROLL_MAGIC)
		enroll_bug("tick of a table that is gone");
	enroll_fail(e, NULL, ev_now(loop));
}

/**
 * enroll_new(gw, err, errlen): the request table, its timer and, with
 * mode = local, the signing authority: enroll.c's part of struct gw, which
 * the caller keeps as gw->enroll.  NULL with ${err} on error.
 */
struct enroll *
enroll_new(struct gw *gw, char *err, size_t errlen)
{
	const struct gw_config *cfg = gw->cfg;
	struct authority_params p;
	struct enroll *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->magic = ENROLL_MAGIC;
	e->gw = gw;
	TAILQ_INIT(&e->reqs);
	if (cfg->enroll_local) {
		signer_conf_params(&cfg->enroll_auth, gw->loop,
		    cfg->enroll_names ? cfg->enroll_names : cfg->agent_names,
		    &p);
		/* Unset signer_user: the signer runs as [gateway] user. */
		if ((e->auth = signer_client_open(&p,
		    cfg->enroll_signer_user ? cfg->enroll_signer_user :
		    cfg->user, err, errlen)) == NULL) {
			free(e);
			return NULL;
		}
	}
	ev_timer_init(&e->tick, enroll_on_tick, ENROLL_TICK, ENROLL_TICK);
	e->tick.data = e;
	ev_timer_start(gw->loop, &e->tick);
	ev_unref(gw->loop);	/* the tick alone keeps no loop alive */
	return e;
}

/**
 * enroll_free(e): answer nothing more, free everything of ${e};
 * enroll_free(NULL) is a no-op.
 */
void
enroll_free(struct enroll *e)
{
	struct enroll_req *r;

	if (e == NULL)
		return;
	ev_ref(e->gw->loop);
	ev_timer_stop(e->gw->loop, &e->tick);
	while ((r = TAILQ_FIRST(&e->reqs)) != NULL) {
		if (r->state == ER_SIGNING)
			signer_client_cancel(e->auth, r);
		enroll_req_free(e, r);
	}
	signer_client_close(e->auth);
	e->magic = 0;
	free(e);
}
