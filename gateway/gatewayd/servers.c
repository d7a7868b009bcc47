/*
 * servers.c: the failover controller of gatewayd.  The management servers
 * are listed in priority order, each with an explicit health (failover.c:
 * unknown/up/down, the reason of its last failure, backoff, counters).
 * All K links go to one server, the active one:
 *  - a link failure blames its server (down, with backoff) and, if it was
 *    the active one, fails over at once to the first server that may be
 *    tried: a refused connection moves on within one connect attempt;
 *  - a 100 ms tick runs the heartbeats of every link, reconnects idle
 *    links, and while a better server than the active one exists, keeps a
 *    probe link to it; once that server has been up for failback_hold,
 *    every link moves back to it (fail-back).
 * Channels of a link that goes away are closed with upstream-lost: agents
 * reconnect and resend what was not acknowledged.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "log.h"
#include "upstream.h"

#define SERVERS_TICK	0.1	/* seconds */

static uint32_t
servers_rnd(void)
{
	return (uint32_t)random() ^ ((uint32_t)random() << 16);
}

static const char *
srv_addr(const struct gw *gw, int i)
{
	return i >= 0 ? gw->cfg->servers[i] : "-";
}

/* Make ${to} the active server: links elsewhere are dropped. */
static void
servers_switch(struct gw *gw, int to, const char *why)
{
	int from = gw->active;
	char detail[96];

	if (to == from)
		return;
	if (from < 0)
		log_info("event=server_selected server=%s", srv_addr(gw, to));
	else
		log_warnx("event=%s from=%s to=%s reason=%s", to < from ?
		    "failback" : "failover", srv_addr(gw, from),
		    srv_addr(gw, to), why);
	gw->active = to;
	snprintf(detail, sizeof(detail), "moving to server %s",
	    srv_addr(gw, to));
	for (unsigned i = 0; i < gw->nup; i++)
		if (upstream_server(gw->up[i]) != to)
			upstream_drop(gw->up[i], detail);
	if (gw->probe != NULL)
		upstream_drop(gw->probe, detail);
}

/* Connect every idle link to the active server, if it may be tried. */
static void
servers_connect(struct gw *gw)
{
	double now = ev_now(gw->loop);
	int best;

	if (gw->active < 0 || !fo_may_try(&gw->srv[gw->active], now)) {
		if ((best = fo_choose(gw->srv, gw->nsrv, now)) < 0)
			return;		/* all in backoff: the tick retries */
		servers_switch(gw, best, gw->active < 0 ? "start" :
		    fo_reason_str(gw->srv[gw->active].reason));
	}
	for (unsigned i = 0; i < gw->nup; i++)
		if (upstream_state(gw->up[i]) == UP_IDLE)
			upstream_connect(gw->up[i], gw->active);
}

/* Keep a probe on the best server before the active one; fail back. */
static void
servers_failback(struct gw *gw, double now)
{
	int better;

	if (!gw->cfg->failback || gw->active <= 0)
		return;
	if ((better = fo_failback(gw->srv, gw->active, now, &gw->fo)) >= 0) {
		servers_switch(gw, better, "healthy-for-hold-down");
		return;
	}
	if (upstream_state(gw->probe) != UP_IDLE)
		return;
	better = fo_choose(gw->srv, (size_t)gw->active, now);
	if (better >= 0)
		upstream_connect(gw->probe, better);
}

static void
servers_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gw *gw = w->data;
	double now = ev_now(loop);

	(void)revents;
	for (unsigned i = 0; i < gw->nup; i++)
		upstream_heartbeat(gw->up[i], now);
	upstream_heartbeat(gw->probe, now);
	servers_connect(gw);
	servers_failback(gw, now);
}

