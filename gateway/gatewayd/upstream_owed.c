/*
 * upstream_owed.c: the control frames an upstream link owes its server,
 * sent before anything new when room comes.  Channel ids are never reused
 * on a connection, so a late CLOSE names only its own channel.
 */
#include <stdlib.h>
#include <string.h>

#include "upstream_owed.h"

/* A CLOSE that found no room: sent when room comes (its text is lost). */
struct owed_close {
	uint32_t	 chan;
	uint16_t	 code;
};

struct upstream_owed {
	struct owed_close	*close;		/* CLOSEs waiting for room */
	size_t			 n, cap;
	int			 pong;		/* PONG(pong_opaque) waits */
	uint64_t		 pong_opaque;
};

/** upstream_owed_new(): nothing owed; NULL on ENOMEM. */
struct upstream_owed *
upstream_owed_new(void)
{
	return calloc(1, sizeof(struct upstream_owed));
}

/** upstream_owed_free(o): upstream_owed_free(NULL) is a no-op. */
void
upstream_owed_free(struct upstream_owed *o)
{
	if (o == NULL)
		return;
	free(o->close);
	free(o);
}

/** upstream_owed_any(o): 1 while control frames wait for room in ${o}. */
int
upstream_owed_any(const struct upstream_owed *o)
{
	return o->n > 0 || o->pong;
}

/**
 * upstream_owed_send(o, c, f): send control frame ${f} (CLOSE or PONG) on
 * ${c}, or owe it in ${o} (and ask ${c} for on_writable) if it finds no
 * room or others wait.  Return 0, or -1 if there is no memory to owe it.
 */
int
upstream_owed_send(struct upstream_owed *o, struct conn *c,
    const struct gw_frame *f)
{
	struct owed_close *v;
	size_t cap;

	if (!upstream_owed_any(o) && conn_send(c, f) == 0)
		return 0;
	conn_notify_writable(c);
	if (f->type == GW_T_PONG) {	/* one answers the newest PING */
		o->pong = 1;
		o->pong_opaque = f->u.ping.opaque;
		return 0;
	}
	if (o->n == o->cap) {
		cap = o->cap ? 2 * o->cap : 16;
		if ((v = realloc(o->close, cap * sizeof(*v))) == NULL)
			return -1;
		o->close = v;
		o->cap = cap;
	}
	o->close[o->n].chan = f->channel;
	o->close[o->n].code = f->u.reason.code;
	o->n++;
	return 0;
}

/**
 * upstream_owed_flush(o, c): send on ${c} what ${o} owes: the PONG, then
 * the CLOSEs in order.  Return 0 if nothing is left, or -1 if some still
 * wait (${c} calls on_writable again when room comes).
 */
int
upstream_owed_flush(struct upstream_owed *o, struct conn *c)
{
	size_t i;

	if (o->pong) {
		struct gw_frame p = { .type = GW_T_PONG };

		p.u.ping.opaque = o->pong_opaque;
		if (conn_send(c, &p) != 0) {
			conn_notify_writable(c);
			return -1;
		}
		o->pong = 0;
	}
	for (i = 0; i < o->n; i++) {
		struct gw_frame f = { .type = GW_T_CLOSE };

		f.channel = o->close[i].chan;
		f.u.reason.code = o->close[i].code;
		if (conn_send(c, &f) != 0)
			break;
	}
	if (i == o->n) {
		o->n = 0;
		return 0;
	}
	memmove(o->close, o->close + i, (o->n - i) * sizeof(*o->close));
	o->n -= i;
	conn_notify_writable(c);
	return -1;
}

/**
 * upstream_owed_clear(o): the connection ended, and its channels with it:
 * nothing is owed any more.
 */
void
upstream_owed_clear(struct upstream_owed *o)
{
	o->n = 0;
	o->pong = 0;
}
