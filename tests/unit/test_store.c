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
 * base64-encodes binary.  The agents and commands (store_cmd.h): an
 * agent's OPEN and close, a later OPEN kept online; a command's targets
 * by name and by pattern, none, too many; pending, new, acknowledged,
 * answered (the first RESULT wins), expired; its bounds; no call inside
 * the group commit's transaction; a store of schema 1 gets the tables.
 * Retention (store_expire_*): old rows go in steps of at most n, by age
 * and past a row cap, never an agent's highest seq (last_seq holds after
 * all its rows grew old) nor the newest id (no id handed out twice after a
 * restart); a cursor reads on across deletions; two servers' passes at
 * once; none inside a transaction.
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
#include "proto.h"
#include "store.h"
#include "store_backend.h"
#include "store_cmd.h"
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
	    "EXISTS command_targets, commands, agents, messages, gw_schema, "
	    "retained_floor' "
	    ">/dev/null", ci);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[512];

	if (f->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	/* No floor left behind for the next test program (test_commit). */
	if (f->conf.type == STORE_POSTGRESQL && f->conf.conninfo != NULL) {
		snprintf(cmd, sizeof(cmd), "psql -q -X '%s' -c 'DROP TABLE "
		    "IF EXISTS retained_floor' >/dev/null", f->conf.conninfo);
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

#define T0	1764064800000LL		/* ms: a command's creation */

/* Agent (${issuer}, ${name}) opens at ${now}. */
static void
agent_up(struct store *s, const char *issuer, const char *name,
    int64_t now)
{
	const struct store_agent a = {
		.issuer = issuer, .name = name, .subject = "CN=x, O=\"q\"",
		.san = "x.example", .serial = "01:02", .fingerprint = "ab12",
		.gateway = "gw1", .peer = "127.0.0.1:5000",
	};

	assert_int_equal(store_agent_up(s, &a, now), 0);
}

struct seen {
	int	n;
	char	lines[40][200];
};

static int
agent_line(const struct store_agent *a, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%s|%s|%s|%s|%lld|%lld|%lld|%d", a->issuer, a->name,
		    a->gateway, a->peer, (long long)a->first_seen_ms,
		    (long long)a->connected_ms, (long long)a->seen_ms,
		    a->online);
	return 0;
}

static int
target_line(const struct store_target *t, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%lld %s %s %s %s %d %d %.*s %lld", (long long)t->command,
		    t->issuer, t->agent, store_cmd_state_str(t->state),
		    t->answered ? gw_outcome_str(t->outcome) : "-",
		    (int)t->status, t->truncated, (int)t->len,
		    (const char *)t->output, (long long)t->updated_ms);
	return 0;
}

static int
cmd_line(const struct store_cmd *cmd, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%lld %s %llu/%llu/%llu/%llu/%llu", (long long)cmd->id,
		    cmd->target, (unsigned long long)cmd->count[0],
		    (unsigned long long)cmd->count[1],
		    (unsigned long long)cmd->count[2],
		    (unsigned long long)cmd->count[3],
		    (unsigned long long)cmd->count[4]);
	return 0;
}

static int
delivery_line(const struct store_delivery *d, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%lld %s %s %.*s", (long long)d->id, d->issuer, d->agent,
		    (int)d->len, (const char *)d->body);
	return 0;
}

/* Make a command for ${pattern} (${how}); its id, or -1 (errmsg set). */
static int64_t
make_cmd(struct store *s, enum store_cmd_match how, const char *pattern,
    const char *body, int64_t ttl_ms, long *n)
{
	struct store_cmd c = { .target = pattern, .body = body,
	    .len = strlen(body), .created_ms = T0, .expires_ms = T0 + ttl_ms };
	long dummy;

	if (store_cmd_create(s, &c, how, pattern, n ? n : &dummy) != 0)
		return -1;
	return c.id;
}

/* A RESULT of command ${id} from ${agent} of CA1. */
static enum store_cmd_hit
result(struct store *s, int64_t id, const char *agent, unsigned outcome,
    int32_t status, const char *out)
{
	const struct store_target t = { .command = id, .issuer = CA1,
	    .agent = agent, .outcome = outcome, .status = status,
	    .truncated = 1, .output = out, .len = strlen(out) };
	enum store_cmd_hit hit = 99;

	assert_int_equal(store_cmd_result(s, &t, T0 + 50, &hit), 0);
	return hit;
}

