/*
 * test_store.c: the stores and the JSON Lines export: rows stored once per
 * (issuer, agent, seq) within a batch, across batches and across a reopen
 * (a restart); the same name under two issuers is two agents; rollback
 * stores nothing; last_seq counts committed rows; a refused row is told
 * apart from a failed store, by its place, in the states each backend
 * leaves (SQLite refuses a row at its INSERT, the transaction open;
 * PostgreSQL at the commit of the pipeline, which ends it); export escapes
 * text and base64-encodes binary.  The agents and commands are
 * test_store_cmd.c's, retention test_store_retain.c's, the older schemas
 * test_store_migrate.c's (all on store_fixture.h).
 * The same tests run on
 * SQLite and, when GW_PG_CONNINFO names a database (the integration test
 * test_postgresql starts one), on PostgreSQL; without it those are
 * reported as skipped.
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

#include "export.h"
#include "store.h"
#include "store_fixture.h"
#include "utf8.h"

static void
test_dedup_within_and_across_batches_and_restart(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	assert_int_equal(last_seq(s, "a1"), 0);
	assert_int_equal(put(s, "a1", 1, "one"), 0);
	assert_true(store_in_txn(s));
	assert_int_equal(put(s, "a1", 2, "two"), 0);
	assert_int_equal(put(s, "a1", 1, "again"), 0);	/* same batch */
	assert_int_equal(put(s, "a2", 1, "other agent"), 0);
	commit(s, 3, 1);
	assert_int_equal(last_seq(s, "a1"), 2);
	assert_int_equal(put(s, "a1", 2, "resent"), 0);	/* next batch */
	assert_int_equal(put(s, "a1", 3, "three"), 0);
	commit(s, 1, 1);
	store_close(s);

	/* A restart: the key lives in the database itself. */
	s = open_store(f, 0);
	assert_int_equal(last_seq(s, "a1"), 3);
	assert_int_equal(put(s, "a1", 3, "after restart"), 0);
	assert_int_equal(put(s, "a1", 4, "four"), 0);
	commit(s, 1, 1);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 5);
	assert_string_equal(c.lines[0], "a1/1/one");
	assert_string_equal(c.lines[1], "a1/2/two");
	assert_string_equal(c.lines[2], "a2/1/other agent");
	assert_string_equal(c.lines[3], "a1/3/three");
	assert_string_equal(c.lines[4], "a1/4/four");
	for (int i = 1; i < 5; i++)	/* arrival order */
		assert_true(c.ids[i] > c.ids[i - 1]);
	c.n = 0;
	assert_int_equal(store_scan(s, c.ids[3], collect_cb, &c), 1);
	assert_string_equal(c.lines[0], "a1/4/four");	/* --after */
	store_close(s);
}

/* The same name under two issuers: two agents, two sequence spaces. */
static void
test_same_name_two_issuers(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	assert_int_equal(put_as(s, CA1, "agent-1", 1, "one"), 0);
	assert_int_equal(put_as(s, CA1, "agent-1", 2, "two"), 0);
	assert_int_equal(put_as(s, CA2, "agent-1", 1, "uno"), 0);
	commit(s, 3, 0);	/* (agent, seq) alone would dedup "uno" */
	assert_int_equal(last_seq_as(s, CA1, "agent-1"), 2);
	assert_int_equal(last_seq_as(s, CA2, "agent-1"), 1);
	assert_int_equal(last_seq_as(s, "CN=Agent CA 3, O=gw", "agent-1"), 0);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_string_equal(c.lines[2], "2, O=gw:agent-1/1/uno");
	store_close(s);
}

static void
test_rollback_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	assert_int_equal(put(s, "a1", 1, "kept"), 0);
	commit(s, 1, 0);
	assert_int_equal(put(s, "a1", 2, "lost"), 0);
	store_rollback(s);
	assert_false(store_in_txn(s));
	assert_int_equal(last_seq(s, "a1"), 1);
	assert_int_equal(put(s, "a1", 2, "resent"), 0);
	commit(s, 1, 0);
	/* A transaction left open at close is rolled back, not committed. */
	assert_int_equal(put(s, "a1", 3, "uncommitted"), 0);
	store_close(s);
	s = open_store(f, 1);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 2);
	assert_string_equal(c.lines[1], "a1/2/resent");
	c.n = 0;
	assert_int_equal(store_scan(s, c.ids[0], collect_cb, &c), 1);
	store_close(s);
}

