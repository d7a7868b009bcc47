/*
 * test_tailf_restart.c: files followed like tail -F (tailf.h) across
 * restarts of the agent, their positions in the journal (tailf_world.h:
 * the real sink over it).  A restart resumes where it was, after a rename
 * or a copy while down, and reads from the start a file whose bytes before
 * the position changed; a kill -9 in a batch larger than the journal's
 * buffer reads the batch again, once; a full table of positions evicts one
 * instead of stopping; a pattern matching the rotated name (dated or
 * numbered) reads each line once across a rotation while down, and so
 * does a file drained under a name it does not match that reaches one it
 * matches while down.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "cmdtab.h"
#include "conf_util.h"
#include "journal.h"
#include "sendq.h"
#include "sink.h"
#include "sink_ctl.h"
#include "sink_fixture.h"
#include "tail_conf.h"
#include "tailf.h"
#include "tailf_world.h"

static void
test_restart(void **state)
{
	(void)state;
	journal_up();
	append("a.log", 0, 30);
	set("path", "a.log");
	set("read_from", "end");
	set("poll", "10ms");
	start();
	spin(0.05);
	append("a.log", 30, 40);
	spin_until(10);
	down();
	sink_fix_clear(&F);
	/* Down: nothing new, then a restart resumes where it was. */
	journal_up();
	start();
	append("a.log", 40, 45);
	spin_until(5);
	expect_lines(0, 40, 5);
	down();
	sink_fix_clear(&F);
	/* Rotated by rename while down, lines in both files. */
	append("a.log", 45, 50);
	move("a.log", "a.log.1");
	append("a.log", 50, 60);
	journal_up();
	start();
	spin_until(15);
	expect_lines(0, 45, 15);
	down();
	sink_fix_clear(&F);
	/* Copied and truncated while down, grown past the position again. */
	append("a.log", 60, 70);
	copytruncate("a.log", "a.log.2");
	append("a.log", 70, 100);
	journal_up();
	start();
	spin_until(40);
	expect_lines(0, 60, 40);
	spin(0.1);
	assert_int_equal(F.n, 40);
}

static void
test_restart_other_file(void **state)
{
	char p[128];

	(void)state;
	journal_up();
	append("a.log", 0, 10);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	down();
	sink_fix_clear(&F);
	/* Same inode, as large, other bytes: no copy of it anywhere. */
	fpath(p, sizeof(p), "a.log");
	assert_int_equal(truncate(p, 0), 0);
	append("a.log", 100, 120);
	journal_up();
	start();
	spin_until(20);
	expect_lines(0, 100, 20);
}

/* Lines "line N " and 6000 'x' for N in [from, to) to ${name}. */
static void
append_long(const char *name, int from, int to)
{
	static char l[6100];
	int n;

	for (int i = from; i < to; i++) {
		n = snprintf(l, sizeof(l), "line %d ", i);
		memset(l + n, 'x', 6000);
		l[n + 6000] = '\n';
		l[n + 6001] = '\0';
		append_raw(name, l);
	}
}

/* The event ${body} is of the line "line N x...". */
static void
expect_long(const char *body, int n)
{
	char want[32];

	snprintf(want, sizeof(want), "\"line\":\"line %d x", n);
	if (strstr(body, want) == NULL)
		fail_msg("not line %d: %.60s", n, body);
}

/*
 * Cut the journal ${path} after the 'L' records that follow offset
 * ${from}: what a kill -9 leaves of a batch whose lines reached the file
 * (its buffer written) but not the records after them (its positions,
 * its K).  Return the size cut to.
 */
static off_t
cut_after_lines(const char *path, off_t from)
{
	unsigned char h[5];
	uint32_t len;
	off_t at = from;
	FILE *fp;

	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseeko(fp, at, SEEK_SET), 0);
	while (fread(h, 1, sizeof(h), fp) == sizeof(h) && h[0] == 'L') {
		len = (uint32_t)h[1] | (uint32_t)h[2] << 8 |
		    (uint32_t)h[3] << 16 | (uint32_t)h[4] << 24;
		at += (off_t)sizeof(h) + len;
		assert_int_equal(fseeko(fp, at, SEEK_SET), 0);
	}
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(truncate(path, at), 0);
	return at;
}

/*
 * A kill -9 in the middle of a batch larger than the journal's buffer:
 * the journal holds its lines but not their position.  The restart
 * replays none of them (their batch has no K) and the file is read again
 * from the position committed before: each line once.
 */
static void
test_restart_torn_batch(void **state)
{
	char st[128], want[32];
	const struct sendq_ent *e;
	struct stat before;

	(void)state;
	snprintf(st, sizeof(st), "%s/state", dir);
	journal_up();
	append("a.log", 0, 3);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(3);
	assert_int_equal(stat(st, &before), 0);
	append_long("a.log", 3, 23);		/* 120k: one batch */
	spin_until(23);
	down();
	sink_fix_clear(&F);
	/* Larger than the buffer (64k): written before the commit. */
	assert_true(cut_after_lines(st, before.st_size) >=
	    before.st_size + 65536);
	journal_up();
	assert_int_equal(sendq_len(F.q), 3);	/* the committed lines only */
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"line\":\"line %d\"", i);
		assert_non_null(e = sendq_get(F.q, (size_t)i));
		assert_non_null(memmem(e->body, e->len, want, strlen(want)));
	}
	start();
	spin_until(20);
	for (int i = 0; i < 20; i++)
		expect_long(F.ev[i], 3 + i);
	spin(0.1);
	assert_int_equal(F.n, 20);
}

