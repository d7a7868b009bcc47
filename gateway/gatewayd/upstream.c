/*
 * upstream.c: a mutual-TLS link to a management server carrying many
 * agent channels.  States: IDLE -> CONNECTING -> HELLO_SENT -> READY, and
 * back to IDLE through upstream_down(), the one place that ends a link;
 * servers.c decides which server a link connects to, and when.  Every
 * channel of a lost link is closed with GW_R_UPSTREAM_LOST: agents keep
 * their unacknowledged DATA and resend it after reconnecting, so nothing
 * is lost.  A READY link is watched by heartbeats (upstream_heartbeat).
 * Control frames never fail a link: one that finds no room (CLOSE, PONG)
 * is owed and goes first when room comes (upstream_owed.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "chanmap.h"
#include "conn.h"
#include "enroll.h"
#include "log.h"
#include "servers.h"
#include "upstream.h"
#include "upstream_owed.h"

#define UP_MAGIC	0x55704c6bu	/* "UpLk" */
#define UP_IN_CAP	(256u * 1024)
#define UP_OUT_CAP	(512u * 1024)
/* A drained link closes after this long, whatever it still carries. */
#define UP_DRAIN_TIME	3.0
/* Output kept free for control frames (OPEN, CLOSE, PONG) under load. */
#define UP_RESERVE	(16u * 1024)

struct upstream {
	unsigned		 magic;
	enum up_state		 state;
	unsigned		 idx;
	int			 is_probe;	/* the spare (servers.c) */
	int			 srv;		/* server index, or -1 */
	char			 addr[64];	/* its address, for logs */
	struct gw		*gw;
	struct conn		*c;
	struct fo_heartbeat	 hb;
	int			 goaway;	/* the server sent GOAWAY */
	int			 draining;	/* we sent GOAWAY: moving away */
	double			 drain_until;
	int			 local;		/* we closed it: not a failure */
	struct chanmap		*chans;		/* id -> struct agent */
	uint32_t		 next_chan;	/* never reused on a link */
	struct agent_link_q	 waiters;	/* FIFO: waiting for space */
	struct upstream_owed	*owed;		/* control frames owed */
	uint64_t		 frames_up, frames_down;
};

static void upstream_down(struct upstream *u, unsigned reason,
    const char *detail);
const char *upstream_name(const struct upstream *u);

