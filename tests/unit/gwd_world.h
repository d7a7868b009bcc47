/*
 * gwd_world.h: a gatewayd in memory for the session core's unit tests
 * (test_chan, test_agent, test_upstream, test_downlink): its real
 * agent.c, chan.c, upstream.c and servers.c run on the fake conns of
 * tests/support/ (fake_conn.h: no sockets, no TLS), with two links to
 * server 0 and the spare, as fuzz/session_env.c sets them up.  Every frame the gateway
 * sends is recorded per conn (w_last, w_count), and enroll.h is a stub that holds
 * nothing.  Only w_link_up reaps: a conn that w_agent, w_agent_data or
 * w_link_* closed can be looked at until the test calls conn_reap().  Included by one test file each; its functions are static.
 */
#ifndef GW_TEST_GWD_WORLD_H
#define GW_TEST_GWD_WORLD_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent.h"
#include "agent_impl.h"
#include "chan.h"
#include "enroll.h"
#include "fake_conn.h"
#include "gw.h"
#include "log.h"
#include "servers.h"
#include "upstream.h"
#include "x509_issue.h"

#define W_UNUSED	__attribute__((unused))
#define W_FRAMES	128	/* frames kept per conn */
#define W_AGENTS	20	/* agent-1 .. agent-20 */
#define W_SEEN_IDS	16	/* SEEN ids kept per frame (the first) */
#define W_LINKS		4

/* A frame the gateway sent, as the peer decoded it. */
struct w_frame {
	uint8_t		 type;
	uint32_t	 channel;
	uint64_t	 seq;		/* DATA, ACK, HELLO_ACK's last_seq;
					   COMMAND, COMMAND_ACK, RESULT: id */
	uint32_t	 n;		/* CREDIT, ACK's credit; SEEN: its
					   ids */
	uint32_t	 caps;		/* HELLO, HELLO_ACK */
	uint16_t	 code;		/* CLOSE, ERROR, GOAWAY */
	uint32_t	 len;		/* DATA's body, RESULT's output,
					   OPEN's payload */
	unsigned	 stamp;		/* order among all conns' frames */
	/* OPEN: the identity extension (has_ext), its sans' start. */
	uint8_t		 has_ext;
	uint64_t	 not_after_ms;
	char		 sans[64];
	/* SEEN: n (its ids in n) and the first W_SEEN_IDS ids. */
	uint32_t	 ids[W_SEEN_IDS];
};

/* What the world keeps of each conn (fake_conn_data). */
struct w_data {
	struct w_frame	 f[W_FRAMES];
	unsigned	 n;		/* sent, all told (f keeps the last) */
	unsigned	 closed;	/* conn_close calls */
	unsigned	 reason;	/* ... the last one's */
};

static struct gw_config w_cfg;
static struct ev_loop *w_loop;
static mbedtls_x509_crt w_crt[W_AGENTS];
static struct gw w_gw;

/*
 * The caps of the agents' HELLO (w_agent) and of the servers' HELLO_ACK
 * (w_link_up), and the agents' and the servers' max_payload (0: the
 * gateway's).
 */
static uint32_t w_agent_caps = GW_CAP_COMMANDS;
static uint32_t w_link_caps = GW_CAP_COMMANDS;
static uint32_t w_agent_max;
static uint32_t w_link_max;

/* If set, told of each frame the gateway queued (after w_data has it). */
static void (*w_tap)(struct conn *c, const struct gw_frame *f);

static void
w_sent_hook(struct conn *c, const struct gw_frame *f, int fits)
{
	static unsigned stamp;
	struct w_data *d = fake_conn_data(c);
	struct w_frame *w;

	if (!fits)
		return;
	if (w_tap != NULL)
		w_tap(c, f);

	w = &d->f[d->n++ % W_FRAMES];
	memset(w, 0, sizeof(*w));
	w->stamp = ++stamp;
	w->type = f->type;
	w->channel = f->channel;
	switch (f->type) {
	case GW_T_DATA:
	case GW_T_COMMAND:
		w->seq = f->u.data.seq;
		w->len = f->u.data.body.len;
		break;
	case GW_T_ACK:
	case GW_T_COMMAND_ACK:
		w->seq = f->u.ack.seq;
		w->n = f->u.ack.credit;		/* ACKCREDIT's */
		break;
	case GW_T_RESULT:
		w->seq = f->u.result.id;
		w->len = f->u.result.output.len;
		break;
	case GW_T_HELLO:
		w->caps = f->u.hello.caps;
		break;
	case GW_T_HELLO_ACK:
		w->seq = f->u.hello_ack.last_seq;
		w->caps = f->u.hello_ack.caps;
		break;
	case GW_T_CREDIT:
		w->n = f->u.credit.n;
		break;
	case GW_T_OPEN:
		w->len = f->len;
		w->has_ext = f->u.open.has_ext;
		w->not_after_ms = f->u.open.not_after_ms;
		snprintf(w->sans, sizeof(w->sans), "%.*s",
		    (int)f->u.open.sans.len, (const char *)f->u.open.sans.p);
		break;
	case GW_T_SEEN:
		w->n = f->u.seen.n;
		for (uint32_t i = 0; i < f->u.seen.n && i < W_SEEN_IDS; i++)
			w->ids[i] = gw_seen_id(f, i);
		break;
	case GW_T_CLOSE:
	case GW_T_ERROR:
	case GW_T_GOAWAY:
		w->code = f->u.reason.code;
		break;
	default:
		break;
	}
}

