/*
 * hs.c: gw-loadgen's handshake mode (hs.h).  Each agent has its own TLS
 * configuration (its certificate) and, with resume, its own ticket slot;
 * a pacing timer starts the next idle agents in turn, and each connection
 * ends once the far end has accepted it (HELLO_ACK, or the sink's
 * acknowledgement through a relay) or failed.
 *
 *   WARMUP --all agents once--> PAUSE --HS_WARM_PAUSE--> TIMED
 *   TIMED --seconds or handshakes--> ENDING --none under way--> stop
 *
 * Without resume the run starts in TIMED.  The timer of the whole run
 * (timeout) closes what is under way, as failures, and stops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "frame.h"
#include "hs.h"
#include "plain.h"
#include "proto.h"

#define HS_PACE_TICK	0.01	/* seconds between batches of connects */
#define HS_MAX_PAYLOAD	65536	/* what we accept, as gw-agent */

enum hs_phase { HS_WARMUP, HS_PAUSE, HS_TIMED, HS_ENDING };

struct hs;

struct hs_agent {
	unsigned		 magic;		/* HS_AGENT_MAGIC */
	struct hs		*h;
	struct tls_conf		*tls;
	struct conn		*c;		/* our protocol: the conn */
	struct plain		*pl;		/* --plain: the client */
	struct conn_ticket	*ticket;	/* resume: the newest */
	int			 busy;		/* a connection under way */
	int			 accepted;	/* HELLO_ACK came */
};

#define HS_AGENT_MAGIC	0x48734167u	/* "HsAg" */

/* The hs_agent behind a callback's ${arg}; anything else aborts. */
static struct hs_agent *
hs_agent_arg(void *arg)
{
	struct hs_agent *v = arg;

	if (v == NULL || v->magic != HS_AGENT_MAGIC)
		abort();
	return v;
}

struct hs {
	unsigned		 magic;		/* HS_MAGIC */
	struct ev_loop		*loop;
	const struct lg_params	*p;
	struct hs_result	*r;
	struct hs_agent		*a;
	enum hs_phase		 phase;
	unsigned		 next;		/* the next agent to try */
	unsigned		 busy;		/* connections under way */
	unsigned		 started;	/* in the timed part */
	unsigned		 warmed;	/* agents past their warm-up */
	double			 allowance;	/* connects we may start */
	double			 t0;		/* the timed part began */
	ev_timer		 pace, phase_tmr, deadline;
};

#define HS_MAGIC	0x4873526eu	/* "HsRn" */

/* The hs behind a callback's ${arg}; anything else aborts. */
static struct hs *
hs_arg(void *arg)
{
	struct hs *v = arg;

	if (v == NULL || v->magic != HS_MAGIC)
		abort();
	return v;
}

/*
 * The one place that changes ${h}'s phase: HS_WARMUP (with resume) or
 * straight to HS_TIMED, HS_PAUSE between them, HS_ENDING from any.
 */
static void
hs_set_phase(struct hs *h, enum hs_phase ph)
{
	static const unsigned next[] = {
		[HS_WARMUP] = 1u << HS_PAUSE | 1u << HS_TIMED |
		    1u << HS_ENDING,
		[HS_PAUSE] = 1u << HS_TIMED | 1u << HS_ENDING,
		[HS_TIMED] = 1u << HS_ENDING,
		[HS_ENDING] = 1u << HS_ENDING
	};

	if ((next[h->phase] & 1u << ph) == 0)
		abort();	/* a bug */
	h->phase = ph;
}

/* Stop once nothing is under way. */
static void
hs_end(struct hs *h)
{
	hs_set_phase(h, HS_ENDING);
	ev_timer_stop(h->loop, &h->pace);
	ev_timer_stop(h->loop, &h->phase_tmr);
	if (h->busy == 0)
		ev_break(h->loop, EVBREAK_ALL);
}

/* The timed part: the clock starts at its first connect. */
static void
hs_begin(struct hs *h)
{
	hs_set_phase(h, HS_TIMED);
	h->next = 0;
	h->allowance = 0;
	h->t0 = ev_time();
	ev_timer_set(&h->phase_tmr, h->p->seconds, 0.);
	ev_timer_start(h->loop, &h->phase_tmr);
}

/*
 * A connection of ${a} ended: the far end accepted it (${ok}, resumed or
 * not) or not (${msg}).
 */
