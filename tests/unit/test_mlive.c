/*
 * test_mlive.c: the liveness of gw-mgmt's agents (mlive.c) through its
 * links' channels (link_fixture.h: fake gateways, a real SQLite store),
 * the sweep driven with the test's own clock: an agent silent for
 * stale_after becomes stale (in memory and, at the loop pass, in the
 * store), one that sent DATA since stays online; its next DATA brings it
 * back; a close makes a stale agent offline at once; the last seq stored
 * reaches the store at the changes of state; a sweep makes at most
 * MLIVE_SWEEP_MAX stale and the next goes on; a SIGHUP's new stale_after
 * holds from the next sweep.  SEEN (GW_CAP_FLEET) is news of the listed
 * open channels of that same link only (ids of another link's channels,
 * closed or never opened ones are ignored); SEEN or OPEN's identity
 * extension without FLEET agreed closes the link; a stale agent that
 * opens a new channel is back; the extension's SANs
 * and notAfter reach the store, a control byte in them closes the
 * channel alone.
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
#include "frame.h"
#include "identity.h"
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

/* The gateway on ${c} sends SEEN of the ${n} channel ids ${ids}. */
static void
seen(struct conn *c, const uint32_t *ids, uint32_t n)
{
	struct gw_frame f = { .type = GW_T_SEEN };
	uint8_t buf[64];

	assert_true(n * 4 <= sizeof(buf));
	for (uint32_t i = 0; i < n; i++)
		gw_seen_put(buf, i, ids[i]);
	f.u.seen.ids = buf;
	f.u.seen.n = n;
	send_frame(c, &f);
}

/* A gateway that agreed FLEET (and COMMANDS). */
static struct conn *
fleet_gateway(int crt)
{
	struct conn *c = gateway(crt, 0);

	hello(c, GW_CAP_COMMANDS | GW_CAP_FLEET);
	return c;
}

/*
 * SEEN keeps agents online, but only the listed open channels of the
 * link it came on: another link's channel (same id there), a closed or a
 * never opened one are not marked, and stale agents come back on it.
 */
static void
test_seen(void **state)
{
	uint32_t ids[4];
	struct conn *c1, *c2;
	int64_t t0;

	(void)state;
	live_start(2);
	c1 = fleet_gateway(GW1);
	c2 = fleet_gateway(GW2);
	open_chan(c1, 1, "agent-1", ISSUER_A);
	open_chan(c1, 2, "agent-2", ISSUER_A);
	open_chan(c2, 1, "agent-3", ISSUER_A);
	open_chan(c1, 3, "agent-4", ISSUER_A);
	close_chan(c1, 3);
	t0 = now_ms();
	tick();
	/* c1: its 1 (agent-1), its 3 (closed), 9 (never); c2: its 2 (none:
	 * c1's agent-2 is not c2's to mark). */
	ids[0] = 1, ids[1] = 3, ids[2] = 9;
	seen(c1, ids, 3);
	ids[0] = 2;
	seen(c2, ids, 1);
	assert_int_equal(mlive_sweep(T.m.live, t0 + 2000), 2);
	assert_string_equal(stored("agent-1", NULL), "online");
	assert_string_equal(stored("agent-2", NULL), "stale");
	assert_string_equal(stored("agent-3", NULL), "stale");
	assert_string_equal(stored("agent-4", NULL), "offline");
	tick();
	ids[0] = 1;
	seen(c2, ids, 1);	/* c2's own channel 1: agent-3 */
	assert_string_equal(stored("agent-3", NULL), "online");
	assert_string_equal(stored("agent-2", NULL), "stale");
	assert_int_equal(mlive_stale(T.m.live), 1);
	/* agent-2 opens again (a new session): back, its new channel live. */
	open_chan(c1, 5, "agent-2", ISSUER_A);
	assert_int_equal(mlive_stale(T.m.live), 0);
	assert_string_equal(stored("agent-2", NULL), "online");
	assert_int_equal(mlive_sweep(T.m.live, now_ms() + 2000), 3);
	assert_alive(c1);
	assert_alive(c2);
}

