/*
 * test_tailf_read.c: files followed like tail -F (tailf.h), on a real libev
 * loop and real files, through the real sink (tailf_world.h): how they are
 * read and within what bounds.  Lines appear as written (not UTF-8: in
 * base64); a last line without newline is sent after partial_wait; long
 * lines are split or dropped; a line whose escaped form does not fit in an
 * event goes in partial pieces; a glob follows several files, new ones
 * from their start; a full sink stops reading, and nothing is lost or
 * repeated once room comes back; a reload keeps an unchanged input's files
 * where they are, starts a new input and stops one gone; ignore_older
 * leaves old files alone and closes idle ones, which go on where they were
 * once written again; a symlink is not read unless follow_symlinks; the
 * configuration's errors.
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
test_lines_as_written(void **state)
{
	char l[64];

	(void)state;
	append("a.log", 0, 2);
	set("path", "a.log");			/* relative to the dir */
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(2);
	expect_lines(0, 0, 2);
	assert_non_null(strstr(F.ev[0], "\"kind\":\"log\""));
	assert_non_null(strstr(F.ev[0], "/a.log\""));
	assert_non_null(strstr(F.ev[1], "\"offset\":7"));
	assert_null(strstr(F.ev[1], "partial"));
	append("a.log", 2, 5);
	spin_until(5);
	expect_lines(2, 2, 3);
	/* Not UTF-8: as it is, in base64. */
	append_raw("a.log", "\xff\xfe\n");
	spin_until(6);
	assert_string_equal(line_of(5, l, sizeof(l)), "");
	assert_non_null(strstr(F.ev[5], "\"line_b64\":\"//4=\""));
}

static void
test_partial_wait(void **state)
{
	char l[64];

	(void)state;
	append_raw("a.log", "abc");
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	set("partial_wait", "500ms");
	start();
	spin(0.1);
	assert_int_equal(F.n, 0);	/* its newline may come */
	spin(0.6);
	assert_int_equal(F.n, 1);
	assert_string_equal(line_of(0, l, sizeof(l)), "abc");
	assert_non_null(strstr(F.ev[0], "\"partial\":true"));
	append_raw("a.log", "de");
	spin(0.05);
	append_raw("a.log", "f\n");
	spin_until(2);
	assert_string_equal(line_of(1, l, sizeof(l)), "def");
	assert_null(strstr(F.ev[1], "partial"));
}

/* A line of ${n} 'x' then "short", split or dropped at max_line 256. */
static void
long_line(const char *how)
{
	char *big;

	assert_non_null(big = malloc(602));
	memset(big, 'x', 600);
	memcpy(big + 600, "\n", 2);
	append_raw("a.log", big);
	append_raw("a.log", "short\n");
	free(big);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	set("max_line", "256");
	set("long_lines", how);
	start();
}

static void
test_long_split(void **state)
{
	char l[700];

	(void)state;
	long_line("split");
	spin_until(4);
	assert_int_equal(strlen(line_of(0, l, sizeof(l))), 256);
	assert_non_null(strstr(F.ev[0], "\"partial\":true"));
	assert_int_equal(strlen(line_of(1, l, sizeof(l))), 256);
	assert_int_equal(strlen(line_of(2, l, sizeof(l))), 88);
	assert_null(strstr(F.ev[2], "partial"));
	assert_string_equal(line_of(3, l, sizeof(l)), "short");
}

static void
test_long_drop(void **state)
{
	char l[700];

	(void)state;
	long_line("drop");
	spin_until(1);
	assert_string_equal(line_of(0, l, sizeof(l)), "short");
	spin(0.05);
	assert_int_equal(F.n, 1);
}

static void
test_glob(void **state)
{
	size_t a = 0, b = 0, c = 0, d = 0;

	(void)state;
	append("a.log", 0, 5);
	append("b.log", 0, 5);
	append("c.txt", 0, 5);
	append("e.log", 0, 5);
	set("path", "*.log");
	set("exclude", "e.*, x*");
	set("read_from", "end");
	set("poll", "10ms");
	start();
	spin(0.05);
	assert_int_equal(F.n, 0);
	append("a.log", 5, 10);
	append("b.log", 5, 8);
	append("c.txt", 5, 8);
	append("e.log", 5, 8);
	append("d.log", 0, 4);		/* new: from its start */
	spin_until(12);
	for (size_t i = 0; i < F.n; i++) {
		a += strstr(F.ev[i], "/a.log\"") != NULL;
		b += strstr(F.ev[i], "/b.log\"") != NULL;
		c += strstr(F.ev[i], "/c.txt\"") != NULL;
		d += strstr(F.ev[i], "/d.log\"") != NULL;
	}
	assert_int_equal(a, 5);
	assert_int_equal(b, 3);
	assert_int_equal(c, 0);
	assert_int_equal(d, 4);
}

