/*
 * test_store_agents.c: the agents table of schema 4 (store_agents.h, on
 * store_fixture.h):
 * OPEN's identity extension kept (sans, not_after_ms; '' and NULL
 * without it, the last OPEN's wins); the marks of a channel's news
 * (seen_ms and last_seq only grow, state online or stale, never on an
 * agent offline nor on one another channel opened since); the counts by
 * state; a store of schema 3 migrated by a writer (state from online,
 * last_seq from its messages) and read as it is by a reader.  The same
 * tests run on SQLite and, when GW_PG_CONNINFO names a database, on
 * PostgreSQL (skipped without it).
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
#include "store_agents.h"
#include "store_backend.h"
#include "store_cmd.h"
#include "store_fixture.h"

#define SANS	"DNS:web01.example IP:10.0.0.7 URI:spiffe://gw/web01"
#define NOTAFTER	1893456000000LL	/* 2030-01-01 */

/* Agent ${name} of CA1 as an OPEN said it (${sans} NULL: no extension). */
static struct store_agent
agent(const char *name, const char *sans, int64_t not_after_ms)
{
	return (struct store_agent){
		.issuer = CA1, .name = name, .subject = "CN=x, O=\"q\"",
		.san = "web01.example", .serial = "01:02", .fingerprint = "ab12",
		.gateway = "gw1", .peer = "127.0.0.1:5000", .sans = sans,
		.not_after_ms = not_after_ms,
	};
}

/* store_agents' callback: an agent's extension, marks and state. */
static int
mark_line(const struct store_agent *a, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%s|%s|%lld|%lld|%lld|%lld|%llu|%s|%d", a->name, a->sans,
		    (long long)a->not_after_ms, (long long)a->first_seen_ms,
		    (long long)a->connected_ms, (long long)a->seen_ms,
		    (unsigned long long)a->last_seq,
		    store_agent_state_str(a->state), a->online);
	return 0;
}

static struct seen
agents(struct store *s)
{
	struct seen c = { 0 };

	assert_true(store_agents(s, mark_line, &c) >= 0);
	return c;
}

/* News of the channel of ${name} opened at ${opened}. */
static struct store_agent_ev
news(const char *name, int64_t opened, enum store_agent_state live,
    int64_t seen, uint64_t last_seq)
{
	return (struct store_agent_ev){
		.agent = { .issuer = CA1, .name = name },
		.opened_ms = opened, .live = live, .seen_ms = seen,
		.last_seq = last_seq,
	};
}

/*
 * OPEN's identity extension is kept, and the last OPEN's wins: one
 * without it leaves sans "" and not_after_ms unknown (NULL, read 0).
 */
static void
test_identity_extension(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	struct store_agent a = agent("web01", SANS, NOTAFTER);
	struct seen c;

	assert_int_equal(store_agent_up(s, &a, 1000), 0);
	a = agent("db01", NULL, 0);
	assert_int_equal(store_agent_up(s, &a, 1000), 0);
	c = agents(s);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[0], "db01||0|1000|1000|1000|0|online|1");
	assert_string_equal(c.lines[1], "web01|" SANS
	    "|1893456000000|1000|1000|1000|0|online|1");
	a = agent("web01", "", 0);
	assert_int_equal(store_agent_up(s, &a, 2000), 0);
	c = agents(s);
	assert_string_equal(c.lines[1], "web01||0|1000|2000|2000|0|online|1");
	a = agent("web01", "DNS:\xff", 0);
	assert_int_equal(store_agent_up(s, &a, 3000), -1);
	a = agent("web01", SANS, -1);
	assert_int_equal(store_agent_up(s, &a, 3000), -1);
	store_close(s);
}

/*
 * The marks of news: seen_ms and last_seq only grow; stale and back;
 * an agent offline stays so; a later OPEN (another channel) is not
 * touched by the older channel's news; up, news and close of one event
 * in that order; a state or seq out of range writes nothing.
 */
