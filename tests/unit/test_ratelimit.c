/*
 * test_ratelimit.c: token buckets (gateway/common/ratelimit.c) under a
 * fake clock: bursts, refill, sources kept apart, a bounded table, IPv6
 * sources keyed by prefix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ratelimit.h"

static struct sockaddr_in
v4(uint32_t a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(a);
	return sin;
}

static int
allow(struct ratelimit *rl, uint32_t a, double now)
{
	struct sockaddr_in sin = v4(a);

	return rl_allow(rl, (struct sockaddr *)&sin, now);
}

static void
test_global(void **state)
{
	struct ratelimit *rl = malloc(sizeof(*rl));
	int n = 0;

	(void)state;
	rl_init(rl, 10, 0, RL_V6_PREFIX);
	for (int i = 0; i < 100; i++)
		n += allow(rl, (uint32_t)i, 5.0);
	assert_int_equal(n, 10);			/* a one-second burst */
	assert_int_equal(rl->refused_global, 90);
	assert_int_equal(allow(rl, 1, 5.05), 0);	/* half a token */
	assert_int_equal(allow(rl, 1, 5.2), 1);		/* a token back */
	n = 0;
	for (int i = 0; i < 100; i++)
		n += allow(rl, 1, 1000.0);		/* refill caps at 10 */
	assert_int_equal(n, 10);
	free(rl);
}

static void
test_per_source(void **state)
{
	struct ratelimit *rl = malloc(sizeof(*rl));
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	int a = 0, b = 0;

	(void)state;
	rl_init(rl, 0, 3, RL_V6_PREFIX);
	for (int i = 0; i < 10; i++) {
		a += allow(rl, 0x0a000001, 1.0);
		b += allow(rl, 0x0a000002, 1.0);
	}
	assert_int_equal(a, 3);		/* one source does not starve another */
	assert_int_equal(b, 3);
	assert_int_equal(rl->refused_source, 14);
	assert_int_equal(allow(rl, 0x0a000001, 2.0), 1);
	/* IPv6 sources have buckets of their own; unknown sources pass. */
	s6.sin6_addr.s6_addr[15] = 1;
	assert_int_equal(rl_allow(rl, (struct sockaddr *)&s6, 1.0), 1);
	assert_int_equal(rl_allow(rl, NULL, 1.0), 1);
	/* A spread-out flood reuses the fixed table: no growth, no crash. */
	for (uint32_t i = 0; i < 10 * RL_SOURCES; i++)
		(void)allow(rl, 0x0b000000 + i, 3.0 + i * 1e-6);
	free(rl);
}

static void
test_off(void **state)
{
	struct ratelimit *rl = malloc(sizeof(*rl));

	(void)state;
	rl_init(rl, 0, 0, RL_V6_PREFIX);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(allow(rl, 1, 0.0), 1);
	free(rl);
}

/* A reload's new limits: one that was off starts with a full bucket. */
static void
test_set(void **state)
{
	struct ratelimit *rl = malloc(sizeof(*rl));
	int n = 0;

	(void)state;
	rl_init(rl, 0, 0, RL_V6_PREFIX);
	assert_int_equal(allow(rl, 1, 1.0), 1);
	rl_set(rl, 5, 0);
	for (int i = 0; i < 20; i++)
		n += allow(rl, (uint32_t)i, 2.0);
	assert_int_equal(n, 5);			/* the first one too */
	assert_int_equal(rl->refused_global, 15);
	rl_set(rl, 2, 0);			/* on already: no new burst */
	assert_int_equal(allow(rl, 1, 2.0), 0);
	assert_int_equal(rl->refused_global, 16);	/* counters stay */
	free(rl);
}

static int
allow6(struct ratelimit *rl, const char *a, double now)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, a, &s6.sin6_addr), 1);
	return rl_allow(rl, (struct sockaddr *)&s6, now);
}

/* Take ${n} events from ${a}; return how many were allowed. */
static int
burst6(struct ratelimit *rl, const char *a, int n, double now)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += allow6(rl, a, now);
	return ok;
}

/*
 * IPv6: one host has a /64 to itself, so a per-address key would give it
 * 2^64 buckets.  By default two addresses in one /64 share a bucket, two
 * /64s do not; a prefix of 128 keys each address again.  An IPv4 peer of
 * a dual-stack socket (::ffff:a.b.c.d) stays one IPv4 address: the prefix
 * would put every IPv4 host in one bucket.
 */
static void
test_ipv6_prefix(void **state)
{
	struct ratelimit *rl = malloc(sizeof(*rl));
	uint8_t k1[16], k2[16];
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = v4(0x0a000001);

	(void)state;
	rl_init(rl, 0, 3, RL_V6_PREFIX);
	assert_int_equal(burst6(rl, "2001:db8:1:2::1", 2, 1.0), 2);
	assert_int_equal(burst6(rl, "2001:db8:1:2:ffff:ffff:ffff:ffff", 5,
	    1.0), 1);				/* the same /64: one left */
	assert_int_equal(burst6(rl, "2001:db8:1:3::1", 5, 1.0), 3);
	assert_int_equal(rl->refused_source, 6);

	rl_init(rl, 0, 3, 128);
	assert_int_equal(burst6(rl, "2001:db8:1:2::1", 5, 1.0), 3);
	assert_int_equal(burst6(rl, "2001:db8:1:2::2", 5, 1.0), 3);

	rl_init(rl, 0, 3, 48);
	assert_int_equal(burst6(rl, "2001:db8:1:2::1", 2, 1.0), 2);
	assert_int_equal(burst6(rl, "2001:db8:1:ffff::1", 5, 1.0), 1);

	/* Keys: bits past the prefix cleared, an odd prefix too. */
	inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    &s6.sin6_addr);
	rl_source_key((struct sockaddr *)&s6, 35, k1);
	inet_pton(AF_INET6, "2001:db8:e000::", &s6.sin6_addr);
	assert_memory_equal(k1, &s6.sin6_addr, 16);
	rl_source_key((struct sockaddr *)&s6, 1, k1);
	assert_int_equal(k1[0], 0);
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &s6.sin6_addr);
	rl_source_key((struct sockaddr *)&s6, 64, k1);
	rl_source_key((struct sockaddr *)&s4, 64, k2);
	assert_memory_equal(k1, k2, 16);
	inet_pton(AF_INET6, "::ffff:10.0.0.2", &s6.sin6_addr);
	rl_source_key((struct sockaddr *)&s6, 64, k1);
	assert_memory_not_equal(k1, k2, 16);
	free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_global),
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_ipv6_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