static void
w_closing_hook(struct conn *c, unsigned reason, const char *detail)
{
	struct w_data *d = fake_conn_data(c);

	(void)detail;
	d->closed++;
	d->reason = reason;
}

/*
 * Bytes a paused conn holds unread (fake_conn_env's queue_cap), for the
 * conns of the next w_start: 0, none (the conn's owner never pauses).
 */
static size_t w_queue_cap;

static struct fake_conn_env w_env = {
	.accepts = W_AGENTS,
	.connects = W_LINKS,
	.data_size = sizeof(struct w_data),
	.sent = w_sent_hook,
	.closing = w_closing_hook,
};

/*
 * Configuration ${cfg}: max_payload ${payload}, agent_window ${window},
 * and the [gateway] lines ${extra} (may be NULL).
 */
static W_UNUSED void
w_config(struct gw_config *cfg, size_t payload, unsigned window,
    const char *extra)
{
	char text[1024], err[512];

	snprintf(text, sizeof(text), "[gateway]\n"
	    "cert = gw.crt\nkey = gw.key\nagent_ca = ca.crt\n"
	    "agent_names = agent-*\nmax_payload = %zu\nagent_window = %u\n"
	    "%s[upstream]\nserver = 127.0.0.1:1, 127.0.0.1:2\n"
	    "ca = ca.crt\nconnections = 2\n", payload, window,
	    extra != NULL ? extra : "");
	if (gw_config_load_string(text, "test", "/", cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

/* A certificate of ${role} named ${name}, self-signed, into ${crt}. */
static W_UNUSED void
w_crt_make(mbedtls_x509_crt *crt, enum pki_role role, const char *name)
{
	static unsigned char pem[4096], key[4096];
	struct pki_req req = { .role = role, .name = name };
	struct pki_rng rng;
	char err[512];

	pki_validity(&req, 30);
	mbedtls_x509_crt_init(crt);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0 ||
	    pki_make(&req, NULL, &rng, pem, sizeof(pem), key, sizeof(key),
	    err, sizeof(err)) != 0 ||
	    mbedtls_x509_crt_parse(crt, pem, strlen((char *)pem) + 1) != 0)
		abort();
	pki_rng_free(&rng);
}

/* Once per process: the configuration, the loop, the certificates. */
static W_UNUSED void
w_init(const char *extra)
{
	char name[16];

	log_init("test", LOG_LVL_ERR);
	w_config(&w_cfg, 1024, 4, extra);
	if ((w_loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		abort();
	for (int i = 0; i < W_AGENTS; i++) {
		snprintf(name, sizeof(name), "agent-%d", i + 1);
		w_crt_make(&w_crt[i], PKI_ROLE_AGENT, name);
	}
}

/*
 * A gateway of configuration ${cfg} whose two links connect (not yet
 * open) to server 0.
 */
static W_UNUSED struct gw *
w_start_cfg(const struct gw_config *cfg)
{
	struct gw *gw = &w_gw;

	w_env.queue_cap = w_queue_cap;
	fake_conn_reset(&w_env);
	memset(gw, 0, sizeof(*gw));
	gw->magic = GW_MAGIC;
	assert_non_null(gw->chans = chan_all_new());
	assert_non_null(gw->agents = agent_all_new());
	gw->cfg = cfg;
	gw->loop = w_loop;
	limits_init(&gw->limits, w_loop);
	gw->nup = w_cfg.connections;
	assert_non_null(gw->up = calloc(gw->nup, sizeof(*gw->up)));
	for (unsigned i = 0; i < gw->nup; i++)
		assert_non_null(gw->up[i] = upstream_new(gw, i, 0));
	gw->pick_link = servers_pick;
	assert_non_null(gw->servers = servers_new(gw));
	servers_start(gw);
	return gw;
}

/* A gateway whose two links connect (not yet open) to server 0. */
static W_UNUSED struct gw *
w_start(void)
{
	return w_start_cfg(&w_cfg);
}

/* Stop it as main does; nothing may be left. */
static W_UNUSED void
w_stop(struct gw *gw)
{
	gw->stopping = 1;
	agent_stop_all(gw, GW_R_SHUTDOWN, "gateway stopping");
	servers_free(gw->servers);
	gw->servers = NULL;
	for (unsigned i = 0; i < gw->nup; i++)
		upstream_free(gw->up[i]);
	free(gw->up);
	conn_reap();
	limits_stop(&gw->limits);
	assert_true(TAILQ_EMPTY(&gw->chans->no_link));
	assert_true(chan_replay_bytes(gw) == 0 &&
	    agent_counts(gw)->reserved_bytes == 0);
	assert_int_equal(agent_counts(gw)->agents, 0);
	assert_int_equal(agent_counts(gw)->open, 0);
	agent_all_free(gw->agents);
	gw->agents = NULL;
	chan_all_free(gw->chans);
	gw->chans = NULL;
	assert_int_equal(fake_conn_live(), 0);
}

static W_UNUSED struct w_data *
w_data(struct conn *c)
{
	return fake_conn_data(c);
}

/* The newest frame of ${type} sent on ${c} (NULL: none kept). */
static W_UNUSED const struct w_frame *
w_last(struct conn *c, uint8_t type)
{
	struct w_data *d = fake_conn_data(c);

	for (unsigned i = d->n; i-- > 0 && d->n - i <= W_FRAMES;)
		if (d->f[i % W_FRAMES].type == type)
			return &d->f[i % W_FRAMES];
	return NULL;
}

/* How many frames of ${type} on ${c}, among those kept. */
static W_UNUSED unsigned
w_count(struct conn *c, uint8_t type)
{
	struct w_data *d = fake_conn_data(c);
	unsigned n = 0;

	for (unsigned i = d->n; i-- > 0 && d->n - i <= W_FRAMES;)
		n += d->f[i % W_FRAMES].type == type;
	return n;
}

/* Link ${i}'s handshake ends and its server says HELLO_ACK: READY. */
static W_UNUSED struct conn *
w_link_up(unsigned i)
{
	struct conn *c = fake_conn_connected(i);
	struct gw_frame f = { .type = GW_T_HELLO_ACK };

	assert_non_null(c);
	fake_conn_open(c, NULL);
	f.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	f.u.hello_ack.caps = w_link_caps;
	f.u.hello_ack.max_payload = w_link_max != 0 ? w_link_max :
	    (uint32_t)w_gw.cfg->max_payload;
	f.u.hello_ack.heartbeat_ms = 500;
	fake_conn_frame(c, &f);
	conn_reap();
	return c;
}

/* Every link still connecting comes up.  Return how many. */
static W_UNUSED unsigned
w_links_up(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < W_LINKS; i++) {
		struct conn *c = fake_conn_connected(i);

		if (c != NULL && conn_state(c) == CONN_CONNECTING) {
			w_link_up(i);
			n++;
		}
	}
	return n;
}

/*
 * The conn of link ${i} (0, 1): links take the conn slots in their order
 * while the spare stays idle, as in these tests.
 */
static W_UNUSED struct conn *
w_link(unsigned i)
{
	return fake_conn_connected(i);
}

/* The open link conn that carries ${ch}'s channel: its newest OPEN. */
static W_UNUSED struct conn *
w_link_of(const struct chan *ch)
{
	struct conn *best = NULL;
	unsigned stamp = 0;

	for (unsigned i = 0; i < W_LINKS; i++) {
		struct conn *c = fake_conn_connected(i);
		struct w_data *d;

		if (c == NULL || conn_state(c) != CONN_OPEN)
			continue;
		d = fake_conn_data(c);
		for (unsigned k = 0; k < W_FRAMES && k < d->n; k++)
			if (d->f[k].type == GW_T_OPEN &&
			    d->f[k].channel == ch->id &&
			    d->f[k].stamp > stamp) {
				stamp = d->f[k].stamp;
				best = c;
			}
	}
	return best;
}

/*
 * The conn just accepted (agent_accept, downlink_accept): the one still
 * in its handshake; its peer presents ${crt}.
 */
static W_UNUSED struct conn *
w_accepted(const mbedtls_x509_crt *crt)
{
	struct conn *c = NULL;

	for (unsigned i = 0; i < W_AGENTS; i++) {
		struct conn *k = fake_conn_accepted(i);

		if (k != NULL && conn_state(k) == CONN_HANDSHAKE)
			c = k;
	}
	assert_non_null(c);
	fake_conn_open(c, crt);
	return c;
}

/* The peer of ${c} says HELLO with ${caps} and ${max_payload}. */
static W_UNUSED void
w_hello(struct conn *c, uint32_t caps, uint32_t max_payload)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.caps = caps;
	f.u.hello.max_payload = max_payload;
	fake_conn_frame(c, &f);
}

/* A new agent ${name} (0 .. W_AGENTS - 1) says HELLO. */
static W_UNUSED struct conn *
w_agent(struct gw *gw, unsigned name)
{
	struct conn *c;
	unsigned before = agent_counts(gw)->agents;

	agent_accept(gw, -1);
	assert_int_equal(agent_counts(gw)->agents, before + 1);
	c = w_accepted(&w_crt[name]);
	w_hello(c, w_agent_caps, w_agent_max != 0 ? w_agent_max :
	    (uint32_t)w_gw.cfg->max_payload);
	return c;
}

/* The session on agent conn ${c}. */
static W_UNUSED struct agent *
w_agent_of(struct gw *gw, struct conn *c)
{
	for (struct agent *a = gw->agents->list; a != NULL; a = a->next)
		if (a->c == c)
			return a;
	return NULL;
}

/* The server on link ${c} sends ${type} (OPEN_ACK, ACK) ${seq} on ${ch}. */
static W_UNUSED void
w_link_ack(struct conn *c, uint8_t type, uint32_t ch, uint64_t seq)
{
	struct gw_frame f = { .type = type, .channel = ch };

	f.u.ack.seq = seq;
	fake_conn_frame(c, &f);
}

/* The server on link ${c} sends CLOSE ${code} on ${ch}. */
static W_UNUSED void
w_link_close(struct conn *c, uint32_t ch, uint16_t code)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = ch };

	f.u.reason.code = code;
	fake_conn_frame(c, &f);
}

