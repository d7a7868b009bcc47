/*
 * test_stats.c: gatewayd's counters (stats.c) and their rendering
 * (metrics_render, from a view as main.c fills it, no socket): reasons in
 * their slots and back, the send-to-ACK histogram's bucket edges, the
 * counters each stats_*() call moves, the residence histograms (runs of
 * messages pending on a connection, counted when it is written), and a
 * render that is the same when sized and when written, truncated like
 * snprintf.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <ev.h>

#include "failover.h"
#include "limit.h"
#include "metrics.h"
#include "stats.h"

/* The slot of ${reason}: where stats_closed counted it. */
static int
slot_of(const uint64_t *v)
{
	for (int i = 0; i < STATS_REASONS; i++)
		if (v[i] != 0)
			return i;
	return -1;
}

static void
test_reason_slots(void **state)
{
	static const unsigned reasons[] = {
		0, 1, GW_R_INTERNAL, 31, GW_R_PEER_CLOSED,
		GW_R_PEER_CLOSED + 7
	};
	struct stats s;
	int i;

	(void)state;
	for (size_t k = 0; k < sizeof(reasons) / sizeof(reasons[0]); k++) {
		memset(&s, 0, sizeof(s));
		stats_closed(&s, 0, reasons[k]);
		assert_int_equal(slot_of(s.hs_failed), -1);
		assert_true((i = slot_of(s.closed)) >= 0);
		assert_int_equal(stats_slot_reason((unsigned)i), reasons[k]);
		memset(&s, 0, sizeof(s));
		stats_closed(&s, 1, reasons[k]);
		assert_int_equal(slot_of(s.closed), -1);
		assert_int_equal(stats_slot_reason(
		    (unsigned)slot_of(s.hs_failed)), reasons[k]);
	}
	/* Past the local reasons, or past the wire's: counted as internal. */
	memset(&s, 0, sizeof(s));
	stats_closed(&s, 0, GW_R_PEER_CLOSED + 8);
	stats_closed(&s, 0, 32);
	assert_int_equal(s.closed[GW_R_INTERNAL], 2);
}

static void
test_ack_buckets(void **state)
{
	struct stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	stats_ack(&s, 0);
	stats_ack(&s, 0.001);		/* on the edge: that bucket */
	stats_ack(&s, 0.0011);		/* the next one */
	stats_ack(&s, 10);		/* the last */
	stats_ack(&s, 10.5);		/* +Inf: only in the count */
	assert_int_equal(s.ack_le[0], 2);
	assert_int_equal(s.ack_le[1], 1);
	assert_int_equal(s.ack_le[STATS_ACK_BUCKETS - 1], 1);
	assert_int_equal(s.ack_count, 5);
	assert_true(s.ack_sum > 20.5020 && s.ack_sum < 20.5022);
	for (unsigned i = 1; i < STATS_ACK_BUCKETS; i++)
		assert_true(stats_ack_bound(i) > stats_ack_bound(i - 1));
	assert_true(stats_ack_bound(STATS_ACK_BUCKETS - 1) == 10);
}

static void
test_residence(void **state)
{
	struct stats s;
	struct stats_pend link[STATS_LINK_RUNS], two[2], one;
	const struct stats_hist *h = &s.res[STATS_RES_DATA];

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(link, 0, sizeof(link));
	/* Three of one iteration, one older (it waited): two runs. */
	stats_pend_add(link, STATS_LINK_RUNS, 1.0);
	stats_pend_add(link, STATS_LINK_RUNS, 0.5);
	stats_pend_add(link, STATS_LINK_RUNS, 1.0);
	stats_pend_add(link, STATS_LINK_RUNS, 1.0);
	assert_int_equal(link[0].n, 3);
	assert_int_equal(link[1].n, 1);
	assert_int_equal(link[2].n, 0);
	stats_res(&s, STATS_RES_DATA, link, STATS_LINK_RUNS, 1.00003);
	assert_int_equal(h->le[prom_lat_bucket(0.00003)], 3);
	assert_int_equal(prom_lat_bucket(0.00003), 2);	/* 25 .. 50 us */
	assert_int_equal(h->le[prom_lat_bucket(0.50003)], 1);
	assert_int_equal(h->count, 4);
	assert_true(h->sum > 0.50011 && h->sum < 0.50013);
	assert_int_equal(s.res[STATS_RES_ACK].count, 0);
	/* Emptied: written again, nothing more. */
	assert_int_equal(link[0].n + link[1].n, 0);
	stats_res(&s, STATS_RES_DATA, link, STATS_LINK_RUNS, 9);
	assert_int_equal(h->count, 4);
	/* No run left for a third time: the last takes it, the older time. */
	memset(two, 0, sizeof(two));
	stats_pend_add(two, 2, 1.0);
	stats_pend_add(two, 2, 2.0);
	stats_pend_add(two, 2, 3.0);
	assert_true(two[1].since == 2.0 && two[1].n == 2);
	memset(&s, 0, sizeof(s));
	stats_res(&s, STATS_RES_DATA, two, 2, 3.0);
	assert_int_equal(h->le[prom_lat_bucket(2.0)], 1);	/* <= 2.5 */
	assert_int_equal(h->le[prom_lat_bucket(1.0)], 2);	/* <= 1: edge */
	assert_true(prom_lat_bound(prom_lat_bucket(1.0)) == 1);
	/* An agent's one run: the oldest; a clock gone back counts 0. */
	memset(&one, 0, sizeof(one));
	stats_pend_add(&one, 1, 5.0);
	stats_pend_add(&one, 1, 4.0);
	assert_true(one.since == 4.0 && one.n == 2);
	memset(&s, 0, sizeof(s));
	stats_res(&s, STATS_RES_ACK, &one, 1, 3.0);
	assert_int_equal(s.res[STATS_RES_ACK].le[0], 2);
	assert_true(s.res[STATS_RES_ACK].sum == 0);
	/* Above the last bound: only in the count. */
	stats_pend_add(&one, 1, 0);
	stats_res(&s, STATS_RES_ACK, &one, 1, 6);
	assert_int_equal(s.res[STATS_RES_ACK].count, 3);
	assert_int_equal(s.res[STATS_RES_ACK].le[PROM_LAT_BUCKETS - 1], 0);
	for (unsigned i = 1; i < PROM_LAT_BUCKETS; i++)
		assert_true(prom_lat_bound(i) > prom_lat_bound(i - 1));
	assert_true(prom_lat_bound(0) == 0.00001);
	assert_int_equal(prom_lat_bucket(1e9), PROM_LAT_BUCKETS);
}

