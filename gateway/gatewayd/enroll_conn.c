/*
 * enroll_conn.c: the enrollment listener's connections (enroll_conn.h).
 * Nothing here trusts the peer: it has no certificate; every request it
 * makes is checked by enroll.c and decided by the signing authority.
 * Limits: enroll_max_clients connections, one request at a time each,
 * hello_timeout for the handshake and HELLO, idle_timeout between
 * requests, [enroll] timeout for an answer (enroll.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "enroll.h"
#include "enroll_conn.h"
#include "log.h"

#define EC_MAGIC	0x456e436eu	/* "EnCn" */
#define EC_IO_CAP	(32u * 1024)
#define EC_MAX_PAYLOAD	16384u
#define EC_IDLE		60.0		/* between requests */
#define EC_MAX_REQUESTS	16		/* then the agent reconnects */

struct enroll_conn {
	unsigned		 magic;
	enum enroll_conn_state	 state;
	struct gw		*gw;
	struct conn		*c;
	uint32_t		 ref;		/* the agent's, echoed */
	unsigned		 requests;
	struct enroll_conn	*next, **prevp;	/* on the part's list */
};

/* enroll_conn.c's part of struct gw (gw->enroll_conns). */
struct enroll_conn_all {
	unsigned		 n;		/* connections that exist */
	struct enroll_conn	*list;		/* all of them */
};

static const char *
enroll_conn_state_str(enum enroll_conn_state s)
{
	static const char *const names[] = {
		"handshake", "hello-wait", "ready", "waiting", "closed"
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ${arg} of a callback: a live enrollment connection, or abort. */
static struct enroll_conn *
enroll_conn_of(void *arg)
{
	struct enroll_conn *ec = arg;

	if (ec == NULL || ec->magic != EC_MAGIC) {
		log_errx("event=bug detail=\"enroll_conn callback: bad "
		    "object\"");
		abort();
	}
	return ec;
}

/* The one assignment of ec->state (its first, EC_HANDSHAKE, is calloc's). */
static void
enroll_conn_set_state(struct enroll_conn *ec, enum enroll_conn_state s)
{
	log_debug("event=enroll_conn_state peer=%s from=%s to=%s",
	    ec->c != NULL ? conn_peer(ec->c) : "-",
	    enroll_conn_state_str(ec->state),
	    enroll_conn_state_str(s));
	ec->state = s;
}

/* The one exit: ERROR (best effort) and close. */
static void
enroll_conn_close(struct enroll_conn *ec, unsigned reason, const char *detail)
{
	conn_close_error(ec->c, reason, "%s", detail);
}

static int
enroll_conn_on_open(struct conn *c, void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);

	ec->c = c;
	enroll_conn_set_state(ec, EC_HELLO_WAIT);
	conn_timer(c, ec->gw->cfg->hello_timeout);
	return 0;
}

/* The answer to the outstanding request. */
static void
enroll_conn_answer(const struct gw_enroll_result *res, void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };
	char er[LOG_ESC_MAX];	/* the authority's request id, escaped */
	char em[LOG_ESC_MAX];	/* its message (a refusal's cause), escaped */

	f.u.enroll_result = *res;
	f.u.enroll_result.ref = ec->ref;
	stats_enroll(&ec->gw->stats, res->status);
	log_info("event=enroll_answer peer=%s status=%s reason=%s "
	    "rid=%s detail=\"%s\"", conn_peer(ec->c),
	    gw_enroll_status_str(res->status),
	    res->status == GW_ENROLL_REFUSED ?
	    gw_reason_str(res->reason) : "-", log_esc(er, sizeof(er),
	    res->request_id.p, res->request_id.len, LOG_ESC_BARE),
	    log_esc(em, sizeof(em), res->message.p, res->message.len, 0));
	enroll_conn_set_state(ec, EC_READY);
	conn_timer(ec->c, EC_IDLE);
	if (conn_send(ec->c, &f) != 0)
		enroll_conn_close(ec, GW_R_INTERNAL, "cannot queue the answer");
	else if (ec->requests >= EC_MAX_REQUESTS)
		/* The connection rate limit also bounds the request rate. */
		enroll_conn_close(ec, GW_R_NORMAL, "request limit per connection");
}