static void
hs_done(struct hs_agent *a, int ok, int resumed, const char *msg)
{
	struct hs *h = a->h;
	struct hs_result *r = h->r;

	a->busy = 0;
	h->busy--;
	if (!ok) {
		r->failed++;
		if (r->first_error[0] == '\0')
			snprintf(r->first_error, sizeof(r->first_error), "%s",
			    msg);
	}
	if (h->phase == HS_WARMUP) {
		r->warmup += ok != 0;
		if (++h->warmed == h->p->agents) {
			printf("warm agents=%u handshakes=%u\n", h->p->agents,
			    r->warmup);
			fflush(stdout);
			hs_set_phase(h, HS_PAUSE);
			ev_timer_set(&h->phase_tmr, HS_WARM_PAUSE, 0.);
			ev_timer_start(h->loop, &h->phase_tmr);
		}
	} else if (ok) {
		r->handshakes++;
		r->resumed += resumed != 0;
		r->hs_s = ev_time() - h->t0;
	}
	if (h->phase == HS_ENDING && h->busy == 0)
		ev_break(h->loop, EVBREAK_ALL);
}

static int
hs_on_open(struct conn *c, void *arg)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	(void)hs_agent_arg(arg);
	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.max_payload = HS_MAX_PAYLOAD;
	if (conn_send(c, &f) != 0) {
		conn_close(c, GW_R_INTERNAL, "cannot send HELLO");
		return CONN_CLOSED_RC;
	}
	return CONN_OK;
}

static int
hs_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct hs_agent *a = hs_agent_arg(arg);
	char text[256];

	switch (f->type) {
	case GW_T_HELLO_ACK:
		/* The gateway took our certificate: done, close. */
		a->accepted = 1;
		conn_close(c, GW_R_NORMAL, "done");
		return CONN_CLOSED_RC;
	case GW_T_ERROR:
	case GW_T_GOAWAY:
		snprintf(text, sizeof(text), "%s: %.*s",
		    f->type == GW_T_GOAWAY ? "GOAWAY" : "ERROR",
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
		conn_close(c, f->u.reason.code, text);
		return CONN_CLOSED_RC;
	default:
		return CONN_OK;
	}
}

static void
hs_on_close(struct conn *c, unsigned reason, const char *detail, void *arg)
{
	struct hs_agent *a = hs_agent_arg(arg);
	char msg[300];

	a->c = NULL;
	if (a->accepted) {
		hs_done(a, 1, conn_resumed(c), NULL);
		return;
	}
	snprintf(msg, sizeof(msg), "%s: %s: %s", a->h->p->gateway,
	    gw_reason_str(reason), detail);
	hs_done(a, 0, 0, msg);
}

static const struct conn_ops hs_ops = {
	.on_open = hs_on_open,
	.on_frame = hs_on_frame,
	.on_timeout = NULL,	/* connect_timeout: close, GW_R_TIMEOUT */
	.on_close = hs_on_close
};

/* --plain: handshake done: one event, then finish at its ACK. */
static void
hs_plain_open(void *arg)
{
	struct hs_agent *a = hs_agent_arg(arg);

	plain_send(a->pl, 1);
	plain_eof(a->pl);
}

static void
hs_plain_finish(enum client_status st, void *arg)
{
	struct hs_agent *a = hs_agent_arg(arg);

	if (st == CLIENT_ST_DONE)
		hs_done(a, 1, plain_resumed(a->pl), NULL);
	else
		hs_done(a, 0, 0, plain_msg(a->pl));
}

/* Start ${a}'s next connection (it may end at once, in hs_done). */
static void
hs_start(struct hs_agent *a)
{
	struct hs *h = a->h;
	const struct lg_params *p = h->p;
	struct conn_params cp = {
		.in_cap = HS_MAX_PAYLOAD + 64,
		.out_cap = 4096,
		.max_payload = HS_MAX_PAYLOAD,
		.server_name = p->server_name,
		/* Without resume the gateway's tickets are dropped. */
		.ticket = p->resume ? &a->ticket : NULL
	};
	char msg[300];

	a->busy = 1;
	a->accepted = 0;
	h->busy++;
	if (h->phase == HS_TIMED)
		h->started++;
	if (a->pl != NULL) {
		plain_start(a->pl);
		return;
	}
	if ((a->c = conn_connect(h->loop, p->gateway, a->tls, &cp, &hs_ops,
	    a)) == NULL) {
		snprintf(msg, sizeof(msg), "%s: connect: %s", p->gateway,
		    strerror(errno));
		hs_done(a, 0, 0, msg);
		return;
	}
	conn_timer(a->c, p->connect_timeout);
}

/* The next agent to start, or NULL if none may start now. */
static struct hs_agent *
hs_pick(struct hs *h)
{
	unsigned n = h->p->agents;

	if (h->phase == HS_WARMUP)	/* each once, then wait for all */
		return h->next < n ? &h->a[h->next++] : NULL;
	if (h->phase != HS_TIMED)
		return NULL;
	for (unsigned k = 0; k < n; k++) {
		struct hs_agent *a = &h->a[h->next];

		h->next = (h->next + 1) % n;
		if (!a->busy)
			return a;
	}
	return NULL;
}

