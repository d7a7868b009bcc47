/*
 * fake_conn.c: conn.h without sockets or TLS, for the harnesses that run
 * an owner's session code (see fake_conn.h): the conn_* calls of the
 * owner, and the fake_conn_* calls by which the harness plays the socket
 * and the peer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "fake_conn.h"
#include "support_check.h"

#define FC_ENC_MAX	(GW_HDR_LEN + 70000u)
#define FC_ALIGN	_Alignof(max_align_t)

struct conn {
	int			 live;
	int			 side;		/* 0: accepted, 1: connected */
	unsigned		 slot;
	enum conn_state		 state;
	int			 timer_armed;
	const struct conn_ops	*ops;
	void			*arg;
	int			 busy;		/* our callbacks on the stack */
	size_t			 room;		/* SIZE_MAX: any; 0: full */
	int			 bounded;	/* fake_conn_bounded */
	size_t			 pending;	/* ... bytes in the output */
	int			 want_writable;
	size_t			 out_cap, max_payload;
	const mbedtls_x509_crt	*peer_crt;
	int			 paused;	/* on_frame said CONN_PAUSE */
	int			 resumed;	/* conn_resume: loop reads */
	uint8_t			*q;		/* frames not read yet */
	size_t			 qlen;
	_Alignas(max_align_t) unsigned char data[];	/* the env's, then q */
};

static const struct fake_conn_env *env;
static struct conn *slots[2][FAKE_CONN_SLOTS];
static unsigned live;

void
fake_conn_reset(const struct fake_conn_env *e)
{
	SUPPORT_CHECK(live == 0);
	SUPPORT_CHECK(e->accepts <= FAKE_CONN_SLOTS &&
	    e->connects <= FAKE_CONN_SLOTS);
	memset(slots, 0, sizeof(slots));
	env = e;
}

unsigned
fake_conn_live(void)
{
	return live;
}

struct conn *
fake_conn_accepted(unsigned i)
{
	return env->accepts > 0 ? slots[0][i % env->accepts] : NULL;
}

struct conn *
fake_conn_connected(unsigned i)
{
	return env->connects > 0 ? slots[1][i % env->connects] : NULL;
}

unsigned
fake_conn_slot(const struct conn *c)
{
	return c->slot;
}

int
fake_conn_is_accepted(const struct conn *c)
{
	return c->side == 0;
}

void *
fake_conn_data(const struct conn *c)
{
	SUPPORT_CHECK(c->live);
	return (void *)c->data;
}

const mbedtls_x509_crt *
fake_conn_crt(const struct conn *c)
{
	return c->peer_crt;
}

static struct conn *
fc_new(int side, const struct conn_params *p, const struct conn_ops *ops,
    void *arg)
{
	unsigned n = side == 0 ? env->accepts : env->connects;
	size_t data = (env->data_size + FC_ALIGN - 1) / FC_ALIGN * FC_ALIGN;
	struct conn *c;

	for (unsigned i = 0; i < n; i++) {
		if (slots[side][i] != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c) + data + env->queue_cap)) ==
		    NULL)
			return NULL;
		c->live = 1;
		c->side = side;
		c->slot = i;
		c->state = side == 0 ? CONN_HANDSHAKE : CONN_CONNECTING;
		c->ops = ops;
		c->arg = arg;
		c->out_cap = p->out_cap;
		c->room = SIZE_MAX;
		c->max_payload = p->max_payload;
		c->q = c->data + data;
		SUPPORT_CHECK(p->in_cap >= p->max_payload + GW_HDR_LEN);
		slots[side][i] = c;
		live++;
		if (env->made != NULL)
			env->made(c);
		return c;
	}
	errno = ENOBUFS;
	return NULL;
}

/*
 * As conn.c, a closed conn (and its owner, ops->on_free) is freed only by
 * conn_reap, which the harness calls between operations, where the real
 * loop does (before it waits): after a callback, only check the contract.
 */
static void
fc_release(struct conn *c)
{
	SUPPORT_CHECK(c->busy >= 0);
}

