/*
 * stats.c: the gateway's counters (stats.h); the only writer of struct
 * stats.  No I/O: metrics.c renders what is here.
 */
#include <ev.h>

#include "stats.h"

/* Upper bounds (s) of the send-to-ACK histogram's buckets. */
static const double stats_ack_le[STATS_ACK_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

/* A reason's slot: wire reasons as they are, local ones after them. */
static unsigned
stats_slot(unsigned reason)
{
	if (reason >= GW_R_PEER_CLOSED && reason < GW_R_PEER_CLOSED + 8)
		return 32 + (reason - GW_R_PEER_CLOSED);
	return reason < 32 ? reason : GW_R_INTERNAL;
}

/** stats_slot_reason(i): the reason counted in slot ${i} < STATS_REASONS. */
unsigned
stats_slot_reason(unsigned i)
{
	return i < 32 ? i : GW_R_PEER_CLOSED + (i - 32);
}

/**
 * stats_ack_bound(i): the upper bound (seconds) of the send-to-ACK
 * histogram's bucket ${i} < STATS_ACK_BUCKETS.
 */
double
stats_ack_bound(unsigned i)
{
	return i < STATS_ACK_BUCKETS ? stats_ack_le[i] : 0;
}

/**
 * stats_accepted(s, resumed): an agent was admitted after its handshake;
 * ${resumed}: its TLS session resumed from a ticket.
 */
void
stats_accepted(struct stats *s, int resumed)
{
	s->accepted++;
	s->resumed += resumed != 0;
}

/** stats_refused(s): an agent was refused after its handshake. */
void
stats_refused(struct stats *s)
{
	s->refused++;
}

/**
 * stats_closed(s, handshake, reason): a session ended with ${reason};
 * ${handshake}: before it was authenticated and admitted.
 */
void
stats_closed(struct stats *s, int handshake, unsigned reason)
{
	if (handshake)
		s->hs_failed[stats_slot(reason)]++;
	else
		s->closed[stats_slot(reason)]++;
}

/**
 * stats_ack(s, seconds): DATA held ${seconds} between its arrival and the
 * management server's ACK.
 */
void
stats_ack(struct stats *s, double seconds)
{
	unsigned i = 0;

	while (i < STATS_ACK_BUCKETS && seconds > stats_ack_le[i])
		i++;
	if (i < STATS_ACK_BUCKETS)	/* above the last: +Inf, the count */
		s->ack_le[i]++;
	s->ack_sum += seconds;
	s->ack_count++;
}

/**
 * stats_pend_add(p, runs, since): one message read at ${since} (ev_now)
 * was queued on the connection whose pending runs are ${p}[0 .. ${runs}).
 */
void
stats_pend_add(struct stats_pend *p, unsigned runs, double since)
{
	unsigned i;

	for (i = 0; i < runs && p[i].n > 0 && p[i].since != since; i++)
		;
	if (i == runs) {		/* no run left: the last, older time */
		i = runs - 1;
		if (since < p[i].since)
			p[i].since = since;
	} else if (p[i].n == 0)
		p[i].since = since;
	p[i].n++;
}

/**
 * stats_res(s, which, p, runs, now): the connection whose pending runs are
 * ${p}[0 .. ${runs}) wrote all it had queued at ${now}: count each message
 * in residence histogram ${which}, and empty the runs.
 */
void
stats_res(struct stats *s, enum stats_res which, struct stats_pend *p,
    unsigned runs, double now)
{
	struct stats_hist *h = &s->res[which];

	for (unsigned i = 0; i < runs && p[i].n > 0; i++) {
		double dt = now > p[i].since ? now - p[i].since : 0;
		unsigned b = prom_lat_bucket(dt);

		if (b < PROM_LAT_BUCKETS)	/* above the last: the count */
			h->le[b] += p[i].n;
		h->count += p[i].n;
		h->sum += dt * p[i].n;
		p[i].n = 0;
	}
}

/**
 * stats_flushed(s, which, p, runs, loop): the hook of a connection's
 * on_flushed: stats_res at the time now (ev_now_update: one clock read,
 * only if a message is pending).
 */
void
stats_flushed(struct stats *s, enum stats_res which, struct stats_pend *p,
    unsigned runs, struct ev_loop *loop)
{
	if (runs == 0 || p[0].n == 0)
		return;
	/* The base of the stamps (ev_now), read again: not the wake-up's. */
	ev_now_update(loop);
	stats_res(s, which, p, runs, ev_now(loop));
}

/** stats_enroll(s, status): an enrollment answer (GW_ENROLL_*). */
void
stats_enroll(struct stats *s, unsigned status)
{
	if (status <= GW_ENROLL_REFUSED)
		s->enroll[status]++;
}

/**
 * stats_up(s, bytes), stats_down(s, bytes): a frame relayed up (to the
 * management server) or down (to an agent) with ${bytes} of payload
 * counted (DATA up, COMMAND down; 0 for the others).
 */
void
stats_up(struct stats *s, uint64_t bytes)
{
	s->frames_up++;
	s->bytes_up += bytes;
}

void
stats_down(struct stats *s, uint64_t bytes)
{
	s->frames_down++;
	s->bytes_down += bytes;
}

/** stats_stall(s, why): an agent had to wait for credit, for ${why}. */
void
stats_stall(struct stats *s, enum stats_stall why)
{
	if (why == STATS_STALL_BUDGET)
		s->stalls_budget++;
	else
		s->stalls_window++;
}

/**
 * stats_move(s, failback, now): the links moved to another management
 * server at ${now} (Unix time): a failback if ${failback}, else a
 * failover.
 */
void
stats_move(struct stats *s, int failback, double now)
{
	if (failback)
		s->failbacks++;
	else
		s->failovers++;
	s->last_move = now;
}