static void
test_backpressure(void **state)
{
	(void)state;
	append("a.log", 0, 200);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	sink_fix_room(&F, 5);
	start();
	spin(0.1);
	assert_int_equal(sink_pushed(F.s), 5);	/* no more than room */
	assert_int_equal(F.n, 5);		/* committed */
	assert_true(sink_fix_waiting(&F));	/* it waits for room */
	sink_fix_more(&F, 50);
	spin(0.1);
	assert_int_equal(F.n, 55);
	sink_fix_more(&F, 1000);
	spin_until(200);
	expect_lines(0, 0, 200);
	spin(0.05);
	assert_int_equal(F.n, 200);
}

static void
test_reload(void **state)
{
	char err[256] = "";
	void *c2, *c3;
	size_t a = 0, b = 0;

	(void)state;
	append("a.log", 0, 10);
	append("b.log", 0, 10);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(10);
	/* Same input with another poll, and a new one: a.log goes on. */
	assert_non_null(c2 = tail_input_ops.conf_new(dir));
	set_in(c2, "app", "path", "a.log");
	set_in(c2, "app", "poll", "20ms");
	set_in(c2, "new", "path", "b.log");
	set_in(c2, "new", "read_from", "end");
	set_in(c2, "new", "poll", "10ms");
	assert_int_equal(tail_input_ops.conf_check(c2,
	    CONF_REPORT_TEXT(err, sizeof(err))), 0);
	assert_int_equal(tail_input_ops.reload(tail, c2, err, sizeof(err)),
	    0);
	tail_input_ops.conf_free(conf);
	conf = c2;
	append("a.log", 10, 15);
	append("b.log", 10, 15);
	spin_until(20);
	for (size_t i = 0; i < F.n; i++) {
		a += strstr(F.ev[i], "/a.log\"") != NULL;
		b += strstr(F.ev[i], "/b.log\"") != NULL;
	}
	assert_int_equal(a, 15);
	assert_int_equal(b, 5);			/* from its end */
	expect_lines(0, 0, 10);
	/* Input "app" gone: a.log is not read any more. */
	assert_non_null(c3 = tail_input_ops.conf_new(dir));
	set_in(c3, "new", "path", "b.log");
	set_in(c3, "new", "poll", "10ms");
	assert_int_equal(tail_input_ops.reload(tail, c3, err, sizeof(err)),
	    0);
	tail_input_ops.conf_free(conf);
	conf = c3;
	append("a.log", 15, 20);
	append("b.log", 15, 20);
	spin_until(25);
	spin(0.1);
	assert_int_equal(F.n, 25);
	for (size_t i = 20; i < 25; i++)
		assert_non_null(strstr(F.ev[i], "/b.log\""));
}

