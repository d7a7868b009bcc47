/*
 * test_failover.c: the pure failover decisions under a fake clock: health
 * states and counters, full-jitter backoff bounds and cap, priority choice
 * with backoff, fail-back after the hold-down (and never when disabled),
 * heartbeat detection of a hung peer within interval * misses, and the
 * policy failover fills (its timings; the shorter of two PING intervals).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "failover.h"

static const struct fo_policy pol = {
	.backoff_min = 0.1, .backoff_max = 5.0, .hold_down = 10.0,
	.hb_interval = 1.0, .hb_misses = 3,
};

#define RND_MAX		0xffffffffu
#define RND_HALF	0x80000000u

static void
test_states_and_counters(void **state)
{
	struct fo_peer p;

	(void)state;
	fo_peer_init(&p, 100.0);
	assert_int_equal(p.health, FO_UNKNOWN);
	assert_true(fo_may_try(&p, 100.0));
	fo_up(&p, 101.0);
	assert_int_equal(p.health, FO_UP);
	assert_true(p.since == 101.0);
	fo_down(&p, FO_R_HEARTBEAT, 105.0, &pol, RND_MAX);
	assert_int_equal(p.health, FO_DOWN);
	assert_int_equal(p.reason, FO_R_HEARTBEAT);
	assert_int_equal(p.downs[FO_R_HEARTBEAT], 1);
	assert_int_equal(p.fails, 1);
	assert_false(fo_may_try(&p, 105.0));
	assert_true(fo_may_try(&p, 105.1));
	fo_down(&p, FO_R_REFUSED, 105.1, &pol, 0);
	assert_int_equal(p.fails, 2);
	assert_true(p.since == 105.0);		/* still down since the first */
	assert_true(fo_may_try(&p, 105.1));	/* rnd 0: no wait */
	fo_up(&p, 106.0);
	assert_int_equal(p.fails, 0);
	assert_int_equal(p.ups, 2);
	assert_int_equal(p.downs[FO_R_REFUSED], 1);
	assert_string_equal(fo_reason_str(FO_R_HEARTBEAT), "heartbeat-missed");
	assert_string_equal(fo_health_str(FO_DOWN), "down");
}

static void
test_backoff_full_jitter_and_cap(void **state)
{
	(void)state;
	/* The ceiling doubles: 0.1, 0.2, 0.4 ... and stops at 5. */
	assert_true(fo_backoff(&pol, 1, RND_MAX) <= 0.1);
	assert_true(fo_backoff(&pol, 1, RND_MAX) > 0.099);
	assert_true(fo_backoff(&pol, 3, RND_MAX) > 0.399);
	assert_true(fo_backoff(&pol, 3, RND_MAX) <= 0.4);
	assert_true(fo_backoff(&pol, 3, RND_HALF) > 0.199 &&
	    fo_backoff(&pol, 3, RND_HALF) < 0.201);
	assert_true(fo_backoff(&pol, 30, RND_MAX) <= 5.0);
	assert_true(fo_backoff(&pol, 30, RND_MAX) > 4.99);
	assert_true(fo_backoff(&pol, 1000000, RND_MAX) <= 5.0);
	assert_true(fo_backoff(&pol, 7, 0) == 0.0);	/* full jitter */
}

