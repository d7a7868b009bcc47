/*
 * downlink.c: one link from an inner gateway, server side (downlink.h).
 *
 *   HANDSHAKE --certificate ok--> HELLO_WAIT --HELLO, a link up--> READY
 *   any --conn_close--> CLOSED (downlink_on_close: its channels end)
 *
 * The inner gateway is authenticated as gw-mgmt authenticates a gateway
 * (gateway/mgmt/link.c): its certificate chains to [downstream] ca (TLS),
 * its CN matches [downstream] gateway_names, and it has serverAuth, so an
 * agent's certificate of the same CA cannot pass for a gateway's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <mbedtls/oid.h>

#include "agent.h"
#include "conn.h"
#include "downlink.h"
#include "identity.h"
#include "log.h"
#include "proto.h"
#include "relay.h"
#include "upstream.h"

#define DOWNLINK_MAGIC	0x446c6e6bu	/* "Dlnk" */
/* What we may queue toward an inner gateway (ACKs, COMMANDs). */
#define DOWNLINK_OUT_CAP	(1024u * 1024)

#define DOWNLINK_CUT_OFF_TEXT	"gateway cut off from its management servers"

enum downlink_state {
	DOWNLINK_HANDSHAKE,	/* calloc's: the first */
	DOWNLINK_HELLO_WAIT,
	DOWNLINK_READY,
	DOWNLINK_CLOSED
};

struct downlink {
	unsigned		 magic;
	enum downlink_state	 state;
	struct gw		*gw;
	struct conn		*c;
	struct id_info		 id;		/* the inner gateway */
	struct relay_set	*rs;		/* its channels (relay.c) */
	uint64_t		 frames_in;
	TAILQ_ENTRY(downlink)	 entry;
};

/* downlink.c's part of struct gw (gw->downlinks). */
struct downlink_all {
	unsigned		 n;		/* links that exist */
	unsigned		 relays;	/* relayed sessions (relay.c
						   counts them) */
	int			 cut_off;	/* downlink_cut_off */
	TAILQ_HEAD(, downlink)	 all;
};

static const char *
downlink_state_str(enum downlink_state s)
{
	static const char *const names[] = {
		"handshake", "hello-wait", "ready", "closed"
	};

	return (unsigned)s < 4 ? names[s] : "?";
}

static struct downlink *
downlink_of(void *arg)
{
	struct downlink *d = arg;

	if (d == NULL || d->magic != DOWNLINK_MAGIC)
		abort();
	return d;
}

/* The one place a link's state changes. */
static void
downlink_set_state(struct downlink *d, enum downlink_state s)
{
	log_debug("event=downlink_state gateway=%s from=%s to=%s",
	    d->id.name[0] ? d->id.name : "-", downlink_state_str(d->state),
	    downlink_state_str(s));
	d->state = s;
}

/**
 * downlink_all_new(): the downstream links' part of a gateway, none yet;
 * the caller keeps it as gw->downlinks.  NULL on ENOMEM.
 */
struct downlink_all *
downlink_all_new(void)
{
	struct downlink_all *da;

	if ((da = calloc(1, sizeof(*da))) == NULL)
		return NULL;
	TAILQ_INIT(&da->all);
	return da;
}

/**
 * downlink_all_free(da): free ${da} (every link closed: downlink_stop_all);
 * downlink_all_free(NULL) is a no-op.
 */
void
downlink_all_free(struct downlink_all *da)
{
	free(da);
}

/**
 * downlink_counter(gw): the count of downstream links (the listener's
 * max_links limit reads it).
 */
const unsigned *
downlink_counter(const struct gw *gw)
{
	return &gw->downlinks->n;
}

/** downlink_relays(gw): relayed sessions, on every downstream link. */
unsigned
downlink_relays(const struct gw *gw)
{
	return gw->downlinks != NULL ? gw->downlinks->relays : 0;
}

/* Is ${crt} a gateway's (serverAuth; no EKU at all is not one)? */
static int
downlink_is_gateway(const mbedtls_x509_crt *crt)
{
	return mbedtls_x509_crt_has_ext_type(crt,
	    MBEDTLS_X509_EXT_EXTENDED_KEY_USAGE) &&
	    mbedtls_x509_crt_check_extended_key_usage(crt,
	    MBEDTLS_OID_SERVER_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) == 0;
}