/* Start the next agents, at most connect_rate per second, inflight. */
static void
hs_on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hs *h = hs_arg(w->data);
	const struct lg_params *p = h->p;
	struct hs_agent *a;

	(void)loop;
	(void)revents;
	h->allowance += p->connect_rate * HS_PACE_TICK;
	if (h->allowance > p->connect_rate)
		h->allowance = p->connect_rate;	/* at most 1 s saved */
	while (h->allowance >= 1 && h->busy < p->inflight &&
	    h->phase != HS_ENDING) {
		if (h->phase == HS_TIMED && p->handshakes > 0 &&
		    h->started >= p->handshakes) {
			hs_end(h);
			break;
		}
		if ((a = hs_pick(h)) == NULL)
			break;
		hs_start(a);
		h->allowance -= 1;
	}
}

/* The warm-up pause ended, or the timed part did. */
static void
hs_on_phase(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hs *h = hs_arg(w->data);

	(void)loop;
	(void)revents;
	if (h->phase == HS_PAUSE)
		hs_begin(h);
	else if (h->phase == HS_TIMED)
		hs_end(h);
}

static void
hs_on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct hs *h = hs_arg(w->data);
	static const char why[] = "gw-loadgen: run timed out";

	(void)revents;
	h->r->timed_out = 1;
	hs_end(h);
	for (unsigned i = 0; i < h->p->agents; i++) {
		struct hs_agent *a = &h->a[i];

		if (a->c != NULL)
			conn_close(a->c, GW_R_TIMEOUT, why);
		else if (a->busy && a->pl != NULL)
			plain_fail(a->pl, CLIENT_ST_FAIL, why);
	}
	ev_break(loop, EVBREAK_ALL);
}

/* Set up agent ${i}: its TLS configuration, and its plain client. */
static int
hs_agent_new(struct hs *h, unsigned i)
{
	struct hs_agent *a = &h->a[i];
	const struct lg_params *p = h->p;

	a->magic = HS_AGENT_MAGIC;
	a->h = h;
	if ((a->tls = lg_tls_conf(p, i, h->r->first_error,
	    sizeof(h->r->first_error))) == NULL)
		return -1;
	if (p->plain && (a->pl = plain_new(h->loop, &(struct plain_params){
	    .addr = p->gateway, .server_name = p->server_name,
	    .tls = a->tls, .size = p->size, .window = 1,
	    .resume = p->resume, .connect_timeout = p->connect_timeout,
	    .on_open = hs_plain_open,
	    .on_finish = hs_plain_finish, .arg = a })) == NULL) {
		snprintf(h->r->first_error, sizeof(h->r->first_error), "%s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
hs_free(struct hs *h)
{
	for (unsigned i = 0; h->a != NULL && i < h->p->agents; i++) {
		struct hs_agent *a = &h->a[i];

		if (a->c != NULL)
			conn_close(a->c, GW_R_SHUTDOWN, "exiting");
		plain_free(a->pl);
		conn_ticket_free(a->ticket);
		tls_conf_free(a->tls);
	}
	free(h->a);
}

/**
 * hs_run(loop, p, r): run the handshake mode of ${p} on ${loop} until
 * p->seconds (or p->handshakes) after its timed part began, or p->timeout;
 * fill ${r}.  Return 0, or -1 if the agents could not be set up, with the
 * reason in ${r}->first_error.
 */
int
hs_run(struct ev_loop *loop, const struct lg_params *p, struct hs_result *r)
{
	struct hs h = { .magic = HS_MAGIC, .loop = loop, .p = p, .r = r };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((h.a = calloc(p->agents, sizeof(*h.a))) == NULL) {
		snprintf(r->first_error, sizeof(r->first_error), "%s",
		    strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < p->agents; i++)
		if (hs_agent_new(&h, i) != 0)
			goto out;
	ev_timer_init(&h.pace, hs_on_pace, 0., HS_PACE_TICK);
	h.pace.data = &h;
	ev_timer_init(&h.phase_tmr, hs_on_phase, 0., 0.);
	h.phase_tmr.data = &h;
	ev_timer_init(&h.deadline, hs_on_deadline, p->timeout, 0.);
	h.deadline.data = &h;
	ev_now_update(loop);
	if (!p->resume)		/* else HS_WARMUP (0) first */
		hs_begin(&h);
	ev_timer_start(loop, &h.pace);
	ev_timer_start(loop, &h.deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &h.pace);
	ev_timer_stop(loop, &h.phase_tmr);
	ev_timer_stop(loop, &h.deadline);
	rc = 0;
out:
	hs_free(&h);
	return rc;
}
