/*
 * test_link_inventory.c: gw-mgmt's agents table as its links and channels
 * (link.c, mchan.c) write it, without sockets, in the world of
 * tests/support/link_fixture.h: an agent online from OPEN_ACK to its
 * channel's end (CLOSE, the link lost), with its OPEN's identity and
 * gateway, still online when another gateway's channel supersedes it; a
 * loop pass's events written in one transaction, in their order; a
 * reconnect storm of 2,000 agents (its time printed, not asserted); the
 * via of a chain (PROTOCOL.md 9.13) stored as received when its last name
 * is the link's gateway, that channel closed (protocol) when it is not,
 * the link closed when CHAIN was not agreed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "fake_conn.h"
#include "identity.h"
#include "link_fixture.h"
#include "mchan.h"
#include "proto.h"
#include "store_cmd.h"

/* The loop ends its pass: the queued inventory writes are made. */
static void
loop_pass(void)
{
	if (ev_is_active(&T.m.chans->batch.prepare))
		ev_invoke(T.m.loop, &T.m.chans->batch.prepare, EV_PREPARE);
	assert_false(ev_is_active(&T.m.chans->batch.prepare));
}

/* An agents row as the store shows it. */
struct agent_row {
	const char	*name;
	int		 found, online;
	char		 gateway[32], peer[32], subject[64], serial[16];
	char		 via[128];
};

static int
agent_cb(const struct store_agent *a, void *arg)
{
	struct agent_row *x = arg;

	if (strcmp(a->name, x->name) != 0)
		return 0;
	x->found = 1;
	x->online = a->online;
	snprintf(x->gateway, sizeof(x->gateway), "%s", a->gateway);
	snprintf(x->peer, sizeof(x->peer), "%s", a->peer);
	snprintf(x->subject, sizeof(x->subject), "%s", a->subject);
	snprintf(x->serial, sizeof(x->serial), "%s", a->serial);
	snprintf(x->via, sizeof(x->via), "%s", a->via);
	return 0;
}

/* Agent ${name}'s row (after the loop pass): 1 online, 0 offline, -1 none. */
static int
online(const char *name, struct agent_row *x)
{
	loop_pass();
	memset(x, 0, sizeof(*x));
	x->name = name;
	assert_true(store_agents(T.m.store, agent_cb, x) >= 0);
	return x->found ? x->online : -1;
}

/* A gateway that agreed COMMANDS. */
static struct conn *
cgateway(int crt)
{
	struct conn *c = gateway(crt, 0);

	hello(c, GW_CAP_COMMANDS);
	return c;
}

/*
 * OPEN_ACK puts the agent in the agents table, online, with its OPEN's
 * identity and gateway; its channel's end (CLOSE, the link lost) puts it
 * offline; a channel superseded by another gateway's leaves it online.
 */
static void
test_inventory(void **state)
{
	struct agent_row a;
	struct conn *c, *other;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	assert_int_equal(online("agent-1", &a), 1);
	assert_string_equal(a.gateway, "gw-1");
	assert_string_equal(a.peer, "192.0.2.1:5000");
	assert_string_equal(a.subject, "CN=agent-1");
	assert_string_equal(a.serial, "01");
	close_chan(c, 1);
	assert_int_equal(online("agent-1", &a), 0);
	open_chan(c, 2, "agent-2", ISSUER_A);
	open_chan(c, 3, "agent-3", ISSUER_A);
	other = cgateway(GW2);
	open_chan(other, 1, "agent-3", ISSUER_A);	/* supersedes */
	assert_int_equal(online("agent-3", &a), 1);
	assert_string_equal(a.gateway, "gw-2");
	fake_conn_eof(c);				/* link lost */
	conn_reap();
	assert_int_equal(online("agent-2", &a), 0);
	assert_int_equal(online("agent-3", &a), 1);
	assert_alive(other);
}

/* The transactions that wrote the agents table (SQLite's hooks). */
static unsigned long
agent_writes(void)
{
	return T.agent_commits;
}

/*
 * The OPEN_ACKs and channel ends of a loop pass are written in one
 * transaction at its end, not one each.
 */