static int
enroll_conn_hello(struct enroll_conn *ec, const struct gw_frame *f)
{
	struct gw_frame a = { .type = GW_T_HELLO_ACK };

	if (f->type != GW_T_HELLO) {
		enroll_conn_close(ec, GW_R_UNEXPECTED,
		    "first frame must be HELLO");
		return CONN_CLOSED_RC;
	}
	if (f->u.hello.vmin > GW_PROTO_VERSION_MAX ||
	    f->u.hello.vmax < GW_PROTO_VERSION_MIN) {
		enroll_conn_close(ec, GW_R_VERSION,
		    "no common protocol version");
		return CONN_CLOSED_RC;
	}
	a.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	a.u.hello_ack.max_payload = EC_MAX_PAYLOAD;
	if (conn_send(ec->c, &a) != 0) {
		enroll_conn_close(ec, GW_R_INTERNAL, "cannot queue HELLO_ACK");
		return CONN_CLOSED_RC;
	}
	enroll_conn_set_state(ec, EC_READY);
	conn_timer(ec->c, EC_IDLE);
	return CONN_OK;
}

static int
enroll_conn_request(struct enroll_conn *ec, const struct gw_frame *f)
{
	struct gw_enroll req = f->u.enroll;

	if (ec->state != EC_READY) {
		enroll_conn_close(ec, GW_R_UNEXPECTED,
		    "one enrollment request at a time");
		return CONN_CLOSED_RC;
	}
	/* What the gateway attests is the gateway's to fill in. */
	req.source.p = (const uint8_t *)conn_peer(ec->c);
	req.source.len = (uint16_t)strlen(conn_peer(ec->c));
	req.client_cert.p = NULL;
	req.client_cert.len = 0;
	ec->ref = f->u.enroll.ref;
	ec->requests++;
	enroll_conn_set_state(ec, EC_WAITING);
	conn_timer(ec->c, 0);
	log_info("event=enroll_request peer=%s kind=%s", conn_peer(ec->c),
	    req.csr.len == 0 ? "poll" : req.token.len ? "token" : "pending");
	enroll_submit(ec->gw, &req, NULL, enroll_conn_answer, ec);
	return conn_state(ec->c) == CONN_CLOSED ? CONN_CLOSED_RC : CONN_OK;
}

static int
enroll_conn_on_frame(struct conn *c, const struct gw_frame *f, void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);
	char text[128];

	if (ec->state == EC_HELLO_WAIT)
		return enroll_conn_hello(ec, f);
	if (f->type >= GW_T_EXT_FIRST)
		return CONN_OK;
	switch (f->type) {
	case GW_T_ENROLL:
		return enroll_conn_request(ec, f);
	case GW_T_PING: {
		struct gw_frame p = { .type = GW_T_PONG };

		p.u.ping.opaque = f->u.ping.opaque;
		if (conn_send(c, &p) == 0)
			return CONN_OK;
		enroll_conn_close(ec, GW_R_OVERLOAD, "peer does not read");
		return CONN_CLOSED_RC;
	}
	case GW_T_PONG:
		return CONN_OK;
	case GW_T_GOAWAY:
	case GW_T_ERROR:
		enroll_conn_close(ec, GW_R_NORMAL, "agent is going away");
		return CONN_CLOSED_RC;
	default:
		break;
	}
	snprintf(text, sizeof(text), "unexpected %s on the enrollment port",
	    gw_type_str(f->type));
	enroll_conn_close(ec, GW_R_UNEXPECTED, text);
	return CONN_CLOSED_RC;
}

static void
enroll_conn_on_timeout(struct conn *c, void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);

	(void)c;
	enroll_conn_close(ec, GW_R_TIMEOUT, ec->state == EC_HANDSHAKE ?
	    "TLS handshake too slow" : ec->state == EC_HELLO_WAIT ?
	    "no HELLO in time" : "idle");
}