/* Run ${sql} on the database of the store of ${f}, beside the store. */
static void
store_sql(struct fixture *f, const char *sql)
{
	char cmd[1024];
	sqlite3 *db;

	if (f->conf.type == STORE_SQLITE) {
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	snprintf(cmd, sizeof(cmd), "psql -q -X -v ON_ERROR_STOP=1 '%s' "
	    "-c \"%s\" >/dev/null", f->conf.conninfo, sql);
	assert_int_equal(system(cmd), 0);
}

/* store_errmsg(s) begins with ${prefix}. */
static void
assert_err(struct store *s, const char *prefix)
{
	if (strncmp(store_errmsg(s), prefix, strlen(prefix)) != 0)
		fail_msg("store_errmsg: \"%s\", not \"%s...\"",
		    store_errmsg(s), prefix);
}

/*
 * A row the store refuses (a trigger RAISEs on the payload "poison"), a
 * row store_check refuses, and (PostgreSQL) a COMMIT that fails (a
 * deferred trigger RAISEs on "late"): which row, the error, the state.
 */
static void
test_refused_rows_and_failed_commit(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	int pg = f->conf.type == STORE_POSTGRESQL;
	uint64_t stored, dups;

	if (!pg)
		store_sql(f, "CREATE TRIGGER poison BEFORE INSERT ON messages "
		    "WHEN NEW.payload = CAST('poison' AS BLOB) BEGIN SELECT "
		    "RAISE(ABORT, 'poison row'); END");
	else
		store_sql(f, "CREATE OR REPLACE FUNCTION poison() RETURNS "
		    "trigger AS \\$\\$ BEGIN IF NEW.payload = 'poison'::bytea "
		    "OR NEW.payload = 'late'::bytea AND TG_WHEN = 'AFTER' THEN "
		    "RAISE EXCEPTION 'poison row'; END IF; RETURN NEW; END "
		    "\\$\\$ LANGUAGE plpgsql; CREATE TRIGGER poison BEFORE "
		    "INSERT ON messages FOR EACH ROW EXECUTE FUNCTION "
		    "poison(); CREATE CONSTRAINT TRIGGER late AFTER INSERT ON "
		    "messages DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
		    "EXECUTE FUNCTION poison()");
	assert_int_equal(put(s, "a1", 1, "one"), 0);
	assert_int_equal(put(s, "a1", 2, "two"), 0);
	if (!pg) {	/* refused at its INSERT */
		assert_int_equal(put(s, "a1", 3, "poison"), -1);
		assert_err(s, "insert: poison row");
	} else {	/* refused when the pipeline is read */
		assert_int_equal(put(s, "a1", 3, "poison"), 0);
		assert_int_equal(store_commit(s, &stored, &dups), -1);
		assert_err(s, "insert: ERROR:  poison row");
	}
	assert_int_equal(store_refused(s), 2);
	assert_int_equal(store_in_txn(s), !pg);
	store_rollback(s);
	assert_false(store_in_txn(s));

	/* store_check's refusal, in a transaction: its place, too. */
	assert_int_equal(put(s, "a1", 1, "one"), 0);
	assert_int_equal(put(s, "a1", 0, "zero"), -1);
	assert_string_equal(store_errmsg(s), "row (seq 0): seq out of range");
	assert_int_equal(store_refused(s), 1);
	assert_true(store_in_txn(s));
	store_rollback(s);
	if (pg) {	/* COMMIT fails: no row to blame, the batch is over */
		assert_int_equal(put(s, "a1", 1, "late"), 0);
		assert_int_equal(store_commit(s, &stored, &dups), -1);
		assert_err(s, "commit: ERROR:  poison row");
		assert_int_equal(store_refused(s), -1);
		assert_false(store_in_txn(s));
		store_rollback(s);
	}
	assert_int_equal(last_seq(s, "a1"), 0);
	assert_int_equal(put(s, "a1", 1, "one"), 0);
	commit(s, 1, 0);
	store_close(s);
}

static void
test_open_errors(void **state)
{
	struct store_conf bad = { .type = STORE_SQLITE,
	    .path = "/nonexistent-dir/x.db" };
	struct store_conf badpg = { .type = STORE_POSTGRESQL,
	    .conninfo = "host=127.0.0.1 port=1 connect_timeout=2" };
	char err[256] = "";

	(void)state;
	assert_null(store_open(&bad, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
	assert_null(store_open(&badpg, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "postgresql: connect"));
}

static char *
export_to_string(const struct store_row *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(export_json(fp, r), 0);
	fclose(fp);
	return buf;
}

static void
test_export_text_and_binary(void **state)
{
	struct store_row r = {
		.id = 7, .issuer = "CN=ca", .agent = "agent-1", .seq = 42,
		.gateway = "gw",
		.fingerprint = "ab", .received_ms = 1764064800123LL,
		.payload = "say \"hi\"\\\n\x01 \xc3\xa9",
	};
	char *s;

	(void)state;
	r.len = strlen(r.payload);
	s = export_to_string(&r);
	assert_string_equal(s, "{\"id\":7,\"agent\":\"agent-1\","
	    "\"issuer\":\"CN=ca\",\"seq\":42,\"gateway\":\"gw\",\"fingerprint\":\"ab\","
	    "\"received\":\"2025-11-25T10:00:00.123Z\","
	    "\"payload\":\"say \\\"hi\\\"\\\\\\n\\u0001 \xc3\xa9\"}\n");
	free(s);
	r.payload = "\xff\x00\x01";
	r.len = 3;
	s = export_to_string(&r);
	assert_non_null(strstr(s, "\"payload_b64\":\"/wAB\"}\n"));
	assert_null(strstr(s, "\"payload\":"));
	free(s);
}

static void
test_utf8_validation(void **state)
{
	(void)state;
	assert_true(utf8_valid((const unsigned char *)"", 0));
	assert_true(utf8_valid((const unsigned char *)"\xe2\x82\xac",
	    3));
	assert_true(utf8_valid((const unsigned char *)
	    "\xf0\x9f\x98\x80", 4));
	assert_false(utf8_valid((const unsigned char *)"\xc0\xaf", 2));
	assert_false(utf8_valid((const unsigned char *)"\xed\xa0\x80",
	    3));	/* surrogate */
	assert_false(utf8_valid((const unsigned char *)"\xe2\x82", 2));
	assert_false(utf8_valid((const unsigned char *)
	    "\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	assert_false(utf8_valid((const unsigned char *)"\x80", 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_dedup_within_and_across_batches_and_restart,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_stores_nothing,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_two_issuers,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_rows_and_failed_commit, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_dedup_within_and_across_batches_and_restart,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_stores_nothing,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_same_name_two_issuers,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_rows_and_failed_commit, setup_pg, teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_export_text_and_binary),
		cmocka_unit_test(test_utf8_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
