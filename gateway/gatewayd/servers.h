/*
 * servers.h: the failover controller of gatewayd (servers.c).  It keeps
 * the management servers' health in priority order, chooses the one that
 * all K links go to, keeps a spare link, and is told of every link's fate
 * (servers_link_up, servers_link_down, servers_ack_seen).
 */
#ifndef GW_SERVERS_H
#define GW_SERVERS_H

#include "failover.h"

struct gw;
struct gw_config;
struct upstream;

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

#endif /* GW_SERVERS_H */
