/*
 * upstream.h: one of the K mutual-TLS links from the gateway to the
 * management server.  Each link carries many agent channels; it owns the
 * channel table (id -> agent) and the FIFO of agents waiting for output
 * space (backpressure, served in arrival order).
 */
#ifndef GW_UPSTREAM_H
#define GW_UPSTREAM_H

#include <stdint.h>

#include "frame.h"
#include "gw.h"
#include "identity.h"

enum up_state {
	UP_IDLE,	/* not connected; a reconnect timer may be armed */
	UP_CONNECTING,	/* TCP connect and TLS handshake */
	UP_HELLO_SENT,	/* HELLO sent, waiting for HELLO_ACK */
	UP_READY,	/* channels may be opened */
	UP_STOPPED	/* shutting down: no reconnect */
};

/** upstream_new(gw, idx): link number ${idx}, idle; NULL on ENOMEM. */
struct upstream *upstream_new(struct gw *gw, unsigned idx);

/** upstream_free(u): close ${u} for good; upstream_free(NULL) is a no-op. */
void upstream_free(struct upstream *u);

/** upstream_start(u): connect now (or after the reconnect delay). */
void upstream_start(struct upstream *u);

/** upstream_state_str(s): "idle", "connecting", ... */
const char *upstream_state_str(enum up_state s);

/**
 * upstream_pick(gw): the READY link with the fewest channels, or NULL if
 * none is ready.
 */
struct upstream *upstream_pick(struct gw *gw);

/**
 * upstream_open(u, a, id, chan): give agent ${a} a new channel on ${u} and
 * send OPEN with identity ${id}; the channel id goes to ${chan}.  Return 0,
 * GW_ENOSPACE if the link's output is full (${a} is queued and resumed
 * later with agent_resume), or -1 on failure.
 */
int upstream_open(struct upstream *u, struct agent *a,
    const struct id_info *id, uint32_t *chan);

/**
 * upstream_data(u, a, chan, seq, body, len): forward one DATA of agent ${a}
 * on channel ${chan}.  Return 0, or GW_ENOSPACE (${a} is queued and resumed
 * with agent_resume when space frees up).
 */
int upstream_data(struct upstream *u, struct agent *a, uint32_t chan,
    uint64_t seq, const uint8_t *body, uint32_t len);

/**
 * upstream_release(u, a, chan, reason, text): the agent on ${chan} is gone:
 * forget the channel, drop ${a} from the wait queue and send CLOSE.
 */
void upstream_release(struct upstream *u, struct agent *a, uint32_t chan,
    unsigned reason, const char *text);

/** upstream_unwait(u, a): take agent ${a} off ${u}'s wait queue. */
void upstream_unwait(struct upstream *u, struct agent *a);

#endif /* GW_UPSTREAM_H */
