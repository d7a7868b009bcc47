/*
 * metrics.h: gatewayd's metrics in the Prometheus text format, and its
 * health, on a small HTTP listener of their own ([metrics] listen; off
 * unless set).  GET /metrics and GET /healthz (200 "ok" while an upstream
 * link can take channels, else 503); anything else is 404 or 405.  One
 * request per connection, answered and closed; requests of more than
 * METRICS_REQ_MAX bytes, or slower than METRICS_TIMEOUT, are dropped;
 * at most METRICS_CLIENTS connections at once (listener.c counts them,
 * logs refusals and pauses when accept fails).  No authentication: bind
 * it to loopback or a management interface (SECURITY.md).
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define METRICS_REQ_MAX	2048
#define METRICS_TIMEOUT	5.0
#define METRICS_CLIENTS	16

#define STATS_REASONS	40	/* wire reasons 0-31, local 0x100-0x107 */
#define STATS_ACK_BUCKETS 13	/* send-to-ACK histogram, plus +Inf */

/* What the gateway counts for its metrics (besides struct gw's gauges). */
struct gw_stats {
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
	uint64_t	 bytes_up, bytes_down;	/* DATA, COMMAND payloads */
	/* An agent had to wait for credit: its window was used up (the
	 * management server's ACKs lag), or replay memory was full. */
	uint64_t	 stalls_window, stalls_budget;
	uint64_t	 failovers, failbacks;	/* the links moved */
	double		 last_move;		/* when (Unix time), or 0 */
};

/**
 * stats_closed(s, handshake, reason): a session ended with ${reason};
 * ${handshake}: before it was authenticated and admitted.
 */
void stats_closed(struct gw_stats *s, int handshake, unsigned reason);

/**
 * stats_ack(s, seconds): DATA held ${seconds} between its arrival and the
 * management server's ACK.
 */
void stats_ack(struct gw_stats *s, double seconds);

/** stats_enroll(s, status): an enrollment answer (GW_ENROLL_*). */
void stats_enroll(struct gw_stats *s, unsigned status);

struct gw;
struct metrics;

/**
 * metrics_new(gw, addr, err, errlen): listen on ${addr} and serve ${gw}'s
 * metrics on its loop.  Return the listener, or NULL with the reason in
 * ${err}.
 */
struct metrics *metrics_new(struct gw *gw, const char *addr, char *err,
    size_t errlen);

/**
 * metrics_render(gw, buf, len): ${gw}'s metrics, Prometheus text format,
 * into ${buf}.  Return the length it needs (as snprintf: a result of
 * ${len} or more means truncated).
 */
size_t metrics_render(const struct gw *gw, char *buf, size_t len);

/** metrics_free(m): close the listener and its connections; NULL-safe. */
void metrics_free(struct metrics *m);

#endif /* GW_METRICS_H */
