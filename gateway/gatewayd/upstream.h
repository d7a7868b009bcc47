/*
 * upstream.h: one of the K mutual-TLS links from the gateway to the
 * management server.  Each link carries many channels, which it knows
 * only by id: what arrives for them goes up to the channel module through
 * struct upstream_chan_ops, the link's fate to its owner through struct
 * upstream_ops.  Nothing here knows what is above it.
 */
#ifndef GW_UPSTREAM_H
#define GW_UPSTREAM_H

#include <stdint.h>

#include "failover.h"
#include "frame.h"
#include "gw.h"
#include "identity.h"

enum up_state {
	UP_IDLE,	/* not connected; a reconnect timer may be armed */
	UP_CONNECTING,	/* TCP connect and TLS handshake */
	UP_HELLO_SENT,	/* HELLO sent, waiting for HELLO_ACK */
	UP_READY,	/* channels may be opened */
	UP_DRAINING,	/* we sent GOAWAY: no new channel, channels move
			   away (upstream_drain); READY to upstream_state */
	UP_STOPPED	/* shutting down: no reconnect */
};

/* A link is born in UP_IDLE: its memory is zeroed. */
_Static_assert(UP_IDLE == 0, "UP_IDLE starts zeroed");

/*
 * What a link tells its owner (servers.c: the failover controller), set
 * with upstream_set_ops.  ${arg} is the owner's.
 */
struct upstream_ops {
	/* ${u} completed its HELLO. */
	void	(*on_ready)(struct upstream *u, void *arg);
	/*
	 * ${u} ended (upstream_state says IDLE, or STOPPED for good);
	 * ${why} is what its end says about its server (FO_R_NONE: nothing,
	 * we closed it).  Its channels were told first.
	 */
	void	(*on_down)(struct upstream *u, enum fo_reason why, void *arg);
	/* An ACK of a channel arrived on ${u}. */
	void	(*on_ack_seen)(struct upstream *u, void *arg);
	/* ENROLL_RESULT ${f} arrived on ${u}. */
	void	(*on_enroll_result)(struct upstream *u,
		    const struct gw_frame *f, void *arg);
};

/*
 * What a link tells the channels it carries (chan.c), set with
 * upstream_set_chan_ops.  ${arg} is the channel module's.
 */
struct upstream_chan_ops {
	/*
	 * OPEN_ACK, ACK, COMMAND or CLOSE ${f} on a channel (f->channel is
	 * not 0; a seq is at most GW_SEQ_MAX).  Return 1 if the channel is
	 * known, 0 if not (a late frame: ignored).
	 */
	int	(*on_frame)(struct upstream *u, const struct gw_frame *f,
		    void *arg);
	/* The output has room again (after GW_ENOSPACE). */
	void	(*on_room)(struct upstream *u, void *arg);
	/* ${u} is down: every channel on it is gone, with ${reason}. */
	void	(*on_lost)(struct upstream *u, unsigned reason,
		    const char *text, void *arg);
	/* ${u} drains: its channels move away once their DATA is ACKed. */
	void	(*on_drain)(struct upstream *u, void *arg);
	/*
	 * GW_CAP_FLEET: the SEEN of ${u} is due (every [gateway] heartbeat):
	 * send it (upstream_seen) of the channels heard since the last.
	 */
	void	(*on_seen)(struct upstream *u, void *arg);
	/* PONG(${opaque}) from the server (may be NULL). */
	void	(*on_pong)(struct upstream *u, uint64_t opaque, void *arg);
	/* Channels open on ${u}. */
	size_t	(*count)(const void *arg);
	/* ${u} is freed: so is ${arg}. */
	void	(*on_free)(void *arg);
};

/**
 * upstream_set_ops(u, ops, arg): ${u} tells its fate to ${ops} with
 * ${arg} from now on.
 */
void upstream_set_ops(struct upstream *u, const struct upstream_ops *ops,
    void *arg);