/** servers_init(gw): the servers of the configuration, the tick timer. */
int
servers_init(struct gw *gw)
{
	const struct gw_config *cfg = gw->cfg;
	double now = ev_now(gw->loop);

	gw->nsrv = cfg->nservers;
	for (unsigned i = 0; i < gw->nsrv; i++)
		fo_peer_init(&gw->srv[i], now);
	gw->active = -1;
	gw->fo.backoff_min = cfg->backoff_min;
	gw->fo.backoff_max = cfg->backoff_max;
	gw->fo.hold_down = cfg->failback ? cfg->failback_hold : -1;
	gw->fo.hb_interval = cfg->up_heartbeat;
	gw->fo.hb_misses = cfg->up_heartbeat_misses;
	if ((gw->probe = upstream_new(gw, 0, 1)) == NULL)
		return -1;
	ev_timer_init(&gw->tick, servers_tick, SERVERS_TICK, SERVERS_TICK);
	gw->tick.data = gw;
	return 0;
}

/** servers_start(gw): choose a server and connect the links. */
void
servers_start(struct gw *gw)
{
	ev_timer_start(gw->loop, &gw->tick);
	servers_connect(gw);
}

/** servers_stop(gw): stop the tick, log each server's counters. */
void
servers_stop(struct gw *gw)
{
	ev_timer_stop(gw->loop, &gw->tick);
	upstream_free(gw->probe);
	gw->probe = NULL;
	for (unsigned i = 0; i < gw->nsrv; i++) {
		const struct fo_peer *p = &gw->srv[i];

		log_info("event=server_stats server=%s health=%s ups=%llu "
		    "refused=%llu connect_timeout=%llu tls=%llu heartbeat=%llu "
		    "goaway=%llu protocol=%llu closed=%llu", srv_addr(gw, (int)i),
		    fo_health_str(p->health), (unsigned long long)p->ups,
		    (unsigned long long)p->downs[FO_R_REFUSED],
		    (unsigned long long)p->downs[FO_R_CONNECT_TIMEOUT],
		    (unsigned long long)p->downs[FO_R_TLS],
		    (unsigned long long)p->downs[FO_R_HEARTBEAT],
		    (unsigned long long)p->downs[FO_R_GOAWAY],
		    (unsigned long long)p->downs[FO_R_PROTOCOL],
		    (unsigned long long)p->downs[FO_R_CLOSED]);
	}
}

/** servers_link_up(gw, u): ${u} completed its HELLO. */
void
servers_link_up(struct gw *gw, struct upstream *u)
{
	struct fo_peer *p = &gw->srv[upstream_server(u)];

	if (p->health != FO_UP)
		log_info("event=server_health server=%s from=%s to=up",
		    srv_addr(gw, upstream_server(u)), fo_health_str(p->health));
	fo_up(p, ev_now(gw->loop));
	if (upstream_server(u) == gw->active && u != gw->probe)
		agent_adopt_all(gw);
}

/**
 * servers_link_down(gw, u, why): ${u} is idle again; ${why} is what its
 * end says about its server (FO_R_NONE: nothing, we closed it).
 */
void
servers_link_down(struct gw *gw, struct upstream *u, enum fo_reason why)
{
	int srv = upstream_server(u);
	struct fo_peer *p;

	if (gw->stopping || srv < 0)
		return;
	if (why != FO_R_NONE) {
		p = &gw->srv[srv];
		fo_down(p, why, ev_now(gw->loop), &gw->fo, servers_rnd());
		log_warnx("event=server_health server=%s to=down reason=%s "
		    "fails=%u retry_in=%.3f", srv_addr(gw, srv),
		    fo_reason_str(why), p->fails,
		    p->retry_at - ev_now(gw->loop));
		/* The active server failed: move every link at once. */
		if (srv == gw->active) {
			int next = fo_choose(gw->srv, gw->nsrv,
			    ev_now(gw->loop));

			if (next >= 0)
				servers_switch(gw, next, fo_reason_str(why));
		}
	}
	if (u != gw->probe)
		servers_connect(gw);
}