static void
test_inventory_batched(void **state)
{
	struct agent_row a;
	struct conn *c;
	unsigned long before;
	char name[32];

	(void)state;
	c = cgateway(GW1);
	loop_pass();
	before = agent_writes();
	for (uint32_t i = 1; i <= 20; i++) {
		snprintf(name, sizeof(name), "agent-%u", i);
		open_chan(c, i, name, ISSUER_A);
	}
	commit();
	assert_int_equal(agent_writes() - before, 0);
	loop_pass();
	assert_int_equal(agent_writes() - before, 1);
	assert_int_equal(online("agent-1", &a), 1);
	assert_int_equal(online("agent-20", &a), 1);
	before = agent_writes();
	fake_conn_eof(c);				/* link lost */
	conn_reap();
	assert_int_equal(agent_writes() - before, 0);
	loop_pass();
	assert_int_equal(agent_writes() - before, 1);
	assert_int_equal(online("agent-1", &a), 0);
	assert_int_equal(online("agent-20", &a), 0);
}

/*
 * Written together, the events keep their order (and the loop's clock
 * stands still: one millisecond for all): a channel closed and its agent
 * back on another in the same pass is online, and so is one superseded
 * by another gateway's; an agent that came and went in the pass is known,
 * offline.
 */
static void
test_inventory_order(void **state)
{
	struct agent_row a;
	struct conn *c, *other;

	(void)state;
	c = cgateway(GW1);
	other = cgateway(GW2);
	open_chan(c, 1, "agent-1", ISSUER_A);
	close_chan(c, 1);
	open_chan(c, 2, "agent-1", ISSUER_A);
	open_chan(c, 3, "agent-2", ISSUER_A);
	open_chan(other, 1, "agent-2", ISSUER_A);	/* supersedes */
	open_chan(c, 4, "agent-3", ISSUER_A);
	close_chan(c, 4);
	assert_int_equal(online("agent-1", &a), 1);
	assert_int_equal(online("agent-2", &a), 1);
	assert_string_equal(a.gateway, "gw-2");
	assert_int_equal(online("agent-3", &a), 0);
	assert_string_equal(a.subject, "CN=agent-3");
	close_chan(other, 1);
	assert_int_equal(online("agent-2", &a), 0);
	assert_alive(c);
	assert_alive(other);
}

/* Agents online in the committed view. */
static int64_t
online_count(void)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT count(*) FROM "
	    "agents WHERE state = 1", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

#define STORM	2000

/*
 * A reconnect storm: STORM agents open through one gateway, then the link
 * is lost, against the SQLite store on disk.  The loop's time for each is
 * printed (a measure, not asserted); every agent is online, then offline.
 */
static void
test_inventory_storm(void **state)
{
	struct gw_frame f = { .type = GW_T_OPEN };
	struct timespec t0;
	struct id_info id;
	struct conn *c;
	unsigned long before;
	double open_ms;

	(void)state;
	c = cgateway(GW1);
	loop_pass();
	T.quiet = 1;			/* no room to record 2000 OPEN_ACKs */
	before = agent_writes();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 1; i <= STORM; i++) {
		memset(&id, 0, sizeof(id));
		snprintf(id.name, sizeof(id.name), "storm-%u", i);
		snprintf(id.subject, sizeof(id.subject), "CN=%s", id.name);
		snprintf(id.issuer, sizeof(id.issuer), "%s", ISSUER_A);
		snprintf(id.peer, sizeof(id.peer), "192.0.2.1:5000");
		id_fp_hex(id.fingerprint, id.fp_hex);
		id_view(&id, &f.u.open);
		f.channel = i;
		fake_conn_frame(c, &f);
	}
	commit();
	loop_pass();
	open_ms = ms_since(&t0);
	assert_int_equal(online_count(), STORM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fake_conn_eof(c);
	conn_reap();
	loop_pass();
	print_message("inventory storm: %d channels opened in %.1f ms, "
	    "closed in %.1f ms; %lu agent transactions\n", STORM, open_ms,
	    ms_since(&t0), agent_writes() - before);
	T.quiet = 0;
	assert_int_equal(online_count(), 0);
}

