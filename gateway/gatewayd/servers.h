/*
 * servers.h: the failover controller of gatewayd (servers.c).  It keeps
 * the management servers' health in priority order, chooses the one that
 * all K links go to, keeps a spare link, and is told of every link's fate
 * (servers_link_up, servers_link_down, servers_ack_seen).
 *
 * Its state is its part of struct gw (gw->servers, opaque): made by
 * servers_new, written by servers.c alone, freed by servers_free; the
 * others read it through servers_active and servers_peers.
 */
#ifndef GW_SERVERS_H
#define GW_SERVERS_H

#include "failover.h"

struct conn;
struct gw;
struct gw_config;
struct servers;
struct upstream;

/**
 * servers_new(gw): the servers of ${gw}'s configuration, the spare link,
 * the tick timer; it owns the links of gw->up from now on (their
 * upstream_ops).  The caller keeps it as gw->servers.  NULL on ENOMEM.
 */
struct servers *servers_new(struct gw *gw);

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

/**
 * servers_free(s): stop the tick, close the spare link, log each server's
 * counters, free ${s}; servers_free(NULL) is a no-op.
 */
void servers_free(struct servers *s);

/**
 * servers_heartbeat(gw, now): run the heartbeat of every link and of the
 * spare (upstream_heartbeat, under the failover timings).
 */
void servers_heartbeat(struct gw *gw, double now);

/**
 * servers_serving(gw): 1 if a link to the active server is READY (one of
 * the K, or the spare that carries the channels after a failover): the
 * gateway can take agents.  What the cut-off (upstream_grace) and
 * /healthz both ask.
 */
int servers_serving(const struct gw *gw);

/**
 * servers_pick(gw): the READY link to the active server with the fewest
 * channels (ties go round the links), else the spare if it is READY on
 * the active server; NULL if none.  main.c makes it gw->pick_link.
 */
struct upstream *servers_pick(struct gw *gw);

/** servers_active(gw): the links' server (its index), or -1. */
int servers_active(const struct gw *gw);

/**
 * servers_peers(gw, n): the servers' health, in priority order; their
 * number goes to ${n}.
 */
const struct fo_peer *servers_peers(const struct gw *gw, unsigned *n);

/**
 * servers_ack_seen(gw, u): an ACK arrived on ${u}: the first one from the
 * new server after a failover ends it (logged with its duration).
 */
void servers_ack_seen(struct gw *gw, struct upstream *u);

/**
 * servers_take(gw, c, srv): accept mode: server ${srv} dialed in on ${c}
 * (its handshake done, its certificate name checked): an idle link of the
 * pool adopts it, unless ${srv} already has `connections` links (${c} is
 * then closed, the reason logged).  Return 0, or -1 if ${c} was closed.
 */
int servers_take(struct gw *gw, struct conn *c, int srv);

/** servers_link_up(gw, u): ${u} completed its HELLO. */
void servers_link_up(struct gw *gw, struct upstream *u);

/**
 * servers_link_down(gw, u, why): ${u} is idle again; ${why} is what its
 * end says about its server (FO_R_NONE: nothing, we closed it).
 */
void servers_link_down(struct gw *gw, struct upstream *u, enum fo_reason why);

#endif /* GW_SERVERS_H */
