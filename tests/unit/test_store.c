/*
 * test_store.c: the stores and the JSON Lines export: rows stored once per
 * (issuer, agent, seq) within a batch, across batches and across a reopen
 * (a restart); the same name under two issuers is two agents; a store of
 * the older schema (key (agent, seq)) is migrated, its rows taken by the
 * first issuer of their name and by no other; rollback stores nothing;
 * last_seq counts committed rows; a refused row is told apart from a
 * failed store, by its place, in the states each backend leaves (SQLite
 * refuses a row at its INSERT, the transaction open; PostgreSQL at the
 * commit of the pipeline, which ends it); export escapes text and
 * base64-encodes binary.  The same tests run on
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
#include "utf8.h"

struct fixture {
	char			dir[64];
	char			path[96];
	struct store_conf	conf;
};

static int
setup_sqlite(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	f->conf.type = STORE_SQLITE;
	f->conf.path = f->path;
	*state = f;
	return 0;
}

/* A fresh table in the database of GW_PG_CONNINFO, or NULL (skip). */
static int
setup_pg(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *ci = getenv("GW_PG_CONNINFO");
	char cmd[512];

	assert_non_null(f);
	f->conf.type = STORE_POSTGRESQL;
	f->conf.conninfo = ci;
	*state = f;
	if (ci == NULL)
		return 0;
	snprintf(cmd, sizeof(cmd), "psql -q -X '%s' -c 'DROP TABLE IF "
	    "EXISTS messages, gw_schema' >/dev/null", ci);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	if (f->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
	return 0;
}

static struct store *
open_store(struct fixture *f, int readonly)
{
	char err[256];
	struct store *s;

	if (f->conf.type == STORE_POSTGRESQL && f->conf.conninfo == NULL)
		skip();
	s = store_open(&f->conf, readonly, err, sizeof(err));
	if (s == NULL)
		fail_msg("store_open: %s", err);
	return s;
}

static void
commit(struct store *s, uint64_t want_stored, uint64_t want_dups)
{
	uint64_t stored, dups;

	assert_int_equal(store_commit(s, &stored, &dups), 0);
	assert_int_equal(stored, want_stored);
	assert_int_equal(dups, want_dups);
	assert_false(store_in_txn(s));
}

#define CA1	"CN=Agent CA 1, O=gw"
#define CA2	"CN=Agent CA 2, O=gw"

static int
put_as(struct store *s, const char *issuer, const char *agent, uint64_t seq,
    const char *body)
{
	struct store_row r = {
		.issuer = issuer, .agent = agent, .seq = seq, .gateway = "gw1",
		.fingerprint = "00ff", .received_ms = 1764064800123LL,
		.payload = body, .len = strlen(body),
	};

	return store_put(s, &r);
}

static int
put(struct store *s, const char *agent, uint64_t seq, const char *body)
{
	return put_as(s, CA1, agent, seq, body);
}

static uint64_t
last_seq_as(struct store *s, const char *issuer, const char *agent)
{
	uint64_t v = 99999;

	assert_int_equal(store_last_seq(s, issuer, agent, &v), 0);
	return v;
}

static uint64_t
last_seq(struct store *s, const char *agent)
{
	return last_seq_as(s, CA1, agent);
}

struct collect {
	int	n;
	int64_t	ids[16];
	char	lines[16][64];
};

static int
collect_cb(const struct store_row *r, void *arg)
{
	struct collect *c = arg;

	assert_true(c->n < 16);
	c->ids[c->n] = r->id;
	if (strcmp(r->issuer, CA1) == 0)	/* most tests' issuer */
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s/%llu/%.*s",
		    r->agent, (unsigned long long)r->seq, (int)r->len,
		    (const char *)r->payload);
	else
		snprintf(c->lines[c->n], sizeof(c->lines[0]),
		    "%s:%s/%llu/%.*s", r->issuer[0] ? r->issuer + 12 : "-",
		    r->agent, (unsigned long long)r->seq, (int)r->len,
	    (const char *)r->payload);
	c->n++;
	return 0;
}

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

/* The schema of 4a5f9ba, and two of its rows (a1 seq 1 and 2). */
static const char old_schema[] =
    "CREATE TABLE messages ("
    " agent TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " id INTEGER NOT NULL UNIQUE,"
    " gateway TEXT NOT NULL,"
    " fingerprint TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " payload BLOB NOT NULL,"
    " PRIMARY KEY (agent, seq));"
    "INSERT INTO messages VALUES ('a1', 1, 1, 'gw', 'ff', 1, x'6f6c6431');"
    "INSERT INTO messages VALUES ('a1', 2, 2, 'gw', 'ff', 2, x'6f6c6432');";

static void
make_old_sqlite(struct fixture *f)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, old_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

/* The PostgreSQL schema of 4a5f9ba, and the same two rows. */
static void
make_old_pg(struct fixture *f)
{
	char cmd[1536];

	if (f->conf.conninfo == NULL)
		skip();
	snprintf(cmd, sizeof(cmd), "psql -q -X '%s' -c \""
	    "CREATE TABLE messages ("
	    " agent text NOT NULL,"
	    " seq bigint NOT NULL,"
	    " id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
	    " gateway text NOT NULL,"
	    " fingerprint text NOT NULL,"
	    " received_ms bigint NOT NULL,"
	    " payload bytea NOT NULL,"
	    " PRIMARY KEY (agent, seq));"
	    "INSERT INTO messages (agent, seq, gateway, fingerprint,"
	    " received_ms, payload) VALUES ('a1', 1, 'gw', 'ff', 1, 'old1'),"
	    " ('a1', 2, 'gw', 'ff', 2, 'old2');\" >/dev/null",
	    f->conf.conninfo);
	assert_int_equal(system(cmd), 0);
}

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
		cmocka_unit_test_setup_teardown(test_migrate, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_claim,
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
		cmocka_unit_test_setup_teardown(test_migrate, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_claim, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_rows_and_failed_commit, setup_pg, teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_export_text_and_binary),
		cmocka_unit_test(test_utf8_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