/* stats_flushed: nothing pending, nothing read; else counted from now. */
static void
test_flushed(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct stats_pend p[STATS_LINK_RUNS];
	struct stats s;

	(void)state;
	assert_non_null(loop);
	memset(&s, 0, sizeof(s));
	memset(p, 0, sizeof(p));
	stats_flushed(&s, STATS_RES_DATA, p, STATS_LINK_RUNS, NULL);
	assert_int_equal(s.res[STATS_RES_DATA].count, 0);
	stats_pend_add(p, STATS_LINK_RUNS, ev_now(loop) - 0.003);
	stats_pend_add(p, STATS_LINK_RUNS, ev_now(loop) - 0.003);
	stats_flushed(&s, STATS_RES_DATA, p, STATS_LINK_RUNS, loop);
	assert_int_equal(s.res[STATS_RES_DATA].count, 2);
	assert_true(s.res[STATS_RES_DATA].sum >= 0.006);
	for (unsigned i = 0; i < prom_lat_bucket(0.003); i++)
		assert_int_equal(s.res[STATS_RES_DATA].le[i], 0);
	assert_int_equal(p[0].n, 0);
	ev_loop_destroy(loop);
}

static void
test_counters(void **state)
{
	struct stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	stats_accepted(&s, 0);
	stats_accepted(&s, 7);
	stats_refused(&s);
	stats_enroll(&s, GW_ENROLL_PENDING);
	stats_enroll(&s, GW_ENROLL_REFUSED + 1);	/* out of range */
	stats_up(&s, 100);
	stats_up(&s, 0);
	stats_down(&s, 5);
	stats_stall(&s, STATS_STALL_WINDOW);
	stats_stall(&s, STATS_STALL_BUDGET);
	stats_stall(&s, STATS_STALL_BUDGET);
	stats_move(&s, 0, 1000.5);
	stats_move(&s, 0, 1500.5);
	stats_move(&s, 1, 2000.5);
	assert_int_equal(s.accepted, 2);
	assert_int_equal(s.resumed, 1);
	assert_int_equal(s.refused, 1);
	assert_int_equal(s.enroll[GW_ENROLL_ISSUED], 0);
	assert_int_equal(s.enroll[GW_ENROLL_PENDING], 1);
	assert_int_equal(s.enroll[GW_ENROLL_REFUSED], 0);
	assert_int_equal(s.frames_up, 2);
	assert_int_equal(s.bytes_up, 100);
	assert_int_equal(s.frames_down, 1);
	assert_int_equal(s.bytes_down, 5);
	assert_int_equal(s.stalls_window, 1);
	assert_int_equal(s.stalls_budget, 2);
	assert_int_equal(s.failovers, 2);
	assert_int_equal(s.failbacks, 1);
	assert_true(s.last_move == 2000.5);
}