static int
downlink_on_open(struct conn *c, void *arg)
{
	struct downlink *d = downlink_of(arg);
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	d->c = c;	/* the handshake may end inside conn_accept */
	relay_set_conn(d->rs, c);
	if (crt == NULL || id_from_crt(crt, conn_peer(c), &d->id) != 0) {
		conn_close(c, GW_R_POLICY, "certificate has no usable name");
		return CONN_CLOSED_RC;
	}
	if (!id_policy_match(d->gw->cfg->down_gateway_names, d->id.name)) {
		conn_close(c, GW_R_POLICY, "name not allowed by [downstream] "
		    "gateway_names");
		return CONN_CLOSED_RC;
	}
	if (!downlink_is_gateway(crt)) {
		conn_close(c, GW_R_POLICY, "not a gateway certificate (no "
		    "serverAuth extended key usage: an agent's?)");
		return CONN_CLOSED_RC;
	}
	downlink_set_state(d, DOWNLINK_HELLO_WAIT);
	log_info("event=downlink_authenticated gateway=%s peer=%s fp=%s "
	    "tls=%s", d->id.name, conn_peer(c), d->id.fp_hex,
	    conn_tls_info(c));
	conn_timer(c, d->gw->cfg->hello_timeout);
	return CONN_OK;
}

/*
 * HELLO: answered HELLO_ACK only while the gateway has a ready upstream
 * link and is not cut off; else ERROR upstream-lost (the inner gateway
 * tries its next server).  So two gateways that are each other's upstream
 * never both come up.
 */
static int
downlink_hello(struct downlink *d, const struct gw_frame *f)
{
	struct gw_frame r = { .type = GW_T_HELLO_ACK };

	if (f->type != GW_T_HELLO) {
		conn_close_error(d->c, GW_R_UNEXPECTED,
		    "first frame must be HELLO");
		return CONN_CLOSED_RC;
	}
	if (f->u.hello.vmin > GW_PROTO_VERSION_MAX ||
	    f->u.hello.vmax < GW_PROTO_VERSION_MIN) {
		conn_close_error(d->c, GW_R_VERSION,
		    "no common protocol version");
		return CONN_CLOSED_RC;
	}
	if (d->gw->downlinks->cut_off || upstream_ready(d->gw) == 0) {
		conn_close_error(d->c, GW_R_UPSTREAM_LOST, "%s",
		    d->gw->downlinks->cut_off ? DOWNLINK_CUT_OFF_TEXT :
		    "no upstream link ready (nothing to relay to)");
		return CONN_CLOSED_RC;
	}
	r.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	r.u.hello_ack.caps = f->u.hello.caps & DOWNLINK_CAPS;
	r.u.hello_ack.max_payload = d->gw->cfg->max_payload;
	if (conn_send(d->c, &r) != 0) {
		conn_close(d->c, GW_R_INTERNAL, "cannot queue HELLO_ACK");
		return CONN_CLOSED_RC;
	}
	relay_set_agreed(d->rs, r.u.hello_ack.caps, f->u.hello.max_payload);
	conn_timer(d->c, d->gw->cfg->idle_timeout);
	downlink_set_state(d, DOWNLINK_READY);
	log_info("event=downlink_ready gateway=%s peer=%s caps=%#x",
	    d->id.name, conn_peer(d->c), r.u.hello_ack.caps);
	return CONN_OK;
}

/*
 * ENROLL from an inner gateway: relaying renewals is not done here; it is
 * refused (never a connection error: the link carries other agents).
 */
static int
downlink_enroll(struct downlink *d, const struct gw_frame *f)
{
	struct gw_frame r = { .type = GW_T_ENROLL_RESULT };

	r.u.enroll_result.ref = f->u.enroll.ref;
	r.u.enroll_result.status = GW_ENROLL_REFUSED;
	r.u.enroll_result.reason = GW_R_DENIED;
	r.u.enroll_result.message = gw_str_text("a relaying gateway forwards "
	    "no enrollment");
	(void)conn_send(d->c, &r);
	return CONN_OK;
}

