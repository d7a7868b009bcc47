/*
 * session_env.c: conn.h and enroll.h for fuzz_session (see session_env.h):
 * connections without sockets or TLS that keep the real conn's contract,
 * and check what the gateway sends on them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "enroll.h"
#include "fuzz.h"
#include "session_env.h"

#define SESS_CHANS	256	/* channels tracked per link */
#define SESS_ENROLLS	8
#define SESS_ENC_MAX	(GW_HDR_LEN + 70000u)

/* A channel as the server sees it on one link. */
struct sess_chan {
	uint32_t	 id;
	int		 open;		/* OPENed, not CLOSEd */
	int		 answered;	/* OPEN_ACK delivered */
	uint64_t	 last_data;	/* newest DATA seq (0: none) */
	uint64_t	 acked;		/* newest ACK delivered */
};

struct conn {
	struct sess_conn_view	 v;
	const struct conn_ops	*ops;
	void			*arg;
	struct conn		**slot;
	int			 busy;		/* our callbacks on the stack */
	size_t			 room;		/* output bytes left; SIZE_MAX:
						   unlimited, 0: full */
	int			 want_writable;
	size_t			 out_cap, max_payload;
	const mbedtls_x509_crt	*peer_crt;
	struct sess_chan	 ch[SESS_CHANS];
	unsigned		 nch;
	int			 ch_overflow;	/* stop checking channels */
};

static struct conn *agents[SESS_AGENTS], *links[SESS_LINKS];
static const mbedtls_x509_crt *crt_good, *crt_bad;
static unsigned live;

static struct {
	enroll_cb	 cb;
	void		*arg;
} enrolls[SESS_ENROLLS];

void
sess_env_reset(void)
{
	FUZZ_CHECK(live == 0);
	memset(agents, 0, sizeof(agents));
	memset(links, 0, sizeof(links));
	memset(enrolls, 0, sizeof(enrolls));
}

void
sess_env_set_peer(const void *good, const void *bad)
{
	crt_good = good;
	crt_bad = bad;
}

struct conn *
sess_agent(unsigned i)
{
	return agents[i % SESS_AGENTS];
}

struct conn *
sess_link(unsigned i)
{
	return links[i % SESS_LINKS];
}

const struct sess_conn_view *
sess_view(const struct conn *c)
{
	return &c->v;
}

unsigned
sess_live(void)
{
	return live;
}

static struct conn *
sess_new(struct conn **slots, unsigned n, const struct conn_params *p,
    const struct conn_ops *ops, void *arg, int server)
{
	struct conn *c;

	for (unsigned i = 0; i < n; i++) {
		if (slots[i] != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		c->v.live = 1;
		c->v.server = server;
		c->v.state = server ? CONN_HANDSHAKE : CONN_CONNECTING;
		c->ops = ops;
		c->arg = arg;
		c->slot = &slots[i];
		c->out_cap = p->out_cap;
		c->room = SIZE_MAX;
		c->max_payload = p->max_payload;
		FUZZ_CHECK(p->in_cap >= p->max_payload + GW_HDR_LEN);
		slots[i] = c;
		live++;
		return c;
	}
	errno = ENOBUFS;
	return NULL;
}

/*
 * As conn.c, a closed conn (and its owner, ops->on_free) is freed only by
 * conn_reap, which the harness calls between operations: where the real
 * loop does, with no callback on the stack.
 */
void
conn_reap(void)
{
	struct conn **all[2] = { agents, links };
	unsigned n[2] = { SESS_AGENTS, SESS_LINKS };

	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < n[k]; i++) {
			struct conn *c = all[k][i];

			if (c == NULL || c->v.state != CONN_CLOSED)
				continue;
			FUZZ_CHECK(c->busy == 0);
			if (c->ops->on_free != NULL)
				c->ops->on_free(c->arg);
			*c->slot = NULL;
			c->v.live = 0;
			live--;
			free(c);
		}
}

static struct sess_chan *
sess_chan(struct conn *c, uint32_t id)
{
	for (unsigned i = 0; i < c->nch; i++)
		if (c->ch[i].id == id)
			return &c->ch[i];
	return NULL;
}

/* What the gateway sends upstream: channels opened once, DATA in order. */
static void
sess_check_up(struct conn *c, const struct gw_frame *f)
{
	struct sess_chan *ch;

	if (f->channel == 0 || c->ch_overflow)
		return;
	ch = sess_chan(c, f->channel);
	switch (f->type) {
	case GW_T_OPEN:
		FUZZ_CHECK(ch == NULL);		/* ids never reused */
		if (c->nch == SESS_CHANS) {
			c->ch_overflow = 1;
			return;
		}
		ch = &c->ch[c->nch++];
		memset(ch, 0, sizeof(*ch));
		ch->id = f->channel;
		ch->open = 1;
		break;
	case GW_T_DATA:
		FUZZ_CHECK(ch != NULL && ch->open);
		FUZZ_CHECK(f->u.data.seq > ch->last_data);
		ch->last_data = f->u.data.seq;
		break;
	case GW_T_CLOSE:
		FUZZ_CHECK(ch != NULL && ch->open);
		ch->open = 0;
		break;
	default:
		FUZZ_CHECK(0);		/* nothing else has a channel */
	}
}

