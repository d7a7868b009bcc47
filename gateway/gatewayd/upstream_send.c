/*
 * upstream_send.c: what the channels and the gateway send on a link (OPEN,
 * DATA, SEEN, agents' answers, CLOSE, ENROLL), each leaving the output's
 * reserve to control frames, and what they ask of its output.
 */
#include <string.h>

#include "conn.h"
#include "stats.h"
#include "upstream.h"
#include "upstream_impl.h"
#include "upstream_owed.h"

/**
 * upstream_send(u, f): send connection-level frame ${f} (ENROLL) on READY
 * link ${u}.  Return 0, or -1 if the link is not ready or has no room now.
 */
int
upstream_send(struct upstream *u, const struct gw_frame *f)
{
	if (!upstream_live(u) || conn_out_space(u->c) < UP_RESERVE)
		return -1;
	return conn_send(u->c, f) == 0 ? 0 : -1;
}

/**
 * upstream_open(u, id, ext, chan): send OPEN with identity ${id} (and its
 * extension ${ext} if ${u} agreed GW_CAP_FLEET and ${ext} is not NULL,
 * with its via if ${u} agreed GW_CAP_CHAIN too: id_view_ext) for a new
 * channel on ${u}; its id goes to ${chan}.  Return 0,
 * GW_ENOSPACE if the link's output is full or control frames wait for room
 * (on_room follows), or -1 if ${u} takes no channel now.
 */
int
upstream_open(struct upstream *u, const struct id_info *id,
    const struct id_ext *ext, uint32_t *chan)
{
	struct gw_frame f = { .type = GW_T_OPEN };

	if (!upstream_live(u) || u->next_chan == 0)
		return -1;	/* 2^32 channels on one link: reconnect */
	if (upstream_owed_any(u->owed) ||
	    conn_out_space(u->c) < UP_RESERVE / 2)
		goto wait;
	f.channel = u->next_chan;
	/* Never above its max_payload: that would close the link. */
	id_view_ext(id, ext, u->caps, u->peer_max, &f.u.open);
	if (conn_send(u->c, &f) != 0)
		goto wait;
	u->next_chan++;
	u->frames_up++;
	*chan = f.channel;
	return 0;
wait:
	conn_notify_writable(u->c);
	return GW_ENOSPACE;
}

/**
 * upstream_seen_max(u): the most channel ids one SEEN on ${u} may carry
 * (its server's max_payload / 4).
 */
uint32_t
upstream_seen_max(const struct upstream *u)
{
	return u->peer_max / 4;
}

/**
 * upstream_seen(u, ids, n): send SEEN of the ${n} channel ids ${ids}
 * (big-endian, gw_seen_put; 1 .. upstream_seen_max) on ${u}, a link that
 * agreed GW_CAP_FLEET.  Like DATA it leaves the reserve to control frames.
 * Return 0, or GW_ENOSPACE if the output has no room for it now.
 */
int
upstream_seen(struct upstream *u, const uint8_t *ids, uint32_t n)
{
	struct gw_frame f = { .type = GW_T_SEEN };

	if (!upstream_live(u) || upstream_owed_any(u->owed) ||
	    conn_out_space(u->c) < UP_RESERVE + GW_HDR_LEN + 4 * (size_t)n)
		return GW_ENOSPACE;
	f.u.seen.ids = ids;
	f.u.seen.n = n;
	if (conn_send(u->c, &f) != 0)
		return GW_ENOSPACE;
	u->frames_up++;
	return 0;
}

/**
 * upstream_data(u, chan, seq, body, len): forward one DATA on channel
 * ${chan}.  Return 0, or GW_ENOSPACE (on_room follows when space frees up).
 */
int
upstream_data(struct upstream *u, uint32_t chan, uint64_t seq,
    const uint8_t *body, uint32_t len)
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
	conn_notify_writable(u->c);
	return GW_ENOSPACE;
}

/**
 * upstream_data_since(u, since): the DATA just sent on ${u} was read at
 * ${since} (ev_now): its residence ends when the link's output is written.
 */
void
upstream_data_since(struct upstream *u, double since)
{
	stats_pend_add(u->pend, STATS_LINK_RUNS, since);
}

/**
 * upstream_answer(u, f): send an agent's COMMAND_ACK or RESULT ${f} on its
 * channel (f->channel) of ${u}, a link whose HELLO_ACK agreed COMMANDS.
 * It takes no turn and may use the reserve: answers are few (each one
 * follows a COMMAND of the server).  Return 0, GW_ENOSPACE if the output
 * has no room for it now, or UP_ETOOBIG if it is larger than the server's
 * max_payload.
 */
int
upstream_answer(struct upstream *u, const struct gw_frame *f)
{
	if (!upstream_live(u) || u->c == NULL)
		return GW_ENOSPACE;
	if (f->type == GW_T_RESULT &&
	    14 + (uint64_t)f->u.result.output.len > u->peer_max)
		return UP_ETOOBIG;
	if (conn_send(u->c, f) != 0)
		return GW_ENOSPACE;
	u->frames_up++;
	return 0;
}

/**
 * upstream_queued(u): bytes waiting in ${u}'s output (0 if it has no
 * connection).
 */
size_t
upstream_queued(const struct upstream *u)
{
	return u->c != NULL ? conn_out_pending(u->c) : 0;
}

/**
 * upstream_ping(u, opaque): send PING(${opaque}) on ${u}, behind all it
 * sent; its PONG goes to on_pong.  0, or GW_ENOSPACE (no room, or control
 * frames owed: on_room follows once upstream_want_room asked).
 */
int
upstream_ping(struct upstream *u, uint64_t opaque)
{
	struct gw_frame f = { .type = GW_T_PING };

	if (!upstream_live(u) || upstream_owed_any(u->owed))
		return GW_ENOSPACE;
	f.u.ping.opaque = opaque;
	return conn_send(u->c, &f) == 0 ? 0 : GW_ENOSPACE;
}

/**
 * upstream_want_room(u): call on_room when ${u}'s output has drained (it
 * must hold bytes: upstream_queued is not 0).
 */
void
upstream_want_room(struct upstream *u)
{
	if (u->c != NULL)
		conn_notify_writable(u->c);
}

/**
 * upstream_close_chan(u, chan, reason, text): channel ${chan} is gone:
 * send CLOSE (when room comes if there is none now: never a reason to
 * close the link).
 */
void
upstream_close_chan(struct upstream *u, uint32_t chan, unsigned reason,
    const char *text)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = chan };

	if (!upstream_live(u) || u->c == NULL)
		return;
	f.u.reason.code = reason > GW_R_WIRE_LAST ? GW_R_NORMAL : reason;
	f.u.reason.text.p = (const uint8_t *)text;
	f.u.reason.text.len = (uint16_t)strnlen(text, 200);
	upstream_ctl(u, &f);
}