/* A view of two servers, the second active and down twice. */
static void
view_init(struct metrics_view *v, struct stats *s, struct fo_peer *srv,
    uint64_t *hits)
{
	static char a0[] = "127.0.0.1:1", a1[] = "127.0.0.1:2";
	static char *servers[] = { a0, a1 };

	memset(s, 0, sizeof(*s));
	memset(srv, 0, 2 * sizeof(*srv));
	memset(hits, 0, LIMIT_COUNT * sizeof(*hits));
	memset(v, 0, sizeof(*v));
	stats_accepted(s, 1);
	stats_closed(s, 0, GW_R_PEER_CLOSED);
	stats_ack(s, 0.02);
	stats_up(s, 123);
	s->res[STATS_RES_DATA].le[prom_lat_bucket(0.0003)] = 2;
	s->res[STATS_RES_DATA].count = 3;
	s->res[STATS_RES_DATA].sum = 7.5;
	s->res[STATS_RES_ACK].le[0] = 1;
	s->res[STATS_RES_ACK].count = 1;
	srv[1].health = FO_UP;
	srv[1].downs[FO_R_REFUSED] = 2;
	hits[0] = 4;
	v->stats = s;
	v->agents = 5;
	v->handshakes = 2;
	v->max_agents = 100;
	v->starved = 1;
	v->budget = 1 << 20;
	v->limit_hits = hits;
	v->links = 2;
	v->links_ready = 1;
	v->srv = srv;
	v->servers = servers;
	v->nsrv = 2;
	v->active = 1;
}

static void
test_render(void **state)
{
	struct metrics_view v;
	struct stats s;
	struct fo_peer srv[2];
	uint64_t hits[LIMIT_COUNT];
	char buf[32768], small[100], line[128];
	size_t n;

	(void)state;
	view_init(&v, &s, srv, hits);
	n = metrics_render(&v, NULL, 0);
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(metrics_render(&v, buf, sizeof(buf)), n);
	assert_int_equal(strlen(buf), n);
	assert_non_null(strstr(buf, "\ngatewayd_agents{state=\"handshake\"} 2\n"
	    "gatewayd_agents{state=\"authenticated\"} 3\n"));
	assert_non_null(strstr(buf, "\ngatewayd_agents_accepted_total 1\n"));
	assert_non_null(strstr(buf, "\ngatewayd_handshakes_resumed_total 1\n"));
	assert_non_null(strstr(buf, "gatewayd_sessions_closed_total{reason="
	    "\"peer-closed\"} 1\n"));
	assert_non_null(strstr(buf, "gatewayd_ack_latency_seconds_bucket"
	    "{le=\"0.025\"} 1\n"));
	assert_non_null(strstr(buf, "gatewayd_ack_latency_seconds_bucket"
	    "{le=\"0.01\"} 0\n"));
	assert_non_null(strstr(buf, "\ngatewayd_data_residence_seconds_bucket"
	    "{le=\"0.00025\"} 0\ngatewayd_data_residence_seconds_bucket"
	    "{le=\"0.0005\"} 2\n"));
	assert_non_null(strstr(buf, "\ngatewayd_data_residence_seconds_bucket"
	    "{le=\"5\"} 2\ngatewayd_data_residence_seconds_bucket{le=\"+Inf\"}"
	    " 3\ngatewayd_data_residence_seconds_sum 7.500000\n"
	    "gatewayd_data_residence_seconds_count 3\n"));
	assert_non_null(strstr(buf, "\ngatewayd_ack_residence_seconds_bucket"
	    "{le=\"1e-05\"} 1\n"));
	assert_non_null(strstr(buf, "\n# TYPE gatewayd_ack_residence_seconds "
	    "histogram\n"));
	assert_non_null(strstr(buf, "gatewayd_payload_bytes_total{direction="
	    "\"up\"} 123\n"));
	assert_non_null(strstr(buf, "\ngatewayd_agents_waiting_for_memory 1\n"));
	snprintf(line, sizeof(line), "gatewayd_limit_hits_total{limit=\"%s\"} "
	    "4\n", limit_name((enum limit)0));
	assert_non_null(strstr(buf, line));
	assert_non_null(strstr(buf, "gatewayd_upstream_links{state="
	    "\"not_ready\"} 1\n"));
	assert_non_null(strstr(buf, "gatewayd_server_up{server=\"127.0.0.1:2\","
	    "priority=\"1\"} 1\n"));
	assert_non_null(strstr(buf, "gatewayd_server_active{server="
	    "\"127.0.0.1:1\"} 0\n"));
	assert_non_null(strstr(buf, "gatewayd_server_failures_total{server="
	    "\"127.0.0.1:2\",reason=\"connect-refused\"} 2\n"));
	assert_null(strstr(buf, "{server=\"127.0.0.1:1\",reason="));
	assert_non_null(strstr(buf, "gatewayd_enroll_answers_total{status="
	    "\"refused\"} 0\n"));
	/* Truncated like snprintf: the same length, a NUL at the end. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(metrics_render(&v, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, buf, sizeof(small) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_slots),
		cmocka_unit_test(test_ack_buckets),
		cmocka_unit_test(test_residence),
		cmocka_unit_test(test_flushed),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
