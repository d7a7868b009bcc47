/*
 * ratelimit.c: token buckets, global and per source (ratelimit.h).
 */
#include <string.h>
#include <netinet/in.h>

#include "ratelimit.h"

#define RL_PROBE	8	/* slots looked at per source */

/**
 * rl_init(rl, rate, per_source, v6_prefix): limits of ${rate} events per
 * second in all and ${per_source} per source (0: no limit), each allowing
 * a burst of one second's worth; IPv6 sources are keyed by their first
 * ${v6_prefix} bits (rl_source_key).
 */
void
rl_init(struct ratelimit *rl, double rate, double per_source,
    unsigned v6_prefix)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->per_source = per_source;
	rl->v6_prefix = v6_prefix;
	rl->global.tokens = rate;
	rl->global.last = -1;
}

/**
 * rl_set(rl, rate, per_source): new limits (a reload); the buckets and
 * counters stay, except that a limit that was off starts full.
 */
void
rl_set(struct ratelimit *rl, double rate, double per_source)
{
	if (rl->rate <= 0) {
		rl->global.tokens = rate;
		rl->global.last = -1;
	}
	rl->rate = rate;
	rl->per_source = per_source;
}

/* Refill ${b} to ${now} at ${rate} (burst: one second); take one token. */
static int
rl_take(struct rl_bucket *b, double rate, double now)
{
	if (b->last >= 0 && now > b->last) {
		b->tokens += (now - b->last) * rate;
		if (b->tokens > rate)
			b->tokens = rate;
	}
	if (b->last < 0 || now > b->last)
		b->last = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

/**
 * rl_source_key(sa, v6_prefix, key): the source of address ${sa} as 16
 * bytes in ${key}: an IPv4 address whole (v4-mapped, as an IPv4-mapped
 * IPv6 address is), an IPv6 address cut to its first ${v6_prefix} bits
 * (1..128; the rest zero); all zero for another family.
 */
void
rl_source_key(const struct sockaddr *sa, unsigned v6_prefix, uint8_t key[16])
{
	const struct in6_addr *a6;

	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, 4);
		return;
	}
	if (sa->sa_family != AF_INET6)
		return;
	a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	memcpy(key, a6, 16);
	/* An IPv4 peer of a dual-stack socket is one IPv4 address. */
	if (IN6_IS_ADDR_V4MAPPED(a6) || v6_prefix >= 128)
		return;
	if (v6_prefix < 1)
		v6_prefix = 1;
	key[v6_prefix / 8] &= (uint8_t)(0xff00u >> (v6_prefix % 8));
	memset(key + v6_prefix / 8 + 1, 0, 15 - v6_prefix / 8);
}

/* The bucket of ${key}: found, a free slot, or the stalest one evicted. */
static struct rl_bucket *
rl_source(struct ratelimit *rl, const uint8_t key[16], double now)
{
	uint32_t h = 2166136261u;
	struct rl_source *s, *victim = NULL;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	for (int i = 0; i < RL_PROBE; i++) {
		s = &rl->src[(h + (uint32_t)i) % RL_SOURCES];
		if (s->used && memcmp(s->addr, key, 16) == 0)
			return &s->b;
		if (!s->used) {
			victim = s;
			break;
		}
		if (victim == NULL || s->b.last < victim->b.last)
			victim = s;
	}
	memcpy(victim->addr, key, 16);
	victim->used = 1;
	victim->b.tokens = rl->per_source;
	victim->b.last = now;
	return &victim->b;
}

/**
 * rl_allow(rl, sa, now): 1 if one more event from address ${sa} (NULL:
 * unknown) at time ${now} is within the limits (and count it), else 0.
 */
int
rl_allow(struct ratelimit *rl, const struct sockaddr *sa, double now)
{
	uint8_t key[16];

	if (rl->per_source > 0 && sa != NULL) {
		rl_source_key(sa, rl->v6_prefix, key);
		if (!rl_take(rl_source(rl, key, now), rl->per_source, now)) {
			rl->refused_source++;
			return 0;
		}
	}
	if (rl->rate > 0 && !rl_take(&rl->global, rl->rate, now)) {
		rl->refused_global++;
		return 0;
	}
	return 1;
}
