/*
 * test_store_migrate.c: stores of the older schemas (store_fixture.h).  A
 * store of schema 0 (key (agent, seq)) is migrated, its rows taken by the
 * first issuer of their name and by no other, and its agents and commands
 * work at once; a store of schema 1 gets the agents' and commands' tables,
 * one of schema 2 the retention floors (3), the messages kept; one of
 * schema 4 the agents' via (5), "" for the agents it knew, read as "" by
 * a reader that changes nothing; a reader changes nothing.
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

#include "store.h"
#include "store_backend.h"
#include "store_cmd.h"
#include "store_fixture.h"

/*
 * An old store: a reader (export) migrates nothing and reads issuer "";
 * a writer migrates it.  The first issuer to ask for agent a1's last_seq
 * takes its rows (2: nothing of it is stored twice after the upgrade);
 * another issuer's a1 starts from 0; a reopen changes nothing.
 */
static void
test_migrate(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s;

	if (f->conf.type == STORE_SQLITE)
		make_old_sqlite(f);
	else
		make_old_pg(f);
	s = open_store(f, 1);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 2);
	assert_string_equal(c.lines[0], "-:a1/1/old1");
	store_close(s);
	s = open_store(f, 0);
	assert_int_equal(last_seq(s, "a1"), 2);
	assert_int_equal(put(s, "a1", 2, "resent"), 0);
	assert_int_equal(put(s, "a1", 3, "new"), 0);
	commit(s, 1, 1);
	assert_int_equal(last_seq_as(s, CA2, "a1"), 0);
	store_close(s);
	s = open_store(f, 0);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_string_equal(c.lines[0], "a1/1/old1");
	assert_string_equal(c.lines[1], "a1/2/old2");
	assert_string_equal(c.lines[2], "a1/3/new");
	assert_int_equal(last_seq(s, "a1"), 3);
	assert_int_equal(last_seq_as(s, CA2, "a1"), 0);
	store_close(s);
}

/* The claim: the first issuer of a legacy name takes its rows, only it. */
static void
test_migrate_claim(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s;

	if (f->conf.type == STORE_SQLITE)
		make_old_sqlite(f);
	else
		make_old_pg(f);
	s = open_store(f, 0);
	assert_int_equal(last_seq_as(s, CA2, "a1"), 2);	/* takes them */
	assert_int_equal(last_seq_as(s, CA1, "a1"), 0);	/* not inherited */
	assert_int_equal(put_as(s, CA2, "a1", 2, "resent"), 0);
	assert_int_equal(put_as(s, CA2, "a1", 3, "new"), 0);
	assert_int_equal(put_as(s, CA1, "a1", 1, "other"), 0);
	commit(s, 2, 1);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 4);
	assert_string_equal(c.lines[0], "2, O=gw:a1/1/old1");
	assert_string_equal(c.lines[1], "2, O=gw:a1/2/old2");
	assert_string_equal(c.lines[2], "2, O=gw:a1/3/new");
	assert_string_equal(c.lines[3], "a1/1/other");
	store_close(s);
}

/* A store of schema 1 (4a5f9ba .. 91004b6) and one of its rows. */
static const char v1_schema[] =
    "CREATE TABLE messages ("
    " issuer TEXT NOT NULL,"
    " agent TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " id INTEGER NOT NULL UNIQUE,"
    " gateway TEXT NOT NULL,"
    " fingerprint TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " payload BLOB NOT NULL,"
    " PRIMARY KEY (issuer, agent, seq));"
    "INSERT INTO messages VALUES ('" CA1 "', 'a1', 7, 1, 'gw', 'ff', 1,"
    " x'6f6c6431');"
    "PRAGMA user_version = 1;";

/*
 * A store of schema 1: a reader sees no agents or commands (and changes
 * nothing); a writer adds the tables (user_version 3), the messages kept.
 */
static void
test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct collect rows = { 0 };
	struct store *s;
	sqlite3 *db;
	int64_t last = 9;
	int version = -1;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	s = open_store(f, 1);
	assert_int_equal(store_agents(s, agent_line, &c), 0);
	assert_int_equal(store_cmd_list(s, 0, T0, cmd_line, &c), 0);
	assert_int_equal(store_cmd_last(s, &last), 0);
	assert_int_equal(last, 0);
	store_close(s);
	s = open_store(f, 0);
	assert_int_equal(last_seq_as(s, CA1, "a1"), 7);
	agent_up(s, CA1, "a1", 1000);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "a1", "x", 1000, NULL),
	    1);
	assert_int_equal(store_scan(s, 0, collect_cb, &rows), 1);
	store_close(s);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version", version_cb,
	    &version, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(version, STORE_SCHEMA);
}

/*
 * A store of schema 0 (key (agent, seq)): a reader sees no agents; a
 * writer migrates it to schema 2 at once: agents and commands work, the
 * legacy rows are claimed as before.
 */
