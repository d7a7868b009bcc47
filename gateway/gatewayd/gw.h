/*
 * gw.h: the gateway's process-wide context, shared by its modules.  One
 * libev loop; every connection belongs to the listener (agents) or to one
 * of the K upstream links.
 */
#ifndef GW_GW_H
#define GW_GW_H

#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include "config.h"
#include "failover.h"
#include "limit.h"
#include "stats.h"
#include "tls_conf.h"

struct agent;
struct upstream;
struct listener;
struct enroll;
struct enroll_conn;
struct namemap;

#define GW_MAGIC	0x47774374u	/* "GwCt" */

struct gw {
	unsigned		 magic;		/* GW_MAGIC (main.c) */
	struct ev_loop		*loop;
	const struct gw_config	*cfg;
	struct tls_conf		*agent_tls;	/* server side, agent CA */
	struct tls_ticket	*tickets;	/* session ticket keys, or NULL */
	struct tls_conf		*up_tls;	/* client side, mgmt CA */
	struct listener		*listener;
	struct tls_conf		*enroll_tls;	/* enrollment: server auth only */
	struct listener		*enroll_listener; /* NULL: no enrollment */
	struct enroll		*enroll;	/* requests in flight (enroll.c) */
	unsigned		 nenroll;	/* enrollment connections */
	struct enroll_conn	*enroll_conns;	/* all of them (enroll_conn.c) */
	struct metrics		*metrics;	/* [metrics] listen, or NULL */
	struct upstream		**up;		/* cfg->connections links */
	unsigned		 nup;
	unsigned		 next_up;	/* round-robin cursor */
	/* Management servers, in priority order (servers.c). */
	struct fo_peer		 srv[GW_MAX_SERVERS];
	unsigned		 nsrv;
	int			 active;	/* the links' server, or -1 */
	struct upstream		*probe;		/* checks a better server */
	struct fo_policy	 fo;
	ev_timer		 tick;
	double			 failover_at;	/* last failover, until an ACK */
	unsigned		 nagents;	/* sessions that exist */
	unsigned		 nhandshakes;	/* ... of them in their handshake */
	unsigned		 nopen;		/* ... past HELLO_ACK (they share
						   buffer_budget) */
	struct agent		*agents;	/* all sessions (agent.c) */
	struct namemap		*names;		/* after HELLO, by name
						   (agent_names.c) */
	TAILQ_HEAD(, agent)	 no_link;	/* sessions waiting for a link */
	TAILQ_HEAD(, agent)	 starved;	/* waiting for replay memory */
	/* replay_bytes + reserved_bytes <= buffer_budget (agent_credit.c) */
	uint64_t		 replay_bytes;	/* DATA kept until ACKed */
	uint64_t		 reserved_bytes; /* for credit granted, unused */
	int			 stopping;
	int			 draining;	/* SIGTERM: GOAWAY sent */
	ev_timer		 drain_timer;
	/* Counters (stats.c; metrics.c shows them; some logged at exit). */
	struct gw_stats		 stats;
	struct limits		 limits;	/* session limit hits */
};

#endif /* GW_GW_H */