/* SEEN, or OPEN with the identity extension, without FLEET: closed. */
static void
test_fleet_not_agreed(void **state)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = 1 };
	struct id_info id;
	uint32_t one = 1;
	struct conn *c;

	(void)state;
	live_start(2);
	c = gateway(GW1, 0);
	hello(c, GW_CAP_COMMANDS);
	seen(c, &one, 1);
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
	c = gateway(GW2, 1);
	memset(&id, 0, sizeof(id));
	snprintf(id.name, sizeof(id.name), "agent-1");
	snprintf(id.issuer, sizeof(id.issuer), "%s", ISSUER_A);
	id_view(&id, &f.u.open);
	f.u.open.has_ext = 1;
	f.u.open.sans.p = (const uint8_t *)"DNS:a";
	f.u.open.sans.len = 5;
	send_frame(c, &f);
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
}

/* OPEN ${channel} of ${agent} on ${c} with the extension (${sans}). */
static void
open_ext(struct conn *c, uint32_t channel, const char *agent,
    const char *sans, uint64_t not_after_ms)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = channel };
	struct chan_agent *ca = &T.chans[T.nchans++];
	struct id_info id;

	ca->c = c;	/* the fixture checks its OPEN_ACK against it */
	ca->channel = channel;
	snprintf(ca->agent, sizeof(ca->agent), "%s", agent);
	memset(&id, 0, sizeof(id));
	snprintf(id.name, sizeof(id.name), "%s", agent);
	snprintf(id.subject, sizeof(id.subject), "CN=%s", agent);
	snprintf(id.serial, sizeof(id.serial), "01");
	snprintf(id.issuer, sizeof(id.issuer), "%s", ISSUER_A);
	snprintf(id.peer, sizeof(id.peer), "192.0.2.1:5000");
	id_fp_hex(id.fingerprint, id.fp_hex);
	id_view(&id, &f.u.open);
	f.u.open.has_ext = 1;
	f.u.open.not_after_ms = not_after_ms;
	f.u.open.sans.p = (const uint8_t *)sans;
	f.u.open.sans.len = (uint16_t)strlen(sans);
	send_frame(c, &f);
}

/* What the store has of ${name}'s extension: "sans|not_after_ms". */
static const char *
stored_ext(const char *name)
{
	static char out[256];
	sqlite3_stmt *q;

	loop_pass();
	snprintf(out, sizeof(out), "none");
	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT sans, "
	    "coalesce(not_after_ms, -1) FROM agents WHERE name = ?", -1, &q,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		snprintf(out, sizeof(out), "%s|%lld",
		    (const char *)sqlite3_column_text(q, 0),
		    (long long)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return out;
}

/*
 * The extension reaches the store; an OPEN without it leaves sans "" and
 * notAfter NULL; a control byte in the SANs, or a notAfter beyond the
 * store's integers, closes that channel alone (bad identity).
 */
static void
test_identity_extension(void **state)
{
	struct conn *c;

	(void)state;
	live_start(60);
	c = fleet_gateway(GW1);
	open_ext(c, 1, "agent-1", "IP:10.0.0.1 DNS:a.example "
	    "URI:spiffe://x/y EMAIL:o@x", 1893456000000ULL);
	assert_string_equal(stored_ext("agent-1"), "IP:10.0.0.1 DNS:a.example "
	    "URI:spiffe://x/y EMAIL:o@x|1893456000000");
	open_chan(c, 2, "agent-2", ISSUER_A);
	assert_string_equal(stored_ext("agent-2"), "|-1");
	open_ext(c, 3, "agent-3", "DNS:a\x1b[31m", 1);
	assert_int_equal(sent(c, GW_T_CLOSE, 3, NULL), 1);
	open_ext(c, 4, "agent-4", "DNS:a", (uint64_t)1 << 63);
	assert_int_equal(sent(c, GW_T_CLOSE, 4, NULL), 1);
	assert_string_equal(stored_ext("agent-3"), "none");
	assert_string_equal(stored_ext("agent-4"), "none");
	assert_alive(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stale_and_back,
		    link_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_bound_and_reload,
		    link_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen,
		    link_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(test_fleet_not_agreed,
		    link_fixture_setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_extension,
		    link_fixture_setup, teardown),
	};

	link_fixture_init("test_mlive");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
