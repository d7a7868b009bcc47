/*
 * gw.h: the gateway's process-wide context, shared by its modules.  One
 * libev loop; every connection belongs to the listener (agents) or to one
 * of the K upstream links.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <ev.h>

#include "config.h"
#include "limit.h"
#include "stats.h"
#include "tls_conf.h"

struct agent_all;
struct chan;
struct chan_all;
struct upstream;
struct listener;
struct enroll;
struct enroll_conn_all;
struct servers;

#define GW_MAGIC	0x47774374u	/* "GwCt" */

/*
 * Each field is written by one module only: the one its block names (by
 * assignment, or through that module's own functions: limits through
 * limit_hit(), stats through stats_*()).  The others only read it.
 */
struct gw {
	/* main.c: what the process is built of, and its own state. */
	unsigned		 magic;		/* GW_MAGIC */
	struct ev_loop		*loop;
	const struct gw_config	*cfg;		/* a reload swaps it */
	struct tls_conf		*agent_tls;	/* server side, agent CA */
	struct tls_ticket	*tickets;	/* session ticket keys, or NULL */
	struct tls_conf		*up_tls;	/* client side, mgmt CA */
	struct tls_conf		*enroll_tls;	/* enrollment: server auth only */
	struct listener		*listener;
	struct listener		*enroll_listener; /* NULL: no enrollment */
	struct metrics		*metrics;	/* [metrics] listen, or NULL */
	struct upstream		**up;		/* cfg->connections links */
	unsigned		 nup;
	int			 stopping;
	int			 draining;	/* SIGTERM: GOAWAY sent */
	ev_timer		 drain_timer;
	/* The link a new channel or enrollment request takes, or NULL
	   (servers_pick): chan.c and enroll.c call up through it. */
	struct upstream		*(*pick_link)(struct gw *gw);

	/* The modules' parts: each made, written and freed by its owner. */
	struct servers		*servers;	/* servers.c (servers.h) */
	struct chan_all		*chans;		/* chan.c (chan.h) */
	struct agent_all	*agents;	/* agent.c, agent_all.c,
						   agent_credit.c (agent.h) */
	struct enroll_conn_all	*enroll_conns;	/* enroll_conn.c
						   (enroll_conn.h) */

	/* enroll.c */
	struct enroll		*enroll;	/* requests in flight */

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
