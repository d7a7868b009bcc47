/*
 * store_fixture.c: what the unit tests of the stores share (see
 * store_fixture.h): a store on SQLite in a temporary directory or on the
 * PostgreSQL database of GW_PG_CONNINFO, and the steps the tests use.
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
#include "store_cmd.h"
#include "store_fixture.h"

/** setup_sqlite(state), setup_pg(state), teardown(state): cmocka's. */
int
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

int
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

int
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

/** psql(f, sql): run ${sql} with psql on the PostgreSQL database of ${f}. */
void
psql(const struct fixture *f, const char *sql)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "PGOPTIONS='-c client_min_messages=warning' "
	    "psql -q -X '%s' -v ON_ERROR_STOP=1 "
	    "-c \"%s\" >/dev/null", f->conf.conninfo, sql);
	assert_int_equal(system(cmd), 0);
}

/**
 * open_store(f, readonly): the store of ${f}; the test is skipped when it
 * is PostgreSQL's and GW_PG_CONNINFO is not set.
 */
struct store *
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

/** commit(s, want_stored, want_dups): store_commit, as it should go. */
void
commit(struct store *s, uint64_t want_stored, uint64_t want_dups)
{
	uint64_t stored, dups;

	assert_int_equal(store_commit(s, &stored, &dups), 0);
	assert_int_equal(stored, want_stored);
	assert_int_equal(dups, want_dups);
	assert_false(store_in_txn(s));
}

/** put_as(s, issuer, agent, seq, body): store_put of that row. */
int
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

/** put(s, agent, seq, body): put_as of issuer CA1. */
int
put(struct store *s, const char *agent, uint64_t seq, const char *body)
{
	return put_as(s, CA1, agent, seq, body);
}

/** put_at(s, agent, seq, ms): row ${seq} of ${agent} (CA1) at ${ms}. */
void
put_at(struct store *s, const char *agent, uint64_t seq, int64_t ms)
{
	struct store_row r = {
		.issuer = CA1, .agent = agent, .seq = seq, .gateway = "gw1",
		.fingerprint = "00ff", .received_ms = ms, .payload = "x",
		.len = 1,
	};

	assert_int_equal(store_put(s, &r), 0);
}

/** last_seq_as(s, issuer, agent): store_last_seq, which must work. */
uint64_t
last_seq_as(struct store *s, const char *issuer, const char *agent)
{
	uint64_t v = 99999;

	assert_int_equal(store_last_seq(s, issuer, agent, &v), 0);
	return v;
}

/** last_seq(s, agent): last_seq_as of issuer CA1. */
uint64_t
last_seq(struct store *s, const char *agent)
{
	return last_seq_as(s, CA1, agent);
}

/** collect_cb(r, arg): store_scan's callback into the struct collect. */
int
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

/**
 * make_old_sqlite(f), make_old_pg(f): a store of the schema of 4a5f9ba
 * (key (agent, seq)) and two of its rows (a1 seq 1 and 2).
 */
void
make_old_sqlite(struct fixture *f)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, old_schema, NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
}

void
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

/** agent_up(s, issuer, name, now): agent (${issuer}, ${name}) opens. */
void
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

/** agent_line(a, arg): store_agents' callback into the struct seen. */
int
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

/** cmd_line(cmd, arg): store_cmd_list's callback into the struct seen. */
int
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

/**
 * make_cmd(s, how, pattern, body, ttl_ms, n): make a command for
 * ${pattern} (${how}); its id, or -1 (errmsg set).
 */
int64_t
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

/**
 * expire_all(a, b, before_ms, max_rows, n): run passes of ${a} and ${b}
 * (another server's, or NULL) in turn, steps of ${n} rows; the rows they
 * deleted, each step at most ${n}.
 */
long
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

/** version_cb(arg, n, v, names): sqlite3_exec's; v[0] into *(int *)arg. */
int
version_cb(void *arg, int n, char **v, char **names)
{
	(void)n;
	(void)names;
	*(int *)arg = atoi(v[0]);
	return 0;
}