/**
 * upstream_set_chan_ops(u, ops, arg): ${u} tells its channels' events to
 * ${ops} with ${arg} from now on.
 */
void upstream_set_chan_ops(struct upstream *u,
    const struct upstream_chan_ops *ops, void *arg);

/** upstream_chan_arg(u): the ${arg} of upstream_set_chan_ops, or NULL. */
void *upstream_chan_arg(const struct upstream *u);

/**
 * upstream_new(gw, idx, probe): link number ${idx} (or the probe), idle;
 * NULL on ENOMEM.
 */
struct upstream *upstream_new(struct gw *gw, unsigned idx, int probe);

/** upstream_free(u): close ${u} for good; upstream_free(NULL) is a no-op. */
void upstream_free(struct upstream *u);

/**
 * upstream_connect(u, srv): connect idle link ${u} to server ${srv}; the
 * result comes back through on_ready / on_down.
 */
void upstream_connect(struct upstream *u, int srv);

struct conn;
struct conn_params;

/**
 * upstream_conn_params(gw, p): the buffers and frame size of a link of
 * ${gw}, into ${p} (mode = accept: its connection is accepted elsewhere,
 * then adopted).
 */
void upstream_conn_params(const struct gw *gw, struct conn_params *p);

/**
 * upstream_adopt(u, c, srv): idle link ${u} takes the connection ${c}
 * (made with upstream_conn_params) that server ${srv} dialed in, its TLS
 * handshake done and its certificate name checked (mode = accept).  From
 * here on it is a link like one upstream_connect made: HELLO sent, waiting
 * for HELLO_ACK (within connect_timeout); the result comes back through
 * on_ready / on_down.  Return 0, or -1 if ${c} was closed (${u} not idle,
 * or no room for HELLO: on_down told).
 */
int upstream_adopt(struct upstream *u, struct conn *c, int srv);

/**
 * upstream_drop(u, detail): close ${u} on our own decision (failover,
 * fail-back): its server is not blamed.  Its channels are lost
 * (upstream-lost) and come back on another link.
 */
void upstream_drop(struct upstream *u, const char *detail);

/**
 * upstream_drain(u, detail): move away from ${u} without cutting: GOAWAY
 * to the server, no new DATA on it, and each channel moves to another
 * link once what it sent here is acknowledged.  The link closes
 * when it carries no channel, or after UP_DRAIN_TIME.
 */
void upstream_drain(struct upstream *u, const char *detail);

/** upstream_draining(u): 1 while ${u} drains (upstream_drain). */
int upstream_draining(const struct upstream *u);

/**
 * upstream_heartbeat(u, now, fo): PING a silent READY link; close one
 * silent for too long (its server is hung), by the timings of ${fo}.
 */
void upstream_heartbeat(struct upstream *u, double now,
    const struct fo_policy *fo);

/**
 * upstream_caps(u): the capabilities ${u}'s HELLO_ACK agreed (0 before
 * it).
 */
uint32_t upstream_caps(const struct upstream *u);

/**
 * upstream_state(u), upstream_server(u): state (a draining link is READY:
 * upstream_draining tells), server index (or -1).
 */
enum up_state upstream_state(const struct upstream *u);
int upstream_server(const struct upstream *u);

/**
 * upstream_renumber(u, srv): after a reload the server list changed:
 * ${u}'s server is now number ${srv} (-1: removed from the list).
 */
void upstream_renumber(struct upstream *u, int srv);

/** upstream_name(u): "0", "1", ... or "probe", for logs. */
const char *upstream_name(const struct upstream *u);

/** upstream_state_str(s): "idle", "connecting", ... */
const char *upstream_state_str(enum up_state s);

/** upstream_ready(gw): how many of the K links are READY. */
unsigned upstream_ready(const struct gw *gw);

/**
 * upstream_pick(up, n, first, srv): of the ${n} links ${up}, the READY one
 * (not draining) to server ${srv} with the fewest channels, looked at from
 * index ${first} on (modulo ${n}) so that ties spread over the links; NULL
 * if none.
 */