static void
test_marks(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_store(f, 0);
	struct store_agent_ev ev[3];
	struct store_counts n;
	struct seen c;

	ev[0] = news("web01", 1000, STORE_AGENT_OFFLINE, 0, 0);
	ev[0].agent = agent("web01", SANS, NOTAFTER);
	ev[0].up = 1;
	ev[1] = news("db01", 1000, STORE_AGENT_ONLINE, 1500, 7);
	ev[1].agent = agent("db01", NULL, 0);
	ev[1].up = 1;
	assert_int_equal(store_agents_mark(s, ev, 2), 0);
	c = agents(s);
	assert_string_equal(c.lines[0], "db01||0|1000|1000|1500|7|online|1");
	/* Older news lowers nothing; stale keeps seen_ms. */
	ev[0] = news("db01", 1000, STORE_AGENT_STALE, 1200, 5);
	ev[1] = news("web01", 1000, STORE_AGENT_STALE, 0, 0);
	assert_int_equal(store_agents_mark(s, ev, 2), 0);
	c = agents(s);
	assert_string_equal(c.lines[0], "db01||0|1000|1000|1500|7|stale|1");
	assert_string_equal(c.lines[1], "web01|" SANS
	    "|1893456000000|1000|1000|1000|0|stale|1");
	assert_int_equal(store_cmd_counts(s, &n), 0);
	assert_int_equal(n.stale, 2);
	assert_int_equal(n.online, 0);
	/* Back, then closed in the same mark: offline, news kept. */
	ev[0] = news("db01", 1000, STORE_AGENT_ONLINE, 9000, 9);
	ev[0].closed_ms = 9500;
	/* web01 opened again at 5000 (another channel): the old one's
	 * news (opened 1000) changes nothing. */
	ev[1] = news("web01", 5000, STORE_AGENT_OFFLINE, 0, 0);
	ev[1].agent = agent("web01", SANS, NOTAFTER);
	ev[1].up = 1;
	ev[2] = news("web01", 1000, STORE_AGENT_STALE, 6000, 3);
	assert_int_equal(store_agents_mark(s, ev, 3), 0);
	c = agents(s);
	assert_string_equal(c.lines[0], "db01||0|1000|1000|9500|9|offline|0");
	assert_string_equal(c.lines[1], "web01|" SANS
	    "|1893456000000|1000|5000|5000|0|online|1");
	/* An agent offline stays so. */
	ev[0] = news("db01", 1000, STORE_AGENT_ONLINE, 9900, 10);
	assert_int_equal(store_agents_mark(s, ev, 1), 0);
	c = agents(s);
	assert_string_equal(c.lines[0], "db01||0|1000|1000|9500|9|offline|0");
	assert_int_equal(store_cmd_counts(s, &n), 0);
	assert_int_equal(n.online, 1);
	assert_int_equal(n.offline, 1);
	assert_int_equal(n.stale, 0);
	/* Out of range: nothing of the mark is written. */
	ev[0] = news("web01", 5000, STORE_AGENT_STALE, 7000, 0);
	ev[1] = news("web01", 5000, (enum store_agent_state)7, 7000, 0);
	assert_int_equal(store_agents_mark(s, ev, 2), -1);
	ev[1] = news("web01", 5000, STORE_AGENT_ONLINE, 7000,
	    (uint64_t)1 << 63);
	assert_int_equal(store_agents_mark(s, ev, 2), -1);
	c = agents(s);
	assert_string_equal(c.lines[1], "web01|" SANS
	    "|1893456000000|1000|5000|5000|0|online|1");
	store_close(s);
}