static void
test_choose_in_priority_order(void **state)
{
	struct fo_peer v[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		fo_peer_init(&v[i], 0.0);
	assert_int_equal(fo_choose(v, 3, 0.0), 0);
	fo_down(&v[0], FO_R_REFUSED, 1.0, &pol, RND_MAX);	/* until 1.1 */
	assert_int_equal(fo_choose(v, 3, 1.0), 1);	/* at once, no wait */
	fo_down(&v[1], FO_R_CONNECT_TIMEOUT, 1.0, &pol, RND_MAX);
	fo_down(&v[2], FO_R_TLS, 1.0, &pol, RND_HALF);	/* until 1.05 */
	assert_int_equal(fo_choose(v, 3, 1.01), -1);
	assert_true(fo_next_retry(v, 3) > 1.049 && fo_next_retry(v, 3) < 1.051);
	assert_int_equal(fo_choose(v, 3, 1.06), 2);
	assert_int_equal(fo_choose(v, 3, 1.2), 0);	/* the best again */
}

static void
test_failback_after_hold_down(void **state)
{
	struct fo_peer v[2];
	struct fo_policy off = pol;

	(void)state;
	fo_peer_init(&v[0], 0.0);
	fo_peer_init(&v[1], 0.0);
	fo_down(&v[0], FO_R_HEARTBEAT, 1.0, &pol, 0);
	fo_up(&v[1], 1.5);
	assert_int_equal(fo_failback(v, 1, 2.0, &pol), -1);
	fo_up(&v[0], 20.0);			/* the primary is back */
	assert_int_equal(fo_failback(v, 1, 29.9, &pol), -1);
	assert_int_equal(fo_failback(v, 1, 30.0, &pol), 0);
	assert_int_equal(fo_failback(v, 0, 30.0, &pol), -1);	/* on it */
	fo_down(&v[0], FO_R_GOAWAY, 31.0, &pol, 0);	/* flapping: restart */
	fo_up(&v[0], 32.0);
	assert_int_equal(fo_failback(v, 1, 41.0, &pol), -1);
	assert_int_equal(fo_failback(v, 1, 42.0, &pol), 0);
	off.hold_down = -1;
	assert_int_equal(fo_failback(v, 1, 1000.0, &off), -1);
}

static void
test_heartbeat_detects_hung_peer(void **state)
{
	struct fo_heartbeat hb;
	double t;

	(void)state;
	fo_hb_start(&hb, 0.0);
	assert_int_equal(fo_hb_check(&hb, 0.5, &pol), FO_HB_WAIT);
	assert_true(fo_hb_due(&hb, &pol) == 1.0);
	assert_int_equal(fo_hb_check(&hb, 1.0, &pol), FO_HB_PING);
	assert_int_equal(fo_hb_check(&hb, 1.2, &pol), FO_HB_WAIT); /* pinged */
	fo_hb_rx(&hb, 1.01);			/* the PONG */
	assert_int_equal(fo_hb_check(&hb, 2.0, &pol), FO_HB_WAIT);
	assert_int_equal(fo_hb_check(&hb, 2.02, &pol), FO_HB_PING);
	/* Now the peer hangs: nothing more arrives after 1.01. */
	for (t = 2.02; fo_hb_check(&hb, t, &pol) != FO_HB_DEAD; t += 0.01)
		assert_true(t < 10.0);
	/* 3 s silent, and the PING of 2.02 unanswered for 2 s. */
	assert_true(t >= 2.02 + 2.0 - 1e-9 && t < 2.02 + 2.0 + 0.011);
	/* Traffic alone keeps a link alive: no PING needed. */
	fo_hb_start(&hb, 0.0);
	for (t = 0.0; t < 10.0; t += 0.5) {
		fo_hb_rx(&hb, t);
		assert_int_equal(fo_hb_check(&hb, t + 0.4, &pol), FO_HB_WAIT);
	}
}

/*
 * A loop that was late (the process stopped, or one long iteration): the
 * silence it finds is its own; it PINGs first, and gives up only when
 * that PING has had hb_interval * (hb_misses - 1) with no answer.
 */
static void
test_heartbeat_late_loop_asks_first(void **state)
{
	struct fo_heartbeat hb;

	(void)state;
	fo_hb_start(&hb, 0.0);
	assert_int_equal(fo_hb_check(&hb, 10.0, &pol), FO_HB_PING);
	assert_true(fo_hb_due(&hb, &pol) == 11.0);	/* the next PING */
	assert_int_equal(fo_hb_check(&hb, 10.5, &pol), FO_HB_WAIT);
	fo_hb_rx(&hb, 10.2);			/* the PONG: alive */
	assert_int_equal(fo_hb_check(&hb, 11.0, &pol), FO_HB_WAIT);
	/* Late again, and this time the peer is hung. */
	assert_int_equal(fo_hb_check(&hb, 30.0, &pol), FO_HB_PING);
	assert_int_equal(fo_hb_check(&hb, 31.0, &pol), FO_HB_PING);
	assert_true(fo_hb_due(&hb, &pol) == 32.0);
	assert_int_equal(fo_hb_check(&hb, 31.9, &pol), FO_HB_WAIT);
	assert_int_equal(fo_hb_check(&hb, 32.0, &pol), FO_HB_DEAD);
}

static void
test_policy_init_and_heartbeat(void **state)
{
	struct fo_policy p;

	(void)state;
	fo_policy_init(&p, 0.5, 30.0, -1, 2.0, 4);
	assert_true(p.backoff_min == 0.5);
	assert_true(p.backoff_max == 30.0);
	assert_true(p.hold_down == -1);
	assert_true(p.hb_interval == 2.0);
	assert_int_equal(p.hb_misses, 4);
	/* The peer's interval when shorter; ours when it is longer or 0. */
	fo_policy_heartbeat(&p, 2.0, 0.5);
	assert_true(p.hb_interval == 0.5);
	fo_policy_heartbeat(&p, 2.0, 3.0);
	assert_true(p.hb_interval == 2.0);
	fo_policy_heartbeat(&p, 1.5, 0);
	assert_true(p.hb_interval == 1.5);
	/* The rest of the policy stays. */
	assert_true(p.backoff_min == 0.5);
	assert_int_equal(p.hb_misses, 4);
}

/* Cut off after the grace with no ready link; back with one; once each. */
static void
test_grace_cut_off_and_back(void **state)
{
	struct fo_grace g;

	(void)state;
	fo_grace_init(&g, 100.0);	/* starts without a link */
	assert_int_equal(fo_grace_check(&g, 0, 104.9, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 0, 105.0, 5.0), FO_GRACE_CUT);
	assert_int_equal(g.state, FO_GRACE_CUT_OFF);
	assert_int_equal(fo_grace_check(&g, 0, 200.0, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 1, 201.0, 5.0), FO_GRACE_BACK);
	assert_int_equal(fo_grace_check(&g, 1, 202.0, 5.0), FO_GRACE_NONE);
	/* A link lost for less than the grace is no cut. */
	assert_int_equal(fo_grace_check(&g, 0, 210.0, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 0, 214.9, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 1, 215.0, 5.0), FO_GRACE_NONE);
	/* The grace counts from the loss, not from the start. */
	assert_int_equal(fo_grace_check(&g, 0, 300.0, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 0, 304.0, 5.0), FO_GRACE_NONE);
	assert_int_equal(fo_grace_check(&g, 0, 305.0, 5.0), FO_GRACE_CUT);
	/* Cut off, then a reload makes grace 0 ("never"): it ends, once. */
	assert_int_equal(fo_grace_check(&g, 0, 306.0, 0.0), FO_GRACE_OFF);
	assert_int_equal(g.state, FO_GRACE_WAIT);
	assert_int_equal(fo_grace_check(&g, 0, 400.0, 0.0), FO_GRACE_NONE);
	/* grace 0: never cut off. */
	fo_grace_init(&g, 0.0);
	assert_int_equal(fo_grace_check(&g, 0, 1e6, 0.0), FO_GRACE_NONE);
	assert_int_equal(g.state, FO_GRACE_WAIT);
}

/*
 * A peer cut off from its servers rests backoff_max/2 .. backoff_max, doubled
 * at each failure in a row up to FO_LOST_REST_MAX.
 */
static void
test_upstream_lost_rests_longer(void **state)
{
	struct fo_policy pol;
	struct fo_peer v[2];

	(void)state;
	fo_policy_init(&pol, 0.1, 5.0, 10.0, 1.0, 3);
	fo_peer_init(&v[0], 0.0);
	fo_peer_init(&v[1], 0.0);
	fo_down(&v[0], FO_R_UPSTREAM_LOST, 10.0, &pol, 0);
	assert_true(v[0].retry_at >= 12.5 && v[0].retry_at <= 12.5001);
	assert_string_equal(fo_reason_str(v[0].reason), "upstream-lost");
	assert_int_equal(fo_choose(v, 2, 10.0), 1);	/* the next, at once */
	assert_int_equal(fo_choose(v, 2, 12.6), 0);
	/* In a row: doubled (10 s at most, its rnd at the top)... */
	fo_down(&v[0], FO_R_UPSTREAM_LOST, 20.0, &pol, UINT32_MAX);
	assert_true(v[0].retry_at > 29.99 && v[0].retry_at <= 30.0);
	assert_int_equal(v[0].downs[FO_R_UPSTREAM_LOST], 2);
	/* ... up to FO_LOST_REST_MAX: a fleet of cut-off gateways rests. */
	for (int i = 0; i < 20; i++)
		fo_down(&v[0], FO_R_UPSTREAM_LOST, 100.0, &pol, UINT32_MAX);
	assert_true(v[0].retry_at > 100.0 + FO_LOST_REST_MAX - 0.01 &&
	    v[0].retry_at <= 100.0 + FO_LOST_REST_MAX);
	fo_down(&v[0], FO_R_UPSTREAM_LOST, 100.0, &pol, 0);
	assert_true(v[0].retry_at >= 100.0 + FO_LOST_REST_MAX / 2);
	/* A HELLO completed: the next rest is backoff_max again. */
	fo_up(&v[0], 200.0);
	fo_down(&v[0], FO_R_UPSTREAM_LOST, 300.0, &pol, UINT32_MAX);
	assert_true(v[0].retry_at > 304.99 && v[0].retry_at <= 305.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_and_counters),
		cmocka_unit_test(test_backoff_full_jitter_and_cap),
		cmocka_unit_test(test_choose_in_priority_order),
		cmocka_unit_test(test_failback_after_hold_down),
		cmocka_unit_test(test_heartbeat_detects_hung_peer),
		cmocka_unit_test(test_heartbeat_late_loop_asks_first),
		cmocka_unit_test(test_policy_init_and_heartbeat),
		cmocka_unit_test(test_grace_cut_off_and_back),
		cmocka_unit_test(test_upstream_lost_rests_longer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
