/*
 * gw.h: the gateway's process-wide context, shared by its modules.  One
 * libev loop; every connection belongs to the listener (agents) or to one
 * of the K upstream links.
 *
 * main.c builds the shared part (loop, cfg, TLS, listeners, the links)
 * and alone writes it; the modules only read it.  Each module's own state
 * is its part below, declared by that module (opaque or in its header),
 * made by its _new, freed by its _free and written by that module alone:
 * servers by servers.c, chans by chan.c, agents by the agent module
 * (agent.c, agent_all.c, agent_credit.c), enroll by enroll.c,
 * enroll_conns by enroll_conn.c.  Others read a part through its owner's
 * functions (servers_active, chan_replay_bytes, agent_counts, ...).  This
 * header holds only pointers to the parts, so it includes no module's
 * header but those of the counters it embeds (stats.h, limit.h: written
 * only through stats_*() and limit_hit()) and of the configuration.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stdint.h>
#include <stdlib.h>
#include <ev.h>

#include "config.h"
#include "limit.h"
#include "proto.h"
#include "stats.h"
#include "tls_conf.h"

struct agent_all;
struct chan_all;
struct downlink_all;
struct enroll;
struct enroll_conn_all;
struct handover;
struct listener;
struct servers;
struct srvaccept;
struct upstream;

#define GW_MAGIC	0x47774374u	/* "GwCt" */

struct gw {
	/* main.c: what the process is built of, and its own state. */
	unsigned		 magic;		/* GW_MAGIC */
	unsigned		 worker;	/* this worker's index (workers.h) */
	unsigned		 nworkers;	/* [gateway] workers; 1: one process */
	struct ev_loop		*loop;
	const struct gw_config	*cfg;		/* a reload swaps it */
	struct tls_conf		*agent_tls;	/* server side, agent CA */
	struct tls_ticket	*tickets;	/* session ticket keys, or NULL */
	struct tls_conf		*up_tls;	/* client side, mgmt CA */
	struct tls_conf		*enroll_tls;	/* enrollment: server auth only */
	struct tls_conf		*srv_tls;	/* mode = accept: server side,
						   mgmt CA; else NULL */
	struct listener		*listener;
	struct listener		*enroll_listener; /* NULL: no enrollment */
	struct tls_conf		*down_tls;	/* server side, [downstream] ca;
						   NULL: no downstream */
	struct listener		*down_listener;	/* NULL: no downstream */
	struct metrics		*metrics;	/* [metrics] listen, or NULL */
	struct upstream		**up;		/* cfg->connections links */
	unsigned		 nup;
	int			 stopping;
	int			 draining;	/* SIGTERM: GOAWAY sent */
	ev_timer		 drain_timer;
	/* The link a new channel or enrollment request takes, or NULL
	   (servers_pick): chan.c and enroll.c call up through it. */
	struct upstream		*(*pick_link)(struct gw *gw);

	/* The modules' parts (see the top); main.c keeps the pointers. */
	struct servers		*servers;	/* servers.c (servers.h) */
	struct chan_all		*chans;		/* chan.c (chan.h) */
	struct agent_all	*agents;	/* agent.c, agent_all.c,
						   agent_credit.c (agent.h) */
	struct enroll		*enroll;	/* enroll.c (enroll.h): the
						   requests in flight */
	struct enroll_conn_all	*enroll_conns;	/* enroll_conn.c
						   (enroll_conn.h) */
	struct srvaccept	*srvaccept;	/* srvaccept.c (srvaccept.h):
						   mode = accept, else NULL */
	struct downlink_all	*downlinks;	/* downlink.c (downlink.h):
						   inner gateways' links */
	struct handover		*handover;	/* handover.c (handover.h):
						   workers mode, else NULL */

	/* stats.c: counters (metrics.c shows them; some logged at exit). */
	struct stats		 stats;
	/* limit.c (main.c: limits_init): session limit hits. */
	struct limits		 limits;
};

/* ${arg} of a callback, checked: the gateway, or abort (a bug). */
static inline struct gw *
gw_of(void *arg)
{
	struct gw *gw = arg;

	if (gw == NULL || gw->magic != GW_MAGIC)
		abort();
	return gw;
}

#endif /* GW_GW_H */