/* Fill the journal's positions up to POSMAP_MAX with keys of no file. */
static void
fill_positions(void)
{
	struct file_pos p = { .dev = 1, .ino = 2, .off = 3 };
	char key[128];
	size_t n = 0;

	while (journal_pos_at(F.j, n, &p) != NULL)
		n++;
	for (; n < POSMAP_MAX; n++) {
		snprintf(key, sizeof(key), "%s/gone/%zu.log", dir, n);
		assert_int_equal(journal_pos_set(F.j, key, &p), 0);
	}
	assert_int_equal(journal_commit(F.j), 0);
}

/*
 * The journal's positions full (POSMAP_MAX): a new file evicts the
 * position of a file not followed (one gone first) instead of stopping
 * the input; the files followed go on.  At start, the position of a file
 * older than ignore_older is forgotten.
 */
static void
test_positions_full(void **state)
{
	struct file_pos p;
	char b[128];
	size_t n = 0;

	(void)state;
	journal_up();
	append("a.log", 0, 3);
	set("path", "*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	set("ignore_older", "1h");
	start();
	spin_until(3);
	fill_positions();
	append("b.log", 0, 4);
	append("a.log", 3, 5);
	spin_until(3 + 4 + 2);
	assert_int_equal(count_from("b.log"), 4);
	assert_int_equal(count_from("a.log"), 5);
	while (journal_pos_at(F.j, n, &p) != NULL)
		n++;
	assert_true(n <= POSMAP_MAX && n > POSMAP_MAX - POSMAP_MAX / 32);
	fpath(b, sizeof(b), "b.log");
	assert_true(journal_pos_get(F.j, b, &p));
	assert_int_equal(p.off, 28);
	fpath(b, sizeof(b), "a.log");		/* followed: kept */
	assert_true(journal_pos_get(F.j, b, &p));
	assert_int_equal(p.off, 35);
	fpath(b, sizeof(b), "b.log");
	/* Restart: b.log not written for longer than ignore_older. */
	down();
	sink_fix_clear(&F);
	age("b.log", 7200);
	journal_up();
	start();
	assert_false(journal_pos_get(F.j, b, &p));
	append("a.log", 5, 6);
	spin_until(1);
	expect_lines(0, 5, 1);
}

/*
 * A pattern that matches the rotated name too (dateext, extension .log):
 * the rotated file is read on under its new name, not again from its
 * start; the same for a rotation while the agent is down.
 */
static void
test_glob_rotated(void **state)
{
	char l[64], want[64];
	int seen[40] = { 0 };

	(void)state;
	journal_up();
	append("app.log", 0, 10);
	set("path", "*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	append("app.log", 10, 15);
	move("app.log", "app-1.log");
	append("app-1.log", 15, 20);
	append("app.log", 20, 25);
	spin_until(25);
	spin(0.1);
	assert_int_equal(F.n, 25);
	down();
	append("app.log", 25, 28);
	move("app.log", "app-2.log");
	append("app-2.log", 28, 30);
	append("app.log", 30, 35);
	journal_up();
	start();
	spin_until(35);
	spin(0.1);
	assert_int_equal(F.n, 35);
	for (size_t i = 0; i < F.n; i++) {
		int k;

		assert_int_equal(sscanf(line_of(i, l, sizeof(l)), "line %d",
		    &k), 1);
		assert_true(k >= 0 && k < 35);
		snprintf(want, sizeof(want), "line %d", k);
		assert_string_equal(l, want);
		seen[k]++;
	}
	for (int k = 0; k < 35; k++)
		assert_int_equal(seen[k], 1);
}

/*
 * The same rotation while the agent is down: app.log's position goes to
 * app.log.1 and app.log.1's to app.log.2 (both moves at once), nothing
 * is read twice.
 */
static void
test_numbered_rotate_down(void **state)
{
	(void)state;
	journal_up();
	append("app.log.1", 0, 5);
	append("app.log", 5, 10);
	set("path", "app.log*");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	down();
	append("app.log", 10, 12);
	rotate_numbered();
	append("app.log", 12, 15);
	journal_up();
	start();
	spin_until(15);
	spin(0.3);
	expect_each_once(15);
}

/*
 * A file drained under a name the pattern does not match (app.log.tmp)
 * reaches one it matches (app-1.log) while the agent is down: its end,
 * recorded in the journal, not a memory lost with the process, says where
 * it goes on: nothing is read twice.
 */
static void
test_drained_restart(void **state)
{
	(void)state;
	journal_up();
	append("app.log", 0, 10);
	set("path", "app*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	move("app.log", "app.log.tmp");
	append("app.log.tmp", 10, 12);
	append("app.log", 12, 15);
	spin_until(15);
	spin(0.2);				/* drained, switched */
	down();
	move("app.log.tmp", "app-1.log");
	append("app.log", 15, 18);
	journal_up();
	start();
	spin_until(18);
	spin(0.3);
	expect_each_once(18);
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_restart),
		T(test_restart_other_file),
		T(test_restart_torn_batch),
		T(test_positions_full),
		T(test_glob_rotated),
		T(test_numbered_rotate_down),
		T(test_drained_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
