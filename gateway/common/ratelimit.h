/*
 * ratelimit.h: token buckets for new connections and requests, globally
 * and per source address.  The per-source table has a fixed size (oldest
 * entry evicted), so a spoofed or spread-out flood costs no memory; a
 * source that was evicted simply starts with a full bucket again.
 * A source is an IPv4 address, or an IPv6 prefix (/64 by default: one
 * host usually has a whole /64 to itself, and a per-address key would let
 * it take a bucket per address).  Pure: the caller passes the clock.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RL_SOURCES	4096	/* per-source buckets kept */
#define RL_V6_PREFIX	64	/* IPv6 source bits, by default */

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
	unsigned		v6_prefix;	/* IPv6 source bits, 1..128 */
	struct rl_bucket	global;
	struct rl_source	src[RL_SOURCES];
	uint64_t		refused_global, refused_source;
};

/**
 * rl_source_key(sa, v6_prefix, key): the source of address ${sa} as 16
 * bytes in ${key}: an IPv4 address whole (v4-mapped, as an IPv4-mapped
 * IPv6 address is), an IPv6 address cut to its first ${v6_prefix} bits
 * (1..128; the rest zero); all zero for another family.
 */
void rl_source_key(const struct sockaddr *sa, unsigned v6_prefix,
    uint8_t key[16]);

/**
 * rl_init(rl, rate, per_source, v6_prefix): limits of ${rate} events per
 * second in all and ${per_source} per source (0: no limit), each allowing
 * a burst of one second's worth; IPv6 sources are keyed by their first
 * ${v6_prefix} bits (rl_source_key).
 */
void rl_init(struct ratelimit *rl, double rate, double per_source,
    unsigned v6_prefix);

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
