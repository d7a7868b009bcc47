/*
 * test_store_cmd.c: the agents and commands of the stores (store_cmd.h,
 * on store_fixture.h): an agent's OPEN and close, a later OPEN kept
 * online; a command's targets by name and by pattern, none, too many;
 * pending, new, acknowledged, answered (the first RESULT wins), expired;
 * its bounds; no call inside the group commit's transaction.
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

#include "proto.h"
#include "store.h"
#include "store_backend.h"
#include "store_cmd.h"
#include "store_fixture.h"

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
delivery_line(const struct store_delivery *d, void *arg)
{
	struct seen *c = arg;

	if (c->n < 40)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]),
		    "%lld %s %s %.*s", (long long)d->id, d->issuer, d->agent,
		    (int)d->len, (const char *)d->body);
	return 0;
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
	    "'ca', 'n' || k, '', '', '', '', '', '', 1, 1, 1, 1, '', NULL, 0, "
	    "'' FROM i",
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test_setup_teardown(test_cmd_too_many,
		    setup_sqlite, teardown),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
