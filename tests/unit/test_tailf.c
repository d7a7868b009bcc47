/*
 * test_tailf.c: files followed like tail -F (tailf.h), on a real libev
 * loop and real files, through a fake sink (sink.h, defined here: it keeps
 * the events pushed, "durable" at each commit, and has a room the test
 * sets).  Lines appear as written; a renamed file is read to its end (and
 * what the writer still put into it) before the new one, and goes on if
 * renamed back; a copy-truncated file's copy is read from the position,
 * then the file from its start, whether seen smaller or grown past the
 * position; a file that disappears and returns is read from its start; a
 * restart with the journal resumes where it was, after a rename or a copy
 * while down, and reads from the start a file whose bytes before the
 * position changed; a last line without newline is sent after
 * partial_wait; long lines are split or dropped; a glob follows several
 * files, new ones from their start; a full sink stops reading, and
 * nothing is lost or repeated once room comes back; a reload keeps an
 * unchanged input's files where they are, starts a new input and stops
 * one gone; ignore_older leaves old files alone and closes idle ones,
 * which go on where they were once written again.  A symlink is not read
 * unless follow_symlinks; a line whose escaped form does not fit in an
 * event goes in partial pieces; a full table of positions evicts one
 * instead of stopping; a pattern matching the rotated name reads each
 * line once; a file seen smaller than before is truncated.
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
#include "tail_conf.h"
#include "tailf.h"

#define MAX_EVENTS	4096

static char dir[64];

/* The fake sink. */
struct sink {
	char		*ev[MAX_EVENTS];
	size_t		 n;		/* pushed */
	size_t		 durable;	/* committed */
	size_t		 room;		/* events it takes in all */
	struct journal	*j;
	struct sink_waiter *waiters;
	int		 commits;
	const char	*snap;		/* journal copied here at a commit */
};

int
sink_push(struct sink *s, const void *p, size_t len)
{
	assert_true(len <= SINK_EVENT_MAX);
	if (s->n >= s->room)
		return SINK_FULL;
	assert_true(s->n < MAX_EVENTS);
	assert_non_null(s->ev[s->n] = strndup(p, len));
	assert_int_equal(strlen(s->ev[s->n]), len);
	s->n++;
	if (s->j != NULL)
		assert_int_equal(journal_line(s->j, p, len), 0);
	return SINK_OK;
}

int
sink_commit(struct sink *s)
{
	char cmd[512];

	/* What a kill -9 just before the commit leaves of the journal. */
	if (s->snap != NULL) {
		snprintf(cmd, sizeof(cmd), "cp '%s/state' '%s'", dir, s->snap);
		assert_int_equal(system(cmd), 0);
		s->snap = NULL;
	}
	if (s->j != NULL)
		assert_int_equal(journal_commit(s->j), 0);
	s->durable = s->n;
	s->commits++;
	return 0;
}

struct journal *
sink_journal(struct sink *s)
{
	return s->j;
}

void
sink_waiter_init(struct sink_waiter *w, void (*fn)(struct sink_waiter *w))
{
	*w = (struct sink_waiter){ .fn = fn };
}

void
sink_wait(struct sink *s, struct sink_waiter *w)
{
	if (w->waiting)
		return;
	w->waiting = 1;
	w->next = s->waiters;
	s->waiters = w;
}

void
sink_unwait(struct sink *s, struct sink_waiter *w)
{
	for (struct sink_waiter **pp = &s->waiters; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			w->waiting = 0;
			return;
		}
}

/* Room for ${more} events: the waiters are called back. */
static void
sink_more(struct sink *s, size_t more)
{
	struct sink_waiter *w;

	s->room += more;
	while ((w = s->waiters) != NULL) {
		s->waiters = w->next;
		w->waiting = 0;
		w->fn(w);
	}
}

static struct ev_loop *loop;
static struct sink sk;
static void *conf, *tail;
static struct sendq *q;
static struct cmdtab *ct;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gwtailf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(loop = ev_loop_new(EVFLAG_AUTO));
	memset(&sk, 0, sizeof(sk));
	sk.room = MAX_EVENTS;
	assert_non_null(conf = tail_conf_new(dir));
	return 0;
}

static void
sink_clear(void)
{
	for (size_t i = 0; i < sk.n; i++)
		free(sk.ev[i]);
	sk.n = sk.durable = 0;
}