static void
test_migrate_v0_cmds(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s;

	if (f->conf.type == STORE_SQLITE)
		make_old_sqlite(f);
	else
		make_old_pg(f);
	s = open_store(f, 1);
	assert_int_equal(store_agents(s, agent_line, &c), 0);
	store_close(s);
	s = open_store(f, 0);
	agent_up(s, CA1, "a1", 1000);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "a1", "x", 1000, NULL),
	    1);
	assert_int_equal(last_seq_as(s, CA1, "a1"), 2);
	store_close(s);
}

/* A store of schema 2 gets the floors (3) and keeps its rows. */
static void
test_migrate_v2(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	sqlite3 *db;
	int version = -1;

	for (uint64_t i = 1; i <= 3; i++)
		put_at(s, "a1", i, 1000);
	commit(s, 3, 0);
	store_close(s);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE retained_floor;"
	    "ALTER TABLE agents DROP COLUMN sans;"
	    "ALTER TABLE agents DROP COLUMN not_after_ms;"
	    "ALTER TABLE agents DROP COLUMN last_seq;"
	    "ALTER TABLE agents RENAME COLUMN state TO online;"
	    "ALTER TABLE agents DROP COLUMN via;"
	    "PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = open_store(f, 0);
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 2);
	put_at(s, "a1", 2, 2000);
	commit(s, 0, 1);
	assert_int_equal(last_seq(s, "a1"), 3);
	store_close(s);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version", version_cb,
	    &version, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(version, STORE_SCHEMA);
}

/* store_agents' callback: "name|via" into the struct seen. */
static int
via_line(const struct store_agent *a, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s|%s",
		    a->name, a->via);
	return 0;
}

/* Agent ${name}'s via, as store_agents reads it ("none": not known). */
static const char *
via_of(struct store *s, const char *name)
{
	static struct seen c;

	memset(&c, 0, sizeof(c));
	assert_true(store_agents(s, via_line, &c) >= 0);
	for (int i = 0; i < c.n; i++)
		if (strncmp(c.lines[i], name, strlen(name)) == 0 &&
		    c.lines[i][strlen(name)] == '|')
			return c.lines[i] + strlen(name) + 1;
	return "none";
}

/* The schema version of ${f}'s store. */
static int
schema_of(struct fixture *f)
{
	char cmd[512];
	int version = -1;
	sqlite3 *db;
	FILE *p;

	if (f->conf.type == STORE_SQLITE) {
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "PRAGMA user_version",
		    version_cb, &version, NULL), SQLITE_OK);
		sqlite3_close(db);
		return version;
	}
	snprintf(cmd, sizeof(cmd), "psql -q -X -t -A '%s' -c 'SELECT "
	    "max(version) FROM gw_schema'", f->conf.conninfo);
	assert_non_null(p = popen(cmd, "r"));
	assert_int_equal(fscanf(p, "%d", &version), 1);
	assert_int_equal(pclose(p), 0);
	return version;
}

/* Make the store of ${f} one of schema 4: no via (as 4 made it). */
static void
make_v4(struct fixture *f)
{
	char cmd[512];
	sqlite3 *db;

	if (f->conf.type == STORE_SQLITE) {
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "ALTER TABLE agents DROP "
		    "COLUMN via; PRAGMA user_version = 4;", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		return;
	}
	snprintf(cmd, sizeof(cmd), "psql -q -X '%s' -c \"ALTER TABLE agents "
	    "DROP COLUMN via; DELETE FROM gw_schema; INSERT INTO gw_schema "
	    "VALUES (4);\" >/dev/null", f->conf.conninfo);
	assert_int_equal(system(cmd), 0);
}

/*
 * Schema 4 -> 5: a reader of a store of schema 4 reads every agent with
 * via "" and changes nothing; a writer adds the column, "" for the agents
 * it knew, and stores the via of the next OPEN.
 */
static void
test_migrate_v4(void **state)
{
	struct fixture *f = *state;
	struct store_agent a = { .issuer = CA1, .name = "web01",
	    .subject = "CN=web01", .san = "", .serial = "01",
	    .fingerprint = "ab", .gateway = "gw-outer", .peer = "10.0.0.1:9",
	    .via = "gw-inner gw-outer" };
	struct store *s = open_store(f, 0);

	assert_int_equal(store_agent_up(s, &a, T0), 0);
	assert_string_equal(via_of(s, "web01"), "gw-inner gw-outer");
	store_close(s);
	make_v4(f);
	s = open_store(f, 1);
	assert_string_equal(via_of(s, "web01"), "");
	store_close(s);
	assert_int_equal(schema_of(f), 4);	/* the reader added nothing */
	s = open_store(f, 0);
	assert_string_equal(via_of(s, "web01"), "");
	a.via = "gw-outer";
	assert_int_equal(store_agent_up(s, &a, T0 + 1), 0);
	assert_string_equal(via_of(s, "web01"), "gw-outer");
	a.via = NULL;			/* an OPEN without via */
	assert_int_equal(store_agent_up(s, &a, T0 + 2), 0);
	assert_string_equal(via_of(s, "web01"), "");
	store_close(s);
	assert_int_equal(schema_of(f), STORE_SCHEMA);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_claim,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_migrate, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_claim, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v0_cmds,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v0_cmds,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v4, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v4, setup_pg,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