/*
 * Agents: an OPEN inserts or updates (first_seen kept); a close marks
 * offline unless a later OPEN came (a stale channel's close); a reopen
 * keeps them all.
 */
static void
test_agents(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);

	agent_up(s, CA1, "web01", 1000);
	agent_up(s, CA2, "web01", 1500);
	agent_up(s, CA1, "db01", 1700);
	agent_up(s, CA1, "web01", 2000);	/* a second channel */
	assert_int_equal(store_agent_down(s, CA1, "web01", 1000, 2500), 0);
	assert_int_equal(store_agent_down(s, CA2, "web01", 1500, 2600), 0);
	assert_int_equal(store_agents(s, agent_line, &c), 3);
	assert_string_equal(c.lines[0],
	    CA1 "|db01|gw1|127.0.0.1:5000|1700|1700|1700|1");
	assert_string_equal(c.lines[1],
	    CA1 "|web01|gw1|127.0.0.1:5000|1000|2000|2000|1");
	assert_string_equal(c.lines[2],
	    CA2 "|web01|gw1|127.0.0.1:5000|1500|1500|2600|0");
	store_close(s);
	s = open_store(f, 1);
	c.n = 0;
	assert_int_equal(store_agents(s, agent_line, &c), 3);
	store_close(s);
}

/* Channel events for store_agents_mark (identity as agent_up's). */
static struct store_agent_ev
agent_ev(const char *issuer, const char *name, int up, int64_t opened,
    int64_t closed)
{
	struct store_agent_ev ev = {
		.agent = { .issuer = issuer, .name = name,
		    .subject = "CN=x, O=\"q\"", .san = "x.example",
		    .serial = "01:02", .fingerprint = "ab12",
		    .gateway = "gw1", .peer = "127.0.0.1:5000" },
		.up = up, .opened_ms = opened, .closed_ms = closed,
	};

	return ev;
}

/*
 * store_agents_mark writes its events in their order, in one go: in one
 * millisecond a channel closed and another of the agent opened leaves it
 * online; one that opened and closed is known, offline; a close of an
 * older channel does not put a newer one's agent offline.  An event it
 * cannot take (not UTF-8) and a transaction open: nothing written.
 */
static void
test_agents_mark(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);
	struct store_agent_ev ev[5];

	agent_up(s, CA1, "old01", 500);
	ev[0] = agent_ev(CA1, "web01", 1, 1000, 1000);
	ev[1] = agent_ev(CA1, "web01", 1, 1000, 0);
	ev[2] = agent_ev(CA1, "db01", 1, 1000, 1000);
	ev[3] = agent_ev(CA1, "old01", 1, 900, 0);
	ev[4] = agent_ev(CA1, "old01", 0, 500, 1000);	/* the stale one */
	assert_int_equal(store_agents_mark(s, ev, 5), 0);
	assert_int_equal(store_agents(s, agent_line, &c), 3);
	assert_string_equal(c.lines[0],
	    CA1 "|db01|gw1|127.0.0.1:5000|1000|1000|1000|0");
	assert_string_equal(c.lines[1],
	    CA1 "|old01|gw1|127.0.0.1:5000|500|900|900|1");
	assert_string_equal(c.lines[2],
	    CA1 "|web01|gw1|127.0.0.1:5000|1000|1000|1000|1");
	ev[0] = agent_ev(CA1, "new01", 1, 2000, 0);
	ev[1] = agent_ev(CA1, "web01", 0, 1000, 2000);
	ev[1].agent.name = "\xff";
	assert_int_equal(store_agents_mark(s, ev, 2), -1);
	ev[1].agent.name = "web01";
	assert_int_equal(put(s, "a1", 1, "row"), 0);
	assert_int_equal(store_agents_mark(s, ev, 2), -1);
	assert_non_null(strstr(store_errmsg(s), "transaction"));
	commit(s, 1, 0);
	c.n = 0;
	assert_int_equal(store_agents(s, agent_line, &c), 3);
	assert_int_equal(store_agents_mark(s, ev, 0), 0);
	assert_int_equal(store_agents_mark(s, ev, 2), 0);
	c.n = 0;
	assert_int_equal(store_agents(s, agent_line, &c), 4);
	assert_string_equal(c.lines[3],
	    CA1 "|web01|gw1|127.0.0.1:5000|1000|1000|2000|0");
	store_close(s);
}