/* What the gateway sends an agent: credit counted, one HELLO_ACK. */
static void
sess_check_down(struct conn *c, const struct gw_frame *f)
{
	FUZZ_CHECK(f->channel == 0);
	FUZZ_CHECK(f->type != GW_T_OPEN && f->type != GW_T_DATA);
	if (f->type == GW_T_HELLO_ACK) {
		FUZZ_CHECK(!c->v.hello_acked);
		c->v.hello_acked = 1;
	} else if (f->type == GW_T_CREDIT) {
		FUZZ_CHECK(c->v.hello_acked);
		c->v.credit_granted += f->u.credit.n;
	}
}

int
conn_send(struct conn *c, const struct gw_frame *f)
{
	static uint8_t a[SESS_ENC_MAX], b[SESS_ENC_MAX];
	struct gw_frame d;
	size_t used;
	int n, m;

	FUZZ_CHECK(c->v.live);
	n = gw_frame_encode(a, sizeof(a), f);
	if (n >= 0 && (c->v.state == CONN_CLOSED || (size_t)n > c->room)) {
		c->want_writable = 1;
		return GW_ENOSPACE;
	}
	if (n < 0)
		return n;
	if (c->room != SIZE_MAX)
		c->room -= (size_t)n;
	/* What the gateway sends decodes, and re-encodes to the same bytes. */
	FUZZ_CHECK(gw_frame_decode(a, (size_t)n, GW_PAYLOAD_HARD_MAX, &d,
	    &used) == GW_OK && used == (size_t)n);
	m = gw_frame_encode(b, sizeof(b), &d);
	FUZZ_CHECK(m == n && memcmp(a, b, (size_t)n) == 0);
	if (c->v.server)
		sess_check_down(c, &d);
	else
		sess_check_up(c, &d);
	return 0;
}

void
conn_notify_writable(struct conn *c)
{
	c->want_writable = 1;
}

size_t
conn_out_space(const struct conn *c)
{
	if (c->v.state == CONN_CLOSED)
		return 0;
	return c->room < c->out_cap ? c->room : c->out_cap;
}

size_t
conn_out_pending(const struct conn *c)
{
	(void)c;
	return 0;
}

int
conn_input_pending(const struct conn *c)
{
	(void)c;
	return 0;
}

void
conn_resume(struct conn *c)
{
	(void)c;
	FUZZ_CHECK(0);		/* no gateway owner pauses */
}

void
conn_timer(struct conn *c, double seconds)
{
	FUZZ_CHECK(c->v.live);
	c->v.timer_armed = seconds > 0;
}

void
conn_close(struct conn *c, unsigned reason, const char *detail)
{
	FUZZ_CHECK(c->v.live);
	if (c->v.state == CONN_CLOSED)
		return;
	/* No room is never a reason to close a link: control frames wait. */
	FUZZ_CHECK(c->v.server || reason != GW_R_OVERLOAD);
	c->v.state = CONN_CLOSED;
	c->busy++;
	c->ops->on_close(c, reason, detail, c->arg);
	c->busy--;
}

enum conn_state
conn_state(const struct conn *c)
{
	FUZZ_CHECK(c->v.live);
	return c->v.state;
}

const char *
conn_state_str(enum conn_state s)
{
	return s == CONN_OPEN ? "open" : "other";
}

const char *
conn_peer(const struct conn *c)
{
	(void)c;
	return "192.0.2.1:4000";
}

const mbedtls_x509_crt *
conn_peer_crt(const struct conn *c)
{
	return c->v.state == CONN_OPEN ? c->peer_crt : NULL;
}

const uint8_t *
conn_peer_der(const struct conn *c, size_t *len)
{
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	*len = crt != NULL ? crt->raw.len : 0;
	return crt != NULL ? crt->raw.p : NULL;
}

const char *
conn_tls_info(const struct conn *c)
{
	(void)c;
	return "fuzz";
}

int
conn_resumed(const struct conn *c)
{
	(void)c;
	return 0;
}

void
conn_set_arg(struct conn *c, void *arg)
{
	c->arg = arg;
}

struct conn *
conn_accept(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)fd;
	(void)tc;
	return sess_new(agents, SESS_AGENTS, p, ops, arg, 1);
}

struct conn *
conn_connect(struct ev_loop *loop, const char *addr,
    const struct tls_conf *tc, const struct conn_params *p,
    const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)addr;
	(void)tc;
	return sess_new(links, SESS_LINKS, p, ops, arg, 0);
}

/* The harness's side: drive a conn as its socket and TLS would. */

