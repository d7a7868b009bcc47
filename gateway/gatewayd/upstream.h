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

/* servers.c: the failover controller, told of every link's fate. */

/** servers_init(gw): the servers of the configuration, the tick timer. */
int servers_init(struct gw *gw);

/** servers_start(gw): choose a server and connect the links. */
void servers_start(struct gw *gw);

/**
 * servers_reload(gw, old): gw->cfg has a new server list; ${old} is the
 * configuration it replaced.  A server that stays keeps its health, its
 * counters and its links, whatever its new rank; a new one starts unknown;
 * the links to a server that was removed are drained (if it was the active
 * one, the best server of the new list takes over).  The failover
 * timings (backoff, heartbeats, hold-down) take their new values.
 */
void servers_reload(struct gw *gw, const struct gw_config *old);

/** servers_stop(gw): stop the tick, log each server's counters. */
void servers_stop(struct gw *gw);

/**
 * servers_ack_seen(gw, u): an ACK arrived on ${u}: the first one from the
 * new server after a failover ends it (logged with its duration).
 */
void servers_ack_seen(struct gw *gw, struct upstream *u);

/** servers_link_up(gw, u): ${u} completed its HELLO. */
void servers_link_up(struct gw *gw, struct upstream *u);

/**
 * servers_link_down(gw, u, why): ${u} is idle again; ${why} is what its
 * end says about its server (FO_R_NONE: nothing, we closed it).
 */
void servers_link_down(struct gw *gw, struct upstream *u, enum fo_reason why);

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