static int
pending_agent_line(const char *issuer, const char *agent, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s %s",
		    issuer, agent);
	return 0;
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * store_cmd_pending_agents lists each agent with a command without a
 * RESULT, once, not those answered or whose command expired.
 */
static void
test_cmd_pending_agents(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);

	assert_int_equal(store_cmd_pending_agents(s, T0, pending_agent_line,
	    &c), 0);
	agent_up(s, CA1, "a1", 1000);
	agent_up(s, CA2, "a1", 1000);
	agent_up(s, CA1, "b1", 1000);
	make_cmd(s, STORE_MATCH_NAME, "a1", "x", 1000, NULL);
	make_cmd(s, STORE_MATCH_GLOB, "*1", "y", 1000, NULL);
	make_cmd(s, STORE_MATCH_NAME, "b1", "old", 10, NULL);
	assert_int_equal(result(s, 1, "a1", GW_OUT_EXITED, 0, ""),
	    STORE_CMD_TAKEN);
	assert_int_equal(result(s, 2, "a1", GW_OUT_EXITED, 0, ""),
	    STORE_CMD_TAKEN);
	assert_int_equal(store_cmd_pending_agents(s, T0 + 100,
	    pending_agent_line, &c), 2);
	qsort(c.lines, (size_t)c.n, sizeof(c.lines[0]), line_cmp);
	assert_string_equal(c.lines[0], CA1 " b1");
	assert_string_equal(c.lines[1], CA2 " a1");
	store_close(s);
}

/* store_cmd_targets' walk of test_cmd_chunks: each as expected, once. */
struct chunk_walk {
	int	 size;		/* the group's: its prefix p<size>- */
	int	 n;		/* targets seen, in name order */
	int	 bad;
};

static int
chunk_target(const struct store_target *t, void *arg)
{
	struct chunk_walk *w = arg;
	char name[32];

	snprintf(name, sizeof(name), "p%d-%03d", w->size, w->n);
	if (strcmp(t->agent, name) != 0 || strcmp(t->issuer, w->n % 2 ?
	    CA2 : CA1) != 0 || t->state != STORE_CMD_QUEUED ||
	    t->updated_ms != T0)
		w->bad++;
	w->n++;
	return 0;
}

/*
 * store_cmd_create inserts its targets STORE_TGT_CHUNK a statement, the
 * rest one each: at the chunk's bounds (one less, one, one more, two and
 * one more) every target is there once, with its own issuer.
 */
static void
test_cmd_chunks(void **state)
{
	static const int sizes[] = { STORE_TGT_CHUNK - 1, STORE_TGT_CHUNK,
	    STORE_TGT_CHUNK + 1, 2 * STORE_TGT_CHUNK + 1 };
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	struct store_agent_ev *ev;
	char (*names)[32], pattern[16];
	int n = 0;
	long got;

	ev = calloc(6 * STORE_TGT_CHUNK, sizeof(*ev));
	names = calloc(6 * STORE_TGT_CHUNK, sizeof(*names));
	assert_non_null(ev);
	assert_non_null(names);
	for (unsigned g = 0; g < 4; g++)
		for (int i = 0; i < sizes[g]; i++, n++) {
			snprintf(names[n], sizeof(names[n]), "p%d-%03d",
			    sizes[g], i);
			ev[n] = agent_ev(i % 2 ? CA2 : CA1, names[n], 1, 1000,
			    0);
		}
	assert_int_equal(store_agents_mark(s, ev, (size_t)n), 0);
	for (unsigned g = 0; g < 4; g++) {
		struct chunk_walk w = { .size = sizes[g] };
		int64_t id;

		snprintf(pattern, sizeof(pattern), "p%d-*", sizes[g]);
		id = make_cmd(s, STORE_MATCH_GLOB, pattern, "x", 1000, &got);
		assert_true(id > 0);
		assert_int_equal(got, sizes[g]);
		assert_int_equal(store_cmd_targets(s, id, T0, chunk_target,
		    &w), sizes[g]);
		assert_int_equal(w.n, sizes[g]);
		assert_int_equal(w.bad, 0);
	}
	free(names);
	free(ev);
	store_close(s);
}

/*
 * Targets by exact name (every issuer's agent of that name) and by
 * fnmatch pattern; none: an error and nothing made; the bounds.
 */
