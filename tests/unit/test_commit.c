/*
 * test_commit.c: the group commit (commit.c) over a real store: one
 * channel's row cannot fail the batch.  A row the store refuses (a trigger
 * made by the test RAISEs on the payload "poison": a real refusal, not a
 * mock) closes that channel alone, with CLOSE(store); every other row of
 * the batch is stored and ACKed.  A row the store could not keep (seq
 * above 2^63-1, a name that is not UTF-8) never joins the batch.  A
 * failure of the store itself (its lock held by another process) still
 * closes every channel of the batch.  The links are this file's recorder
 * (its struct commit_ops below), so that no network is needed; the same
 * tests run on PostgreSQL when GW_PG_CONNINFO names a database
 * (test_postgresql starts one), and are reported as skipped without it.
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

#include "commit.h"
#include "mgmt.h"
#include "proto.h"

#define NCHAN	4
#define NROWS	5

/* A channel of this test: its commit, and what the commit owed it. */
struct tchan {
	struct commit_chan	 cc;
	int			 open;		/* OPEN_ACK given, not closed */
	uint64_t		 acked;
	char			 agent[32];
};

struct fixture {
	char			 dir[64];
	char			 path[96];
	struct store_conf	 conf;
	struct mgmt_config	 cfg;
	struct mgmt		 m;
	struct tchan		 ch[NCHAN];
	unsigned		 closes[NCHAN], acks[NCHAN];
	char			 close_text[NCHAN][128];
};

static struct fixture *F;	/* for the recorder */

static struct tchan *
tchan(struct commit_chan *cc)
{
	struct tchan *t = (struct tchan *)(void *)cc;

	assert_true(t >= F->ch && t < F->ch + NCHAN);
	return t;
}

/* The commit_ops of this test: they record what the commit owes. */
static void
rec_open_ack(struct commit_chan *cc, uint64_t last_seq)
{
	struct tchan *t = tchan(cc);

	assert_int_equal(cc->last_seq, last_seq);
	assert_int_equal(cc->durable, last_seq);
	t->open = 1;
	t->acked = last_seq;
}

static void
rec_ack(struct commit_chan *cc)
{
	struct tchan *t = tchan(cc);

	if (cc->durable > t->acked) {
		t->acked = cc->durable;
		F->acks[t - F->ch]++;
	}
}

static void
rec_close(struct commit_chan *cc, unsigned code, const char *text)
{
	struct tchan *t = tchan(cc);
	size_t i = (size_t)(t - F->ch);

	assert_int_equal(code, GW_R_STORE);
	assert_int_equal(cc->state, COMMIT_IDLE);	/* forgotten first */
	t->open = 0;
	F->closes[i]++;
	snprintf(F->close_text[i], sizeof(F->close_text[i]), "%s", text);
}

static const struct commit_ops rec_ops = {
	.open_ack = rec_open_ack,
	.ack = rec_ack,
	.close = rec_close,
};

static void
setup_common(struct fixture *f)
{
	f->cfg.batch_max = 1024;
	f->cfg.batch_delay = 1;
	f->m.magic = MGMT_MAGIC;
	f->m.cfg = &f->cfg;
	f->m.loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(f->m.loop);
	assert_non_null(f->m.commit = commit_new(&f->m, &rec_ops));
	F = f;
}

static int
setup_sqlite(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwcommit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	f->conf.type = STORE_SQLITE;
	f->conf.path = f->path;
	setup_common(f);
	*state = f;
	return 0;
}

static void
psql(const char *conninfo, const char *sql)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "psql -q -X -v ON_ERROR_STOP=1 '%s' "
	    "-c \"%s\" >/dev/null", conninfo, sql);
	assert_int_equal(system(cmd), 0);
}