/* The agent on ${c} sends DATA ${seq} of ${len} bytes. */
static W_UNUSED void
w_agent_data(struct conn *c, uint64_t seq, uint32_t len)
{
	static uint8_t body[65536];
	struct gw_frame f = { .type = GW_T_DATA };

	f.u.data.seq = seq;
	f.u.data.body.p = body;
	f.u.data.body.len = len;
	fake_conn_frame(c, &f);
}

/* The server on link ${c} sends COMMAND ${id} of ${len} bytes on ${ch}. */
static W_UNUSED void
w_link_command_len(struct conn *c, uint32_t ch, uint64_t id, uint32_t len)
{
	static uint8_t body[65536];
	struct gw_frame f = { .type = GW_T_COMMAND, .channel = ch };

	f.u.data.seq = id;
	f.u.data.body.p = body;
	f.u.data.body.len = len;
	fake_conn_frame(c, &f);
}

/* The server on link ${c} sends COMMAND ${id} on ${ch} ("uptime"). */
static W_UNUSED void
w_link_command(struct conn *c, uint32_t ch, uint64_t id)
{
	w_link_command_len(c, ch, id, 6);
}

/* The agent on ${c} sends COMMAND_ACK ${id}. */
static W_UNUSED void
w_agent_cmd_ack(struct conn *c, uint64_t id)
{
	struct gw_frame f = { .type = GW_T_COMMAND_ACK };

	f.u.ack.seq = id;
	fake_conn_frame(c, &f);
}

/* The agent on ${c} sends RESULT ${id}, exited 0, ${len} bytes of output. */
static W_UNUSED void
w_agent_result(struct conn *c, uint64_t id, uint32_t len)
{
	static uint8_t out[65536];
	struct gw_frame f = { .type = GW_T_RESULT };

	f.u.result.id = id;
	f.u.result.outcome = GW_OUT_EXITED;
	f.u.result.output.p = out;
	f.u.result.output.len = len;
	fake_conn_frame(c, &f);
}

/* enroll.h, held nowhere: these tests make no renewals. */
void
enroll_submit(struct gw *gw, const struct gw_enroll *req, const char *name,
    enroll_cb cb, void *arg)
{
	struct gw_enroll_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	(void)gw;
	(void)req;
	(void)name;
	cb(&r, arg);
}

void
enroll_cancel(struct gw *gw, void *arg)
{
	(void)gw;
	(void)arg;
}

void
enroll_result(struct gw *gw, struct upstream *u, const struct gw_frame *f)
{
	(void)gw;
	(void)u;
	(void)f;
}

void
enroll_link_down(struct gw *gw, struct upstream *u)
{
	(void)gw;
	(void)u;
}

#endif /* GW_TEST_GWD_WORLD_H */
