/*
 * authority_source.c: what each source has asked of the authority
 * (authority_source.h): its requests pending, and a bucket of new requests
 * (pending or renewal) that refills at new_per_source_per_hour.  A source
 * is keyed as the gateway's rate limits key it (rl_source_key): an IPv4
 * address, an IPv6 /64.  The pending counts are recounted from the
 * request records at every sweep (authority.c), so they survive a
 * restart and follow gw-cert approve and deny within a minute.  A
 * source's refusals are logged once a minute, with a count of the others.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "authority_source.h"
#include "proto.h"
#include "ratelimit.h"

#define AUTH_SRC_V6	64	/* IPv6 prefix bits of a source */
#define AUTH_SRC_LOG	60	/* seconds between its logged refusals */
#define AUTH_SRC_BUCKETS	256

struct auth_src {
	uint8_t			 key[16];
	unsigned		 pending;
	double			 tokens;	/* new requests it may make */
	long long		 last;		/* tokens as of then */
	long long		 logged;	/* its last refusal logged */
	unsigned		 quiet;		/* refused since, unlogged */
	struct auth_src		*next;
};

/* The authority's part for sources (authority.c holds a pointer). */
struct auth_srcs {
	unsigned		 max_pending;	/* max_pending_per_source */
	unsigned		 per_hour;	/* new_per_source_per_hour */
	struct auth_src		*src[AUTH_SRC_BUCKETS];
};

/*
 * ${source}, "ip:port" or "[ip6]:port" as conn_peer() writes it, as a
 * source key; anything else (a local request: "") is the all-zero key.
 */
static void
auth_src_key(const char *source, uint8_t key[16])
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char host[64];
	const char *end;
	size_t n;

	memset(key, 0, 16);
	if (source == NULL)
		return;
	if (source[0] == '[') {
		if ((end = strchr(source, ']')) == NULL ||
		    (n = (size_t)(end - source - 1)) >= sizeof(host))
			return;
		memcpy(host, source + 1, n);
		host[n] = '\0';
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &s6.sin6_addr) == 1)
			rl_source_key((struct sockaddr *)&s6, AUTH_SRC_V6,
			    key);
		return;
	}
	n = strcspn(source, ":");
	if (n >= sizeof(host))
		return;
	memcpy(host, source, n);
	host[n] = '\0';
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &s4.sin_addr) == 1)
		rl_source_key((struct sockaddr *)&s4, AUTH_SRC_V6, key);
}

/* The entry of ${source}; created (a full bucket) if ${make}, or NULL. */
static struct auth_src *
auth_src_get(struct auth_srcs *t, const char *source, int make)
{
	uint8_t key[16];
	uint32_t h = 2166136261u;
	struct auth_src *s;

	auth_src_key(source, key);
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	h %= AUTH_SRC_BUCKETS;
	for (s = t->src[h]; s != NULL; s = s->next)
		if (memcmp(s->key, key, 16) == 0)
			return s;
	if (!make || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	memcpy(s->key, key, 16);
	s->tokens = t->per_hour;
	s->last = -1;
	s->next = t->src[h];
	t->src[h] = s;
	return s;
}

/* Refill ${s}'s bucket to ${now}: new_per_source an hour, that at most. */
static void
auth_src_refill(const struct auth_srcs *t, struct auth_src *s, long long now)
{
	double cap = t->per_hour;

	if (s->last >= 0 && now > s->last)
		s->tokens += (double)(now - s->last) * cap / 3600.0;
	if (s->tokens > cap)
		s->tokens = cap;
	s->last = now;
}

/*
 * ${s} is refused: 1 if that is to be logged (once per AUTH_SRC_LOG per
 * source, with how many went unlogged since, appended to ${why}), else 0.
 */
static int
auth_src_log(struct auth_src *s, long long now, char *why, size_t len)
{
	size_t n = strlen(why);

	if (s->logged != 0 && now - s->logged < AUTH_SRC_LOG) {
		s->quiet++;
		return 0;
	}
	if (s->quiet > 0 && n < len)
		snprintf(why + n, len - n, "; %u more refused unlogged",
		    s->quiet);
	s->logged = now;
	s->quiet = 0;
	return 1;
}

/**
 * auth_src_admit(t, source, pending, now, log, why, len): 0 if ${source}
 * may make one more request (a ${pending} one counts against
 * max_pending_per_source; every one takes from its hourly bucket, which
 * is then charged), else GW_R_OVERLOAD with ${why}, and ${log} 1 if the
 * refusal is to be logged (once a minute per source), else 0.
 */
unsigned
auth_src_admit(struct auth_srcs *t, const char *source, int pending,
    long long now, int *log, char *why, size_t len)
{
	struct auth_src *s;

	*log = 1;
	if ((s = auth_src_get(t, source, 1)) == NULL) {
		snprintf(why, len, "out of memory");
		return GW_R_INTERNAL;
	}
	auth_src_refill(t, s, now);
	if (pending && s->pending >= t->max_pending) {
		snprintf(why, len, "too many pending requests from this "
		    "source (%u, max_pending_per_source)", s->pending);
		*log = auth_src_log(s, now, why, len);
		return GW_R_OVERLOAD;
	}
	if (s->tokens < 1.0) {
		snprintf(why, len, "too many new requests from this source "
		    "(new_per_source_per_hour %u)", t->per_hour);
		*log = auth_src_log(s, now, why, len);
		return GW_R_OVERLOAD;
	}
	s->tokens -= 1.0;
	return 0;
}

/**
 * auth_src_pending(t, source, delta): one request of ${source} more
 * (${delta} 1) or fewer (-1) pending.
 */
void
auth_src_pending(struct auth_srcs *t, const char *source, int delta)
{
	struct auth_src *s;

	if ((s = auth_src_get(t, source, delta > 0)) == NULL)
		return;
	if (delta > 0)
		s->pending++;
	else if (s->pending > 0)
		s->pending--;
}

/**
 * auth_src_recount(t, now): forget every pending count (a sweep counts
 * them again) and the sources that hold nothing: none pending, a full
 * bucket as of ${now}.
 */
void
auth_src_recount(struct auth_srcs *t, long long now)
{
	struct auth_src **pp, *s;

	for (size_t i = 0; i < AUTH_SRC_BUCKETS; i++)
		for (pp = &t->src[i]; (s = *pp) != NULL;) {
			s->pending = 0;
			auth_src_refill(t, s, now);
			if (s->tokens >= t->per_hour &&
			    now - s->logged >= AUTH_SRC_LOG) {
				*pp = s->next;
				free(s);
			} else
				pp = &s->next;
		}
}

/**
 * auth_src_new(max_pending, per_hour): an empty table of sources, each
 * allowed ${max_pending} requests pending and ${per_hour} new ones an
 * hour.  NULL if out of memory.
 */
struct auth_srcs *
auth_src_new(unsigned max_pending, unsigned per_hour)
{
	struct auth_srcs *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->max_pending = max_pending;
	t->per_hour = per_hour;
	return t;
}

/** auth_src_free(t): free ${t} and every source entry; NULL is a no-op. */
void
auth_src_free(struct auth_srcs *t)
{
	struct auth_src *s;

	if (t == NULL)
		return;
	for (size_t i = 0; i < AUTH_SRC_BUCKETS; i++)
		while ((s = t->src[i]) != NULL) {
			t->src[i] = s->next;
			free(s);
		}
	free(t);
}
