/*
 * test_tailf_rotate.c: files followed like tail -F (tailf.h) through their
 * rotations, on a real loop and the real sink (tailf_world.h).  A renamed
 * file is read to its end (and what the writer still put into it) before
 * the new one, and goes on if renamed back; a copy-truncated file's copy
 * is read from the position, then the file from its start, whether seen
 * smaller or grown past the position; a file seen smaller than before is
 * truncated; a file that disappears and returns is read from its start; a
 * pattern matching the numbered rotated names (app.log*) reads each line
 * once, whatever the order found, a rotated file deleted, or a rotated
 * file reaching a matching name only after it was drained, and more such
 * files than any fixed memory of them.
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
test_rename_rotation(void **state)
{
	(void)state;
	append("a.log", 0, 100);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(100);
	append("a.log", 100, 110);
	move("a.log", "a.log.1");
	spin(0.012);			/* one pass at most: the rename seen */
	append("a.log.1", 110, 120);	/* the writer has not reopened yet */
	spin(0.005);
	append("a.log", 120, 150);	/* ... now it has */
	spin_until(150);
	expect_lines(0, 0, 150);
	/* Again, the rotated file renamed on meanwhile. */
	move("a.log.1", "a.log.2");
	move("a.log", "a.log.1");
	append("a.log", 150, 160);
	spin_until(160);
	expect_lines(0, 0, 160);
	/* Renamed away and back: it goes on where it was. */
	move("a.log", "b");
	append("b", 160, 165);		/* grown: not drained in two passes */
	spin(0.012);
	move("b", "a.log");
	append("a.log", 165, 170);
	spin_until(170);
	expect_lines(0, 0, 170);
	spin(0.2);
	assert_int_equal(F.n, 170);
}

static void
test_copy_truncate(void **state)
{
	(void)state;
	append("a.log", 0, 50);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(50);
	/* Unread lines copied away; the file is seen smaller. */
	append("a.log", 50, 60);
	copytruncate("a.log", "a.log.1");
	append("a.log", 60, 65);
	spin_until(65);
	expect_lines(0, 0, 65);
	/* Copied, truncated, and grown past the old position before the
	 * agent looks: the bytes before its position tell. */
	append("a.log", 65, 70);
	copytruncate("a.log", "a.log.1");
	append("a.log", 70, 100);
	spin_until(100);
	expect_lines(0, 0, 100);
	spin(0.2);
	assert_int_equal(F.n, 100);
}

static void
test_disappear_return(void **state)
{
	char p[128];

	(void)state;
	append("a.log", 0, 10);
	set("path", "a.log");
	set("read_from", "end");	/* only for files there at start */
	set("poll", "10ms");
	start();
	spin(0.05);
	assert_int_equal(F.n, 0);
	append("a.log", 10, 20);
	spin_until(10);
	expect_lines(0, 10, 10);
	fpath(p, sizeof(p), "a.log");
	append("a.log", 20, 25);	/* written, then the file removed */
	assert_int_equal(unlink(p), 0);
	spin_until(15);
	spin(0.1);
	append("a.log", 25, 30);	/* back: read from its start */
	spin_until(20);
	expect_lines(0, 10, 20);
}

/*
 * A file seen smaller than at the last pass is truncated, even when it
 * grew back past the position with the same bytes before it (here the
 * position lags: the sink is full).
 */
static void
test_shrink_seen(void **state)
{
	char p[128];

	(void)state;
	for (int i = 0; i < 200; i++)
		append_raw("a.log", "tick\n");
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	sink_fix_room(&F, 5);
	start();
	spin(0.05);
	assert_int_equal(F.n, 5);
	fpath(p, sizeof(p), "a.log");
	assert_int_equal(truncate(p, 0), 0);
	for (int i = 0; i < 100; i++)
		append_raw("a.log", "tick\n");
	sink_fix_more(&F, 1000);
	spin_until(105);
	spin(0.05);
	assert_int_equal(F.n, 105);
}

/*
 * A pattern that matches the numbered rotated names (app.log*), the
 * older file found after app.log: the rotated app.log is drained and
 * then not read again from 0 under app.log.1.
 */
static void
test_numbered_rotate(void **state)
{
	(void)state;
	journal_up();
	append("app.log", 0, 10);
	set("path", "app.log*");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	append("app.log.1", 10, 15);
	spin_until(15);
	rotate_numbered();
	append("app.log.1", 15, 20);
	append("app.log", 20, 25);
	spin_until(25);
	spin(0.3);
	expect_each_once(25);
}

