/*
 * loadgen.c: the simulated agents of gw-loadgen (see loadgen.h).  Each is
 * an client_session with its own TLS configuration (its own certificate)
 * and queue; the generator starts them at a paced rate, feeds their
 * queues, and records when each event is handed to the session (numbered)
 * and when its ACK comes back.
 *
 * Storm through a relay (plain.h): an agent is open once the sink has
 * acknowledged its one event (the relay's connection to the sink is up);
 * when the relay closes its connection, it starts again on its own after
 * gw-agent's backoff (full jitter, at most CLIENT_BACKOFF_MAX), with its
 * ticket, and is back at that event's acknowledgement.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_session.h"
#include "gwlist.h"
#include "failover.h"
#include "loadgen.h"
#include "plain.h"
#include "sendq.h"
#include "tls_conf.h"

#define LG_PACE_TICK	0.01	/* seconds between batches of connects */

struct lg;

/* Where a simulated agent stands; only lg_agent_set_state() changes it. */
enum lg_agent_state {
	LGA_IDLE,	/* not started yet */
	LGA_CONNECTING,	/* started, not yet open */
	LGA_OPEN,	/* HELLO_ACK (plain storm: its event acknowledged) */
	LGA_BACK,	/* storm: open again after the restart */
	LGA_FINISHED,
	LGA_NSTATES
};

struct lg_agent {
	unsigned		 magic;		/* LG_AGENT_MAGIC */
	struct lg		*lg;
	struct client_session	*s;	/* our protocol, or */
	struct plain		*pl;	/* plain 1:1 mode */
	struct sendq		*q;
	struct tls_conf		*tls;
	char			*gws;		/* its --gateway, split */
	double			*t_num;		/* send: when each was numbered */
	unsigned		 numbered, acked;
	unsigned		 pushed;	/* events handed to it so far */
	uint64_t		 first_seq;
	enum lg_agent_state	 state;
	ev_timer		 retry;		/* plain storm: backoff */
	unsigned		 fails;		/* ... connections lost in a row */
};

#define LG_AGENT_MAGIC	0x4c674167u	/* "LgAg" */

/* The lg_agent behind a callback's ${arg}; anything else aborts. */
static struct lg_agent *
lg_agent_arg(void *arg)
{
	struct lg_agent *v = arg;

	if (v == NULL || v->magic != LG_AGENT_MAGIC)
		abort();
	return v;
}

#define LGA_BIT(st)	(1u << (st))

/* From each state, the states an agent may go to. */
static const unsigned lg_agent_next[LGA_NSTATES] = {
	[LGA_IDLE] = LGA_BIT(LGA_CONNECTING) | LGA_BIT(LGA_FINISHED),
	[LGA_CONNECTING] = LGA_BIT(LGA_OPEN) | LGA_BIT(LGA_FINISHED),
	[LGA_OPEN] = LGA_BIT(LGA_BACK) | LGA_BIT(LGA_FINISHED),
	[LGA_BACK] = LGA_BIT(LGA_FINISHED),
	[LGA_FINISHED] = 0
};

/* The one place that changes ${a}'s state; a skipped state aborts. */
static void
lg_agent_set_state(struct lg_agent *a, enum lg_agent_state st)
{
	if ((lg_agent_next[a->state] & LGA_BIT(st)) == 0)
		abort();	/* a bug */
	a->state = st;
}

/* Open once (a reconnect keeps it so). */
static int
lg_agent_opened(const struct lg_agent *a)
{
	return a->state == LGA_OPEN || a->state == LGA_BACK;
}

struct lg {
	unsigned		 magic;		/* LG_MAGIC */
	struct ev_loop		*loop;
	const struct lg_params	*p;
	struct lg_result	*r;
	struct lg_agent		*a;
	unsigned		 started, open, finished;
	unsigned		 connecting;	/* started, not yet open */
	double			 allowance;
	double			 send_allowance, send_last; /* rate */
	unsigned		 send_next;	/* round-robin cursor */
	ev_timer		 send_pace;
	double			 t_start, t_first_event;
	double			*lat;		/* send: latencies, seconds */
	size_t			 nlat;
	struct plain_sink	*sink;
	ev_timer		 pace, hold, deadline;
	int			 stopping;	/* lg_stop_all: no retries */
};