/* A frame of channel 0 (the link's own) from a ready inner gateway. */
static int
downlink_control(struct downlink *d, const struct gw_frame *f)
{
	struct gw_frame r = { .type = GW_T_PONG };

	switch (f->type) {
	case GW_T_PING:
		r.u.ping.opaque = f->u.ping.opaque;
		if (conn_send(d->c, &r) != 0) {
			conn_close_error(d->c, GW_R_OVERLOAD,
			    "inner gateway does not read its frames");
			return CONN_CLOSED_RC;
		}
		return CONN_OK;
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_SEEN:
		return relay_seen(d->rs, f);
	case GW_T_ENROLL:
		return downlink_enroll(d, f);
	case GW_T_GOAWAY:
		log_info("event=downlink_goaway gateway=%s peer=%s "
		    "channels=%zu", d->id.name, conn_peer(d->c),
		    relay_count(d->rs));
		return CONN_OK;
	case GW_T_ERROR:
		conn_close(d->c, GW_R_PEER_CLOSED, "inner gateway sent ERROR");
		return CONN_CLOSED_RC;
	default:
		conn_close_error(d->c, GW_R_UNEXPECTED, "%s not valid from a "
		    "gateway on channel 0", gw_type_str(f->type));
		return CONN_CLOSED_RC;
	}
}

static int
downlink_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct downlink *d = downlink_of(arg);

	d->frames_in++;
	relay_reap(d->rs);	/* no call of a relay is on the stack */
	if (d->state == DOWNLINK_HELLO_WAIT)
		return downlink_hello(d, f);
	if (d->gw->cfg->idle_timeout > 0)
		conn_timer(c, d->gw->cfg->idle_timeout);
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;		/* extensions are ignored */
	if (f->channel == 0)
		return downlink_control(d, f);
	return relay_frame(d->rs, f);
}

static void
downlink_on_timeout(struct conn *c, void *arg)
{
	struct downlink *d = downlink_of(arg);

	conn_close_error(c, GW_R_TIMEOUT, "%s",
	    d->state == DOWNLINK_HANDSHAKE ? "TLS handshake too slow" :
	    d->state == DOWNLINK_HELLO_WAIT ? "no HELLO in time" :
	    "idle timeout");
}

static void
downlink_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct downlink *d = downlink_of(arg);
	enum downlink_state was = d->state;
	char eg[LOG_ESC_MAX], ed[LOG_ESC_MAX];
	size_t n;

	downlink_set_state(d, DOWNLINK_CLOSED);
	/* Its agents come back on the inner's next link: not their end. */
	n = relay_set_close(d->rs, GW_R_UPSTREAM_LOST, "inner gateway's "
	    "link closed");
	log_esc(eg, sizeof(eg), d->id.name, LOG_ESC_STR, LOG_ESC_BARE);
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (was == DOWNLINK_HANDSHAKE || reason == GW_R_POLICY ||
	    (was == DOWNLINK_HELLO_WAIT && reason == GW_R_UPSTREAM_LOST))
		log_warnx("event=downlink_refused peer=%s gateway=%s "
		    "reason=%s detail=\"%s\"", conn_peer(c),
		    d->id.name[0] ? eg : "-", gw_reason_str(reason), ed);
	else
		log_info("event=downlink_closed gateway=%s peer=%s reason=%s "
		    "detail=\"%s\" state=%s channels=%zu frames=%llu "
		    "ignored=%llu", eg, conn_peer(c), gw_reason_str(reason),
		    ed, downlink_state_str(was), n,
		    (unsigned long long)d->frames_in,
		    (unsigned long long)relay_ignored(d->rs));
	TAILQ_REMOVE(&d->gw->downlinks->all, d, entry);
	d->gw->downlinks->n--;
}

/* No call of ${arg} is on the stack any more (conn.h): free it. */
static void
downlink_on_free(void *arg)
{
	struct downlink *d = downlink_of(arg);

	relay_set_free(d->rs);
	d->magic = 0;
	free(d);
}