/* The same, the older file there before the first scan. */
static void
test_numbered_rotate_older_first(void **state)
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
	rotate_numbered();
	append("app.log.1", 10, 15);
	append("app.log", 15, 20);
	spin_until(20);
	spin(0.3);
	expect_each_once(20);
}

/*
 * logrotate's rotate 1 (app.log*): app.log.1 deleted, app.log -> .1:
 * app.log.1's entry, its file gone, does not read the rotated app.log
 * again from 0 once it is drained.
 */
static void
test_numbered_rotate_delete(void **state)
{
	char p[128];

	(void)state;
	journal_up();
	append("app.log", 0, 10);
	set("path", "app.log*");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	append("app.log.1", 10, 15);
	spin_until(15);
	fpath(p, sizeof(p), "app.log.1");
	assert_int_equal(unlink(p), 0);
	move("app.log", "app.log.1");
	append("app.log.1", 15, 20);
	append("app.log", 20, 25);
	spin_until(25);
	spin(0.3);
	expect_each_once(25);
}

/*
 * The rotated file reaches a name the pattern matches only after it was
 * drained under its old one (moved through a temporary name): it is not
 * read again from 0.
 */
static void
test_late_name(void **state)
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
	spin(0.2);
	move("app.log.tmp", "app-1.log");
	spin(0.3);
	expect_each_once(15);
}

/*
 * More files drained than any fixed memory of them (the 32 once kept):
 * each rotated through a name the pattern does not match (app.log.tmpK),
 * drained and closed there, then renamed to a name it matches
 * (app-K.log) once all are rotated: each goes on from the end its
 * recorded position says, none is read again from 0.
 */
static void
test_many_drained(void **state)
{
	char a[32], b[32];
	int k;

	(void)state;
	journal_up();
	set("path", "app*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	append("app.log", 0, 1);
	start();
	for (k = 0; k < 48; k++) {
		spin_until((size_t)k + 1);
		snprintf(a, sizeof(a), "app.log.tmp%d", k);
		move("app.log", a);
		append("app.log", k + 1, k + 2);
	}
	spin_until(49);
	for (k = 0; k < 48; k++) {
		snprintf(a, sizeof(a), "app.log.tmp%d", k);
		snprintf(b, sizeof(b), "app-%d.log", k);
		move(a, b);
	}
	spin(0.5);
	expect_each_once(49);
}

/* 64 bytes ending in a newline: what two files share before an offset. */
#define TAIL_FP	"heartbeat ok heartbeat ok heartbeat ok heartbeat ok heartbeat\n"

/*
 * A deleted file's end is not remembered: its inode is free, and ext4
 * gives it at once to the next file made.  A local user's file, read to
 * its end and deleted, must not make a new file that got its inode (with
 * the same bytes before that offset) be followed from there: the new
 * file's first lines would never be read.
 */
static void
test_deleted_inode_reused(void **state)
{
	char p[128], q[128], name[32];
	struct stat st;
	ino_t old;
	FILE *fp;
	int i;

	(void)state;
	journal_up();
	set("path", "*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	append_raw("evil.log", "junk 0001\njunk 0002\njunk 0003\n" TAIL_FP);
	fpath(p, sizeof(p), "evil.log");
	assert_int_equal(stat(p, &st), 0);
	old = st.st_ino;
	start();
	spin_until(4);
	assert_int_equal(unlink(p), 0);
	spin(0.5);
	/* Files made until one gets the freed inode (ext4: once its
	 * journal has committed the deletion). */
	sync();
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "new%02d.tmp", i);
		fpath(q, sizeof(q), name);
		assert_non_null(fp = fopen(q, "w"));
		assert_int_equal(fstat(fileno(fp), &st), 0);
		if (st.st_ino == old)
			break;
		assert_int_equal(fclose(fp), 0);
	}
	if (i == 64)
		skip();		/* this filesystem did not reuse the inode */
	fputs("SECRET 01\nSECRET 02\nSECRET 03\n" TAIL_FP "after 1\n", fp);
	assert_int_equal(fclose(fp), 0);
	fpath(p, sizeof(p), "victim.log");
	assert_int_equal(rename(q, p), 0);
	spin(0.5);
	assert_int_equal(count_from("victim.log"), 5);
	assert_true(any_holds("SECRET 01"));
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rename_rotation),
		T(test_copy_truncate),
		T(test_disappear_return),
		T(test_shrink_seen),
		T(test_numbered_rotate),
		T(test_numbered_rotate_older_first),
		T(test_numbered_rotate_delete),
		T(test_late_name),
		T(test_many_drained),
		T(test_deleted_inode_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