/* The agents table of schema 3 (agents' online, no sans), a row each. */
#define V3_SQLITE							\
    "CREATE TABLE messages (issuer TEXT NOT NULL, agent TEXT NOT NULL,"	\
    " seq INTEGER NOT NULL, id INTEGER NOT NULL UNIQUE,"		\
    " gateway TEXT NOT NULL, fingerprint TEXT NOT NULL,"		\
    " received_ms INTEGER NOT NULL, payload BLOB NOT NULL,"		\
    " PRIMARY KEY (issuer, agent, seq));"				\
    "CREATE TABLE agents (issuer TEXT NOT NULL, name TEXT NOT NULL,"	\
    " subject TEXT NOT NULL, san TEXT NOT NULL, serial TEXT NOT NULL,"	\
    " fingerprint TEXT NOT NULL, gateway TEXT NOT NULL,"		\
    " peer TEXT NOT NULL, first_seen_ms INTEGER NOT NULL,"		\
    " connected_ms INTEGER NOT NULL, seen_ms INTEGER NOT NULL,"	\
    " online INTEGER NOT NULL, PRIMARY KEY (issuer, name));"		\
    "CREATE TABLE commands (id INTEGER PRIMARY KEY AUTOINCREMENT,"	\
    " target TEXT NOT NULL, body BLOB NOT NULL,"			\
    " created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"	\
    "CREATE TABLE command_targets (command INTEGER NOT NULL,"		\
    " issuer TEXT NOT NULL, agent TEXT NOT NULL,"			\
    " state INTEGER NOT NULL, outcome INTEGER, status INTEGER,"	\
    " truncated INTEGER NOT NULL, output BLOB,"				\
    " updated_ms INTEGER NOT NULL, PRIMARY KEY (command, issuer, agent));" \
    "CREATE TABLE retained_floor (issuer TEXT NOT NULL,"		\
    " agent TEXT NOT NULL, floor INTEGER NOT NULL,"			\
    " PRIMARY KEY (issuer, agent));"					\
    "PRAGMA user_version = 3;"

#define V3_ROWS								\
    "INSERT INTO agents VALUES ('" CA1 "', 'web01', 'CN=web01', 'w',"	\
    " '01', 'ab', 'gw1', '127.0.0.1:1', 100, 200, 300, 1),"		\
    " ('" CA1 "', 'db01', 'CN=db01', '', '02', 'cd', 'gw1',"		\
    " '127.0.0.1:2', 100, 200, 400, 0);"				\
    "INSERT INTO messages (issuer, agent, seq, id, gateway, fingerprint,"\
    " received_ms, payload) VALUES ('" CA1 "', 'web01', 4, 1, 'gw1',"	\
    " 'ab', 1, 'x'), ('" CA1 "', 'web01', 6, 2, 'gw1', 'ab', 1, 'y');"

/* The same on PostgreSQL (gw_schema says 3). */
#define V3_PG								\
    "CREATE TABLE gw_schema (version integer NOT NULL);"		\
    "INSERT INTO gw_schema VALUES (3);"					\
    "CREATE TABLE messages (issuer text NOT NULL, agent text NOT NULL,"	\
    " seq bigint NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"\
    " gateway text NOT NULL, fingerprint text NOT NULL,"		\
    " received_ms bigint NOT NULL, payload bytea NOT NULL,"		\
    " PRIMARY KEY (issuer, agent, seq));"				\
    "CREATE TABLE agents (issuer text NOT NULL, name text NOT NULL,"	\
    " subject text NOT NULL, san text NOT NULL, serial text NOT NULL,"	\
    " fingerprint text NOT NULL, gateway text NOT NULL,"		\
    " peer text NOT NULL, first_seen_ms bigint NOT NULL,"		\
    " connected_ms bigint NOT NULL, seen_ms bigint NOT NULL,"		\
    " online bigint NOT NULL, PRIMARY KEY (issuer, name));"		\
    "CREATE TABLE commands (id bigint GENERATED ALWAYS AS IDENTITY"	\
    " PRIMARY KEY, target text NOT NULL, body bytea NOT NULL,"		\
    " created_ms bigint NOT NULL, expires_ms bigint NOT NULL);"	\
    "CREATE TABLE command_targets (command bigint NOT NULL"		\
    " REFERENCES commands (id), issuer text NOT NULL,"			\
    " agent text NOT NULL, state bigint NOT NULL, outcome bigint,"	\
    " status bigint, truncated bigint NOT NULL, output bytea,"		\
    " updated_ms bigint NOT NULL, PRIMARY KEY (command, issuer, agent));"\
    "CREATE TABLE retained_floor (issuer text NOT NULL,"		\
    " agent text NOT NULL, floor bigint NOT NULL,"			\
    " PRIMARY KEY (issuer, agent));"

