/*
 * ratelimit.h: token buckets for new connections and requests, globally
 * and per source address.  The per-source table has a fixed size (oldest
 * entry evicted), so a spoofed or spread-out flood costs no memory; a
 * source that was evicted simply starts with a full bucket again.
 * Pure: the caller passes the clock.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RL_SOURCES	4096	/* per-source buckets kept */

struct rl_bucket {
	double	tokens;
	double	last;		/* when tokens was computed */
};

struct rl_source {
	uint8_t			addr[16];	/* IPv6, or v4-mapped */
	int			used;
	struct rl_bucket	b;
};

struct ratelimit {
	double			rate, per_source;	/* per second; 0: off */
	struct rl_bucket	global;
	struct rl_source	src[RL_SOURCES];
	uint64_t		refused_global, refused_source;
};

/**
 * rl_init(rl, rate, per_source): limits of ${rate} events per second in
 * all and ${per_source} per source address (0: no limit), each allowing a
 * burst of one second's worth.
 */
void rl_init(struct ratelimit *rl, double rate, double per_source);

/**
 * rl_set(rl, rate, per_source): new limits (a reload); the buckets and
 * counters stay, except that a limit that was off starts full.
 */
void rl_set(struct ratelimit *rl, double rate, double per_source);

/**
 * rl_allow(rl, sa, now): 1 if one more event from address ${sa} (NULL:
 * unknown) at time ${now} is within the limits (and count it), else 0.
 */
int rl_allow(struct ratelimit *rl, const struct sockaddr *sa, double now);

#endif /* GW_RATELIMIT_H */