/* The output is written: the residence of the ACKs relayed in it ends. */
static void
downlink_on_flushed(struct conn *c, void *arg)
{
	struct downlink *d = downlink_of(arg);

	(void)c;
	if (d->rs != NULL)
		relay_set_flushed(d->rs);
}

static const struct conn_ops downlink_conn_ops = {
	.on_open = downlink_on_open,
	.on_frame = downlink_on_frame,
	.on_flushed = downlink_on_flushed,
	.on_timeout = downlink_on_timeout,
	.on_close = downlink_on_close,
	.on_free = downlink_on_free,
};

/** downlink_accept(gw, fd): start a downstream link on socket ${fd}. */
void
downlink_accept(struct gw *gw, int fd)
{
	const struct gw_config *cfg = gw->cfg;
	struct conn_params p = {
		.in_cap = (size_t)cfg->max_payload + GW_HDR_LEN + 65536,
		.out_cap = DOWNLINK_OUT_CAP,
		.max_payload = cfg->max_payload,
	};
	struct downlink *d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->rs = relay_set_new(gw, d->id.name, &gw->downlinks->relays,
	    agent_name_index(gw))) == NULL) {
		log_warnx("event=downlink_refused reason=overload "
		    "detail=\"out of memory\"");
		free(d);
		close(fd);
		return;
	}
	d->magic = DOWNLINK_MAGIC;	/* born DOWNLINK_HANDSHAKE */
	d->gw = gw;
	if ((d->c = conn_accept(gw->loop, fd, gw->down_tls, &p,
	    &downlink_conn_ops, d)) == NULL) {
		log_warnx("event=downlink_refused reason=overload "
		    "detail=\"cannot set up TLS\"");
		relay_set_free(d->rs);
		free(d);
		return;
	}
	relay_set_conn(d->rs, d->c);
	TAILQ_INSERT_TAIL(&gw->downlinks->all, d, entry);
	gw->downlinks->n++;
	conn_timer(d->c, cfg->handshake_timeout);
}

/*
 * GOAWAY ${reason} ${text} to every link past its handshake; if ${close},
 * close each with the same reason (an ERROR follows).
 */
static void
downlink_goaway_all(struct gw *gw, unsigned reason, const char *text,
    int close)
{
	struct gw_frame f = gw_frame_goaway(text);
	struct downlink *d, *next;

	f.u.reason.code = (uint16_t)reason;
	for (d = TAILQ_FIRST(&gw->downlinks->all); d != NULL; d = next) {
		next = TAILQ_NEXT(d, entry);
		if (d->state != DOWNLINK_READY)
			continue;
		(void)conn_send(d->c, &f);
		if (close)
			conn_close_error(d->c, reason, "%s", text);
	}
}

/**
 * downlink_cut_off(gw, on): the gateway is cut off (${on} 1) or has a
 * link again (0): when cut off, every downstream link past its handshake
 * gets GOAWAY upstream-lost and is closed with that reason; new HELLOs
 * get ERROR upstream-lost until a link is back.
 */
void
downlink_cut_off(struct gw *gw, int on)
{
	if (gw->downlinks == NULL)
		return;
	gw->downlinks->cut_off = on;
	if (on && !gw->draining && !gw->stopping)
		downlink_goaway_all(gw, GW_R_UPSTREAM_LOST,
		    DOWNLINK_CUT_OFF_TEXT, 1);
}

/**
 * downlink_drain_all(gw): SIGTERM: GOAWAY shutdown to every ready
 * downstream link (its gateway moves its channels elsewhere).
 */
void
downlink_drain_all(struct gw *gw)
{
	if (gw->downlinks != NULL)
		downlink_goaway_all(gw, GW_R_SHUTDOWN, "gateway draining", 0);
}

/**
 * downlink_stop_all(gw, reason, detail): close every downstream link with
 * ${reason}.
 */
void
downlink_stop_all(struct gw *gw, unsigned reason, const char *detail)
{
	struct downlink *d;

	if (gw->downlinks == NULL)
		return;
	while ((d = TAILQ_FIRST(&gw->downlinks->all)) != NULL)
		conn_close_error(d->c, reason, "%s", detail);
}