#define V3_PG_ROWS							\
    "INSERT INTO agents VALUES ('" CA1 "', 'web01', 'CN=web01', 'w',"	\
    " '01', 'ab', 'gw1', '127.0.0.1:1', 100, 200, 300, 1),"		\
    " ('" CA1 "', 'db01', 'CN=db01', '', '02', 'cd', 'gw1',"		\
    " '127.0.0.1:2', 100, 200, 400, 0);"				\
    "INSERT INTO messages (issuer, agent, seq, gateway, fingerprint,"	\
    " received_ms, payload) VALUES ('" CA1 "', 'web01', 4, 'gw1',"	\
    " 'ab', 1, 'x'), ('" CA1 "', 'web01', 6, 'gw1', 'ab', 1, 'y');"

static void
make_v3(struct fixture *f)
{
	sqlite3 *db;

	if (f->conf.type == STORE_POSTGRESQL) {
		if (f->conf.conninfo == NULL)
			skip();
		psql(f, V3_PG V3_PG_ROWS);
		return;
	}
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, V3_SQLITE V3_ROWS, NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
}

/*
 * A store of schema 3: a reader reads its agents as they are (no sans,
 * last_seq 0) and migrates nothing; a writer migrates it to schema 4 once:
 * online 1 is online, 0 offline, last_seq from its messages; the marks
 * and the extension work on it; a reopen changes nothing.
 */
static void
test_migrate_v3(void **state)
{
	struct fixture *f = *state;
	struct store_agent a = agent("web01", SANS, NOTAFTER);
	struct store_agent_ev ev;
	struct store *s;
	struct seen c;

	make_v3(f);
	s = open_store(f, 1);
	c = agents(s);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[0], "db01||0|100|200|400|0|offline|0");
	assert_string_equal(c.lines[1], "web01||0|100|200|300|0|online|1");
	store_close(s);
	s = open_store(f, 0);
	c = agents(s);
	assert_string_equal(c.lines[0], "db01||0|100|200|400|0|offline|0");
	assert_string_equal(c.lines[1], "web01||0|100|200|300|6|online|1");
	assert_int_equal(store_agent_up(s, &a, 1000), 0);
	ev = news("web01", 1000, STORE_AGENT_STALE, 1100, 8);
	assert_int_equal(store_agents_mark(s, &ev, 1), 0);
	store_close(s);
	s = open_store(f, 0);
	c = agents(s);
	assert_string_equal(c.lines[1], "web01|" SANS
	    "|1893456000000|100|1000|1100|8|stale|1");
	store_close(s);
	if (f->conf.type == STORE_SQLITE) {
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version",
		    -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), STORE_SCHEMA);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

/* The names of the states, both ways. */
static void
test_state_names(void **state)
{
	enum store_agent_state st;

	(void)state;
	assert_string_equal(store_agent_state_str(STORE_AGENT_STALE),
	    "stale");
	assert_string_equal(store_agent_state_str(STORE_AGENT_NSTATES), "?");
	assert_int_equal(store_agent_state_parse("offline", &st), 0);
	assert_int_equal(st, STORE_AGENT_OFFLINE);
	assert_int_equal(store_agent_state_parse("stale", &st), 0);
	assert_int_equal(st, STORE_AGENT_STALE);
	assert_int_equal(store_agent_state_parse("Stale", &st), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test_setup_teardown(test_identity_extension,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_identity_extension,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_marks, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_marks, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v3, setup_pg,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
