/*
 * stats.h: what gatewayd counts, published by the modules that see it
 * happen (stats_*() calls) and read by metrics.c.  stats.c is the only
 * writer of struct stats; the others read it.
 */
#ifndef GW_STATS_H
#define GW_STATS_H

#include <stdint.h>

#include "prom.h"
#include "proto.h"

struct ev_loop;

#define STATS_REASONS	40	/* wire reasons 0-31, local 0x100-0x107 */
#define STATS_ACK_BUCKETS 13	/* send-to-ACK histogram, plus +Inf */

/* Why an agent had to wait for credit (stats_stall). */
enum stats_stall {
	STATS_STALL_WINDOW,	/* its window used up: the ACKs lag */
	STATS_STALL_BUDGET	/* replay memory (buffer_budget) full */
};

/*
 * gatewayd's residence time, by direction: DATA from its read from an agent
 * to its write on the upstream link; an ACK from its read from the link to
 * its write to the agent.
 */
enum stats_res {
	STATS_RES_DATA,
	STATS_RES_ACK,
	STATS_RES_N
};

/* A latency histogram (prom_lat_bound's buckets, not cumulative). */
struct stats_hist {
	uint64_t	 le[PROM_LAT_BUCKETS];
	uint64_t	 count;
	double		 sum;		/* seconds */
};

/*
 * Messages queued on one connection and not yet written, for the residence
 * time: since when (ev_now when they were read: one loop iteration's
 * reads share it), and how many.  A writer keeps one (an agent: 16 bytes)
 * or a few (a link: STATS_LINK_RUNS); when it has no run left for another
 * time, the last run takes the message and keeps the older time.
 */
struct stats_pend {
	double		 since;
	uint32_t	 n;
};

#define STATS_LINK_RUNS	4	/* struct stats_pend runs of a link */

/* What the gateway counts for its metrics. */
struct stats {
	uint64_t	 accepted;			/* agents admitted */
	uint64_t	 refused;			/* ... refused after
							   the handshake */
	uint64_t	 hs_failed[STATS_REASONS];	/* refused in or
							   right after the
							   handshake */
	uint64_t	 closed[STATS_REASONS];		/* sessions ended */
	uint64_t	 resumed;			/* from a ticket */
	uint64_t	 enroll[GW_ENROLL_REFUSED + 1];	/* answers, by
							   status */
	uint64_t	 ack_le[STATS_ACK_BUCKETS];	/* cumulative at
							   render, not here */
	double		 ack_sum;
	uint64_t	 ack_count;
	uint64_t	 frames_up, frames_down;	/* relayed */
	uint64_t	 bytes_up, bytes_down;	/* DATA, COMMAND payloads */
	uint64_t	 stalls_window, stalls_budget;	/* stats_stall */
	uint64_t	 failovers, failbacks;	/* the links moved */
	double		 last_move;		/* when (Unix time), or 0 */
	struct stats_hist res[STATS_RES_N];	/* residence time */
};

/**
 * stats_accepted(s, resumed): an agent was admitted after its handshake;
 * ${resumed}: its TLS session resumed from a ticket.
 */
void stats_accepted(struct stats *s, int resumed);

/** stats_refused(s): an agent was refused after its handshake. */
void stats_refused(struct stats *s);

/**
 * stats_closed(s, handshake, reason): a session ended with ${reason};
 * ${handshake}: before it was authenticated and admitted.
 */
void stats_closed(struct stats *s, int handshake, unsigned reason);

/**
 * stats_ack(s, seconds): DATA held ${seconds} between its arrival and the
 * management server's ACK.
 */
void stats_ack(struct stats *s, double seconds);

/**
 * stats_pend_add(p, runs, since): one message read at ${since} (ev_now)
 * was queued on the connection whose pending runs are ${p}[0 .. ${runs}).
 */
void stats_pend_add(struct stats_pend *p, unsigned runs, double since);

/**
 * stats_res(s, which, p, runs, now): the connection whose pending runs are
 * ${p}[0 .. ${runs}) wrote all it had queued at ${now}: count each message
 * in residence histogram ${which}, and empty the runs.
 */
void stats_res(struct stats *s, enum stats_res which, struct stats_pend *p,
    unsigned runs, double now);

/**
 * stats_flushed(s, which, p, runs, loop): the hook of a connection's
 * on_flushed: stats_res at the time now (ev_now_update: one clock read,
 * only if a message is pending).
 */
void stats_flushed(struct stats *s, enum stats_res which,
    struct stats_pend *p, unsigned runs, struct ev_loop *loop);

/** stats_enroll(s, status): an enrollment answer (GW_ENROLL_*). */
void stats_enroll(struct stats *s, unsigned status);

/**
 * stats_up(s, bytes), stats_down(s, bytes): a frame relayed up (to the
 * management server) or down (to an agent) with ${bytes} of payload
 * counted (DATA up, COMMAND down; 0 for the others).
 */
void stats_up(struct stats *s, uint64_t bytes);
void stats_down(struct stats *s, uint64_t bytes);

/** stats_stall(s, why): an agent had to wait for credit, for ${why}. */
void stats_stall(struct stats *s, enum stats_stall why);

/**
 * stats_move(s, failback, now): the links moved to another management
 * server at ${now} (Unix time): a failback if ${failback}, else a
 * failover.
 */
void stats_move(struct stats *s, int failback, double now);

/**
 * stats_ack_bound(i): the upper bound (seconds) of the send-to-ACK
 * histogram's bucket ${i} < STATS_ACK_BUCKETS.
 */
double stats_ack_bound(unsigned i);

/** stats_slot_reason(i): the reason counted in slot ${i} < STATS_REASONS. */
unsigned stats_slot_reason(unsigned i);

#endif /* GW_STATS_H */