/* The agent goes down (as by kill -9 after its last commit). */
static void
down(void)
{
	tail_input_ops.free(tail);
	tail = NULL;
	journal_close(sk.j);
	sk.j = NULL;
	sendq_free(q);
	q = NULL;
	cmdtab_free(ct);
	ct = NULL;
	sk.waiters = NULL;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	down();
	tail_conf_free(conf);
	sink_clear();
	ev_loop_destroy(loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* [file NAME] ${key} = ${value} into ${c}. */
static void
set_in(void *c, const char *name, const char *key, const char *value)
{
	char why[256] = "";

	if (tail_input_ops.conf_set(c, name, key, value, why,
	    sizeof(why)) != CONF_SET_OK)
		fail_msg("[file %s] %s = %s: %s", name, key, value, why);
}

static void
set(const char *key, const char *value)
{
	set_in(conf, "app", key, value);
}

/* The journal in ${dir}, (re)opened. */
static void
journal_up(void)
{
	char path[128], err[256];
	uint64_t off;

	snprintf(path, sizeof(path), "%s/state", dir);
	assert_non_null(q = sendq_new(100000));
	assert_non_null(ct = cmdtab_new());
	if ((sk.j = journal_open(path, q, ct, &off, err, sizeof(err))) == NULL)
		fail_msg("journal_open: %s", err);
}

static void
start(void)
{
	char err[512] = "";

	assert_int_equal(tail_input_ops.conf_check(conf,
	    CONF_REPORT_TEXT(err, sizeof(err))),
	    0);
	assert_true(tail_input_ops.conf_any(conf));
	if ((tail = tail_input_ops.start(loop, &sk, conf, err,
	    sizeof(err))) == NULL)
		fail_msg("start: %s", err);
}

static void
break_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ONE);
}

