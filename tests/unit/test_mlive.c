/*
 * test_mlive.c: the liveness of gw-mgmt's agents (mlive.c) through its
 * links' channels (link_fixture.h: fake gateways, a real SQLite store),
 * the sweep driven with the test's own clock: an agent silent for
 * stale_after becomes stale (in memory and, at the loop pass, in the
 * store), one that sent DATA since stays online; its next DATA brings it
 * back; a close makes a stale agent offline at once; the last seq stored
 * reaches the store at the changes of state; a sweep makes at most
 * MLIVE_SWEEP_MAX stale and the next goes on; a SIGHUP's new stale_after
 * holds from the next sweep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "conn.h"
#include "fake_conn.h"
#include "link_fixture.h"
#include "mchan.h"
#include "mlive.h"
#include "proto.h"
#include "store_agents.h"

/* The loop's time now (it moves only when the test moves it). */
static int64_t
now_ms(void)
{
	return (int64_t)(ev_now(T.m.loop) * 1000.);
}

/* The loop's clock moves on by some real milliseconds. */
static void
tick(void)
{
	int64_t t = now_ms();

	while (now_ms() < t + 5) {
		usleep(2000);
		ev_now_update(T.m.loop);
	}
}

/* The loop ends its pass: the queued inventory writes are made. */
static void
loop_pass(void)
{
	if (ev_is_active(&T.m.chans->batch.prepare))
		ev_invoke(T.m.loop, &T.m.chans->batch.prepare, EV_PREPARE);
	assert_false(ev_is_active(&T.m.chans->batch.prepare));
}

/* Liveness with stale_after ${s} seconds, on the fixture's world. */
static void
live_start(double s)
{
	T.cfg.stale_after = s;
	assert_non_null(T.m.live = mlive_new(&T.m));
}

/* Free it before the fixture frees the links (they leave it). */
static int
teardown(void **state)
{
	mlive_free(T.m.live);
	T.m.live = NULL;
	return link_fixture_teardown(state);
}

/* Agent ${name}'s stored state (after the loop pass) and last_seq. */
static const char *
stored(const char *name, int64_t *last_seq)
{
	static char st[16];
	sqlite3_stmt *q;

	loop_pass();
	snprintf(st, sizeof(st), "none");
	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT state, "
	    "last_seq FROM agents WHERE name = ?", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(st, sizeof(st), "%s", store_agent_state_str(
		    (enum store_agent_state)sqlite3_column_int(q, 0)));
		if (last_seq != NULL)
			*last_seq = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	return st;
}

/*
 * Two agents open at t0; one sends DATA a little later.  A sweep at
 * t0 + stale_after makes the silent one stale (the other not yet), the
 * next DATA brings it back, its close makes it offline at once.
 */
static void
test_stale_and_back(void **state)
{
	struct conn *c;
	int64_t t0, seq = -1;

	(void)state;
	live_start(2);
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 2, "agent-2", ISSUER_A);
	t0 = now_ms();
	assert_string_equal(stored("agent-1", NULL), "online");
	tick();
	data(c, 1, 1, "one");
	commit();
	assert_int_equal(mlive_sweep(T.m.live, t0 + 1999), 0);
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), 1);
	assert_int_equal(mlive_stale(T.m.live), 1);
	assert_string_equal(stored("agent-2", NULL), "stale");
	assert_string_equal(stored("agent-1", NULL), "online");
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), 0);
	/* agent-1's DATA came later: stale at its own time. */
	assert_int_equal(mlive_sweep(T.m.live, now_ms() + 2000), 1);
	assert_string_equal(stored("agent-1", &seq), "stale");
	assert_int_equal(seq, 0);	/* written only as it goes */
	tick();
	data(c, 2, 7, "back");
	assert_int_equal(mlive_stale(T.m.live), 1);
	assert_string_equal(stored("agent-2", NULL), "online");
	data(c, 1, 2, "two");
	commit();
	assert_int_equal(mlive_stale(T.m.live), 0);
	assert_string_equal(stored("agent-1", &seq), "online");
	assert_int_equal(seq, 1);	/* durable when it came back */
	assert_int_equal(mlive_sweep(T.m.live, now_ms() + 2000), 2);
	close_chan(c, 2);
	assert_string_equal(stored("agent-2", &seq), "offline");
	assert_int_equal(seq, 7);	/* its last durable seq, at the close */
	assert_int_equal(mlive_stale(T.m.live), 1);
	assert_string_equal(stored("agent-1", NULL), "stale");
	assert_alive(c);
}

/*
 * A sweep makes at most MLIVE_SWEEP_MAX stale; the next goes on.  A
 * reload's stale_after holds from the next sweep.
 */
static void
test_sweep_bound_and_reload(void **state)
{
	struct conn *c;
	char name[32];
	int64_t t0;

	(void)state;
	live_start(3600);
	c = gateway(GW1, 1);
	T.quiet = 1;	/* no record of the OPEN_ACKs */
	t0 = now_ms();
	for (uint32_t i = 1; i <= MLIVE_SWEEP_MAX + 5; i++) {
		snprintf(name, sizeof(name), "a%u", i);
		T.nchans = 0;	/* the fixture's map holds 64; unused here */
		open_chan(c, i, name, ISSUER_A);
	}
	loop_pass();
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), 0);
	T.cfg.stale_after = 2;
	mlive_configure(T.m.live);
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), MLIVE_SWEEP_MAX);
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), 5);
	assert_int_equal(mlive_stale(T.m.live), MLIVE_SWEEP_MAX + 5);
	assert_string_equal(stored("a1", NULL), "stale");
	assert_string_equal(stored("a1005", NULL), "stale");
	fake_conn_eof(c);	/* the link lost: every agent offline */
	conn_reap();
	assert_int_equal(mlive_stale(T.m.live), 0);
	assert_string_equal(stored("a1005", NULL), "offline");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_and_back,
		    link_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_bound_and_reload,
		    link_fixture_setup, teardown),
	};

	link_fixture_init("test_mlive");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