/*
 * An OPEN whose agent name is not UTF-8 (a hostile gateway; no [scope])
 * closes that channel alone: it never reaches the inventory's batched
 * write, where it would fail the other agents' rows of the same pass.
 */
static void
test_bad_utf8_identity(void **state)
{
	struct agent_row a;
	struct sent *s;
	struct conn *c;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 2, "bad\xff", ISSUER_A);
	assert_int_equal(online("agent-1", &a), 1);
	assert_int_equal(sent(c, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_PROTOCOL);
	assert_int_equal(online("bad\xff", &a), -1);
	assert_alive(c);
}

/* OPEN ${channel} of ${agent} on ${c}: the extension, with ${via}. */
static void
open_via(struct conn *c, uint32_t channel, const char *agent,
    const char *via)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = channel };
	struct chan_agent *ca = &T.chans[T.nchans++];
	struct id_info id;

	memset(&id, 0, sizeof(id));
	snprintf(id.name, sizeof(id.name), "%s", agent);
	snprintf(id.subject, sizeof(id.subject), "CN=%s", agent);
	snprintf(id.serial, sizeof(id.serial), "01");
	snprintf(id.issuer, sizeof(id.issuer), "%s", ISSUER_A);
	snprintf(id.peer, sizeof(id.peer), "192.0.2.1:5000");
	id_fp_hex(id.fingerprint, id.fp_hex);
	id_view(&id, &f.u.open);
	f.u.open.has_ext = 1;
	f.u.open.has_via = 1;
	f.u.open.via = gw_str_text(via);
	ca->c = c;
	ca->channel = channel;
	snprintf(ca->agent, sizeof(ca->agent), "%s", agent);
	send_frame(c, &f);
}

/*
 * The via of OPEN, on a link that agreed FLEET and CHAIN (the gateway
 * gw-1): stored as received when it ends with gw-1, replaced by the next
 * OPEN's ("" without one); one that ends with another name (or with a
 * name gw-1 only begins) closes that channel (protocol), stores nothing,
 * and the link lives on.  A via on a link that did not agree CHAIN closes
 * the link (unexpected).
 */
static void
test_via(void **state)
{
	struct agent_row a;
	struct sent *s;
	struct conn *c;

	(void)state;
	c = gateway(GW1, 0);
	hello(c, GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN);
	open_via(c, 1, "agent-1", "gw-1");
	open_via(c, 2, "agent-2", "gw-inner gw-1");
	assert_int_equal(online("agent-1", &a), 1);
	assert_string_equal(a.via, "gw-1");
	assert_int_equal(online("agent-2", &a), 1);
	assert_string_equal(a.via, "gw-inner gw-1");
	open_via(c, 3, "agent-3", "gw-1 gw-2");
	open_via(c, 4, "agent-4", "gw-10");
	open_via(c, 5, "agent-5", "gw-");
	for (uint32_t ch = 3; ch <= 5; ch++) {
		assert_int_equal(sent(c, GW_T_CLOSE, ch, &s), 1);
		assert_int_equal(s->code, GW_R_PROTOCOL);
		assert_int_equal(sent(c, GW_T_OPEN_ACK, ch, NULL), 0);
	}
	assert_int_equal(online("agent-3", &a), -1);
	assert_int_equal(online("agent-4", &a), -1);
	/* The next OPEN of agent-2, without via: its path is unknown. */
	open_chan(c, 6, "agent-2", ISSUER_A);
	assert_int_equal(online("agent-2", &a), 1);
	assert_string_equal(a.via, "");
	assert_alive(c);
	c = gateway(GW2, 0);
	hello(c, GW_CAP_COMMANDS | GW_CAP_FLEET);
	open_via(c, 1, "agent-7", "gw-2");
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
	assert_int_equal(online("agent-7", &a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_utf8_identity,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inventory,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inventory_batched,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inventory_order,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inventory_storm,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_via,
		    link_fixture_setup, link_fixture_teardown),
	};

	link_fixture_init("test_link_inventory");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