struct upstream *upstream_pick(struct upstream *const *up, unsigned n,
    unsigned first, int srv);

/**
 * upstream_open(u, id, ext, chan): send OPEN with identity ${id} (and its
 * extension ${ext} if ${u} agreed GW_CAP_FLEET and ${ext} is not NULL,
 * with its via if ${u} agreed GW_CAP_CHAIN too: id_view_ext) for a new
 * channel on ${u}; its id goes to ${chan}.  Return 0,
 * GW_ENOSPACE if the link's output is full or control frames wait for room
 * (on_room follows), or -1 if ${u} takes no channel now.
 */
int upstream_open(struct upstream *u, const struct id_info *id,
    const struct id_ext *ext, uint32_t *chan);

/**
 * upstream_seen_max(u): the most channel ids one SEEN on ${u} may carry
 * (its server's max_payload / 4).
 */
uint32_t upstream_seen_max(const struct upstream *u);

/**
 * upstream_seen(u, ids, n): send SEEN of the ${n} channel ids ${ids}
 * (big-endian, gw_seen_put; 1 .. upstream_seen_max) on ${u}, a link that
 * agreed GW_CAP_FLEET.  Like DATA it leaves the reserve to control frames.
 * Return 0, or GW_ENOSPACE if the output has no room for it now.
 */
int upstream_seen(struct upstream *u, const uint8_t *ids, uint32_t n);

/**
 * upstream_data(u, chan, seq, body, len): forward one DATA on channel
 * ${chan}.  Return 0, or GW_ENOSPACE (on_room follows when space frees up).
 */
int upstream_data(struct upstream *u, uint32_t chan, uint64_t seq,
    const uint8_t *body, uint32_t len);

/* upstream_answer: the frame is larger than the server's max_payload. */
#define UP_ETOOBIG	(-3)

/**
 * upstream_answer(u, f): send an agent's COMMAND_ACK or RESULT ${f} on its
 * channel (f->channel) of ${u}, a link whose HELLO_ACK agreed COMMANDS.
 * It takes no turn and may use the reserve: answers are few (each one
 * follows a COMMAND of the server).  Return 0, GW_ENOSPACE if the output
 * has no room for it now, or UP_ETOOBIG if it is larger than the server's
 * max_payload.
 */
int upstream_answer(struct upstream *u, const struct gw_frame *f);

/**
 * upstream_data_since(u, since): the DATA just sent on ${u} was read at
 * ${since} (ev_now): its residence ends when the link's output is written.
 */
void upstream_data_since(struct upstream *u, double since);

/**
 * upstream_queued(u): bytes waiting in ${u}'s output (0 if it has no
 * connection).
 */
size_t upstream_queued(const struct upstream *u);

/**
 * upstream_want_room(u): call on_room when ${u}'s output has drained (it
 * must hold bytes: upstream_queued is not 0).
 */
void upstream_want_room(struct upstream *u);

/**
 * upstream_ping(u, opaque): send PING(${opaque}) on ${u}, behind all it
 * sent; its PONG goes to on_pong.  0, or GW_ENOSPACE (no room, or control
 * frames owed: on_room follows once upstream_want_room asked).
 */
int upstream_ping(struct upstream *u, uint64_t opaque);

/**
 * upstream_close_chan(u, chan, reason, text): channel ${chan} is gone:
 * send CLOSE (when room comes if there is none now: never a reason to
 * close the link).
 */
void upstream_close_chan(struct upstream *u, uint32_t chan, unsigned reason,
    const char *text);

/**
 * upstream_send(u, f): send connection-level frame ${f} (ENROLL) on READY
 * link ${u}.  Return 0, or -1 if the link is not ready or has no room now.
 */
int upstream_send(struct upstream *u, const struct gw_frame *f);

#endif /* GW_UPSTREAM_H */