static void
test_ignore_older(void **state)
{
	(void)state;
	journal_up();
	append("a.log", 0, 10);
	append("b.log", 0, 10);
	age("b.log", 7200);
	set("path", "*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	set("ignore_older", "1h");
	start();
	spin_until(10);			/* b.log is too old */
	expect_lines(0, 0, 10);
	spin(0.05);
	assert_int_equal(F.n, 10);
	/* a.log idle too long: closed, its position kept... */
	age("a.log", 7200);
	spin(0.05);
	/* ... and both are read when written again, a.log where it was. */
	append("a.log", 10, 15);
	append("b.log", 10, 12);
	spin_until(10 + 5 + 12);
	expect_lines(0, 0, 10);
	for (size_t i = 10, a = 10; i < F.n; i++) {
		char l[64], want[64];

		if (strstr(F.ev[i], "/a.log\"") == NULL)
			continue;
		snprintf(want, sizeof(want), "line %zu", a++);
		assert_string_equal(line_of(i, l, sizeof(l)), want);
	}
}

/*
 * A symlink planted where the pattern matches, or put in place of the
 * file followed, is not read (its target could be the agent's key);
 * follow_symlinks = yes reads it.
 */
static void
test_symlink_refused(void **state)
{
	char p[128], key[128];

	(void)state;
	append_raw("key", "SECRET\n");
	fpath(key, sizeof(key), "key");
	fpath(p, sizeof(p), "evil.log");
	assert_int_equal(symlink(key, p), 0);
	append("a.log", 0, 3);
	set("path", "*.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(3);
	/* The followed file replaced by a symlink. */
	fpath(p, sizeof(p), "a.log");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(key, p), 0);
	spin(0.1);
	append_raw("key", "SECRET2\n");
	spin(0.1);
	assert_int_equal(F.n, 3);
	assert_false(any_holds("SECRET"));
	/* Opted in: the links are read (their one target once). */
	tail_input_ops.free(tail);
	tail = NULL;
	set("follow_symlinks", "yes");
	start();
	spin_until(3 + 2);
	spin(0.1);
	assert_int_equal(F.n, 5);
	assert_int_equal(count_from("evil.log") + count_from("a.log"), 5);
	assert_true(any_holds("\"line\":\"SECRET\""));
	assert_true(any_holds("\"line\":\"SECRET2\""));
}

/* Events [first, F.n) hold ${n} bytes 0x01 in pieces, then "short". */
static void
expect_escaped_pieces(size_t n)
{
	const char *p;
	size_t got = 0, i, k;
	char want[64];

	for (i = 0; i + 1 < F.n; i++) {
		assert_null(strstr(F.ev[i], "truncated"));
		snprintf(want, sizeof(want), "\"offset\":%zu,", got);
		assert_non_null(strstr(F.ev[i], want));
		assert_non_null(p = strstr(F.ev[i], "\"line\":\""));
		for (p += 8, k = 0; strncmp(p, "\\u0001", 6) == 0; p += 6)
			k++;
		assert_int_equal(*p, '"');
		assert_true(k > 0);
		got += k;
		/* Each piece but the last is partial. */
		assert_true((strstr(F.ev[i], "\"partial\":true") != NULL) ==
		    (got < n));
	}
	assert_int_equal(got, n);
	assert_true(i >= 2);			/* it did not fit in one */
	snprintf(want, sizeof(want), "\"offset\":%zu,", n + 1);
	assert_non_null(strstr(F.ev[i], want));
	assert_non_null(strstr(F.ev[i], "\"line\":\"short\""));
}

/*
 * A line within max_line whose escaped form does not fit in one event
 * (control bytes: 6 bytes each) is sent whole, in partial pieces, each
 * with its offset; none is cut ("truncated").
 */
static void
test_long_escaped(void **state)
{
	static char big[16386];

	(void)state;
	memset(big, '\x01', 16384);
	big[16384] = '\n';
	append_raw("a.log", big);
	append_raw("a.log", "short\n");
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	for (int i = 0; i < 250 && !any_holds("short"); i++)
		spin(0.02);
	expect_escaped_pieces(16384);
}

static void
test_conf(void **state)
{
	char why[256], err[512] = "";
	void *c2;

	(void)state;
	assert_int_equal(tail_input_ops.conf_set(conf, "x", "max_line", "1M",
	    why, sizeof(why)), CONF_SET_BAD);
	assert_int_equal(tail_input_ops.conf_set(conf, "x", "read_from",
	    "middle", why, sizeof(why)), CONF_SET_BAD);
	assert_int_equal(tail_input_ops.conf_set(conf, "x", "colour", "red",
	    why, sizeof(why)), CONF_SET_UNKNOWN);
	assert_int_equal(tail_input_ops.conf_set(conf, NULL, "path", "/a",
	    why, sizeof(why)), CONF_SET_BAD);
	/* [file x] without path. */
	assert_int_equal(tail_input_ops.conf_check(conf,
	    CONF_REPORT_TEXT(err, sizeof(err))), 1);
	assert_non_null(strstr(err, "[file x] path: missing"));
	assert_non_null(c2 = tail_input_ops.conf_new("/etc/gw-agent"));
	assert_false(tail_input_ops.conf_any(c2));
	tail_input_ops.conf_free(c2);
}

#define T(name)	cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lines_as_written),
		T(test_partial_wait),
		T(test_long_split),
		T(test_long_drop),
		T(test_glob),
		T(test_backpressure),
		T(test_reload),
		T(test_ignore_older),
		T(test_symlink_refused),
		T(test_long_escaped),
		T(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