/* A fresh table in the database of GW_PG_CONNINFO, or skip. */
static int
setup_pg(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->conf.type = STORE_POSTGRESQL;
	f->conf.conninfo = getenv("GW_PG_CONNINFO");
	setup_common(f);
	*state = f;
	if (f->conf.conninfo != NULL)
		psql(f->conf.conninfo, "DROP TABLE IF EXISTS messages");
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	store_close(f->m.store);
	commit_free(f->m.commit);
	f->m.commit = NULL;
	ev_loop_destroy(f->m.loop);
	if (f->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
	return 0;
}

/* Open the store, make it refuse "poison" rows, open NCHAN channels. */
static void
start(struct fixture *f)
{
	char err[256];

	if (f->conf.type == STORE_POSTGRESQL && f->conf.conninfo == NULL)
		skip();
	if ((f->m.store = store_open(&f->conf, 0, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	if (f->conf.type == STORE_SQLITE) {
		sqlite3 *db;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER poison "
		    "BEFORE INSERT ON messages WHEN NEW.payload = "
		    "CAST('poison' AS BLOB) BEGIN SELECT RAISE(ABORT, "
		    "'poison row'); END", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	} else
		psql(f->conf.conninfo, "CREATE OR REPLACE FUNCTION poison() "
		    "RETURNS trigger AS \\$\\$ BEGIN IF NEW.payload = "
		    "'poison'::bytea THEN RAISE EXCEPTION 'poison row'; END "
		    "IF; RETURN NEW; END \\$\\$ LANGUAGE plpgsql; CREATE "
		    "TRIGGER poison BEFORE INSERT ON messages FOR EACH ROW "
		    "EXECUTE FUNCTION poison()");
	for (int i = 0; i < NCHAN; i++) {
		struct tchan *t = &f->ch[i];

		snprintf(t->agent, sizeof(t->agent), "agent-%d", i);
		commit_chan_init(&t->cc, "", t->agent, "00ff", "gw1");
		commit_open(&f->m, &t->cc);
		assert_true(t->open);
	}
}

static int
data(struct fixture *f, int i, uint64_t seq, const char *body)
{
	if (!f->ch[i].open)
		return 0;	/* as link.c: DATA on a closing channel */
	return commit_data(&f->m, &f->ch[i].cc, seq, (const uint8_t *)body,
	    (uint32_t)strlen(body));
}

static int
count_cb(const struct store_row *r, void *arg)
{
	unsigned *n = arg;
	int i;

	assert_int_equal(sscanf(r->agent, "agent-%d", &i), 1);
	assert_true(i >= 0 && i < NCHAN);
	n[i]++;
	return 0;
}

/* Rows stored per channel's agent into ${n}. */
static void
stored(struct fixture *f, unsigned n[NCHAN])
{
	memset(n, 0, NCHAN * sizeof(n[0]));
	assert_true(store_scan(f->m.store, 0, count_cb, n) >= 0);
}

/* Interleaved rows of every channel; channel ${bad} (if >= 0) sends a
 * poison row third. */
static void
stream(struct fixture *f, int bad, uint64_t from)
{
	for (uint64_t s = from; s < from + NROWS; s++)
		for (int i = 0; i < NCHAN; i++)
			assert_int_equal(data(f, i, s, i == bad &&
			    s == from + 2 ? "poison" : "line"), 0);
}

static void
test_refused_row_closes_its_channel_alone(void **state)
{
	struct fixture *f = *state;
	unsigned n[NCHAN];

	start(f);
	stream(f, 2, 1);
	commit_now(&f->m);
	stored(f, n);
	for (int i = 0; i < NCHAN; i++) {
		if (i == 2) {
			/* None of its rows: they were not ACKed. */
			assert_int_equal(f->closes[i], 1);
			assert_int_equal(n[i], 0);
			assert_int_equal(f->acks[i], 0);
			assert_non_null(strstr(f->close_text[i],
			    "store refused seq 3"));
			assert_non_null(strstr(f->close_text[i],
			    "poison row"));
			continue;
		}
		assert_int_equal(f->closes[i], 0);
		assert_int_equal(n[i], NROWS);
		assert_int_equal(f->acks[i], 1);
		assert_int_equal(f->ch[i].acked, NROWS);
	}
	assert_int_equal(f->m.commit->commits, 1);
	assert_int_equal(f->m.commit->stored, (NCHAN - 1) * NROWS);
	/* Each row committed timed once (the refused ones not at all). */
	assert_int_equal(f->m.commit->st.data_count, (NCHAN - 1) * NROWS);
	assert_false(store_in_txn(f->m.store));
	/* The next batch goes on as usual. */
	stream(f, -1, NROWS + 1);
	commit_now(&f->m);
	stored(f, n);
	assert_int_equal(n[0], 2 * NROWS);
	assert_int_equal(f->ch[3].acked, 2 * NROWS);
	assert_int_equal(f->m.commit->st.data_count,
	    2 * (NCHAN - 1) * NROWS);	/* channel 2 closed */
}

static void
test_two_refused_rows_and_a_gone_channel(void **state)
{
	struct fixture *f = *state;
	unsigned n[NCHAN];

	start(f);
	stream(f, 0, 1);
	assert_int_equal(data(f, 3, NROWS + 1, "poison"), 0);
	/* Channel 1 goes away before the commit: its rows are stored. */
	f->ch[1].open = 0;
	commit_forget(&f->m, &f->ch[1].cc);
	commit_now(&f->m);
	stored(f, n);
	assert_int_equal(f->closes[0], 1);
	assert_int_equal(n[0], 0);
	assert_int_equal(f->closes[3], 1);
	assert_int_equal(n[3], 0);
	assert_int_equal(f->closes[1], 0);
	assert_int_equal(n[1], NROWS);
	assert_int_equal(f->acks[1], 0);
	assert_int_equal(f->closes[2], 0);
	assert_int_equal(n[2], NROWS);
	assert_int_equal(f->ch[2].acked, NROWS);
	assert_int_equal(f->m.commit->commits, 1);
}

static void
test_unstorable_row_never_joins(void **state)
{
	struct fixture *f = *state;
	unsigned n[NCHAN];

	start(f);
	stream(f, -1, 1);
	assert_int_equal(data(f, 1, GW_SEQ_MAX + 1, "line"), -1);
	assert_int_equal(f->closes[1], 1);
	assert_non_null(strstr(f->close_text[1], "seq out of range"));
	snprintf(f->ch[2].agent, sizeof(f->ch[2].agent), "agent-2\xff");
	assert_int_equal(data(f, 2, NROWS + 1, "line"), -1);
	assert_int_equal(f->closes[2], 1);
	assert_non_null(strstr(f->close_text[2], "not UTF-8"));
	assert_int_equal(data(f, 3, GW_SEQ_MAX, "line"), 0);	/* legal */
	commit_now(&f->m);
	assert_int_equal(f->m.commit->commits, 1);
	stored(f, n);
	/* A closed channel's rows before the refused one are kept. */
	assert_int_equal(n[0], NROWS);
	assert_int_equal(n[1], NROWS);
	assert_int_equal(n[2], NROWS);
	assert_int_equal(n[3], NROWS + 1);
	assert_int_equal(f->acks[0], 1);
	assert_int_equal(f->acks[1], 0);
	assert_int_equal(f->ch[3].acked, GW_SEQ_MAX);
}

/* The store itself failing (its write lock held elsewhere) still closes
 * every channel of the batch, and acknowledges nothing. */
static void
test_store_failure_closes_the_batch(void **state)
{
	struct fixture *f = *state;
	unsigned n[NCHAN];
	sqlite3 *db;

	start(f);
	stream(f, -1, 1);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	commit_now(&f->m);	/* waits STORE_BUSY_MS, then fails */
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	stored(f, n);
	for (int i = 0; i < NCHAN; i++) {
		assert_int_equal(f->closes[i], 1);
		assert_int_equal(n[i], 0);
		assert_int_equal(f->acks[i], 0);
		assert_non_null(strstr(f->close_text[i], "store failed"));
	}
	assert_int_equal(f->m.commit->commits, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_refused_row_closes_its_channel_alone, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_refused_rows_and_a_gone_channel, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unstorable_row_never_joins, setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(
		    test_store_failure_closes_the_batch, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_refused_row_closes_its_channel_alone, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_refused_rows_and_a_gone_channel, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_unstorable_row_never_joins, setup_pg, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
