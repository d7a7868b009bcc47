/*
 * tailf_world.c: the world of the followed files' tests (tailf_world.h):
 * a directory, a loop, the input on the real sink, and their steps.
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

#include "conf_util.h"
#include "journal.h"
#include "sink_fixture.h"
#include "tail_conf.h"
#include "tailf.h"
#include "tailf_world.h"

char dir[64];
struct ev_loop *loop;
struct sink_fix F;
void *conf, *tail;

int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gwtailf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(loop = ev_loop_new(EVFLAG_AUTO));
	sink_fix_open(&F, NULL);
	assert_non_null(conf = tail_conf_new(dir));
	return 0;
}

/* The agent goes down (as by kill -9 after its last commit). */
void
down(void)
{
	tail_input_ops.free(tail);
	tail = NULL;
	sink_fix_close(&F);
}

int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	down();
	tail_conf_free(conf);
	sink_fix_clear(&F);
	ev_loop_destroy(loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* [file NAME] ${key} = ${value} into ${c}. */
void
set_in(void *c, const char *name, const char *key, const char *value)
{
	char why[256] = "";

	if (tail_input_ops.conf_set(c, name, key, value, why,
	    sizeof(why)) != CONF_SET_OK)
		fail_msg("[file %s] %s = %s: %s", name, key, value, why);
}

void
set(const char *key, const char *value)
{
	set_in(conf, "app", key, value);
}

/* The journal in ${dir}, (re)opened. */
void
journal_up(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/state", dir);
	sink_fix_close(&F);
	sink_fix_open(&F, path);
}

void
start(void)
{
	char err[512] = "";

	assert_int_equal(tail_input_ops.conf_check(conf,
	    CONF_REPORT_TEXT(err, sizeof(err))),
	    0);
	assert_true(tail_input_ops.conf_any(conf));
	if ((tail = tail_input_ops.start(loop, F.s, conf, err,
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
void
spin(double secs)
{
	ev_timer t;

	ev_timer_init(&t, break_cb, secs, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

/* Run the loop until ${n} events are durable (at most 5 s). */
void
spin_until(size_t n)
{
	for (int i = 0; i < 250 && F.n < n; i++)
		spin(0.02);
	if (F.n != n)
		fail_msg("%zu events, %zu expected", F.n, n);
}

void
fpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

void
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
void
append(const char *name, int from, int to)
{
	char l[32];

	for (int i = from; i < to; i++) {
		snprintf(l, sizeof(l), "line %d\n", i);
		append_raw(name, l);
	}
}

void
move(const char *from, const char *to)
{
	char a[128], b[128];

	fpath(a, sizeof(a), from);
	fpath(b, sizeof(b), to);
	assert_int_equal(rename(a, b), 0);
}

/* cp ${from} ${to}; truncate ${from} to 0 (logrotate's copytruncate). */
void
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
const char *
line_of(size_t i, char *buf, size_t len)
{
	const char *p = strstr(F.ev[i], "\"line\":\""), *e;

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
void
expect_lines(size_t first, int from, int n)
{
	char l[64], want[64];

	for (int k = 0; k < n; k++) {
		snprintf(want, sizeof(want), "line %d", from + k);
		assert_string_equal(line_of(first + (size_t)k, l, sizeof(l)),
		    want);
	}
}

/* Set the modification time of ${name} to ${ago} seconds ago. */
void
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

/* The number of events whose source ends with "/${name}". */
size_t
count_from(const char *name)
{
	char want[64];
	size_t n = 0;

	snprintf(want, sizeof(want), "/%s\"", name);
	for (size_t i = 0; i < F.n; i++)
		n += strstr(F.ev[i], want) != NULL;
	return n;
}

/* 1 if an event holds ${s}. */
int
any_holds(const char *s)
{
	for (size_t i = 0; i < F.n; i++)
		if (strstr(F.ev[i], s) != NULL)
			return 1;
	return 0;
}

/* The events are "line N" for N in [0, n), each once (in any order). */
void
expect_each_once(int n)
{
	char l[64], want[64];
	int seen[64] = { 0 };

	assert_true(n <= 64);
	assert_int_equal(F.n, (size_t)n);
	for (size_t i = 0; i < F.n; i++) {
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
void
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