#define LG_MAGIC	0x4c67526eu	/* "LgRn" */

/* The lg behind a callback's ${arg}; anything else aborts. */
static struct lg *
lg_arg(void *arg)
{
	struct lg *v = arg;

	if (v == NULL || v->magic != LG_MAGIC)
		abort();
	return v;
}

static void lg_on_finish(enum client_status st, void *arg);

static void
lg_stop_all(struct lg *g, enum client_status st, const char *why)
{
	g->stopping = 1;
	/* Each calls lg_on_finish; the last one breaks the loop. */
	for (unsigned i = 0; i < g->p->agents; i++) {
		if (g->a[i].state == LGA_FINISHED)
			continue;
		if (ev_is_active(&g->a[i].retry)) {
			/* Between connections: finishes with its last error. */
			ev_timer_stop(g->loop, &g->a[i].retry);
			lg_on_finish(st, &g->a[i]);
		} else if (g->a[i].pl != NULL)
			plain_fail(g->a[i].pl, st, why);
		else
			client_session_fail(g->a[i].s, st, why);
	}
}

static void
lg_on_number(uint64_t seq, void *arg)
{
	struct lg_agent *a = lg_agent_arg(arg);

	if (a->numbered == 0)
		a->first_seq = seq;
	if (a->numbered < a->lg->p->events)
		a->t_num[a->numbered++] = ev_time();
}

static void
lg_on_acked(uint64_t seq, void *arg)
{
	struct lg_agent *a = lg_agent_arg(arg);
	struct lg *g = a->lg;
	double now = ev_time();
	uint64_t n;

	if (a->numbered == 0 || seq < a->first_seq)
		return;
	n = seq - a->first_seq + 1;
	if (n > a->numbered)
		n = a->numbered;
	for (; a->acked < n; a->acked++) {
		g->lat[g->nlat++] = now - a->t_num[a->acked];
		g->r->acked++;
	}
	g->r->send_s = now - g->t_first_event;
}

static int
lg_before_send(void *arg)
{
	(void)lg_agent_arg(arg);
	return 0;
}

/*
 * Send mode: hand ${n} more events to the agent; after its last one, it
 * finishes once all are ACKed.
 */
static void
lg_feed(struct lg_agent *a, unsigned n)
{
	static char body[65536];
	struct lg *g = a->lg;

	if (a->state == LGA_FINISHED)
		return;
	if (n > g->p->events - a->pushed)
		n = g->p->events - a->pushed;
	if (a->pl != NULL) {
		plain_send(a->pl, n);
		a->pushed += n;
		g->r->sent += n;
	} else {
		memset(body, 'x', g->p->size);
		for (unsigned i = 0; i < n; i++) {
			snprintf(body, sizeof(body), "%08u", a->pushed);
			body[8] = 'x';
			if (sendq_push(a->q, body, g->p->size) != 0)
				break;
			a->pushed++;
			g->r->sent++;
		}
		client_session_kick(a->s);
	}
	if (a->pushed < g->p->events)
		return;
	if (a->pl != NULL)
		plain_eof(a->pl);
	else
		client_session_eof(a->s);
}

/* Send mode with a rate: the next events, one agent after the other. */
static void
lg_on_send_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lg *g = lg_arg(w->data);
	double now = ev_now(loop);
	unsigned left = g->p->agents;

	(void)revents;
	g->send_allowance += (now - g->send_last) * g->p->rate;
	g->send_last = now;
	while (g->send_allowance >= 1 && left > 0) {
		struct lg_agent *a = &g->a[g->send_next];

		g->send_next = (g->send_next + 1) % g->p->agents;
		if (a->state == LGA_FINISHED || a->pushed >= g->p->events) {
			left--;
			continue;
		}
		left = g->p->agents;
		lg_feed(a, 1);
		g->send_allowance -= 1;
	}
	if (left == 0)
		ev_timer_stop(loop, w);		/* every event handed out */
	else if (g->send_allowance > g->p->rate)
		g->send_allowance = g->p->rate;	/* at most 1 s saved */
}