static void
test_cmd_targets(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);
	char *big;
	long n = -1;

	agent_up(s, CA1, "web01", 1000);
	agent_up(s, CA2, "web01", 1000);
	agent_up(s, CA1, "web02", 1000);
	agent_up(s, CA1, "db01", 1000);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "web01", "a", 3600000,
	    &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(make_cmd(s, STORE_MATCH_GLOB, "web*", "b", 3600000,
	    &n), 2);
	assert_int_equal(n, 3);
	assert_int_equal(make_cmd(s, STORE_MATCH_GLOB, "[d]b0?", "c", 3600000,
	    &n), 3);
	assert_int_equal(n, 1);
	assert_int_equal(make_cmd(s, STORE_MATCH_GLOB, "mail*", "d", 3600000,
	    &n), -1);
	assert_non_null(strstr(store_errmsg(s), "no known agent"));
	assert_int_equal(n, 0);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "web0", "d", 3600000,
	    &n), -1);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "web01", "d", 0, &n),
	    -1);
	assert_non_null(strstr(store_errmsg(s), "expires"));
	big = calloc(1, STORE_CMD_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, 'x', STORE_CMD_BODY_MAX + 1);
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "web01", big, 1000,
	    &n), -1);
	assert_non_null(strstr(store_errmsg(s), "body"));
	big[STORE_CMD_BODY_MAX] = '\0';
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "db01", big, 1000,
	    &n), 4);
	free(big);
	assert_int_equal(store_cmd_targets(s, 2, T0, target_line, &c), 3);
	assert_string_equal(c.lines[0], "2 " CA1 " web01 queued - 0 0  "
	    "1764064800000");
	assert_string_equal(c.lines[1], "2 " CA2 " web01 queued - 0 0  "
	    "1764064800000");
	assert_string_equal(c.lines[2], "2 " CA1 " web02 queued - 0 0  "
	    "1764064800000");
	assert_int_equal(store_cmd_targets(s, 5, T0, target_line, &c), 0);
	c.n = 0;
	assert_int_equal(store_cmd_list(s, 0, T0, cmd_line, &c), 4);
	assert_string_equal(c.lines[0], "1 web01 2/0/0/0/0");
	assert_string_equal(c.lines[2], "3 [d]b0? 1/0/0/0/0");
	store_close(s);
}

/*
 * Pending (oldest first, at most max), COMMAND_ACK (delivered once), the
 * first RESULT kept (a later one changes nothing), done or failed; an
 * answer for no target is a miss; bad results are refused.
 */
static void
test_cmd_answers(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);
	enum store_cmd_hit hit;
	struct store_target bad = { .command = 1, .issuer = CA1,
	    .agent = "web01", .outcome = GW_OUT_MAX + 1 };

	agent_up(s, CA1, "web01", 1000);
	agent_up(s, CA1, "web02", 1000);
	make_cmd(s, STORE_MATCH_NAME, "web01", "one", 3600000, NULL);
	make_cmd(s, STORE_MATCH_GLOB, "web*", "two", 3600000, NULL);
	make_cmd(s, STORE_MATCH_GLOB, "web*", "three", 3600000, NULL);
	assert_int_equal(store_cmd_pending(s, CA1, "web01", T0, 2,
	    delivery_line, &c), 2);
	assert_string_equal(c.lines[0], "1 " CA1 " web01 one");
	assert_string_equal(c.lines[1], "2 " CA1 " web01 two");
	assert_int_equal(store_cmd_ack(s, 1, CA1, "web01", T0 + 10, &hit), 0);
	assert_int_equal(hit, STORE_CMD_TAKEN);
	assert_int_equal(store_cmd_ack(s, 1, CA1, "web01", T0 + 20, &hit), 0);
	assert_int_equal(hit, STORE_CMD_KNOWN);
	assert_int_equal(store_cmd_ack(s, 1, CA1, "web02", T0, &hit), 0);
	assert_int_equal(hit, STORE_CMD_MISS);
	assert_int_equal(store_cmd_ack(s, 1, CA2, "web01", T0, &hit), 0);
	assert_int_equal(hit, STORE_CMD_MISS);
	assert_int_equal(result(s, 1, "web01", GW_OUT_EXITED, 0, "ok"),
	    STORE_CMD_TAKEN);
	assert_int_equal(result(s, 1, "web01", GW_OUT_EXITED, 3, "later"),
	    STORE_CMD_KNOWN);
	assert_int_equal(result(s, 2, "web02", GW_OUT_KILLED, 9, ""),
	    STORE_CMD_TAKEN);
	assert_int_equal(result(s, 9, "web02", GW_OUT_KILLED, 9, ""),
	    STORE_CMD_MISS);
	assert_int_equal(store_cmd_result(s, &bad, T0, &hit), -1);
	bad.outcome = GW_OUT_EXITED;
	bad.len = GW_PAYLOAD_HARD_MAX + 1;
	bad.output = "";
	assert_int_equal(store_cmd_result(s, &bad, T0, &hit), -1);
	c.n = 0;
	assert_int_equal(store_cmd_targets(s, 1, T0, target_line, &c), 1);
	assert_string_equal(c.lines[0], "1 " CA1 " web01 done exited 0 1 ok "
	    "1764064800050");
	c.n = 0;
	assert_int_equal(store_cmd_targets(s, 2, T0, target_line, &c), 2);
	assert_string_equal(c.lines[1], "2 " CA1 " web02 failed killed 9 1  "
	    "1764064800050");
	c.n = 0;
	assert_int_equal(store_cmd_pending(s, CA1, "web01", T0, 16,
	    delivery_line, &c), 2);
	assert_string_equal(c.lines[0], "2 " CA1 " web01 two");
	c.n = 0;
	assert_int_equal(store_cmd_list(s, 1, T0, cmd_line, &c), 2);
	assert_string_equal(c.lines[0], "2 web* 1/0/0/1/0");
	store_close(s);
}