void
sess_open(struct conn *c, int bad_name)
{
	int rc;

	if (c->v.state != CONN_HANDSHAKE && c->v.state != CONN_CONNECTING)
		return;
	c->v.state = CONN_OPEN;
	c->peer_crt = bad_name ? crt_bad : crt_good;
	c->busy++;
	rc = c->ops->on_open(c, c->arg);
	FUZZ_CHECK(rc == 0 || (rc == CONN_CLOSED_RC &&
	    c->v.state == CONN_CLOSED));
	c->busy--;
}

void
sess_frame(struct conn *c, const struct gw_frame *f)
{
	int rc, data = f->type == GW_T_DATA;

	if (c->v.state != CONN_OPEN)
		return;
	c->busy++;
	rc = c->ops->on_frame(c, f, c->arg);
	FUZZ_CHECK(rc == CONN_OK || (rc == CONN_CLOSED_RC &&
	    c->v.state == CONN_CLOSED));
	if (c->v.server && data && c->v.state == CONN_OPEN) {
		/* DATA taken: the gateway had granted credit for it. */
		c->v.data_taken++;
		FUZZ_CHECK(c->v.data_taken <= c->v.credit_granted);
	}
	c->busy--;
}

size_t
sess_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f, e = { .type = GW_T_ERROR };
	size_t used;
	int rc;

	rc = gw_frame_decode(buf, len, c->max_payload, &f, &used);
	if (rc == GW_ENEED)
		return 0;
	if (rc != GW_OK) {
		/* As conn.c: tell the peer why, close this conn alone. */
		if (c->v.state == CONN_OPEN) {
			e.u.reason.code = rc == GW_PERR_LEN_TOO_BIG ?
			    GW_R_TOO_BIG : GW_R_PROTOCOL;
			(void)conn_send(c, &e);
			conn_close(c, e.u.reason.code, "bad frame");
		}
		return len < GW_HDR_LEN ? len : GW_HDR_LEN;
	}
	sess_frame(c, &f);
	return used;
}

void
sess_full(struct conn *c, unsigned sel)
{
	if (c->v.state != CONN_OPEN)
		return;
	if (c->room != 0) {
		c->room = 0;
		return;
	}
	/* Drained: all of it, or just a little (it may fill up again). */
	c->room = sel >= 63 ? SIZE_MAX : (sel + 1) * 64;
	if (!c->want_writable || c->ops->on_writable == NULL)
		return;
	c->want_writable = 0;
	c->busy++;
	c->ops->on_writable(c, c->arg);
	c->busy--;
}

void
sess_timer(struct conn *c)
{
	if (!c->v.timer_armed || c->v.state == CONN_CLOSED)
		return;
	c->v.timer_armed = 0;
	c->busy++;
	if (c->ops->on_timeout != NULL)
		c->ops->on_timeout(c, c->arg);
	else
		conn_close(c, GW_R_TIMEOUT, "timeout");
	c->busy--;
}

void
sess_eof(struct conn *c)
{
	conn_close(c, GW_R_PEER_CLOSED, "peer closed");
}

void
sess_link_channels(struct conn *c, int acks, uint64_t last_seq)
{
	unsigned n = c->nch;

	c->busy++;
	for (unsigned i = 0; i < n && c->v.state == CONN_OPEN; i++) {
		struct sess_chan *ch = &c->ch[i];
		struct gw_frame f = { .channel = ch->id };

		if (!ch->open)
			continue;
		if (!acks && !ch->answered) {
			ch->answered = 1;
			f.type = GW_T_OPEN_ACK;
			f.u.ack.seq = last_seq;
		} else if (acks && ch->answered && ch->last_data > ch->acked) {
			ch->acked = ch->last_data;
			f.type = GW_T_ACK;
			f.u.ack.seq = ch->last_data;
		} else
			continue;
		sess_frame(c, &f);
	}
	c->busy--;
}

/* enroll.h: renewals wait here until the harness answers them. */

void
enroll_submit(struct gw *gw, const struct gw_enroll *req, const char *name,
    enroll_cb cb, void *arg)
{
	struct gw_enroll_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	(void)gw;
	(void)name;
	FUZZ_CHECK(req->client_cert.len > 0 && req->token.len == 0);
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb == NULL) {
			enrolls[i].cb = cb;
			enrolls[i].arg = arg;
			return;
		}
	cb(&r, arg);		/* as enroll.c when its table is full */
}

void
enroll_cancel(struct gw *gw, void *arg)
{
	(void)gw;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].arg == arg)
			enrolls[i].cb = NULL, enrolls[i].arg = NULL;
}

void
sess_enroll_answer(unsigned status)
{
	static const uint8_t chain[] = "-----BEGIN CERTIFICATE-----\n";
	struct gw_enroll_result r = { .status = (uint16_t)(status % 3),
	    .reason = GW_R_DENIED, .retry_after = 5 };

	r.chain.p = chain;
	r.chain.len = sizeof(chain) - 1;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb != NULL) {
			enroll_cb cb = enrolls[i].cb;
			void *arg = enrolls[i].arg;

			enrolls[i].cb = NULL;
			enrolls[i].arg = NULL;
			cb(&r, arg);
			return;
		}
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