void
conn_reap(void)
{
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < FAKE_CONN_SLOTS; i++) {
			struct conn *c = slots[k][i];

			if (c == NULL || c->state != CONN_CLOSED)
				continue;
			SUPPORT_CHECK(c->busy == 0);
			if (c->ops->on_free != NULL)
				c->ops->on_free(c->arg);
			slots[k][i] = NULL;
			c->live = 0;
			live--;
			free(c);
		}
}

/* Send ${f} on ${c}; ${owner}: the owner's, which env->sent checks. */
static int
fc_send(struct conn *c, const struct gw_frame *f, int owner)
{
	static uint8_t a[FC_ENC_MAX], b[FC_ENC_MAX];
	struct gw_frame d;
	size_t used;
	int n, m, fits;

	SUPPORT_CHECK(c->live);
	if ((n = gw_frame_encode(a, sizeof(a), f)) < 0)
		return n;
	/* What the owner sends decodes, and re-encodes to the same bytes. */
	SUPPORT_CHECK(gw_frame_decode(a, (size_t)n, GW_PAYLOAD_HARD_MAX, &d,
	    &used) == GW_OK && used == (size_t)n);
	m = gw_frame_encode(b, sizeof(b), &d);
	SUPPORT_CHECK(m == n && memcmp(a, b, (size_t)n) == 0);
	fits = c->state != CONN_CLOSED && (size_t)n <= c->room;
	if (owner && env->sent != NULL)
		env->sent(c, &d, fits);
	if (!fits) {
		c->want_writable = 1;
		return GW_ENOSPACE;
	}
	if (c->room != SIZE_MAX)
		c->room -= (size_t)n;
	if (c->bounded)
		c->pending += (size_t)n;
	return 0;
}

int
conn_send(struct conn *c, const struct gw_frame *f)
{
	return fc_send(c, f, 1);
}

void
conn_notify_writable(struct conn *c)
{
	SUPPORT_CHECK(c->live);
	c->want_writable = 1;
}

size_t
conn_out_space(const struct conn *c)
{
	SUPPORT_CHECK(c->live);
	if (c->state == CONN_CLOSED)
		return 0;
	return c->room < c->out_cap ? c->room : c->out_cap;
}

size_t
conn_out_pending(const struct conn *c)
{
	return c->bounded ? c->pending : 0;
}

int
conn_input_pending(const struct conn *c)
{
	return c->qlen > 0;
}

/* No handshake budget here: a fake conn never waits for the loop. */
int
conn_hs_waiting(const struct conn *c)
{
	(void)c;
	return 0;
}

void
conn_resume(struct conn *c)
{
	SUPPORT_CHECK(c->live);
	SUPPORT_CHECK(env->queue_cap > 0);		/* an owner that pauses */
	if (c->state != CONN_OPEN || !c->paused)
		return;
	c->paused = 0;
	c->resumed = 1;		/* the loop reads, not this call */
}

void
conn_timer(struct conn *c, double seconds)
{
	SUPPORT_CHECK(c->live);
	c->timer_armed = seconds > 0 && c->state != CONN_CLOSED;
	if (env->timer != NULL)
		env->timer(c, seconds);
}

void
conn_close(struct conn *c, unsigned reason, const char *detail)
{
	SUPPORT_CHECK(c->live);
	if (c->state == CONN_CLOSED)
		return;
	if (env->closing != NULL)
		env->closing(c, reason, detail);
	c->state = CONN_CLOSED;
	c->timer_armed = 0;
	c->busy++;
	c->ops->on_close(c, reason, detail, c->arg);
	c->busy--;
	fc_release(c);
}

/*
 * As conn.c: ERROR(${code}, text) best effort if ${c} is open and ${code}
 * is a wire reason other than GW_R_NORMAL (the owner's frame: env->sent
 * sees it, as it saw the owners' own before), text cut to
 * CONN_ERROR_TEXT_MAX, then conn_close with the whole text.
 */
void
conn_close_error(struct conn *c, unsigned code, const char *fmt, ...)
{
	struct gw_frame e = { .type = GW_T_ERROR };
	char text[256];
	va_list ap;

	SUPPORT_CHECK(c->live);
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->state == CONN_OPEN && code <= GW_R_WIRE_LAST &&
	    code != GW_R_NORMAL) {
		e.u.reason.code = (uint16_t)code;
		e.u.reason.text.p = (const uint8_t *)text;
		e.u.reason.text.len = (uint16_t)strnlen(text,
		    CONN_ERROR_TEXT_MAX);
		(void)fc_send(c, &e, 1);
	}
	conn_close(c, code, text);
}