/*
 * Expiry: no COMMAND after it to a queued target; queued targets read
 * expired at once and are written expired by store_cmd_expire; a
 * delivered one stays so, stays pending (its COMMAND is asked again until
 * its RESULT comes: the agent answers from its journal) and its RESULT is
 * kept; an ACK after the expiry is recorded.
 */
static void
test_cmd_expiry(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);
	enum store_cmd_hit hit;
	int64_t after = 0;
	long n = -1;

	agent_up(s, CA1, "a1", 1000);
	agent_up(s, CA1, "a2", 1000);
	agent_up(s, CA1, "a3", 1000);
	make_cmd(s, STORE_MATCH_GLOB, "a*", "x", 1000, NULL);
	assert_int_equal(store_cmd_ack(s, 1, CA1, "a1", T0 + 10, &hit), 0);
	assert_int_equal(store_cmd_pending(s, CA1, "a2", T0 + 999, 16,
	    delivery_line, &c), 1);
	assert_int_equal(store_cmd_pending(s, CA1, "a2", T0 + 1000, 16,
	    delivery_line, &c), 0);
	assert_int_equal(store_cmd_pending(s, CA1, "a1", T0 + 1000, 16,
	    delivery_line, &c), 1);		/* delivered: asked again */
	c.n = 0;
	assert_int_equal(store_cmd_new(s, &after, T0 + 1000, delivery_line,
	    &c), 0);
	assert_int_equal(after, 1);
	c.n = 0;
	assert_int_equal(store_cmd_list(s, 0, T0 + 1000, cmd_line, &c), 1);
	assert_string_equal(c.lines[0], "1 a* 0/1/0/0/2");
	c.n = 0;
	assert_int_equal(store_cmd_targets(s, 1, T0 + 1000, target_line, &c),
	    3);
	assert_string_equal(c.lines[1], "1 " CA1 " a2 expired - 0 0  "
	    "1764064800000");
	assert_int_equal(store_cmd_expire(s, T0 + 999, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_cmd_expire(s, T0 + 1000, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_cmd_expire(s, T0 + 2000, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(result(s, 1, "a1", GW_OUT_EXITED, 0, "late"),
	    STORE_CMD_TAKEN);
	assert_int_equal(store_cmd_ack(s, 1, CA1, "a3", T0 + 3000, &hit), 0);
	assert_int_equal(hit, STORE_CMD_TAKEN);
	c.n = 0;
	assert_int_equal(store_cmd_targets(s, 1, T0 + 5000, target_line, &c),
	    3);
	assert_string_equal(c.lines[0], "1 " CA1 " a1 done exited 0 1 late "
	    "1764064800050");
	assert_string_equal(c.lines[1], "1 " CA1 " a2 expired - 0 0  "
	    "1764064801000");
	assert_string_equal(c.lines[2], "1 " CA1 " a3 delivered - 0 0  "
	    "1764064803000");
	store_close(s);
}

/*
 * New commands since a cursor: every unanswered target of each, the
 * cursor moved to the last id; nothing new, nothing visited.  No call
 * inside the group commit's transaction: it fails and writes nothing.
 */
static void
test_cmd_new_and_txn(void **state)
{
	struct fixture *f = *state;
	struct seen c = { 0 };
	struct store *s = open_store(f, 0);
	int64_t after = 0;

	assert_int_equal(store_cmd_new(s, &after, T0, delivery_line, &c), 0);
	assert_int_equal(after, 0);
	agent_up(s, CA1, "a1", 1000);
	agent_up(s, CA2, "a1", 1000);
	make_cmd(s, STORE_MATCH_NAME, "a1", "x", 1000, NULL);
	make_cmd(s, STORE_MATCH_NAME, "a1", "y", 1000, NULL);
	assert_int_equal(result(s, 1, "a1", GW_OUT_LOST, 0, ""),
	    STORE_CMD_TAKEN);
	assert_int_equal(store_cmd_new(s, &after, T0, delivery_line, &c), 3);
	assert_int_equal(after, 2);
	assert_string_equal(c.lines[0], "1 " CA2 " a1 x");
	assert_string_equal(c.lines[1], "2 " CA1 " a1 y");
	assert_string_equal(c.lines[2], "2 " CA2 " a1 y");
	assert_int_equal(store_cmd_new(s, &after, T0, delivery_line, &c), 0);
	assert_int_equal(put(s, "a1", 1, "row"), 0);
	assert_true(store_in_txn(s));
	assert_int_equal(make_cmd(s, STORE_MATCH_NAME, "a1", "z", 1000,
	    NULL), -1);
	assert_non_null(strstr(store_errmsg(s), "transaction"));
	assert_int_equal(store_agent_down(s, CA1, "a1", 1000, 2000), -1);
	commit(s, 1, 0);
	assert_int_equal(store_cmd_last(s, &after), 0);
	assert_int_equal(after, 2);
	c.n = 0;
	assert_int_equal(store_agents(s, agent_line, &c), 2);
	assert_string_equal(c.lines[0],
	    CA1 "|a1|gw1|127.0.0.1:5000|1000|1000|1000|1");
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

static int
version_cb(void *arg, int n, char **v, char **names)
{
	(void)n;
	(void)names;
	*(int *)arg = atoi(v[0]);
	return 0;
}

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

/* More agents match than STORE_CMD_TARGETS_MAX: refused, nothing made. */
static void
test_cmd_too_many(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	sqlite3 *db;
	char sql[512];
	int64_t last = 9;
	long n = 0;

	store_close(s);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "WITH RECURSIVE i(k) AS (SELECT 1 UNION "
	    "ALL SELECT k + 1 FROM i WHERE k < %d) INSERT INTO agents SELECT "
	    "'ca', 'n' || k, '', '', '', '', '', '', 1, 1, 1, 1, '', NULL, 0 "
	    "FROM i",
	    STORE_CMD_TARGETS_MAX + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = open_store(f, 0);
	assert_int_equal(make_cmd(s, STORE_MATCH_GLOB, "n*", "x", 1000, &n),
	    -1);
	assert_non_null(strstr(store_errmsg(s), "more than"));
	assert_int_equal(make_cmd(s, STORE_MATCH_GLOB, "n1*", "x", 1000, &n),
	    1);
	assert_int_equal(n, 11113);	/* n1, n10.., n100.., ... */
	assert_int_equal(store_cmd_last(s, &last), 0);
	assert_int_equal(last, 1);
	store_close(s);
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

/* Retention: row ${seq} of ${agent} (issuer CA1) received at ${ms}. */
static void
put_at(struct store *s, const char *agent, uint64_t seq, int64_t ms)
{
	struct store_row r = {
		.issuer = CA1, .agent = agent, .seq = seq, .gateway = "gw1",
		.fingerprint = "00ff", .received_ms = ms, .payload = "x",
		.len = 1,
	};

	assert_int_equal(store_put(s, &r), 0);
}

/*
 * Run passes of ${a} and ${b} (another server's, or NULL) in turn, steps
 * of ${n} rows; the rows they deleted, each step at most ${n}.
 */
static long
expire_all(struct store *a, struct store *b, int64_t before_ms,
    uint64_t max_rows, unsigned n)
{
	struct store_expire xa, xb = { .done = 1 };
	long total = 0, d;

	assert_int_equal(store_expire_begin(a, before_ms, max_rows, &xa), 0);
	if (b != NULL)
		assert_int_equal(store_expire_begin(b, before_ms, max_rows,
		    &xb), 0);
	while (!xa.done || !xb.done) {
		assert_in_range(d = store_expire_step(a, &xa, n), 0, n);
		total += d;
		if (b != NULL) {
			assert_in_range(d = store_expire_step(b, &xb, n), 0,
			    n);
			total += d;
		}
	}
	return total;
}

/*
 * Old rows go in steps, but the newest (highest seq) of each agent, so
 * last_seq never goes back, and ids are never handed out twice; a reader
 * at a cursor sees the rows left, in order; two servers' passes at once
 * delete each row once; no pass inside a transaction.
 */
static void
test_expire_age(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0), *s2;
	struct store_expire x;
	int64_t cursor;
	static const char *const left[] = { "a3/1/x", "a4/3/x", "a1/5/x",
	    "a2/3/x" };

	for (uint64_t i = 1; i <= 4; i++)
		put_at(s, "a1", i, 1000);
	put_at(s, "a2", 1, 1000);
	put_at(s, "a2", 2, 1000);
	put_at(s, "a3", 1, 1000);
	for (uint64_t i = 1; i <= 3; i++)
		put_at(s, "a4", i, 1000);
	put_at(s, "a1", 5, 5000);
	put_at(s, "a2", 3, 5000);
	commit(s, 12, 0);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 12);
	cursor = c.ids[1];	/* a follower that has read two rows */
	/* Not inside the group commit's transaction. */
	put_at(s, "a9", 1, 9000);
	assert_int_equal(store_expire_begin(s, 2000, 0, &x), -1);
	store_rollback(s);
	s2 = open_store(f, 0);	/* another server of the group */
	assert_int_equal(expire_all(s, s2, 2000, 0, 2), 8);
	store_close(s2);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(c.lines[i], left[i]);
	c.n = 0;
	assert_int_equal(store_scan(s, cursor, collect_cb, &c), 4);
	assert_int_equal(last_seq(s, "a1"), 5);
	assert_int_equal(last_seq(s, "a3"), 1);	/* its one row, old */
	assert_int_equal(last_seq(s, "a4"), 3);
	/* Everything old: each agent's newest stays. */
	assert_int_equal(expire_all(s, NULL, 99000, 0, 2), 0);
	store_close(s);
	s = open_store(f, 0);	/* a restart numbers on */
	put_at(s, "a3", 2, 6000);
	commit(s, 1, 0);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 5);
	assert_true(c.ids[4] > c.ids[3]);
	assert_string_equal(c.lines[4], "a3/2/x");
	assert_int_equal(expire_all(s, NULL, 99000, 0, 100), 1);	/* a3/1 */
	assert_int_equal(last_seq(s, "a3"), 2);
	store_close(s);
}

/* max_rows keeps the newest N by id. */
static void
test_expire_max_rows(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	for (uint64_t i = 1; i <= 10; i++)
		put_at(s, i % 2 ? "a1" : "a2", i, 1000 + (int64_t)i);
	commit(s, 10, 0);
	assert_int_equal(expire_all(s, NULL, 0, 10, 3), 0);
	assert_int_equal(expire_all(s, NULL, 0, 3, 3), 7);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_string_equal(c.lines[0], "a2/8/x");
	assert_string_equal(c.lines[2], "a2/10/x");
	/* An age limit that deletes less does not hold the cap back. */
	put_at(s, "a1", 11, 2000);
	commit(s, 1, 0);
	assert_int_equal(expire_all(s, NULL, 1005, 2, 1), 2);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 2);
	assert_string_equal(c.lines[0], "a2/10/x");
	assert_int_equal(last_seq(s, "a1"), 11);
	assert_int_equal(last_seq(s, "a2"), 10);
	store_close(s);
}

/*
 * The newest row of the store stays even when it is not its agent's
 * highest seq: SQLite numbers on from the highest id, after a restart
 * too, and must never hand an id out twice (a follower's cursor).
 */
static void
test_expire_newest_id(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	put_at(s, "a1", 5, 1000);
	put_at(s, "a1", 3, 1000);	/* a lower seq, later */
	commit(s, 2, 0);
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 0);
	assert_int_equal(expire_all(s, NULL, 0, 1, 10), 0);
	store_close(s);
	s = open_store(f, 0);
	put_at(s, "a2", 1, 1000);
	commit(s, 1, 0);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_true(c.ids[2] > c.ids[1] && c.ids[1] > c.ids[0]);
	store_close(s);
}