/* Agent ${a} is open (HELLO_ACK; plain storm: its event acknowledged). */
static void
lg_opened(struct lg_agent *a)
{
	struct lg *g = a->lg;

	if (lg_agent_opened(a)) {	/* a reconnect */
		if (g->p->mode != LG_STORM || a->state == LGA_BACK ||
		    g->open < g->p->agents)
			return;
		lg_agent_set_state(a, LGA_BACK);
		g->r->resumed += (a->pl != NULL ? plain_resumed(a->pl) :
		    client_session_resumed(a->s)) != 0;
		g->r->all_back_at = ev_time();
		if (g->r->back++ == 0)
			g->r->first_back_at = g->r->all_back_at;
		if (g->r->back == g->p->agents) {
			printf("all_back agents=%u at=%.3f\n", g->r->back,
			    g->r->all_back_at);
			fflush(stdout);
			lg_stop_all(g, CLIENT_ST_DONE, "");
		}
		return;
	}
	lg_agent_set_state(a, LGA_OPEN);
	g->open++;
	g->connecting--;
	g->r->opened = g->open;
	g->r->connect_s = ev_time() - g->t_start;
	if (g->open < g->p->agents)
		return;
	/* For a benchmark that measures the gateway from here on. */
	printf("all_open agents=%u connect_s=%.3f\n", g->open,
	    g->r->connect_s);
	fflush(stdout);
	if (g->p->mode == LG_SEND) {
		/* Every agent starts sending now, together, or in turn. */
		g->t_first_event = ev_time();
		if (g->p->rate > 0) {
			g->send_last = ev_now(g->loop);
			ev_timer_start(g->loop, &g->send_pace);
		} else
			for (unsigned i = 0; i < g->p->agents; i++)
				lg_feed(&g->a[i], g->p->events);
	} else if (g->p->mode == LG_IDLE)
		ev_timer_start(g->loop, &g->hold);
	/* storm: wait for the restart (lg_opened, above). */
}

static void
lg_on_open(void *arg)
{
	struct lg_agent *a = lg_agent_arg(arg);

	/* Plain storm: open once the sink acknowledged one event. */
	if (a->pl != NULL && a->lg->p->mode == LG_STORM)
		plain_send(a->pl, 1);
	else
		lg_opened(a);
}

/* Plain storm: the one event of this connection is acknowledged. */
static void
lg_on_storm_acked(uint64_t seq, void *arg)
{
	struct lg_agent *a = lg_agent_arg(arg);

	(void)seq;
	a->fails = 0;
	lg_opened(a);
}

/* Plain storm: the backoff has passed; connect again. */
static void
lg_on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lg_agent *a = lg_agent_arg(w->data);

	(void)loop;
	(void)revents;
	plain_start(a->pl);
}

static void
lg_on_finish(enum client_status st, void *arg)
{
	struct lg_agent *a = lg_agent_arg(arg);
	struct lg *g = a->lg;
	static const struct fo_policy pol = {
		.backoff_min = CLIENT_BACKOFF_MIN,
		.backoff_max = CLIENT_BACKOFF_MAX
	};

	if (a->pl != NULL && g->p->mode == LG_STORM && lg_agent_opened(a) &&
	    !g->stopping) {
		/* Lost (the relay restarted): again after a backoff. */
		ev_timer_set(&a->retry, fo_backoff(&pol, ++a->fails,
		    (uint32_t)random()), 0.);
		ev_timer_start(g->loop, &a->retry);
		return;
	}
	if (a->state == LGA_CONNECTING)
		g->connecting--;
	lg_agent_set_state(a, LGA_FINISHED);
	g->finished++;
	if (st != CLIENT_ST_DONE) {
		g->r->failed++;
		if (g->r->first_error[0] == '\0')
			snprintf(g->r->first_error, sizeof(g->r->first_error),
			    "%s", a->pl != NULL ? plain_msg(a->pl) :
			    client_session_msg(a->s));
	}
	if (g->finished == g->p->agents)
		ev_break(g->loop, EVBREAK_ALL);
}

