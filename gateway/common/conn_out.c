/*
 * conn_out.c: a connection's output side (see conn.c): frames queued by
 * conn_send into the output buffer, which exists only while it holds
 * bytes; written when the loop is about to wait, one write for all that
 * an iteration queued; a write that TLS could not finish is pinned and
 * retried with the same pointer and length (mbedTLS's contract); an owner
 * told GW_ENOSPACE hears ops->on_writable when half the buffer is free.
 * The state is conn.c's: only conn_set_state writes it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <mbedtls/ssl.h>

#include "conn.h"
#include "conn_impl.h"

static void conn_on_prepare(struct ev_loop *loop, ev_prepare *w,
    int revents);

/*
 * Output is written when the loop is about to wait (ev_prepare), not after
 * a round trip through epoll for EV_WRITE: a socket is nearly always
 * writable, and one write then carries all that the iteration queued for
 * it.  EV_WRITE is watched only when a write could not finish.  Then the
 * closed conns are freed (conn_reap: an open conn may be on q, a closed one
 * on conn.c's dead queue, through the same entry).  One loop per process
 * has the queues; a connection on another loop uses EV_WRITE and is freed
 * by an ev_once.
 */
static struct {
	struct ev_loop		*loop;
	ev_prepare		 w;
	TAILQ_HEAD(, conn)	 q;
} conn_flushq = { .q = TAILQ_HEAD_INITIALIZER(conn_flushq.q) };

/**
 * conn_queue_loop(loop): 1 if ${loop} has the flush and free queues (the
 * first loop to ask), else 0.
 */
int
conn_queue_loop(struct ev_loop *loop)
{
	if (conn_flushq.loop == NULL) {
		conn_flushq.loop = loop;
		ev_prepare_init(&conn_flushq.w, conn_on_prepare);
	}
	return conn_flushq.loop == loop;
}

/**
 * conn_out_unqueue(c): take ${c} off the flush queue (it is closing).
 */
void
conn_out_unqueue(struct conn *c)
{
	if (c->on_fq) {
		TAILQ_REMOVE(&conn_flushq.q, c, fq);
		c->on_fq = 0;
	}
}

/**
 * conn_out_wake(loop): have ${loop}, which has the queues, flush and free
 * (conn_reap) before it waits.
 */
void
conn_out_wake(struct ev_loop *loop)
{
	if (!ev_is_active(&conn_flushq.w))
		ev_prepare_start(loop, &conn_flushq.w);
}

/* Tell a blocked owner that half the output buffer is free again. */
static int
conn_writable(struct conn *c)
{
	if (c->out_blocked && conn_out_space(c) >= c->out_cap / 2) {
		c->out_blocked = 0;
		if (c->ops->on_writable != NULL)
			c->ops->on_writable(c, c->arg);
		if (c->state == CONN_CLOSED)
			return -1;
	}
	return 0;
}

/**
 * conn_flush(c): write what is queued; the pinned length is retried
 * unchanged.  Return 0 to go on, -1 if ${c} was closed.
 */
int
conn_flush(struct conn *c)
{
	char e[128];
	int rc;

	while (c->out_len > 0) {
		size_t n = c->out_pin ? c->out_pin : c->out_len;

		if (!c->out_pin && c->record_per_frame) {
			size_t f = gw_frame_size(c->out + c->out_off,
			    c->out_len);

			if (f > 0 && f < n)
				n = f;
		}
		rc = mbedtls_ssl_write(&c->ssl, c->out + c->out_off, n);
		if (rc == MBEDTLS_ERR_SSL_WANT_READ ||
		    rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
			c->out_pin = n;
			c->wr_want = rc == MBEDTLS_ERR_SSL_WANT_READ ?
			    EV_READ : EV_WRITE;
			return conn_writable(c);
		}
		if (rc < 0) {
			conn_close(c, GW_R_TLS_ERROR,
			    tls_strerror(rc, e, sizeof(e)));
			return -1;
		}
		c->out_pin = 0;
		c->out_off += (size_t)rc;
		c->out_len -= (size_t)rc;
	}
	c->out_off = 0;
	if (c->ops->on_flushed != NULL)
		c->ops->on_flushed(c, c->arg);
	return conn_writable(c);
}

static void
conn_on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct conn *c;

	(void)revents;
	while ((c = TAILQ_FIRST(&conn_flushq.q)) != NULL) {
		TAILQ_REMOVE(&conn_flushq.q, c, fq);
		c->on_fq = 0;
		if (c->state != CONN_OPEN)
			continue;
		c->busy++;
		if (conn_flush(c) == 0) {
			conn_update_io(c);
			conn_trim(c);
		}
		c->busy--;
	}
	conn_reap();
	ev_prepare_stop(loop, w);
}

/* Queue ${c}'s output for the end of this loop iteration. */
static void
conn_schedule_flush(struct conn *c)
{
	if (c->on_fq || c->state != CONN_OPEN || c->out_pin != 0)
		return;
	if (!conn_queue_loop(c->loop)) {
		if (c->busy == 0)
			conn_update_io(c);	/* EV_WRITE, as before */
		return;
	}
	TAILQ_INSERT_TAIL(&conn_flushq.q, c, fq);
	c->on_fq = 1;
	if (!ev_is_active(&conn_flushq.w))
		ev_prepare_start(c->loop, &conn_flushq.w);
}

/**
 * conn_send(c, f): encode frame ${f} into the output buffer and schedule
 * its write.  Return 0, or GW_ENOSPACE if it does not fit now (the owner
 * waits for ops->on_writable), or another negative code if ${f} is invalid.
 */
int
conn_send(struct conn *c, const struct gw_frame *f)
{
	size_t tail;
	int n;

	CONN_CHECK(c);
	if (c->state == CONN_CLOSED)
		return GW_ENOSPACE;
	if (c->out == NULL && (c->out = malloc(c->out_cap)) == NULL) {
		c->out_blocked = 1;
		return GW_ENOSPACE;
	}
	tail = c->out_off + c->out_len;
	n = gw_frame_encode(c->out + tail, c->out_cap - tail, f);
	if (n == GW_ENOSPACE && c->out_off > 0 && c->out_pin == 0) {
		memmove(c->out, c->out + c->out_off, c->out_len);
		c->out_off = 0;
		tail = c->out_len;
		n = gw_frame_encode(c->out + tail, c->out_cap - tail, f);
	}
	if (n == GW_ENOSPACE)
		c->out_blocked = 1;
	if (n < 0)
		return n;
	c->out_len += (size_t)n;
	conn_schedule_flush(c);
	return 0;
}

/**
 * conn_notify_writable(c): call ops->on_writable once the output buffer is
 * at least half empty (for owners that check conn_out_space themselves).
 */
void
conn_notify_writable(struct conn *c)
{
	CONN_CHECK(c);
	c->out_blocked = 1;
}

/** conn_out_space(c): free bytes in ${c}'s output buffer. */
size_t
conn_out_space(const struct conn *c)
{
	return c->out_pin ? c->out_cap - c->out_off - c->out_len :
	    c->out_cap - c->out_len;
}

/** conn_out_pending(c): bytes queued in ${c}'s output buffer. */
size_t
conn_out_pending(const struct conn *c)
{
	return c->out_len;
}
