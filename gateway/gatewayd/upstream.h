/*
 * upstream.h: one of the K mutual-TLS links from the gateway to the
 * management server.  Each link carries many agent channels; it owns the
 * channel table (id -> agent) and the FIFO of agents waiting for output
 * space (backpressure, served in arrival order).
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
	UP_STOPPED	/* shutting down: no reconnect */
};

/**
 * upstream_new(gw, idx, probe): link number ${idx} (or the probe), idle;
 * NULL on ENOMEM.
 */
struct upstream *upstream_new(struct gw *gw, unsigned idx, int probe);

/** upstream_free(u): close ${u} for good; upstream_free(NULL) is a no-op. */
void upstream_free(struct upstream *u);

/**
 * upstream_connect(u, srv): connect idle link ${u} to server ${srv}; the
 * result comes back through servers_link_up / servers_link_down.
 */
void upstream_connect(struct upstream *u, int srv);

/**
 * upstream_drop(u, detail): close ${u} on our own decision (failover,
 * fail-back): its server is not blamed.  Its agents are closed with
 * upstream-lost and come back on another link.
 */
void upstream_drop(struct upstream *u, const char *detail);

/**
 * upstream_drain(u, detail): move away from ${u} without cutting: GOAWAY
 * to the server, no new DATA on it, and each agent's channel moves to
 * another link once what it sent here is acknowledged.  The link closes
 * when it carries no channel, or after UP_DRAIN_TIME.
 */
void upstream_drain(struct upstream *u, const char *detail);

/** upstream_draining(u): 1 while ${u} drains (upstream_drain). */
int upstream_draining(const struct upstream *u);

/**
 * upstream_heartbeat(u, now): PING a silent READY link; close one silent
 * for too long (its server is hung).
 */
void upstream_heartbeat(struct upstream *u, double now);

/** upstream_state(u), upstream_server(u): state, server index (or -1). */
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
 * upstream_pick(gw): the READY link with the fewest channels, or NULL if
 * none is ready.
 */
struct upstream *upstream_pick(struct gw *gw);

/**
 * upstream_open(u, a, id, chan): give agent ${a} a new channel on ${u} and
 * send OPEN with identity ${id}; the channel id goes to ${chan}.  Return 0,
 * GW_ENOSPACE if the link's output is full or control frames wait for room
 * (${a} is queued and resumed later with agent_resume), or -1 on failure.
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
 * forget the channel, drop ${a} from the wait queue and send CLOSE (when
 * room comes if there is none now: never a reason to close the link).
 */
void upstream_release(struct upstream *u, struct agent *a, uint32_t chan,
    unsigned reason, const char *text);

/**
 * upstream_send(u, f): send connection-level frame ${f} (ENROLL) on READY
 * link ${u}.  Return 0, or -1 if the link is not ready or has no room now.
 */
int upstream_send(struct upstream *u, const struct gw_frame *f);

/** upstream_unwait(u, a): take agent ${a} off ${u}'s wait queue. */
void upstream_unwait(struct upstream *u, struct agent *a);

#endif /* GW_UPSTREAM_H */
