/*
 * test_link_commit.c: gw-mgmt's group commit (commit.c, under link.c),
 * without sockets, in the world of tests/support/link_fixture.h: DATA
 * ACKed only after its commit, an OPEN answered after the open batch
 * commits; the store refusing one row (a trigger) or a whole commit (a
 * commit hook).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "commit.h"
#include "fake_conn.h"
#include "link_fixture.h"
#include "proto.h"

static void
test_ack_only_after_commit(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	for (uint64_t seq = 1; seq <= 3; seq++)
		data(c, 1, seq, "line");
	assert_int_equal(sent(c, GW_T_ACK, 1, NULL), 0);
	assert_int_equal(committed_count("agent-0"), 0);
	/* An OPEN while the batch holds rows waits for its commit. */
	open_chan(c, 2, "agent-1", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, NULL), 0);
	batch_timer();
	assert_int_equal(committed_count("agent-0"), 3);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 3);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, &s), 1);
	assert_int_equal(s->seq, 0);
	assert_int_equal(T.m.commit->commits, 1);
	assert_int_equal(T.m.commit->stored, 3);
	/* DATA before its OPEN_ACK closes that channel alone. */
	open_chan(c, 3, "agent-2", ISSUER_A);
	data(c, 1, 4, "line");
	open_chan(c, 4, "agent-3", ISSUER_A);	/* waits for the commit */
	data(c, 4, 1, "early");
	assert_int_equal(sent(c, GW_T_CLOSE, 4, &s), 1);
	assert_int_equal(s->code, GW_R_UNEXPECTED);
	commit();
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 4, NULL), 0);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 2);
	assert_int_equal(s->seq, 4);
	assert_alive(c);
}

static void
test_store_refuses_a_row(void **state)
{
	struct conn *c;
	struct sent *s = NULL;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER poison BEFORE "
	    "INSERT ON messages WHEN NEW.payload = CAST('poison' AS BLOB) "
	    "BEGIN SELECT RAISE(ABORT, 'poison row'); END", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	open_chan(c, 2, "agent-1", ISSUER_A);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		data(c, 1, seq, "line");
		data(c, 2, seq, seq == 2 ? "poison" : "line");
	}
	commit();
	assert_int_equal(sent(c, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_STORE);
	assert_non_null(strstr(s->text, "poison row"));
	assert_int_equal(sent(c, GW_T_ACK, 2, NULL), 0);
	assert_int_equal(committed_count("agent-1"), 0);
	assert_int_equal(sent(c, GW_T_CLOSE, 1, NULL), 0);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 3);
	assert_int_equal(committed_count("agent-0"), 3);
	assert_alive(c);
}

static void
test_store_refuses_a_commit(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	open_chan(c, 2, "agent-1", ISSUER_A);
	data(c, 1, 1, "line");
	data(c, 2, 1, "line");
	T.refuse_commit = 1;
	commit();
	assert_int_equal(T.refuse_commit, 0);	/* the hook ran */
	for (uint32_t ch = 1; ch <= 2; ch++) {
		assert_int_equal(sent(c, GW_T_CLOSE, ch, &s), 1);
		assert_int_equal(s->code, GW_R_STORE);
		assert_non_null(strstr(s->text, "store failed"));
		assert_int_equal(sent(c, GW_T_ACK, ch, NULL), 0);
	}
	assert_int_equal(committed_count("agent-0"), 0);
	assert_int_equal(T.m.commit->commits, 0);
	/* The link lives on, and the next batch is stored. */
	assert_alive(c);
	open_chan(c, 3, "agent-0", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 0);
	data(c, 3, 1, "line");
	commit();
	assert_int_equal(sent(c, GW_T_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ack_only_after_commit,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses_a_row,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses_a_commit,
		    link_fixture_setup, link_fixture_teardown),
	};

	link_fixture_init("test_link_commit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