/*
 * A seq retention deleted, delivered again (a stale channel read after
 * the new one, another server's old channel), is a duplicate: never
 * stored twice.  The floor is the highest seq deleted, not the highest
 * stored: a seq above it never stored (4, the other channel's) is still
 * stored.  A restart (or another server) sees the floor.
 */
static void
test_expire_floor(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	for (uint64_t i = 1; i <= 5; i++)
		put_at(s, "a1", i, 1000);
	put_at(s, "a2", 1, 1000);
	put_at(s, "a2", 2, 1000);
	put_at(s, "a2", 3, 1000);
	put_at(s, "a2", 5, 1000);
	commit(s, 9, 0);
	/* Keep the newest 2 ids: a1/1..4, a2/1..2 go (a1/5 is a1's). */
	assert_int_equal(expire_all(s, NULL, 0, 2, 3), 6);
	put_at(s, "a1", 3, 2000);	/* the reviewer's case */
	commit(s, 0, 1);
	put_at(s, "a2", 4, 2000);	/* above the floor (2): stored */
	put_at(s, "a2", 2, 2000);	/* at the floor: a duplicate */
	put_at(s, "a2", 3, 2000);	/* kept: its key */
	commit(s, 1, 2);
	store_close(s);
	s = open_store(f, 0);		/* a restart, or another server */
	put_at(s, "a1", 4, 3000);
	put_at(s, "a1", 1, 3000);
	put_at(s, "a1", 6, 3000);
	commit(s, 1, 2);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 5);
	assert_string_equal(c.lines[0], "a1/5/x");
	assert_string_equal(c.lines[1], "a2/3/x");
	assert_string_equal(c.lines[2], "a2/5/x");
	assert_string_equal(c.lines[3], "a2/4/x");
	assert_string_equal(c.lines[4], "a1/6/x");
	/* A second pass raises the floors (a1: 5, a2: 4). */
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 3);
	put_at(s, "a2", 4, 4000);
	put_at(s, "a1", 5, 4000);
	commit(s, 0, 2);
	assert_int_equal(last_seq(s, "a1"), 6);
	assert_int_equal(last_seq(s, "a2"), 5);
	store_close(s);
}

