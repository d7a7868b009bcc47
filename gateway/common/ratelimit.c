/*
 * ratelimit.c: token buckets, global and per source (ratelimit.h).
 */
#include <string.h>
#include <netinet/in.h>

#include "ratelimit.h"

#define RL_PROBE	8	/* slots looked at per source */

/**
 * rl_init(rl, rate, per_source): limits of ${rate} events per second in
 * all and ${per_source} per source address (0: no limit), each allowing a
 * burst of one second's worth.
 */
void
rl_init(struct ratelimit *rl, double rate, double per_source)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->per_source = per_source;
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

static void
rl_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, 16);
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
		rl_key(sa, key);
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