/* Start the next agents, at most connect_rate per second. */
static void
lg_on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lg *g = lg_arg(w->data);

	(void)loop;
	(void)revents;
	g->allowance += g->p->connect_rate * LG_PACE_TICK;
	if (g->allowance > g->p->connect_rate)
		g->allowance = g->p->connect_rate;	/* at most 1 s saved */
	while (g->allowance >= 1 && g->started < g->p->agents &&
	    g->connecting < g->p->inflight) {
		struct lg_agent *a = &g->a[g->started++];

		lg_agent_set_state(a, LGA_CONNECTING);
		g->connecting++;
		if (a->pl != NULL)
			plain_start(a->pl);
		else
			client_session_start(a->s);
		g->allowance -= 1;
	}
	if (g->started == g->p->agents)
		ev_timer_stop(g->loop, w);
}

static void
lg_on_hold(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	lg_stop_all(lg_arg(w->data), CLIENT_ST_DONE, "");
}

static void
lg_on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lg *g = lg_arg(w->data);

	(void)loop;
	(void)revents;
	g->r->timed_out = 1;
	lg_stop_all(g, CLIENT_ST_FAIL, "gw-loadgen: run timed out");
}

static int
lg_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/**
 * lg_tls_conf(p, i, err, errlen): the client TLS configuration of agent
 * ${i} of ${p} (its certificate, the key beside it, p->tls12).  NULL on
 * error, with the reason in ${err}.
 */
struct tls_conf *
lg_tls_conf(const struct lg_params *p, unsigned i, char *err, size_t errlen)
{
	char key[4096];
	size_t n = strlen(p->certs[i]);

	if (n < 4 || n + 1 > sizeof(key)) {
		snprintf(err, errlen, "%s: not a .crt file", p->certs[i]);
		return NULL;
	}
	snprintf(key, sizeof(key), "%.*s.key", (int)(n - 4), p->certs[i]);
	return tls_conf_new(&(struct tls_conf_params){ .cert = p->certs[i],
	    .key = key, .ca = p->ca, .tls12 = 1, .no_tls13 = p->tls12 },
	    err, errlen);
}

/*
 * Agent ${a}'s gateways into ${out} (CLIENT_MAX_GATEWAYS): --gateway as
 * gw-agent reads it, a group in the order of the agent's name (its
 * certificate file's name, as gw-cert issue-many names both).  Return
 * how many, or -1 with first_error.
 */
static int
lg_gateways(struct lg_agent *a, const char *crt, const char **out)
{
	struct lg *g = a->lg;
	const char *base = strrchr(crt, '/') != NULL ? strrchr(crt, '/') + 1 :
	    crt;
	char name[256];
	int n;

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) > 4 ?
	    strlen(base) - 4 : strlen(base)), base);	/* no .crt */
	if ((a->gws = strdup(g->p->gateway)) == NULL) {
		snprintf(g->r->first_error, sizeof(g->r->first_error), "%s",
		    strerror(errno));
		return -1;
	}
	if ((n = gwlist_parse(a->gws, name, out, CLIENT_MAX_GATEWAYS,
	    g->r->first_error, sizeof(g->r->first_error))) < 0)
		return -1;
	return n;
}