/*
 * Retention of legacy rows (issuer ""): their floor follows the claim,
 * so the issuer that takes them sees a deleted seq as a duplicate; other
 * issuers' rows of the name are not theirs.
 */
static void
test_expire_floor_claim(void **state)
{
	struct fixture *f = *state;
	struct store *s;

	if (f->conf.type == STORE_SQLITE)
		make_old_sqlite(f);
	else
		make_old_pg(f);
	s = open_store(f, 0);
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 1);	/* a1/1 */
	assert_int_equal(last_seq_as(s, CA2, "a1"), 2);	/* takes them */
	assert_int_equal(put_as(s, CA2, "a1", 1, "resent"), 0);
	assert_int_equal(put_as(s, CA2, "a1", 2, "resent"), 0);
	assert_int_equal(put_as(s, CA1, "a1", 1, "other"), 0);
	commit(s, 1, 2);
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
		cmocka_unit_test_setup_teardown(test_agents, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_targets, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_answers, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_expiry, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_new_and_txn,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_too_many,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v0_cmds,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v0_cmds,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_agents_mark, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_agents_mark, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pending_agents,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_pending_agents,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_chunks, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_chunks, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_agents, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_targets, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_answers, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_expiry, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cmd_new_and_txn,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_expire_age, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_max_rows,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_age, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_max_rows, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor_claim,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor_claim,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v2, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_newest_id,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_newest_id,
		    setup_pg, teardown),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_export_text_and_binary),
		cmocka_unit_test(test_utf8_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