/* Run the loop for ${secs}. */
static void
spin(double secs)
{
	ev_timer t;

	ev_timer_init(&t, break_cb, secs, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

/* Run the loop until ${n} events are durable (at most 5 s). */
static void
spin_until(size_t n)
{
	for (int i = 0; i < 250 && sk.durable < n; i++)
		spin(0.02);
	if (sk.durable != n)
		fail_msg("%zu events, %zu expected", sk.durable, n);
}

static void
fpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void
append_raw(const char *name, const char *s)
{
	char p[128];
	FILE *fp;

	fpath(p, sizeof(p), name);
	assert_non_null(fp = fopen(p, "a"));
	fputs(s, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Append lines "line N" for N in [from, to) to ${name}. */
static void
append(const char *name, int from, int to)
{
	char l[32];

	for (int i = from; i < to; i++) {
		snprintf(l, sizeof(l), "line %d\n", i);
		append_raw(name, l);
	}
}

static void
move(const char *from, const char *to)
{
	char a[128], b[128];

	fpath(a, sizeof(a), from);
	fpath(b, sizeof(b), to);
	assert_int_equal(rename(a, b), 0);
}

/* cp ${from} ${to}; truncate ${from} to 0 (logrotate's copytruncate). */
static void
copytruncate(const char *from, const char *to)
{
	char a[128], b[128], cmd[300];

	fpath(a, sizeof(a), from);
	fpath(b, sizeof(b), to);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(truncate(a, 0), 0);
}

/* The "line" member of event ${i} (a string without escapes), or "". */
static const char *
line_of(size_t i, char *buf, size_t len)
{
	const char *p = strstr(sk.ev[i], "\"line\":\""), *e;

	buf[0] = '\0';
	if (p == NULL)
		return buf;
	p += 8;
	assert_non_null(e = strchr(p, '"'));
	assert_true((size_t)(e - p) < len);
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = '\0';
	return buf;
}

/* Events [first, first + n) are "line N" for N from ${from}, in order. */
static void
expect_lines(size_t first, int from, int n)
{
	char l[64], want[64];

	for (int k = 0; k < n; k++) {
		snprintf(want, sizeof(want), "line %d", from + k);
		assert_string_equal(line_of(first + (size_t)k, l, sizeof(l)),
		    want);
	}
}

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
	assert_non_null(strstr(sk.ev[0], "\"kind\":\"log\""));
	assert_non_null(strstr(sk.ev[0], "/a.log\""));
	assert_non_null(strstr(sk.ev[1], "\"offset\":7"));
	assert_null(strstr(sk.ev[1], "partial"));
	append("a.log", 2, 5);
	spin_until(5);
	expect_lines(2, 2, 3);
	/* Not UTF-8: as it is, in base64. */
	append_raw("a.log", "\xff\xfe\n");
	spin_until(6);
	assert_string_equal(line_of(5, l, sizeof(l)), "");
	assert_non_null(strstr(sk.ev[5], "\"line_b64\":\"//4=\""));
}

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
	assert_int_equal(sk.n, 170);
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
	assert_int_equal(sk.n, 100);
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
	assert_int_equal(sk.n, 0);
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
	sink_clear();
	/* Down: nothing new, then a restart resumes where it was. */
	journal_up();
	start();
	append("a.log", 40, 45);
	spin_until(5);
	expect_lines(0, 40, 5);
	down();
	sink_clear();
	/* Rotated by rename while down, lines in both files. */
	append("a.log", 45, 50);
	move("a.log", "a.log.1");
	append("a.log", 50, 60);
	journal_up();
	start();
	spin_until(15);
	expect_lines(0, 45, 15);
	down();
	sink_clear();
	/* Copied and truncated while down, grown past the position again. */
	append("a.log", 60, 70);
	copytruncate("a.log", "a.log.2");
	append("a.log", 70, 100);
	journal_up();
	start();
	spin_until(40);
	expect_lines(0, 60, 40);
	spin(0.1);
	assert_int_equal(sk.n, 40);
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
	sink_clear();
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
 * A kill -9 in the middle of a batch larger than the journal's buffer:
 * the journal holds some of its lines but not their position.  The
 * restart replays none of them (their batch has no K) and the file is read
 * again from the position committed before: each line once.
 */
static void
test_restart_torn_batch(void **state)
{
	char snap[128], st[128], want[32];
	const struct sendq_ent *e;
	struct stat before, after;

	(void)state;
	snprintf(snap, sizeof(snap), "%s/state.snap", dir);
	snprintf(st, sizeof(st), "%s/state", dir);
	journal_up();
	append("a.log", 0, 3);
	set("path", "a.log");
	set("read_from", "beginning");
	set("poll", "10ms");
	start();
	spin_until(3);
	assert_int_equal(stat(st, &before), 0);
	sk.snap = snap;
	append_long("a.log", 3, 23);		/* 120k: one batch */
	spin_until(23);
	assert_null(sk.snap);
	assert_int_equal(stat(snap, &after), 0);
	/* The buffer (64k) was written before the commit: torn batch. */
	assert_true(after.st_size >= before.st_size + 65536);
	down();
	sink_clear();
	assert_int_equal(rename(snap, st), 0);
	journal_up();
	assert_int_equal(sendq_len(q), 3);	/* the committed lines only */
	for (int i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "\"line\":\"line %d\"", i);
		assert_non_null(e = sendq_get(q, (size_t)i));
		assert_non_null(memmem(e->body, e->len, want, strlen(want)));
	}
	start();
	spin_until(20);
	for (int i = 0; i < 20; i++)
		expect_long(sk.ev[i], 3 + i);
	spin(0.1);
	assert_int_equal(sk.n, 20);
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
	assert_int_equal(sk.n, 0);	/* its newline may come */
	spin(0.6);
	assert_int_equal(sk.n, 1);
	assert_string_equal(line_of(0, l, sizeof(l)), "abc");
	assert_non_null(strstr(sk.ev[0], "\"partial\":true"));
	append_raw("a.log", "de");
	spin(0.05);
	append_raw("a.log", "f\n");
	spin_until(2);
	assert_string_equal(line_of(1, l, sizeof(l)), "def");
	assert_null(strstr(sk.ev[1], "partial"));
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
	assert_non_null(strstr(sk.ev[0], "\"partial\":true"));
	assert_int_equal(strlen(line_of(1, l, sizeof(l))), 256);
	assert_int_equal(strlen(line_of(2, l, sizeof(l))), 88);
	assert_null(strstr(sk.ev[2], "partial"));
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
	assert_int_equal(sk.n, 1);
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
	assert_int_equal(sk.n, 0);
	append("a.log", 5, 10);
	append("b.log", 5, 8);
	append("c.txt", 5, 8);
	append("e.log", 5, 8);
	append("d.log", 0, 4);		/* new: from its start */
	spin_until(12);
	for (size_t i = 0; i < sk.n; i++) {
		a += strstr(sk.ev[i], "/a.log\"") != NULL;
		b += strstr(sk.ev[i], "/b.log\"") != NULL;
		c += strstr(sk.ev[i], "/c.txt\"") != NULL;
		d += strstr(sk.ev[i], "/d.log\"") != NULL;
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
	sk.room = 5;
	start();
	spin(0.1);
	assert_int_equal(sk.n, 5);		/* no more than room */
	assert_int_equal(sk.durable, 5);
	assert_non_null(sk.waiters);		/* it waits for room */
	sink_more(&sk, 50);
	spin(0.1);
	assert_int_equal(sk.n, 55);
	sink_more(&sk, 1000);
	spin_until(200);
	expect_lines(0, 0, 200);
	spin(0.05);
	assert_int_equal(sk.n, 200);
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
	for (size_t i = 0; i < sk.n; i++) {
		a += strstr(sk.ev[i], "/a.log\"") != NULL;
		b += strstr(sk.ev[i], "/b.log\"") != NULL;
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
	assert_int_equal(sk.n, 25);
	for (size_t i = 20; i < 25; i++)
		assert_non_null(strstr(sk.ev[i], "/b.log\""));
}

/* Set the modification time of ${name} to ${ago} seconds ago. */
static void
age(const char *name, double ago)
{
	struct timespec ts[2];
	char p[128];

	fpath(p, sizeof(p), name);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= (time_t)ago;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
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
	assert_int_equal(sk.n, 10);
	/* a.log idle too long: closed, its position kept... */
	age("a.log", 7200);
	spin(0.05);
	/* ... and both are read when written again, a.log where it was. */
	append("a.log", 10, 15);
	append("b.log", 10, 12);
	spin_until(10 + 5 + 12);
	expect_lines(0, 0, 10);
	for (size_t i = 10, a = 10; i < sk.n; i++) {
		char l[64], want[64];

		if (strstr(sk.ev[i], "/a.log\"") == NULL)
			continue;
		snprintf(want, sizeof(want), "line %zu", a++);
		assert_string_equal(line_of(i, l, sizeof(l)), want);
	}
}

/* The number of events whose source ends with "/${name}". */
static size_t
count_from(const char *name)
{
	char want[64];
	size_t n = 0;

	snprintf(want, sizeof(want), "/%s\"", name);
	for (size_t i = 0; i < sk.n; i++)
		n += strstr(sk.ev[i], want) != NULL;
	return n;
}

/* 1 if an event holds ${s}. */
static int
any_holds(const char *s)
{
	for (size_t i = 0; i < sk.n; i++)
		if (strstr(sk.ev[i], s) != NULL)
			return 1;
	return 0;
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
	assert_int_equal(sk.n, 3);
	assert_false(any_holds("SECRET"));
	/* Opted in: the links are read (their one target once). */
	tail_input_ops.free(tail);
	tail = NULL;
	set("follow_symlinks", "yes");
	start();
	spin_until(3 + 2);
	spin(0.1);
	assert_int_equal(sk.n, 5);
	assert_int_equal(count_from("evil.log") + count_from("a.log"), 5);
	assert_true(any_holds("\"line\":\"SECRET\""));
	assert_true(any_holds("\"line\":\"SECRET2\""));
}

/* Events [first, sk.n) hold ${n} bytes 0x01 in pieces, then "short". */
static void
expect_escaped_pieces(size_t n)
{
	const char *p;
	size_t got = 0, i, k;
	char want[64];

	for (i = 0; i + 1 < sk.n; i++) {
		assert_null(strstr(sk.ev[i], "truncated"));
		snprintf(want, sizeof(want), "\"offset\":%zu,", got);
		assert_non_null(strstr(sk.ev[i], want));
		assert_non_null(p = strstr(sk.ev[i], "\"line\":\""));
		for (p += 8, k = 0; strncmp(p, "\\u0001", 6) == 0; p += 6)
			k++;
		assert_int_equal(*p, '"');
		assert_true(k > 0);
		got += k;
		/* Each piece but the last is partial. */
		assert_true((strstr(sk.ev[i], "\"partial\":true") != NULL) ==
		    (got < n));
	}
	assert_int_equal(got, n);
	assert_true(i >= 2);			/* it did not fit in one */
	snprintf(want, sizeof(want), "\"offset\":%zu,", n + 1);
	assert_non_null(strstr(sk.ev[i], want));
	assert_non_null(strstr(sk.ev[i], "\"line\":\"short\""));
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

/* Fill the journal's positions up to POSMAP_MAX with keys of no file. */
static void
fill_positions(void)
{
	struct file_pos p = { .dev = 1, .ino = 2, .off = 3 };
	char key[128];
	size_t n = 0;

	while (journal_pos_at(sk.j, n, &p) != NULL)
		n++;
	for (; n < POSMAP_MAX; n++) {
		snprintf(key, sizeof(key), "%s/gone/%zu.log", dir, n);
		assert_int_equal(journal_pos_set(sk.j, key, &p), 0);
	}
	assert_int_equal(journal_commit(sk.j), 0);
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
	while (journal_pos_at(sk.j, n, &p) != NULL)
		n++;
	assert_true(n <= POSMAP_MAX && n > POSMAP_MAX - POSMAP_MAX / 32);
	fpath(b, sizeof(b), "b.log");
	assert_true(journal_pos_get(sk.j, b, &p));
	assert_int_equal(p.off, 28);
	fpath(b, sizeof(b), "a.log");		/* followed: kept */
	assert_true(journal_pos_get(sk.j, b, &p));
	assert_int_equal(p.off, 35);
	fpath(b, sizeof(b), "b.log");
	/* Restart: b.log not written for longer than ignore_older. */
	down();
	sink_clear();
	age("b.log", 7200);
	journal_up();
	start();
	assert_false(journal_pos_get(sk.j, b, &p));
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
	assert_int_equal(sk.n, 25);
	down();
	append("app.log", 25, 28);
	move("app.log", "app-2.log");
	append("app-2.log", 28, 30);
	append("app.log", 30, 35);
	journal_up();
	start();
	spin_until(35);
	spin(0.1);
	assert_int_equal(sk.n, 35);
	for (size_t i = 0; i < sk.n; i++) {
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
	sk.room = 5;
	start();
	spin(0.05);
	assert_int_equal(sk.n, 5);
	fpath(p, sizeof(p), "a.log");
	assert_int_equal(truncate(p, 0), 0);
	for (int i = 0; i < 100; i++)
		append_raw("a.log", "tick\n");
	sink_more(&sk, 1000);
	spin_until(105);
	spin(0.05);
	assert_int_equal(sk.n, 105);
}

/* The events are "line N" for N in [0, n), each once (in any order). */
static void
expect_each_once(int n)
{
	char l[64], want[64];
	int seen[64] = { 0 };

	assert_true(n <= 64);
	assert_int_equal(sk.n, (size_t)n);
	for (size_t i = 0; i < sk.n; i++) {
		int k;

		assert_int_equal(sscanf(line_of(i, l, sizeof(l)), "line %d",
		    &k), 1);
		assert_true(k >= 0 && k < n);
		snprintf(want, sizeof(want), "line %d", k);
		assert_string_equal(l, want);
		seen[k]++;
	}
	for (int k = 0; k < n; k++)
		assert_int_equal(seen[k], 1);
}

/* logrotate without dateext: app.log.1 -> app.log.2, app.log -> .1. */
static void
rotate_numbered(void)
{
	char p[128];
	struct stat st;

	fpath(p, sizeof(p), "app.log.2");
	if (stat(p, &st) == 0)
		move("app.log.2", "app.log.3");
	move("app.log.1", "app.log.2");
	move("app.log", "app.log.1");
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
		T(test_lines_as_written), T(test_rename_rotation),
		T(test_copy_truncate), T(test_disappear_return),
		T(test_restart), T(test_restart_other_file),
		T(test_restart_torn_batch),
		T(test_partial_wait), T(test_long_split), T(test_long_drop),
		T(test_glob), T(test_backpressure), T(test_reload),
		T(test_ignore_older), T(test_symlink_refused),
		T(test_long_escaped), T(test_positions_full),
		T(test_glob_rotated), T(test_shrink_seen),
		T(test_numbered_rotate), T(test_numbered_rotate_older_first),
		T(test_numbered_rotate_down), T(test_numbered_rotate_delete),
		T(test_late_name), T(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