enum conn_state
conn_state(const struct conn *c)
{
	SUPPORT_CHECK(c->live);
	return c->state;
}

const char *
conn_state_str(enum conn_state s)
{
	return s == CONN_OPEN ? "open" : "other";
}

const char *
conn_peer(const struct conn *c)
{
	return env->peer != NULL ? env->peer(c) : "192.0.2.1:4000";
}

const mbedtls_x509_crt *
conn_peer_crt(const struct conn *c)
{
	SUPPORT_CHECK(c->live);
	return c->state == CONN_OPEN ? c->peer_crt : NULL;
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

void
conn_set_ops(struct conn *c, const struct conn_ops *ops, void *arg)
{
	c->ops = ops;
	c->arg = arg;
}

struct conn *
conn_accept(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)fd;
	(void)tc;
	return fc_new(0, p, ops, arg);
}

struct conn *
conn_connect(struct ev_loop *loop, const char *addr,
    const struct tls_conf *tc, const struct conn_params *p,
    const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)addr;
	(void)tc;
	SUPPORT_CHECK(env->connects > 0);	/* an owner that connects */
	return fc_new(1, p, ops, arg);
}

/* The harness's side: the socket, TLS and the peer. */

void
fake_conn_open(struct conn *c, const mbedtls_x509_crt *crt)
{
	int rc;

	if (c->state != CONN_HANDSHAKE && c->state != CONN_CONNECTING)
		return;
	c->state = CONN_OPEN;
	c->peer_crt = crt;
	c->busy++;
	rc = c->ops->on_open(c, c->arg);
	SUPPORT_CHECK(rc == 0 || (rc == CONN_CLOSED_RC &&
	    c->state == CONN_CLOSED));
	c->busy--;
	fc_release(c);
}

/* Hand frame ${f} to the owner; 0, or -1 if it paused (not taken). */
static int
fc_deliver(struct conn *c, const struct gw_frame *f)
{
	int rc;

	if (env->reading != NULL)
		env->reading(c, f);
	c->busy++;
	rc = c->ops->on_frame(c, f, c->arg);
	SUPPORT_CHECK(rc == CONN_OK ||
	    (rc == CONN_PAUSE && env->queue_cap > 0) ||
	    (rc == CONN_CLOSED_RC && c->state == CONN_CLOSED));
	if (rc == CONN_PAUSE) {
		SUPPORT_CHECK(c->state == CONN_OPEN);
		c->paused = 1;
	}
	if (env->read != NULL)
		env->read(c, f, rc);
	c->busy--;
	return rc == CONN_PAUSE ? -1 : 0;
}

/* Hand frame ${buf} (whole, valid) to the owner; 0, or -1 if it paused. */
static int
fc_deliver_bytes(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f;
	size_t used;

	SUPPORT_CHECK(gw_frame_decode(buf, len, c->max_payload, &f, &used) ==
	    GW_OK && used == len);
	return fc_deliver(c, &f);
}

/* Frame ${buf} is not read yet: it waits (the socket's buffer), if room. */
static void
fc_queue(struct conn *c, const uint8_t *buf, size_t len)
{
	if (c->state == CONN_OPEN && len <= env->queue_cap - c->qlen) {
		memcpy(c->q + c->qlen, buf, len);
		c->qlen += len;
	}
}

int
fake_conn_decode(struct conn *c, const uint8_t *buf, size_t len,
    struct gw_frame *f, size_t *used)
{
	struct gw_frame e = { .type = GW_T_ERROR };
	int rc;

	rc = gw_frame_decode(buf, len, c->max_payload, f, used);
	if (rc == GW_ENEED)
		*used = 0;
	if (rc == GW_OK || rc == GW_ENEED)
		return rc;
	/* As conn.c: tell the peer why, close this conn alone. */
	if (c->state == CONN_OPEN) {
		e.u.reason.code = rc == GW_PERR_LEN_TOO_BIG ?
		    GW_R_TOO_BIG : GW_R_PROTOCOL;
		(void)fc_send(c, &e, 0);
		conn_close(c, e.u.reason.code, "bad frame");
	}
	*used = len < GW_HDR_LEN ? len : GW_HDR_LEN;
	return rc;
}