/** upstream_state_str(s): "idle", "connecting", ... */
const char *
upstream_state_str(enum up_state s)
{
	static const char *const names[] = {
		"idle", "connecting", "hello-sent", "ready", "stopped"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void
upstream_set_state(struct upstream *u, enum up_state s)
{
	log_debug("event=upstream_state link=%u from=%s to=%s", u->idx,
	    upstream_state_str(u->state), upstream_state_str(s));
	u->state = s;
}

/* The address, kept: a reload may remove the server from the list. */
static const char *
upstream_addr(const struct upstream *u)
{
	return u->addr;
}

static int
upstream_on_open(struct conn *c, void *arg)
{
	struct upstream *u = arg;
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.max_payload = u->gw->cfg->max_payload;
	if (conn_send(c, &f) != 0) {
		conn_close(c, GW_R_INTERNAL, "cannot queue HELLO");
		return CONN_CLOSED_RC;
	}
	upstream_set_state(u, UP_HELLO_SENT);
	log_debug("event=upstream_tls link=%u tls=%s", u->idx,
	    conn_tls_info(c));
	return 0;
}

/*
 * Send control frame ${f} (PONG or CLOSE), or owe it until room comes: a
 * control frame never fails the link (only memory to note it could).
 */
static void
upstream_ctl(struct upstream *u, const struct gw_frame *f)
{
	if (upstream_owed_send(u->owed, u->c, f) != 0)
		conn_close(u->c, GW_R_INTERNAL, "out of memory");
}

static int
upstream_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct upstream *u = arg;
	struct agent *a;
	char text[128];

	u->frames_down++;
	fo_hb_rx(&u->hb, ev_now(u->gw->loop));
	if (u->state == UP_HELLO_SENT) {
		if (f->type != GW_T_HELLO_ACK ||
		    f->u.hello_ack.version != GW_PROTO_VERSION_MAX) {
			conn_close(c, GW_R_VERSION, "bad HELLO_ACK");
			return CONN_CLOSED_RC;
		}
		upstream_set_state(u, UP_READY);
		log_info("event=upstream_up link=%s server=%s tls=%s",
		    upstream_name(u), upstream_addr(u), conn_tls_info(c));
		conn_timer(c, 0);
		fo_hb_start(&u->hb, ev_now(u->gw->loop));
		servers_link_up(u->gw, u);
		return CONN_OK;
	}
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;
	switch (f->type) {
	case GW_T_OPEN_ACK:
	case GW_T_ACK:
	case GW_T_COMMAND:
	case GW_T_CLOSE:
		if (f->channel == 0)
			break;
		/* No store keeps such a seq: the server is broken. */
		if ((f->type == GW_T_OPEN_ACK || f->type == GW_T_ACK) &&
		    f->u.ack.seq > GW_SEQ_MAX) {
			snprintf(text, sizeof(text), "%s seq above 2^63-1",
			    gw_type_str(f->type));
			conn_close(c, GW_R_SEQUENCE, text);
			return CONN_CLOSED_RC;
		}
		/* A channel we already closed: a late frame, ignore it. */
		if ((a = chanmap_get(u->chans, f->channel)) == NULL)
			return CONN_OK;
		if (f->type == GW_T_OPEN_ACK)
			agent_open_ack(a, f->u.ack.seq);
		else if (f->type == GW_T_ACK) {
			servers_ack_seen(u->gw, u);
			agent_ack(a, f->u.ack.seq);
		}
		else if (f->type == GW_T_COMMAND)
			agent_command(a, f);
		else {
			struct agent_link *l = agent_link(a);

			chanmap_del(u->chans, f->channel);
			upstream_unwait(u, a);
			l->up = NULL;
			snprintf(text, sizeof(text), "%.*s",
			    (int)f->u.reason.text.len,
			    (const char *)f->u.reason.text.p);
			agent_lost(a, f->u.reason.code, text);
		}
		return CONN_OK;
	case GW_T_PING: {
		struct gw_frame p = { .type = GW_T_PONG };

		p.u.ping.opaque = f->u.ping.opaque;
		upstream_ctl(u, &p);
		return conn_state(c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
	}
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_ENROLL_RESULT:
		enroll_result(u->gw, u, f);
		return CONN_OK;
	case GW_T_GOAWAY:
		u->goaway = 1;
		/* FALLTHROUGH */
	case GW_T_ERROR:
		snprintf(text, sizeof(text), "server sent %s: %s: %.*s",
		    gw_type_str(f->type), gw_reason_str(f->u.reason.code),
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
		conn_close(c, f->type == GW_T_GOAWAY ? GW_R_SHUTDOWN :
		    f->u.reason.code, text);
		return CONN_CLOSED_RC;
	default:
		break;
	}
	snprintf(text, sizeof(text), "unexpected %s on channel %u",
	    gw_type_str(f->type), f->channel);
	conn_close(c, GW_R_UNEXPECTED, text);
	return CONN_CLOSED_RC;
}

static void
upstream_on_writable(struct conn *c, void *arg)
{
	struct upstream *u = arg;
	struct agent_link *l;

	size_t n = 0;

	(void)c;
	if (upstream_owed_flush(u->owed, u->c) != 0)
		return;		/* control frames first */
	/*
	 * Wake the waiters of now, in arrival order.  One that finds no room
	 * (the output filled up again) queues itself at the tail and waits
	 * for the next call: counting first keeps this loop from waking it
	 * again and again without ever returning to write (a livelock that
	 * bench/run found with 5,000 agents sending).  Waiters that close
	 * meanwhile leave the list, so the count is an upper bound.
	 */
	TAILQ_FOREACH(l, &u->waiters, wait)
		n++;
	while (n-- > 0 && (l = TAILQ_FIRST(&u->waiters)) != NULL) {
		TAILQ_REMOVE(&u->waiters, l, wait);
		l->wait_up = NULL;
		agent_resume(l->self);
	}
}

static void
upstream_on_timeout(struct conn *c, void *arg)
{
	struct upstream *u = arg;

	conn_close(c, GW_R_TIMEOUT, u->state == UP_CONNECTING ?
	    "connect/handshake timeout" : "HELLO_ACK timeout");
}

static void
upstream_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct upstream *u = arg;

	(void)c;
	if (u == NULL)		/* closed by upstream_down itself */
		return;
	u->c = NULL;
	upstream_down(u, reason, detail);
}

static const struct conn_ops upstream_ops = {
	.on_open = upstream_on_open,
	.on_frame = upstream_on_frame,
	.on_writable = upstream_on_writable,
	.on_timeout = upstream_on_timeout,
	.on_close = upstream_on_close,
};

/**
 * upstream_connect(u, srv): connect idle link ${u} to server ${srv}; the
 * result comes back through servers_link_up / servers_link_down.
 */
void
upstream_connect(struct upstream *u, int srv)
{
	const struct gw_config *cfg = u->gw->cfg;
	struct conn_params p = {
		.in_cap = UP_IN_CAP,
		.out_cap = UP_OUT_CAP,
		.max_payload = cfg->max_payload,
		.server_name = cfg->server_name,
	};

	if (u->state != UP_IDLE)
		return;
	upstream_set_state(u, UP_CONNECTING);
	u->srv = srv;
	snprintf(u->addr, sizeof(u->addr), "%s", cfg->servers[srv]);
	u->next_chan = 1;
	u->goaway = 0;
	u->local = 0;
	u->draining = 0;
	u->c = conn_connect(u->gw->loop, cfg->servers[srv], u->gw->up_tls, &p,
	    &upstream_ops, u);
	if (u->c == NULL) {
		upstream_down(u, GW_R_CONNECT, strerror(errno));
		return;
	}
	conn_timer(u->c, cfg->connect_timeout);
}

/* What a link's end says about its server (FO_R_NONE: nothing). */
static enum fo_reason
upstream_fo_reason(const struct upstream *u, enum up_state was,
    unsigned reason)
{
	if (u->local || was == UP_STOPPED || was == UP_IDLE)
		return FO_R_NONE;
	if (u->goaway)
		return FO_R_GOAWAY;
	switch (reason) {
	case GW_R_CONNECT:
		return FO_R_REFUSED;
	case GW_R_TIMEOUT:
		return was == UP_READY ? FO_R_HEARTBEAT : FO_R_CONNECT_TIMEOUT;
	case GW_R_TLS_HANDSHAKE:
	case GW_R_TLS_ERROR:
		return FO_R_TLS;
	case GW_R_PROTOCOL:
	case GW_R_VERSION:
	case GW_R_UNEXPECTED:
	case GW_R_TOO_BIG:
		return FO_R_PROTOCOL;
	default:
		return FO_R_CLOSED;
	}
}

/*
 * The one place a link ends: close every channel's agent with
 * upstream-lost, then tell servers.c (which reconnects or fails over).
 */
static void
upstream_down(struct upstream *u, unsigned reason, const char *detail)
{
	enum up_state was = u->state;
	enum fo_reason why = upstream_fo_reason(u, was, reason);
	struct agent **lost = NULL;
	size_t n = 0, it = 0, i;
	char ed[LOG_ESC_MAX];	/* the server's ERROR text, escaped */
	void *v;

	if (u->c != NULL) {
		struct conn *c = u->c;

		u->c = NULL;
		conn_set_arg(c, NULL);
		conn_close(c, reason, detail);
	}
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (was == UP_READY || was == UP_HELLO_SENT)
		log_warnx("event=upstream_down link=%s server=%s reason=%s "
		    "detail=\"%s\" channels=%zu", upstream_name(u),
		    upstream_addr(u), gw_reason_str(reason), ed,
		    chanmap_count(u->chans));
	else if (was == UP_CONNECTING)
		log_warnx("event=upstream_connect_failed link=%s server=%s "
		    "reason=%s detail=\"%s\"", upstream_name(u),
		    upstream_addr(u), gw_reason_str(reason), ed);
	if (was != UP_STOPPED)
		upstream_set_state(u, UP_IDLE);

	/* Collect, then act: agent_lost must not see a changing map. */
	if (chanmap_count(u->chans) > 0 &&
	    (lost = calloc(chanmap_count(u->chans), sizeof(*lost))) != NULL)
		while (chanmap_next(u->chans, &it, &v) != 0)
			lost[n++] = v;
	while (!TAILQ_EMPTY(&u->waiters)) {
		struct agent_link *l = TAILQ_FIRST(&u->waiters);

		TAILQ_REMOVE(&u->waiters, l, wait);
		l->wait_up = NULL;
	}
	upstream_owed_clear(u->owed);	/* its channels end with it */
	for (i = 0; i < n; i++) {
		chanmap_del(u->chans, agent_link(lost[i])->chan);
		agent_link(lost[i])->up = NULL;
	}
	for (i = 0; i < n; i++)
		agent_lost(lost[i], u->state == UP_STOPPED ? GW_R_SHUTDOWN :
		    GW_R_UPSTREAM_LOST, "management server link lost");
	free(lost);
	enroll_link_down(u->gw, u);
	if (u->state == UP_IDLE)
		servers_link_down(u->gw, u, why);
}

/**
 * upstream_new(gw, idx, probe): link number ${idx} (or the probe), idle;
 * NULL on ENOMEM.
 */
struct upstream *
upstream_new(struct gw *gw, unsigned idx, int probe)
{
	struct upstream *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	if ((u->chans = chanmap_new()) == NULL ||
	    (u->owed = upstream_owed_new()) == NULL) {
		chanmap_free(u->chans);
		free(u);
		return NULL;
	}
	u->magic = UP_MAGIC;
	u->state = UP_IDLE;
	u->idx = idx;
	u->is_probe = probe;
	u->srv = -1;
	u->addr[0] = '-';
	u->gw = gw;
	TAILQ_INIT(&u->waiters);
	return u;
}

/** upstream_free(u): close ${u} for good; upstream_free(NULL) is a no-op. */
void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	if (u->state == UP_READY) {
		struct gw_frame g = { .type = GW_T_GOAWAY };

		g.u.reason.code = GW_R_SHUTDOWN;
		g.u.reason.text.p = (const uint8_t *)"gateway stopping";
		g.u.reason.text.len = (uint16_t)strlen("gateway stopping");
		(void)conn_send(u->c, &g);	/* flushed by the close */
	}
	upstream_set_state(u, UP_STOPPED);
	upstream_down(u, GW_R_SHUTDOWN, "gateway stopping");
	if (!u->is_probe)
		log_info("event=upstream_stats link=%u frames_up=%llu "
		    "frames_down=%llu", u->idx,
		    (unsigned long long)u->frames_up,
		    (unsigned long long)u->frames_down);
	chanmap_free(u->chans);
	upstream_owed_free(u->owed);
	u->magic = 0;
	free(u);
}

/**
 * upstream_drop(u, detail): close ${u} on our own decision (failover,
 * fail-back): its server is not blamed.  Its agents are closed with
 * upstream-lost and come back on another link.
 */
void
upstream_drop(struct upstream *u, const char *detail)
{
	if (u->c == NULL)
		return;
	u->local = 1;
	conn_close(u->c, GW_R_SHUTDOWN, detail);
}

/**
 * upstream_drain(u, detail): move away from ${u} without cutting: GOAWAY
 * to the server, no new DATA on it, and each agent's channel moves to
 * another link once what it sent here is acknowledged.  The link closes
 * when it carries no channel, or after UP_DRAIN_TIME.
 */
void
upstream_drain(struct upstream *u, const char *detail)
{
	struct gw_frame g = { .type = GW_T_GOAWAY };
	struct agent **v;
	size_t n = 0, it = 0;
	void *a;

	if (u->state != UP_READY || chanmap_count(u->chans) == 0) {
		upstream_drop(u, detail);
		return;
	}
	if (u->draining)
		return;
	g.u.reason.code = GW_R_SHUTDOWN;
	g.u.reason.text.p = (const uint8_t *)detail;
	g.u.reason.text.len = (uint16_t)strnlen(detail, 200);
	(void)conn_send(u->c, &g);
	u->draining = 1;
	u->drain_until = ev_now(u->gw->loop) + UP_DRAIN_TIME;
	log_info("event=upstream_draining link=%s server=%s channels=%zu "
	    "detail=\"%s\"", upstream_name(u), upstream_addr(u),
	    chanmap_count(u->chans), detail);
	/* Collect, then act: moving agents changes the map. */
	if ((v = calloc(chanmap_count(u->chans), sizeof(*v))) == NULL) {
		upstream_drop(u, detail);
		return;
	}
	while (chanmap_next(u->chans, &it, &a) != 0)
		v[n++] = a;
	for (size_t i = 0; i < n; i++)
		agent_resume(v[i]);	/* moves once nothing is in flight */
	free(v);
}

/** upstream_draining(u): 1 while ${u} drains (upstream_drain). */
int
upstream_draining(const struct upstream *u)
{
	return u->draining;
}

/**
 * upstream_heartbeat(u, now): PING a silent READY link; close one silent
 * for too long (its server is hung).
 */
void
upstream_heartbeat(struct upstream *u, double now)
{
	struct gw_frame p = { .type = GW_T_PING };

	if (u->state != UP_READY)
		return;
	if (u->draining && (chanmap_count(u->chans) == 0 ||
	    now >= u->drain_until)) {
		upstream_drop(u, chanmap_count(u->chans) == 0 ? "drained" :
		    "drain time over");
		return;
	}
	switch (fo_hb_check(&u->hb, now, &u->gw->fo)) {
	case FO_HB_PING:
		p.u.ping.opaque = (uint64_t)(now * 1000);
		(void)conn_send(u->c, &p);	/* full output: traffic anyway */
		break;
	case FO_HB_DEAD:
		if (conn_input_pending(u->c))	/* we were late, not it */
			fo_hb_rx(&u->hb, now);
		else
			conn_close(u->c, GW_R_TIMEOUT, "heartbeat missed");
		break;
	case FO_HB_WAIT:
		break;
	}
}

/** upstream_state(u), upstream_server(u): state, server index (or -1). */
enum up_state
upstream_state(const struct upstream *u)
{
	return u->state;
}

int
upstream_server(const struct upstream *u)
{
	return u->srv;
}

/** upstream_renumber(u, srv): after a reload, ${u}'s server is ${srv}. */
void
upstream_renumber(struct upstream *u, int srv)
{
	u->srv = srv;
}

/** upstream_name(u): "0", "1", ... or "probe", for logs. */
const char *
upstream_name(const struct upstream *u)
{
	static const char *const names[] = { "0", "1", "2", "3", "4", "5",
	    "6", "7" };

	return u->is_probe ? "probe" : u->idx < 8 ? names[u->idx] : "?";
}

/** upstream_ready(gw): how many of the K links are READY. */
unsigned
upstream_ready(const struct gw *gw)
{
	unsigned n = 0;

	for (unsigned i = 0; i < gw->nup; i++)
		n += gw->up[i] != NULL && gw->up[i]->state == UP_READY;
	return n;
}

/**
 * upstream_pick(gw): the READY link with the fewest channels, or NULL if
 * none is ready.
 */
struct upstream *
upstream_pick(struct gw *gw)
{
	struct upstream *best = NULL;

	for (unsigned i = 0; i < gw->nup; i++) {
		/* Start at a rotating index so ties spread over the links. */
		struct upstream *u = gw->up[(gw->next_up + i) % gw->nup];

		if (u->state != UP_READY || u->srv != gw->active ||
		    u->draining)
			continue;
		if (best == NULL ||
		    chanmap_count(u->chans) < chanmap_count(best->chans))
			best = u;
	}
	gw->next_up++;
	/* The spare on the active server serves while no link is ready. */
	if (best == NULL && gw->probe != NULL && gw->probe->state == UP_READY &&
	    gw->probe->srv == gw->active && !gw->probe->draining)
		best = gw->probe;
	return best;
}

/**
 * upstream_send(u, f): send connection-level frame ${f} (ENROLL) on READY
 * link ${u}.  Return 0, or -1 if the link is not ready or has no room now.
 */
int
upstream_send(struct upstream *u, const struct gw_frame *f)
{
	if (u->state != UP_READY || conn_out_space(u->c) < UP_RESERVE)
		return -1;
	return conn_send(u->c, f) == 0 ? 0 : -1;
}

/** upstream_unwait(u, a): take agent ${a} off ${u}'s wait queue. */
void
upstream_unwait(struct upstream *u, struct agent *a)
{
	struct agent_link *l = agent_link(a);

	if (l->wait_up == u) {
		TAILQ_REMOVE(&u->waiters, l, wait);
		l->wait_up = NULL;
	}
}

static void
upstream_wait(struct upstream *u, struct agent *a)
{
	struct agent_link *l = agent_link(a);

	if (l->wait_up != u) {
		if (l->wait_up != NULL)
			upstream_unwait(l->wait_up, a);
		TAILQ_INSERT_TAIL(&u->waiters, l, wait);
		l->wait_up = u;
	}
	conn_notify_writable(u->c);
}

/**
 * upstream_open(u, a, id, chan): give agent ${a} a new channel on ${u} and
 * send OPEN with identity ${id}; the channel id goes to ${chan}.  Return 0,
 * GW_ENOSPACE if the link's output is full or control frames wait for room
 * (${a} is queued and resumed later with agent_resume), or -1 on failure.
 */
int
upstream_open(struct upstream *u, struct agent *a, const struct id_info *id,
    uint32_t *chan)
{
	struct gw_frame f = { .type = GW_T_OPEN };
	struct agent_link *l = agent_link(a);

	if (u->state != UP_READY || u->next_chan == 0)
		return -1;	/* 2^32 channels on one link: reconnect */
	if (upstream_owed_any(u->owed) ||
	    conn_out_space(u->c) < UP_RESERVE / 2) {
		upstream_wait(u, a);
		return GW_ENOSPACE;
	}
	f.channel = u->next_chan;
	id_view(id, &f.u.open);
	if (conn_send(u->c, &f) != 0) {
		upstream_wait(u, a);
		return GW_ENOSPACE;
	}
	if (chanmap_put(u->chans, f.channel, a) != 0)
		return -1;	/* the OPEN is answered, then ignored */
	u->next_chan++;
	u->frames_up++;
	l->up = u;
	l->chan = f.channel;
	*chan = f.channel;
	return 0;
}

/**
 * upstream_data(u, a, chan, seq, body, len): forward one DATA of agent ${a}
 * on channel ${chan}.  Return 0, or GW_ENOSPACE (${a} is queued and resumed
 * with agent_resume when space frees up).
 */
int
upstream_data(struct upstream *u, struct agent *a, uint32_t chan,
    uint64_t seq, const uint8_t *body, uint32_t len)
{
	struct gw_frame f = { .type = GW_T_DATA, .channel = chan };

	/* Keep the reserve for control frames; wait otherwise. */
	if (upstream_owed_any(u->owed) ||
	    conn_out_space(u->c) < UP_RESERVE + GW_HDR_LEN + 8 + len)
		goto wait;
	f.u.data.seq = seq;
	f.u.data.body.p = body;
	f.u.data.body.len = len;
	if (conn_send(u->c, &f) != 0)
		goto wait;
	u->frames_up++;
	stats_up(&u->gw->stats, len);
	return 0;
wait:
	upstream_wait(u, a);
	return GW_ENOSPACE;
}

/**
 * upstream_release(u, a, chan, reason, text): the agent on ${chan} is gone:
 * forget the channel, drop ${a} from the wait queue and send CLOSE (when
 * room comes if there is none now: never a reason to close the link).
 */
void
upstream_release(struct upstream *u, struct agent *a, uint32_t chan,
    unsigned reason, const char *text)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = chan };
	struct agent_link *l = agent_link(a);

	upstream_unwait(u, a);
	l->up = NULL;
	chanmap_del(u->chans, chan);
	if (u->state != UP_READY || u->c == NULL)
		return;
	f.u.reason.code = reason > GW_R_WIRE_LAST ? GW_R_NORMAL : reason;
	f.u.reason.text.p = (const uint8_t *)text;
	f.u.reason.text.len = (uint16_t)strnlen(text, 200);
	upstream_ctl(u, &f);
}