/* Set up agent ${i}: its TLS configuration, queue and session. */
static int
lg_agent_new(struct lg *g, unsigned i)
{
	struct lg_agent *a = &g->a[i];
	const struct lg_params *p = g->p;
	struct client_session_params sp;
	int n;

	a->magic = LG_AGENT_MAGIC;
	a->lg = g;
	if ((a->tls = lg_tls_conf(p, i, g->r->first_error,
	    sizeof(g->r->first_error))) == NULL)
		return -1;
	if (p->mode == LG_SEND && (a->t_num = calloc(p->events,
	    sizeof(*a->t_num))) == NULL)
		goto nomem;
	ev_init(&a->retry, lg_on_retry);
	a->retry.data = a;
	if (p->plain) {
		int storm = p->mode == LG_STORM;

		/* Storm: a ticket kept, gw-agent's connect timeout. */
		if ((a->pl = plain_new(g->loop, &(struct plain_params){
		    .addr = p->gateway, .server_name = p->server_name,
		    .tls = a->tls, .size = p->size, .window = p->window,
		    .resume = storm, .connect_timeout = storm ?
		    p->connect_timeout : 0,
		    .on_sent = storm ? NULL : lg_on_number,
		    .on_acked = storm ? lg_on_storm_acked : lg_on_acked,
		    .on_open = lg_on_open, .on_finish = lg_on_finish,
		    .arg = a })) == NULL)
			goto nomem;
		return 0;
	}
	if ((a->q = sendq_new(p->mode == LG_SEND ? p->events : 1)) == NULL)
		goto nomem;
	sendq_on_number(a->q, lg_on_number, a);
	memset(&sp, 0, sizeof(sp));
	if ((n = lg_gateways(a, p->certs[i], sp.gateways)) < 0)
		return -1;
	sp.ngateways = (size_t)n;
	sp.server_name = p->server_name;
	sp.heartbeat = p->heartbeat;
	sp.connect_timeout = p->connect_timeout;
	sp.record_per_frame = 1;	/* each event its own TLS record */
	sp.legacy_acks = p->legacy_acks;
	sp.failback_hold = sp.ngateways > 1 ? p->failback_hold : -1;
	sp.tls = a->tls;
	sp.queue = a->q;
	sp.on_acked = lg_on_acked;
	sp.before_send = lg_before_send;
	sp.on_open = lg_on_open;
	sp.on_finish = lg_on_finish;
	sp.arg = a;
	if ((a->s = client_session_new(g->loop, &sp)) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(g->r->first_error, sizeof(g->r->first_error), "%s",
	    strerror(errno));
	return -1;
}

static void
lg_free(struct lg *g)
{
	for (unsigned i = 0; g->a != NULL && i < g->p->agents; i++) {
		ev_timer_stop(g->loop, &g->a[i].retry);
		plain_free(g->a[i].pl);
		client_session_free(g->a[i].s);
		sendq_free(g->a[i].q);
		tls_conf_free(g->a[i].tls);
		free(g->a[i].t_num);
		free(g->a[i].gws);
	}
	free(g->a);
	free(g->lat);
	plain_sink_free(g->sink);
}

int
lg_run(struct ev_loop *loop, const struct lg_params *p, struct lg_result *r)
{
	struct lg g = { .magic = LG_MAGIC, .loop = loop, .p = p, .r = r };
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((g.a = calloc(p->agents, sizeof(*g.a))) == NULL ||
	    (p->mode == LG_SEND && (g.lat = calloc((size_t)p->agents *
	    p->events, sizeof(*g.lat))) == NULL)) {
		snprintf(r->first_error, sizeof(r->first_error), "%s",
		    strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < p->agents; i++)
		if (lg_agent_new(&g, i) != 0)
			goto out;
	/* The backoffs (agent sessions seed it as gw-agent does). */
	if (p->plain)
		srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if (p->sink != NULL && (g.sink = plain_sink_new(loop, p->sink,
	    p->size, r->first_error, sizeof(r->first_error))) == NULL)
		goto out;
	ev_timer_init(&g.pace, lg_on_pace, 0., LG_PACE_TICK);
	g.pace.data = &g;
	ev_timer_init(&g.send_pace, lg_on_send_pace, 0.001, 0.001);
	g.send_pace.data = &g;
	ev_timer_init(&g.hold, lg_on_hold, p->hold, 0.);
	g.hold.data = &g;
	ev_timer_init(&g.deadline, lg_on_deadline, p->timeout, 0.);
	g.deadline.data = &g;
	ev_now_update(loop);
	g.t_start = ev_time();
	ev_timer_start(loop, &g.pace);
	ev_timer_start(loop, &g.deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &g.pace);
	ev_timer_stop(loop, &g.send_pace);
	ev_timer_stop(loop, &g.hold);
	ev_timer_stop(loop, &g.deadline);
	if (g.nlat > 0) {
		qsort(g.lat, g.nlat, sizeof(*g.lat), lg_cmp);
		r->lat_p50_ms = g.lat[g.nlat / 2] * 1000;
		r->lat_p99_ms = g.lat[(size_t)floor((g.nlat - 1) * 0.99)] * 1000;
		r->lat_max_ms = g.lat[g.nlat - 1] * 1000;
	}
	rc = 0;
out:
	lg_free(&g);
	return rc;
}