void
fake_conn_bytes(struct conn *c, const uint8_t *buf, size_t len)
{
	if (c->state != CONN_OPEN)
		return;
	if (!c->paused && c->qlen == 0 && fc_deliver_bytes(c, buf, len) == 0) {
		fc_release(c);
		return;
	}
	fc_queue(c, buf, len);
}

size_t
fake_conn_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f;
	size_t used;

	if (fake_conn_decode(c, buf, len, &f, &used) == GW_OK)
		fake_conn_bytes(c, buf, used);
	return used;
}

void
fake_conn_frame(struct conn *c, const struct gw_frame *f)
{
	static uint8_t buf[FC_ENC_MAX];
	int n;

	if (c->state != CONN_OPEN)
		return;
	if (!c->paused && c->qlen == 0 && fc_deliver(c, f) == 0) {
		fc_release(c);
		return;
	}
	if ((n = gw_frame_encode(buf, sizeof(buf), f)) >= 0)
		fc_queue(c, buf, (size_t)n);
}

void
fake_conn_loop(void (*step)(struct conn *, const struct gw_frame *),
    void (*check)(void))
{
	static uint8_t buf[FC_ENC_MAX];

	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < FAKE_CONN_SLOTS; i++) {
			struct conn *c = slots[k][i];
			struct gw_frame f;
			size_t used;

			if (c == NULL || !c->resumed)
				continue;
			c->resumed = 0;
			while (c->state == CONN_OPEN && !c->paused &&
			    c->qlen > 0) {
				SUPPORT_CHECK(gw_frame_decode(c->q, c->qlen,
				    c->max_payload, &f, &used) == GW_OK);
				memcpy(buf, c->q, used);
				memmove(c->q, c->q + used, c->qlen - used);
				c->qlen -= used;
				if (step != NULL)
					step(c, &f);
				if (fc_deliver_bytes(c, buf, used) != 0) {
					/* Paused again: back to the head. */
					memmove(c->q + used, c->q, c->qlen);
					memcpy(c->q, buf, used);
					c->qlen += used;
				}
				if (check != NULL)
					check();
			}
			fc_release(c);
		}
}

void
fake_conn_full(struct conn *c, size_t room)
{
	if (c->state != CONN_OPEN)
		return;
	if (c->room != 0) {
		c->room = 0;
		return;
	}
	/* Drained: all of it, or just a little (it may fill up again). */
	c->room = room;
	if (!c->want_writable || c->ops->on_writable == NULL)
		return;
	c->want_writable = 0;
	c->busy++;
	c->ops->on_writable(c, c->arg);
	c->busy--;
	fc_release(c);
}

void
fake_conn_bounded(struct conn *c)
{
	SUPPORT_CHECK(c->live && c->out_cap > 0);
	c->bounded = 1;
	c->pending = 0;
	c->room = c->out_cap;
}

size_t
fake_conn_drain(struct conn *c, size_t n)
{
	SUPPORT_CHECK(c->live && c->bounded);
	if (c->state == CONN_CLOSED || c->pending == 0)
		return 0;	/* conn.c: no write, so no on_writable */
	if (n > c->pending)
		n = c->pending;
	c->pending -= n;
	c->room += n;
	if (c->want_writable && c->ops->on_writable != NULL &&
	    c->room >= c->out_cap / 2) {
		c->want_writable = 0;
		c->busy++;
		c->ops->on_writable(c, c->arg);
		c->busy--;
		fc_release(c);
	}
	return n;
}

void
fake_conn_timer(struct conn *c)
{
	if (!c->timer_armed || c->state == CONN_CLOSED)
		return;
	c->timer_armed = 0;
	c->busy++;
	if (c->ops->on_timeout != NULL)
		c->ops->on_timeout(c, c->arg);
	else
		conn_close(c, GW_R_TIMEOUT, "timeout");
	c->busy--;
	fc_release(c);
}

void
fake_conn_eof(struct conn *c)
{
	conn_close(c, GW_R_PEER_CLOSED, "peer closed");
}
