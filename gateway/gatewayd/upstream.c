/*
 * upstream.c: a mutual-TLS link to a management server carrying many
 * channels.  States: IDLE -> CONNECTING -> HELLO_SENT -> READY (->
 * DRAINING), and back to IDLE through upstream_down(), the one place that
 * ends a link; its owner (servers.c, through struct upstream_ops) decides
 * which server a link connects to, and when.  The channels of a lost link
 * are lost with GW_R_UPSTREAM_LOST (struct upstream_chan_ops): they keep
 * their unacknowledged DATA and resend it on another link, so nothing is
 * lost.  A READY link is watched by heartbeats (upstream_heartbeat).
 * Control frames never fail a link: one that finds no room (CLOSE, PONG)
 * is owed and goes first when room comes (upstream_owed.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "upstream.h"
#include "upstream_impl.h"
#include "upstream_owed.h"

static void upstream_down(struct upstream *u, unsigned reason,
    const char *detail, enum fo_reason why);
const char *upstream_name(const struct upstream *u);

/** upstream_state_str(s): "idle", "connecting", ... */
const char *
upstream_state_str(enum up_state s)
{
	static const char *const names[] = {
		"idle", "connecting", "hello-sent", "ready", "draining",
		"stopped"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* The one place a link's state changes. */
static void
upstream_set_state(struct upstream *u, enum up_state s)
{
	log_debug("event=upstream_state link=%u from=%s to=%s", u->idx,
	    upstream_state_str(u->state), upstream_state_str(s));
	u->state = s;
}

/* ${arg} of a conn callback: a link, or abort. */
static struct upstream *
upstream_of(void *arg)
{
	struct upstream *u = arg;

	if (u == NULL || u->magic != UP_MAGIC)
		abort();
	return u;
}

/* Channels on ${u}, as the channel module counts them. */
static size_t
upstream_nchan(const struct upstream *u)
{
	return u->chops != NULL ? u->chops->count(u->chops_arg) : 0;
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
	struct upstream *u = upstream_of(arg);
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = GW_PROTO_VERSION_MIN;
	f.u.hello.vmax = GW_PROTO_VERSION_MAX;
	f.u.hello.caps = UP_CAPS;
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

/**
 * upstream_ctl(u, f): send control frame ${f} (PONG or CLOSE), or owe it
 * until room comes: a control frame never fails the link (only memory to
 * note it could).
 */
void
upstream_ctl(struct upstream *u, const struct gw_frame *f)
{
	if (upstream_owed_send(u->owed, u->c, f) != 0)
		conn_close(u->c, GW_R_INTERNAL, "out of memory");
}

/* The first frame: HELLO_ACK, and the link is READY. */
static int
upstream_hello_ack(struct upstream *u, struct conn *c,
    const struct gw_frame *f)
{
	if (f->type != GW_T_HELLO_ACK ||
	    f->u.hello_ack.version != GW_PROTO_VERSION_MAX) {
		conn_close(c, GW_R_VERSION, "bad HELLO_ACK");
		return CONN_CLOSED_RC;
	}
	/* Only what our HELLO offered is in use. */
	u->caps = f->u.hello_ack.caps & UP_CAPS;
	u->peer_max = f->u.hello_ack.max_payload;
	u->seen_at = ev_now(u->gw->loop) + u->gw->cfg->heartbeat;
	upstream_set_state(u, UP_READY);
	log_info("event=upstream_up link=%s server=%s tls=%s caps=%#x",
	    upstream_name(u), upstream_addr(u), conn_tls_info(c), u->caps);
	conn_timer(c, 0);
	fo_hb_start(&u->hb, ev_now(u->gw->loop));
	if (u->ops != NULL)
		u->ops->on_ready(u, u->ops_arg);
	return CONN_OK;
}

/* OPEN_ACK, ACK, COMMAND or CLOSE on channel f->channel: to its channel. */
static int
upstream_chan_frame(struct upstream *u, struct conn *c,
    const struct gw_frame *f)
{
	char text[128];

	/* ACKCREDIT is downstream only: our HELLO never offers it. */
	if (f->type == GW_T_ACK && f->u.ack.credit != 0) {
		conn_close(c, GW_R_PROTOCOL, "ACK with a credit on a link");
		return CONN_CLOSED_RC;
	}
	/* No store keeps such a seq: the server is broken. */
	if ((f->type == GW_T_OPEN_ACK || f->type == GW_T_ACK) &&
	    f->u.ack.seq > GW_SEQ_MAX) {
		snprintf(text, sizeof(text), "%s seq above 2^63-1",
		    gw_type_str(f->type));
		conn_close(c, GW_R_SEQUENCE, text);
		return CONN_CLOSED_RC;
	}
	/* No store numbers a command so (0: refused by the codec). */
	if (f->type == GW_T_COMMAND && f->u.data.seq > GW_SEQ_MAX) {
		conn_close(c, GW_R_SEQUENCE, "COMMAND id above 2^63-1");
		return CONN_CLOSED_RC;
	}
	/* A channel we already closed: a late frame, ignored up there. */
	if (u->chops == NULL || u->chops->on_frame(u, f, u->chops_arg) == 0)
		return CONN_OK;
	if (f->type == GW_T_ACK && u->ops != NULL)
		u->ops->on_ack_seen(u, u->ops_arg);
	return conn_state(c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
}

/* GOAWAY or ERROR from the server: the link ends. */
static int
upstream_bye(struct upstream *u, const struct gw_frame *f)
{
	char text[128];

	snprintf(text, sizeof(text), "server sent %s: %s: %.*s",
	    gw_type_str(f->type), gw_reason_str(f->u.reason.code),
	    (int)f->u.reason.text.len, (const char *)f->u.reason.text.p);
	if (f->type == GW_T_GOAWAY)
		upstream_down(u, GW_R_SHUTDOWN, text, FO_R_GOAWAY);
	else
		conn_close(u->c, f->u.reason.code, text);
	return CONN_CLOSED_RC;
}

static int
upstream_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct upstream *u = upstream_of(arg);
	struct gw_frame p = { .type = GW_T_PONG };
	char text[128];

	u->frames_down++;
	fo_hb_rx(&u->hb, ev_now(u->gw->loop));
	if (u->state == UP_HELLO_SENT)
		return upstream_hello_ack(u, c, f);
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;
	switch (f->type) {
	case GW_T_OPEN_ACK:
	case GW_T_ACK:
	case GW_T_COMMAND:
	case GW_T_CLOSE:
		if (f->channel == 0)
			break;
		return upstream_chan_frame(u, c, f);
	case GW_T_PING:
		p.u.ping.opaque = f->u.ping.opaque;
		upstream_ctl(u, &p);
		return conn_state(c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
	case GW_T_PONG:
		if (u->chops != NULL && u->chops->on_pong != NULL)
			u->chops->on_pong(u, f->u.ping.opaque, u->chops_arg);
		return conn_state(c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
	case GW_T_ENROLL_RESULT:
		if (u->ops != NULL)
			u->ops->on_enroll_result(u, f, u->ops_arg);
		return CONN_OK;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
		return upstream_bye(u, f);
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
	struct upstream *u = upstream_of(arg);

	(void)c;
	if (upstream_owed_flush(u->owed, u->c) != 0)
		return;		/* control frames first */
	if (u->chops != NULL)
		u->chops->on_room(u, u->chops_arg);
}

static void
upstream_on_timeout(struct conn *c, void *arg)
{
	struct upstream *u = upstream_of(arg);

	conn_close(c, GW_R_TIMEOUT, u->state == UP_CONNECTING ?
	    "connect/handshake timeout" : "HELLO_ACK timeout");
}

static void
upstream_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct upstream *u;

	(void)c;
	if (arg == NULL)	/* closed by upstream_down itself */
		return;
	u = upstream_of(arg);
	u->c = NULL;
	upstream_down(u, reason, detail, FO_R_CLOSED);
}

/* The output is written: the residence of the DATA in it ends (stats.h). */
static void
upstream_on_flushed(struct conn *c, void *arg)
{
	struct upstream *u = upstream_of(arg);

	(void)c;
	stats_flushed(&u->gw->stats, STATS_RES_DATA, u->pend,
	    STATS_LINK_RUNS, u->gw->loop);
}

static const struct conn_ops upstream_conn_ops = {
	.on_open = upstream_on_open,
	.on_frame = upstream_on_frame,
	.on_writable = upstream_on_writable,
	.on_flushed = upstream_on_flushed,
	.on_timeout = upstream_on_timeout,
	.on_close = upstream_on_close,
};

/* Idle link ${u} starts towards server ${srv}: CONNECTING, fresh. */
static void
upstream_begin(struct upstream *u, int srv)
{
	upstream_set_state(u, UP_CONNECTING);
	u->srv = srv;
	snprintf(u->addr, sizeof(u->addr), "%s", u->gw->cfg->servers[srv]);
	u->next_chan = 1;
	u->caps = 0;		/* until its HELLO_ACK */
	u->peer_max = 0;
	memset(u->pend, 0, sizeof(u->pend));	/* never written: not counted */
}

/**
 * upstream_conn_params(gw, p): the buffers and frame size of a link of
 * ${gw}, into ${p} (mode = accept: its connection is accepted elsewhere,
 * then adopted).
 */
void
upstream_conn_params(const struct gw *gw, struct conn_params *p)
{
	memset(p, 0, sizeof(*p));
	p->in_cap = UP_IN_CAP;
	p->out_cap = UP_OUT_CAP;
	p->max_payload = gw->cfg->max_payload;
}

/**
 * upstream_adopt(u, c, srv): idle link ${u} takes the connection ${c}
 * (made with upstream_conn_params) that server ${srv} dialed in, its TLS
 * handshake done and its certificate name checked (mode = accept).  From
 * here on it is a link like one upstream_connect made: HELLO sent, waiting
 * for HELLO_ACK (within connect_timeout); the result comes back through
 * on_ready / on_down.  Return 0, or -1 if ${c} was closed (${u} not idle,
 * or no room for HELLO: on_down told).
 */
int
upstream_adopt(struct upstream *u, struct conn *c, int srv)
{
	if (u->state != UP_IDLE) {
		conn_close(c, GW_R_INTERNAL, "link not idle");
		return -1;
	}
	upstream_begin(u, srv);
	u->c = c;
	conn_set_ops(c, &upstream_conn_ops, u);
	conn_timer(c, u->gw->cfg->connect_timeout);
	return upstream_on_open(c, u) == 0 ? 0 : -1;
}

/**
 * upstream_connect(u, srv): connect idle link ${u} to server ${srv}; the
 * result comes back through on_ready / on_down.
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
	upstream_begin(u, srv);
	u->c = conn_connect(u->gw->loop, cfg->servers[srv], u->gw->up_tls, &p,
	    &upstream_conn_ops, u);
	if (u->c == NULL) {
		upstream_down(u, GW_R_CONNECT, strerror(errno), FO_R_CLOSED);
		return;
	}
	conn_timer(u->c, cfg->connect_timeout);
}

/*
 * What a link's end says about its server (FO_R_NONE: nothing).  ${why}
 * is what the caller knows: FO_R_NONE (we dropped it), FO_R_GOAWAY (the
 * server said so), or FO_R_CLOSED (find out from ${reason}).
 */
static enum fo_reason
upstream_fo_reason(enum up_state was, unsigned reason, enum fo_reason why)
{
	if (why != FO_R_CLOSED || was == UP_STOPPED || was == UP_IDLE)
		return was == UP_STOPPED || was == UP_IDLE ? FO_R_NONE : why;
	switch (reason) {
	case GW_R_CONNECT:
		return FO_R_REFUSED;
	case GW_R_TIMEOUT:
		return was == UP_READY || was == UP_DRAINING ?
		    FO_R_HEARTBEAT : FO_R_CONNECT_TIMEOUT;
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

/* The log line of a link's end, by the state it ended in. */
static void
upstream_log_down(const struct upstream *u, enum up_state was,
    unsigned reason, const char *detail)
{
	char ed[LOG_ESC_MAX];	/* the server's ERROR text, escaped */

	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (was == UP_READY || was == UP_DRAINING || was == UP_HELLO_SENT)
		log_warnx("event=upstream_down link=%s server=%s reason=%s "
		    "detail=\"%s\" channels=%zu", upstream_name(u),
		    upstream_addr(u), gw_reason_str(reason), ed,
		    upstream_nchan(u));
	else if (was == UP_CONNECTING)
		log_warnx("event=upstream_connect_failed link=%s server=%s "
		    "reason=%s detail=\"%s\"", upstream_name(u),
		    upstream_addr(u), gw_reason_str(reason), ed);
}

/*
 * The one place a link ends: its channels are lost (upstream-lost), then
 * its owner is told (it reconnects or fails over).  ${why}: see
 * upstream_fo_reason.
 */
static void
upstream_down(struct upstream *u, unsigned reason, const char *detail,
    enum fo_reason why)
{
	enum up_state was = u->state;

	why = upstream_fo_reason(was, reason, why);
	if (u->c != NULL) {
		struct conn *c = u->c;

		u->c = NULL;
		conn_set_arg(c, NULL);
		conn_close(c, reason, detail);
	}
	upstream_log_down(u, was, reason, detail);
	if (was != UP_STOPPED)
		upstream_set_state(u, UP_IDLE);
	upstream_owed_clear(u->owed);	/* its channels end with it */
	if (u->chops != NULL)
		u->chops->on_lost(u, u->state == UP_STOPPED ? GW_R_SHUTDOWN :
		    GW_R_UPSTREAM_LOST, "management server link lost",
		    u->chops_arg);
	if (u->ops != NULL)
		u->ops->on_down(u, why, u->ops_arg);
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
	if ((u->owed = upstream_owed_new()) == NULL) {
		free(u);
		return NULL;
	}
	u->magic = UP_MAGIC;	/* born UP_IDLE (zeroed) */
	u->idx = idx;
	u->is_probe = probe;
	u->srv = -1;
	u->addr[0] = '-';
	if (probe)
		snprintf(u->name, sizeof(u->name), "probe");
	else
		snprintf(u->name, sizeof(u->name), "%u", idx);
	u->gw = gw;
	return u;
}

/**
 * upstream_set_ops(u, ops, arg): ${u} tells its fate to ${ops} with
 * ${arg} from now on.
 */
void
upstream_set_ops(struct upstream *u, const struct upstream_ops *ops,
    void *arg)
{
	u->ops = ops;
	u->ops_arg = arg;
}

/**
 * upstream_set_chan_ops(u, ops, arg): ${u} tells its channels' events to
 * ${ops} with ${arg} from now on.
 */
void
upstream_set_chan_ops(struct upstream *u,
    const struct upstream_chan_ops *ops, void *arg)
{
	u->chops = ops;
	u->chops_arg = arg;
}

/** upstream_chan_arg(u): the ${arg} of upstream_set_chan_ops, or NULL. */
void *
upstream_chan_arg(const struct upstream *u)
{
	return u->chops_arg;
}

/** upstream_free(u): close ${u} for good; upstream_free(NULL) is a no-op. */
void
upstream_free(struct upstream *u)
{
	struct gw_frame g = gw_frame_goaway("gateway stopping");

	if (u == NULL)
		return;
	if (upstream_live(u))
		(void)conn_send(u->c, &g);	/* flushed by the close */
	upstream_set_state(u, UP_STOPPED);
	upstream_down(u, GW_R_SHUTDOWN, "gateway stopping", FO_R_NONE);
	if (!u->is_probe)
		log_info("event=upstream_stats link=%u frames_up=%llu "
		    "frames_down=%llu", u->idx,
		    (unsigned long long)u->frames_up,
		    (unsigned long long)u->frames_down);
	if (u->chops != NULL)
		u->chops->on_free(u->chops_arg);
	upstream_owed_free(u->owed);
	u->magic = 0;
	free(u);
}

/**
 * upstream_drop(u, detail): close ${u} on our own decision (failover,
 * fail-back): its server is not blamed.  Its channels are lost
 * (upstream-lost) and come back on another link.
 */
void
upstream_drop(struct upstream *u, const char *detail)
{
	if (u->c == NULL)
		return;
	upstream_down(u, GW_R_SHUTDOWN, detail, FO_R_NONE);
}

/**
 * upstream_drain(u, detail): move away from ${u} without cutting: GOAWAY
 * to the server, no new DATA on it, and each channel moves to another
 * link once what it sent here is acknowledged.  The link closes when it
 * carries no channel, or after UP_DRAIN_TIME.
 */
void
upstream_drain(struct upstream *u, const char *detail)
{
	struct gw_frame g = gw_frame_goaway(detail);

	if (!upstream_live(u) || upstream_nchan(u) == 0) {
		upstream_drop(u, detail);
		return;
	}
	if (u->state == UP_DRAINING)
		return;
	(void)conn_send(u->c, &g);
	upstream_set_state(u, UP_DRAINING);
	u->drain_until = ev_now(u->gw->loop) + UP_DRAIN_TIME;
	log_info("event=upstream_draining link=%s server=%s channels=%zu "
	    "detail=\"%s\"", upstream_name(u), upstream_addr(u),
	    upstream_nchan(u), detail);
	u->chops->on_drain(u, u->chops_arg);	/* moves once ACKed */
}

/** upstream_draining(u): 1 while ${u} drains (upstream_drain). */
int
upstream_draining(const struct upstream *u)
{
	return u->state == UP_DRAINING;
}

/*
 * FLEET: every [gateway] heartbeat (the agents' PING interval) a live
 * link's channels say which of them were heard (on_seen).
 */
static void
upstream_seen_due(struct upstream *u, double now)
{
	if (!upstream_live(u) || !(u->caps & GW_CAP_FLEET) ||
	    now < u->seen_at || u->chops == NULL)
		return;
	u->seen_at = now + u->gw->cfg->heartbeat;
	u->chops->on_seen(u, u->chops_arg);
}

/**
 * upstream_heartbeat(u, now, fo): PING a silent READY link; close one
 * silent for too long (its server is hung), by the timings of ${fo}.
 */
void
upstream_heartbeat(struct upstream *u, double now,
    const struct fo_policy *fo)
{
	struct gw_frame p = { .type = GW_T_PING };

	if (!upstream_live(u))
		return;
	if (u->state == UP_DRAINING && (upstream_nchan(u) == 0 ||
	    now >= u->drain_until)) {
		upstream_drop(u, upstream_nchan(u) == 0 ? "drained" :
		    "drain time over");
		return;
	}
	switch (fo_hb_check(&u->hb, now, fo)) {
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
	upstream_seen_due(u, now);
}

/**
 * upstream_caps(u): the capabilities ${u}'s HELLO_ACK agreed (0 before
 * it).
 */
uint32_t
upstream_caps(const struct upstream *u)
{
	return u->caps;
}

/**
 * upstream_state(u), upstream_server(u): state (a draining link is READY:
 * upstream_draining tells), server index (or -1).
 */
enum up_state
upstream_state(const struct upstream *u)
{
	return u->state == UP_DRAINING ? UP_READY : u->state;
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
	return u->name;
}

/** upstream_ready(gw): how many of the K links are READY. */
unsigned
upstream_ready(const struct gw *gw)
{
	unsigned n = 0;

	for (unsigned i = 0; i < gw->nup; i++)
		n += gw->up[i] != NULL && upstream_live(gw->up[i]);
	return n;
}

/**
 * upstream_pick(up, n, first, srv): of the ${n} links ${up}, the READY one
 * (not draining) to server ${srv} with the fewest channels, looked at from
 * index ${first} on (modulo ${n}) so that ties spread over the links; NULL
 * if none.
 */
struct upstream *
upstream_pick(struct upstream *const *up, unsigned n, unsigned first,
    int srv)
{
	struct upstream *best = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct upstream *u = up[(first + i) % n];

		if (u->state != UP_READY || u->srv != srv)
			continue;
		if (best == NULL || upstream_nchan(u) < upstream_nchan(best))
			best = u;
	}
	return best;
}
