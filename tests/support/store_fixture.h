/*
 * store_fixture.h: what the unit tests of the stores (tests/unit/
 * test_store*.c) share, with cmocka: a store on SQLite in a temporary
 * directory, or on the PostgreSQL database GW_PG_CONNINFO names (its
 * tables dropped first; without GW_PG_CONNINFO, open_store skips the
 * test), and the short-named steps the tests are written in, which assert
 * what they expect (a test's own words: test code only).
 */
#ifndef GW_SUPPORT_STORE_FIXTURE_H
#define GW_SUPPORT_STORE_FIXTURE_H

#include <stdint.h>

#include "store.h"
#include "store_cmd.h"

#define CA1	"CN=Agent CA 1, O=gw"
#define CA2	"CN=Agent CA 2, O=gw"
#define T0	1764064800000LL		/* ms: a command's creation */

struct fixture {
	char			dir[64];
	char			path[96];
	struct store_conf	conf;
};

/* The rows collect_cb was given: ids, "agent/seq/payload" lines. */
struct collect {
	int	n;
	int64_t	ids[16];
	char	lines[16][64];
};

/* What a walk of agents, commands or targets gave, a line each. */
struct seen {
	int	n;
	char	lines[40][200];
};

/** setup_sqlite(state), setup_pg(state), teardown(state): cmocka's. */
int setup_sqlite(void **state);
int setup_pg(void **state);
int teardown(void **state);

/** psql(f, sql): run ${sql} with psql on the PostgreSQL database of ${f}. */
void psql(const struct fixture *f, const char *sql);

/**
 * open_store(f, readonly): the store of ${f}; the test is skipped when it
 * is PostgreSQL's and GW_PG_CONNINFO is not set.
 */
struct store *open_store(struct fixture *f, int readonly);

/** commit(s, want_stored, want_dups): store_commit, as it should go. */
void commit(struct store *s, uint64_t want_stored, uint64_t want_dups);

/** put_as(s, issuer, agent, seq, body): store_put of that row. */
int put_as(struct store *s, const char *issuer, const char *agent,
    uint64_t seq, const char *body);

/** put(s, agent, seq, body): put_as of issuer CA1. */
int put(struct store *s, const char *agent, uint64_t seq, const char *body);

/** put_at(s, agent, seq, ms): row ${seq} of ${agent} (CA1) at ${ms}. */
void put_at(struct store *s, const char *agent, uint64_t seq, int64_t ms);

/** last_seq_as(s, issuer, agent): store_last_seq, which must work. */
uint64_t last_seq_as(struct store *s, const char *issuer, const char *agent);

/** last_seq(s, agent): last_seq_as of issuer CA1. */
uint64_t last_seq(struct store *s, const char *agent);

/** collect_cb(r, arg): store_scan's callback into the struct collect. */
int collect_cb(const struct store_row *r, void *arg);

/**
 * make_old_sqlite(f), make_old_pg(f): a store of the schema of 4a5f9ba
 * (key (agent, seq)) and two of its rows (a1 seq 1 and 2).
 */
void make_old_sqlite(struct fixture *f);
void make_old_pg(struct fixture *f);

/** agent_up(s, issuer, name, now): agent (${issuer}, ${name}) opens. */
void agent_up(struct store *s, const char *issuer, const char *name,
    int64_t now);

/** agent_line(a, arg): store_agents' callback into the struct seen. */
int agent_line(const struct store_agent *a, void *arg);

/** cmd_line(cmd, arg): store_cmd_list's callback into the struct seen. */
int cmd_line(const struct store_cmd *cmd, void *arg);

/**
 * make_cmd(s, how, pattern, body, ttl_ms, n): make a command for
 * ${pattern} (${how}); its id, or -1 (errmsg set).
 */
int64_t make_cmd(struct store *s, enum store_cmd_match how,
    const char *pattern, const char *body, int64_t ttl_ms, long *n);

/**
 * expire_all(a, b, before_ms, max_rows, n): run passes of ${a} and ${b}
 * (another server's, or NULL) in turn, steps of ${n} rows; the rows they
 * deleted, each step at most ${n}.
 */
long expire_all(struct store *a, struct store *b, int64_t before_ms,
    uint64_t max_rows, unsigned n);

/** version_cb(arg, n, v, names): sqlite3_exec's; v[0] into *(int *)arg. */
int version_cb(void *arg, int n, char **v, char **names);

#endif /* !GW_SUPPORT_STORE_FIXTURE_H */