static void
enroll_conn_on_close(struct conn *c, unsigned reason, const char *detail,
    void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);
	struct gw *gw = ec->gw;
	char ed[LOG_ESC_MAX];

	if (ec->state == EC_WAITING)
		enroll_cancel(gw, ec);
	log_esc(ed, sizeof(ed), detail, LOG_ESC_STR, 0);
	if (ec->state == EC_HANDSHAKE)
		log_info("event=enroll_conn_refused peer=%s reason=%s "
		    "detail=\"%s\"", conn_peer(c), gw_reason_str(reason),
		    ed);
	else
		log_debug("event=enroll_conn_closed peer=%s reason=%s "
		    "detail=\"%s\" requests=%u", conn_peer(c),
		    gw_reason_str(reason), ed, ec->requests);
	enroll_conn_set_state(ec, EC_CLOSED);
	gw->enroll_conns->n--;
	if ((*ec->prevp = ec->next) != NULL)
		ec->next->prevp = ec->prevp;
}

/* No call of ${arg} is on the stack any more (conn.h): free it. */
static void
enroll_conn_on_free(void *arg)
{
	struct enroll_conn *ec = enroll_conn_of(arg);

	ec->magic = 0;
	free(ec);
}

static const struct conn_ops enroll_conn_ops = {
	.on_open = enroll_conn_on_open,
	.on_frame = enroll_conn_on_frame,
	.on_timeout = enroll_conn_on_timeout,
	.on_close = enroll_conn_on_close,
	.on_free = enroll_conn_on_free,
};

/** enroll_conn_accept(gw, fd): start a connection on accepted ${fd}. */
void
enroll_conn_accept(struct gw *gw, int fd)
{
	struct conn_params p = {
		.in_cap = EC_IO_CAP,
		.out_cap = EC_IO_CAP,
		.max_payload = EC_MAX_PAYLOAD,
	};
	struct enroll_conn_all *ea = gw->enroll_conns;
	struct enroll_conn *ec;

	if ((ec = calloc(1, sizeof(*ec))) == NULL) {
		close(fd);
		return;
	}
	ec->magic = EC_MAGIC;	/* state: EC_HANDSHAKE (0), from calloc */
	ec->gw = gw;
	ea->n++;
	if ((ec->next = ea->list) != NULL)
		ec->next->prevp = &ec->next;
	ea->list = ec;
	ec->prevp = &ea->list;
	if ((ec->c = conn_accept(gw->loop, fd, gw->enroll_tls, &p,
	    &enroll_conn_ops, ec)) == NULL) {
		ea->n--;
		ea->list = ec->next;
		if (ec->next != NULL)
			ec->next->prevp = &ea->list;
		free(ec);
		return;
	}
	if (ec->state == EC_HANDSHAKE)
		conn_timer(ec->c, gw->cfg->handshake_timeout);
}

/** enroll_conn_stop_all(gw): close every enrollment connection. */
void
enroll_conn_stop_all(struct gw *gw)
{
	if (gw->enroll_conns == NULL)
		return;		/* not built */
	while (gw->enroll_conns->list != NULL)
		enroll_conn_close(gw->enroll_conns->list, GW_R_SHUTDOWN,
		    "gateway stopping");
}

/**
 * enroll_conn_all_new(): the enrollment connections' part of a gateway,
 * with none; the caller keeps it as gw->enroll_conns.  NULL on ENOMEM.
 */
struct enroll_conn_all *
enroll_conn_all_new(void)
{
	return calloc(1, sizeof(struct enroll_conn_all));
}

/**
 * enroll_conn_all_free(ea): free ${ea} (every connection closed:
 * enroll_conn_stop_all); enroll_conn_all_free(NULL) is a no-op.
 */
void
enroll_conn_all_free(struct enroll_conn_all *ea)
{
	free(ea);
}

/**
 * enroll_conn_counter(gw): the number of enrollment connections that
 * exist, where it is kept (the listener's limit reads it there).
 */
const unsigned *
enroll_conn_counter(const struct gw *gw)
{
	return &gw->enroll_conns->n;
}
