/*
 * test_checks.c: gw-agent's scheduled checks (checks.c, check_conf.c,
 * check_event.c) on libev's default loop with real plugin processes: the
 * monitoring-plugins' check_load and check_dummy, and small programs this
 * test writes (a #! line) into a temporary directory.  The sink is the
 * real one (sink.c; tests/support/sink_fixture.h records the events
 * committed, and fills the queue or acknowledges lines to make it full or
 * not).
 * The configuration's keys and errors; the event's exact JSON; exit
 * statuses 0-3 and others, a signal, a program that cannot start; the
 * timeout (the plugin's whole process group killed); argv and the fixed
 * environment; never two runs of one check at once (a due time that finds
 * it running is skipped); a full sink (one result waits, a newer one
 * replaces it); reload (kept, changed, removed, new checks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "check_conf.h"
#include "checks.h"
#include "conf_util.h"
#include "event.h"
#include "plugin_out.h"
#include "sink.h"
#include "sink_fixture.h"

#define PLUGINS	"/usr/lib/nagios/plugins"

static struct sink_fix F;	/* the real sink */

static char dir[64];

/* A program ${name} in the test's directory: "#!/bin/sh" ${text}. */
static const char *
script(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", text);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* A configuration from "name key value" lines (NULL-ended); checked. */
static struct check_conf *
conf(const char *const *lines)
{
	struct check_conf *c;
	char name[64], key[64], why[256], err[1024] = "";
	const char *v;
	int n;

	assert_non_null(c = check_conf_new(dir));
	for (; *lines != NULL; lines++) {
		assert_int_equal(sscanf(*lines, "%63s %63s %n", name, key, &n),
		    2);
		v = *lines + n;
		if (check_conf_set(c, name, key, v, why, sizeof(why)) !=
		    CONF_SET_OK)
			fail_msg("%s: %s", *lines, why);
	}
	if (check_conf_check(c, CONF_REPORT_TEXT(err, sizeof(err))) != 0)
		fail_msg("%s", err);
	return c;
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until the sink holds ${n} events, or ${secs} passed. */
static void
run_until(size_t n, double secs)
{
	struct ev_loop *loop = ev_default_loop(0);
	ev_timer t;
	double end = ev_time() + secs;

	ev_timer_init(&t, stop_cb, 0.05, 0.05);
	ev_timer_start(loop, &t);
	while (F.n < n && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
}

/* Run the loop for ${secs} seconds. */
static void
run_for(double secs)
{
	run_until((size_t)-1, secs);
}

/* The event of check ${name}, the ${k}th of them (0: the first). */
static const char *
event_of(const char *name, int k)
{
	char src[128];
	size_t i;

	snprintf(src, sizeof(src), "\"source\":\"%s\"", name);
	for (i = 0; i < F.n; i++)
		if (strstr(F.ev[i], src) != NULL && k-- == 0)
			return F.ev[i];
	fail_msg("no event %d of %s", k, name);
	return NULL;
}

static void
assert_has(const char *ev, const char *want)
{
	if (strstr(ev, want) == NULL)
		fail_msg("'%s' not in %s", want, ev);
}

static void *
start(const struct check_conf *c)
{
	char err[256];
	void *in;

	if (F.s != NULL)
		sink_fix_close(&F);
	sink_fix_clear(&F);
	sink_fix_open(&F, NULL);
	ev_now_update(ev_default_loop(0));	/* no time left from before */
	assert_non_null(in = check_input_ops.start(ev_default_loop(0), F.s,
	    c, err, sizeof(err)));
	return in;
}

/* The keys, their defaults, and the errors conf_check finds. */
static void
test_conf(void **state)
{
	struct check_conf *c;
	struct check_def *d;
	char why[256], err[1024] = "";

	(void)state;
	assert_non_null(c = check_conf_new("/etc/gw-agent"));
	assert_int_equal(check_conf_any(c), 0);
	assert_int_equal(check_conf_set(c, "load", "command",
	    "plugins/check_load -w '1,2,3' -c \"4,5,6\"", why, sizeof(why)),
	    CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "abs", "command", "/bin/true",
	    why, sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "abs", "every", "4s", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "load", "nope", "1", why,
	    sizeof(why)), CONF_SET_UNKNOWN);
	assert_int_equal(check_conf_set(c, "load", "command", "'open", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_string_equal(why, "a single quote is not closed");
	assert_int_equal(check_conf_set(c, "load", "every", "0.5s", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(check_conf_set(c, "load", "max_output", "100", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(check_conf_set(c, NULL, "every", "5s", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(check_conf_set(c, "a\tb", "every", "5s", why,
	    sizeof(why)), CONF_SET_BAD);
	assert_int_equal(check_conf_check(c,
	    CONF_REPORT_TEXT(err, sizeof(err))), 0);
	assert_int_equal(check_conf_any(c), 1);
	assert_non_null(d = check_conf_find(c, "load"));
	assert_string_equal(d->argv[0], "/etc/gw-agent/plugins/check_load");
	assert_string_equal(d->argv[2], "1,2,3");
	assert_string_equal(d->argv[4], "4,5,6");
	assert_null(d->argv[5]);
	assert_true(d->every == 60 && d->timeout == 10 && d->splay == 60);
	assert_int_equal(d->max_output, CHECK_OUTPUT_DEFAULT);
	assert_non_null(d = check_conf_find(c, "abs"));
	assert_string_equal(d->argv[0], "/bin/true");
	assert_true(d->timeout == 2 && d->splay == 4);	/* every / 2 */
	check_conf_free(c);
	/* What only the whole file shows. */
	assert_non_null(c = check_conf_new("/x"));
	assert_int_equal(check_conf_set(c, "a", "every", "5s", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "b", "command", "/bin/true", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "b", "every", "5s", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "b", "timeout", "5s", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_set(c, "b", "splay", "6s", why,
	    sizeof(why)), CONF_SET_OK);
	assert_int_equal(check_conf_check(c,
	    CONF_REPORT_TEXT(err, sizeof(err))), 3);
	assert_non_null(strstr(err, "[check a] command: missing"));
	assert_non_null(strstr(err, "[check b] timeout: 5s must be less "
	    "than every (5s)"));
	assert_non_null(strstr(err, "[check b] splay: 6s is more than every"));
	check_conf_free(c);
}

/* The event's members, exactly (PROTOCOL.md 12.4). */
static void
test_event_format(void **state)
{
	static struct event e;
	static struct plugin_out po;
	struct check_result r = { .state = 1, .exited = 1, .status = 1,
	    .duration = 0.0123 };
	const char *out = "LOAD WARNING - load 2.20|load1=2.200;1;'10';0; "
	    "'a b'=5%;;;; bad\nmore\ntext|x=U";
	size_t n;

	(void)state;
	plugin_out_parse(&po, out, strlen(out));
	n = check_event(&e, "load", &r, &po, 1796676082.5);
	assert_int_equal(n, e.len);
	e.buf[n] = '\0';
	assert_string_equal(e.buf, "{\"v\":1,\"kind\":\"check\","
	    "\"source\":\"load\",\"ts\":\"2026-12-07T20:41:22.500000Z\","
	    "\"check\":{\"state\":\"WARNING\",\"status\":1,\"reason\":null,"
	    "\"timed_out\":false,\"duration_ms\":12,"
	    "\"output_truncated\":false,\"perfdata_skipped\":2,"
	    "\"output\":\"LOAD WARNING - load 2.20\",\"perfdata\":["
	    "{\"label\":\"a b\",\"value\":5,\"uom\":\"%\",\"warn\":null,"
	    "\"crit\":null,\"min\":null,\"max\":null},"
	    "{\"label\":\"x\",\"value\":null,\"uom\":\"\",\"warn\":null,"
	    "\"crit\":null,\"min\":null,\"max\":null}],"
	    "\"long_output\":\"more\\ntext\"}}");
	/* A timeout: no status, the reason before what it printed. */
	r = (struct check_result){ .state = 3, .timed_out = 1,
	    .reason = "timed out after 2s", .duration = 2.0004 };
	out = "half\xff";
	plugin_out_parse(&po, out, strlen(out));
	n = check_event(&e, "slow", &r, &po, 0);
	e.buf[n] = '\0';
	assert_has(e.buf, "\"state\":\"UNKNOWN\",\"status\":null,\"reason\":"
	    "\"timed out after 2s\",\"timed_out\":true,\"duration_ms\":2000,");
	assert_has(e.buf, "\"output_b64\":\"dGltZWQgb3V0IGFmdGVyIDJzOiBoYWxm"
	    "/w==\"");
	assert_has(e.buf, "\"perfdata\":[],\"long_output\":\"\"}}");
	/* check_load's own output, for a perfdata item in full. */
	out = "LOAD OK - total load average: 2.20, 0.89, 0.37|load1=2.200;"
	    "5.000;10.000;0; \n";
	r = (struct check_result){ .exited = 1 };
	plugin_out_parse(&po, out, strlen(out));
	n = check_event(&e, "load", &r, &po, 0);
	e.buf[n] = '\0';
	assert_has(e.buf, "\"perfdata\":[{\"label\":\"load1\",\"value\":2.2,"
	    "\"uom\":\"\",\"warn\":\"5.000\",\"crit\":\"10.000\",\"min\":0,"
	    "\"max\":null}]");
}

/* Exit statuses, a signal, a program missing: their states. */
static void
test_states(void **state)
{
	const char *lines[] = {
		"ok command s0 'OK - fine' 1", "ok splay 0",
		"warn command s1", "warn splay 0",
		"crit command s2", "crit splay 0",
		"unk command s3", "unk splay 0",
		"seven command s7", "seven splay 0",
		"sig command sig", "sig splay 0",
		"none command /nonexistent/plugin", "none splay 0",
		"dummy command " PLUGINS "/check_dummy 2 'disk full'",
		"dummy splay 0", NULL
	};
	struct check_conf *c;
	void *in;

	(void)state;
	script("s0", "echo \"$1|x=$2\"; exit 0");
	script("s1", "echo 'WARN - a'; exit 1");
	script("s2", "echo 'CRIT - b'; echo 'more'; exit 2");
	script("s3", "exit 3");
	script("s7", "echo oops; exit 7");
	script("sig", "echo dying; kill -TERM $$");
	c = conf(lines);
	in = start(c);
	run_until(8, 10);
	assert_int_equal(F.n, 8);
	assert_has(event_of("ok", 0), "\"state\":\"OK\",\"status\":0,"
	    "\"reason\":null,\"timed_out\":false,");
	assert_has(event_of("ok", 0), "\"output\":\"OK - fine\",\"perfdata\":"
	    "[{\"label\":\"x\",\"value\":1,");
	assert_has(event_of("warn", 0), "\"state\":\"WARNING\",\"status\":1");
	assert_has(event_of("crit", 0), "\"state\":\"CRITICAL\",\"status\":2");
	assert_has(event_of("crit", 0), "\"long_output\":\"more\"");
	assert_has(event_of("unk", 0), "\"state\":\"UNKNOWN\",\"status\":3,"
	    "\"reason\":null");
	assert_has(event_of("seven", 0), "\"state\":\"UNKNOWN\",\"status\":7,"
	    "\"reason\":\"exit status 7\"");
	assert_has(event_of("seven", 0), "\"output\":\"exit status 7: oops\"");
	assert_has(event_of("sig", 0), "\"state\":\"UNKNOWN\",\"status\":null,"
	    "\"reason\":\"killed by signal 15 (");
	assert_has(event_of("none", 0), "\"state\":\"UNKNOWN\",\"status\":null,"
	    "\"reason\":\"cannot run /nonexistent/plugin: No such file or "
	    "directory\"");
	assert_has(event_of("dummy", 0), "\"state\":\"CRITICAL\",\"status\":2");
	assert_has(event_of("dummy", 0), "\"output\":\"CRITICAL: disk full\"");
	assert_true(F.commits >= 1);
	check_input_ops.free(in);
	check_conf_free(c);
}

/* The real check_load: OK, its three loads as perfdata. */
static void
test_check_load(void **state)
{
	const char *lines[] = {
		"load command " PLUGINS "/check_load -w 900,900,900 -c 999,999,"
		"999", "load splay 0", NULL
	};
	struct check_conf *c;
	void *in;

	(void)state;
	if (access(PLUGINS "/check_load", X_OK) != 0)
		fail_msg(PLUGINS "/check_load is missing: install "
		    "monitoring-plugins-basic (scripts/run does)");
	c = conf(lines);
	in = start(c);
	run_until(1, 10);
	assert_int_equal(F.n, 1);
	assert_has(F.ev[0], "\"state\":\"OK\",\"status\":0");
	assert_has(F.ev[0], "\"output\":\"LOAD OK - total load average: ");
	assert_has(F.ev[0], "{\"label\":\"load1\",");
	assert_has(F.ev[0], "{\"label\":\"load5\",");
	assert_has(F.ev[0], "{\"label\":\"load15\",");
	assert_has(F.ev[0], "\"warn\":\"900.000\",\"crit\":\"999.000\","
	    "\"min\":0,\"max\":null}");
	assert_has(F.ev[0], "\"perfdata_skipped\":0");
	check_input_ops.free(in);
	check_conf_free(c);
}

/* Arguments as split, and the whole environment: PATH and LC_ALL. */
static void
test_argv_env(void **state)
{
	const char *lines[] = {
		"env command env \"a b\" 'c'\\''d' '$HOME' *", "env splay 0",
		NULL
	};
	struct check_conf *c;
	void *in;

	(void)state;
	script("env", "echo \"$PATH,$LC_ALL,${HOME-nohome},$#,$1,$2,$3,$4\""
	    "; env | wc -l; read x && echo stdin; exit 0");
	c = conf(lines);
	in = start(c);
	run_until(1, 10);
	assert_int_equal(F.n, 1);
	/* env also lists PWD, which the shell sets itself. */
	assert_has(F.ev[0], "\"output\":\"/usr/bin:/bin,C,nohome,4,a b,c'd,"
	    "$HOME,*\"");
	assert_has(F.ev[0], "\"long_output\":\"3\"");	/* no stdin line */
	check_input_ops.free(in);
	check_conf_free(c);
}

/* A pid written by the plugin into ${file}: alive (not a zombie)? */
static int
pid_alive(const char *file)
{
	char path[128], line[128];
	FILE *f;
	long pid = 0;
	int alive = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_non_null(f = fopen(path, "r"));
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "State:", 6) == 0)
			alive = strchr(line, 'Z') == NULL;
	fclose(f);
	return alive;
}

/* The process of ${file} ended within 2 s (SIGKILL is not synchronous). */
static int
pid_gone(const char *file)
{
	int i;

	for (i = 0; i < 200 && pid_alive(file); i++)
		usleep(10000);
	return !pid_alive(file);
}

/* At the timeout: UNKNOWN, what it printed kept, its group killed. */
static void
test_timeout(void **state)
{
	const char *lines[] = {
		"slow command slow", "slow every 2s", "slow timeout 500ms",
		"slow splay 0", NULL
	};
	struct check_conf *c;
	struct check_stats st;
	void *in;
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s/slow.pid; "
	    "echo 'started|a=1'; wait", dir);
	script("slow", cmd);
	c = conf(lines);
	in = start(c);
	run_until(1, 5);
	assert_int_equal(F.n, 1);
	assert_has(F.ev[0], "\"state\":\"UNKNOWN\",\"status\":null,"
	    "\"reason\":\"timed out after 0.5s\",\"timed_out\":true,");
	assert_has(F.ev[0], "\"output\":\"timed out after 0.5s: started\","
	    "\"perfdata\":[{\"label\":\"a\",\"value\":1,");
	assert_true(pid_gone("slow.pid"));	/* the group too */
	assert_int_equal(checks_stats(in, "slow", &st), 0);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.running, 0);
	check_input_ops.free(in);
	check_conf_free(c);
}

/* The loop stalls for ${w}->data seconds (a busy agent). */
static void
stall_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	usleep((useconds_t)(*(double *)w->data * 1e6));
}

/*
 * Never two runs at once: runs that last nearly `every` follow each
 * other; a due time that finds the run still going (the loop stalled past
 * it) is skipped and counted.
 */
static void
test_no_overlap(void **state)
{
	const char *lines[] = {
		"busy command busy", "busy every 1s", "busy timeout 900ms",
		"busy splay 0", NULL
	};
	struct check_conf *c;
	struct check_stats st;
	char cmd[512], path[128];
	double stall = 1.5;
	ev_timer t;
	void *in;

	(void)state;
	/* A run finding the last one's process alive: an overlap. */
	snprintf(cmd, sizeof(cmd), "cd %s; if [ -f busy.pid ] && "
	    "grep -q '^State:.[^Z]' /proc/$(cat busy.pid)/status; then "
	    "echo overlap >> overlaps; fi; echo $$ > busy.pid; "
	    "sleep ${1:-0.7}", dir);
	script("busy", cmd);
	c = conf(lines);
	in = start(c);
	run_until(3, 4);
	assert_int_equal(F.n, 3);
	assert_int_equal(checks_stats(in, "busy", &st), 0);
	assert_int_equal(st.skipped, 0);
	check_input_ops.free(in);
	check_conf_free(c);
	/* A run of 5 s (killed at 0.9 s), the loop stalled 1.5 s in it. */
	lines[0] = "busy command busy 5";
	c = conf(lines);
	in = start(c);
	ev_timer_init(&t, stall_cb, 0.3, 0);
	t.data = &stall;
	ev_timer_start(ev_default_loop(0), &t);
	run_until(2, 6);
	assert_int_equal(F.n, 2);
	assert_int_equal(checks_stats(in, "busy", &st), 0);
	assert_true(st.skipped >= 1);
	assert_has(F.ev[0], "\"timed_out\":true");
	check_input_ops.free(in);
	check_conf_free(c);
	snprintf(path, sizeof(path), "%s/overlaps", dir);
	assert_int_equal(access(path, F_OK), -1);	/* never two at once */
}

/* The first runs spread over splay (here every: 2 s), not in step. */
static void
test_splay(void **state)
{
	const char *lines[] = {
		"a command now", "a every 2s", "b command now", "b every 2s",
		"c command now", "c every 2s", "d command now", "d every 2s",
		"e command now", "e every 2s", "f command now", "f every 2s",
		NULL
	};
	struct check_conf *c;
	double t0, first = 1e18, last = 0, t;
	size_t i;
	void *in;

	(void)state;
	script("now", "date +%s.%N");
	c = conf(lines);
	t0 = ev_time();
	in = start(c);
	run_until(6, 2.5);
	assert_int_equal(F.n, 6);
	for (i = 0; i < F.n; i++) {
		t = strtod(strstr(F.ev[i], "\"output\":\"") + 10, NULL);
		first = t < first ? t : first;
		last = t > last ? t : last;
	}
	if (!(first >= t0 - 0.01 && last < t0 + 2.2))
		fail_msg("t0 %f first %f last %f: %s", t0, first, last, F.ev[0]);
	assert_true(last - first > 0.1);	/* not all at once */
	check_input_ops.free(in);
	check_conf_free(c);
}

/* A full sink: one result waits, newer ones replace it; room: pushed. */
static void
test_sink_full(void **state)
{
	const char *lines[] = {
		"count command count", "count every 1s", "count splay 0", NULL
	};
	struct check_conf *c;
	struct check_stats st;
	char cmd[256];
	void *in;
	int i;

	(void)state;
	snprintf(cmd, sizeof(cmd), "n=$(cat %s/n 2>/dev/null || echo 0); "
	    "n=$((n + 1)); echo $n > %s/n; echo \"run $n\"", dir, dir);
	script("count", cmd);
	c = conf(lines);
	in = start(c);
	sink_fix_room(&F, 0);
	run_for(2.6);			/* runs at 0, 1, 2 */
	assert_int_equal(F.n, 0);
	assert_int_equal(checks_stats(in, "count", &st), 0);
	assert_int_equal(st.runs, 3);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.replaced, 2);
	assert_true(sink_fix_waiting(&F));
	sink_fix_more(&F, SINK_FIX_LINES);
	assert_int_equal(F.n, 1);
	assert_has(F.ev[0], "\"output\":\"run 3\"");
	assert_int_equal(checks_stats(in, "count", &st), 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.events, 1);
	run_until(2, 2);		/* the schedule went on */
	assert_has(F.ev[1], "\"output\":\"run 4\"");
	/* Full at run 5; room again at run 6 (the waiter not called yet):
	 * run 5 goes first, then run 6, none replaced. */
	sink_fix_room(&F, 0);
	for (i = 0; i < 40 && (checks_stats(in, "count", &st) != 0 ||
	    !st.pending); i++)
		run_for(0.05);
	assert_int_equal(st.pending, 1);
	sink_fix_room(&F, 1000);	/* no waiter called */
	run_until(4, 2);
	assert_int_equal(F.n, 4);
	assert_has(F.ev[2], "\"output\":\"run 5\"");
	assert_has(F.ev[3], "\"output\":\"run 6\"");
	assert_int_equal(checks_stats(in, "count", &st), 0);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.replaced, 2);
	check_input_ops.free(in);
	check_conf_free(c);
}

/*
 * Stopped (SIGTERM) with a result waiting for room: the waiter is
 * unregistered, so room coming back pushes nothing after the inputs
 * stopped; the result stays counted as pending.
 */
static void
test_stop_pending(void **state)
{
	const char *lines[] = {
		"hold command hold", "hold every 1s", "hold splay 0", NULL
	};
	struct check_conf *c;
	struct check_stats st;
	void *in;

	(void)state;
	script("hold", "echo held");
	c = conf(lines);
	in = start(c);
	sink_fix_room(&F, 0);
	for (int i = 0; i < 40 && (checks_stats(in, "hold", &st) != 0 ||
	    !st.pending); i++)
		run_for(0.05);
	assert_int_equal(st.pending, 1);
	assert_true(sink_fix_waiting(&F));
	check_input_ops.stop(in);
	assert_false(sink_fix_waiting(&F));
	sink_fix_more(&F, SINK_FIX_LINES);
	assert_int_equal(F.n, 0);
	assert_int_equal(checks_stats(in, "hold", &st), 0);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.events, 0);
	check_input_ops.free(in);
	check_conf_free(c);
}

/* Reload: unchanged checks keep their schedule (and run); a changed one
 * starts again; a removed one that runs is killed; a new one starts. */
static void
test_reload(void **state)
{
	const char *lines1[] = {
		"keep command keep", "keep every 1s", "keep splay 0",
		"change command keep", "change every 10s", "change splay 0",
		"gone command long", "gone every 10s", "gone splay 0", NULL
	};
	const char *lines2[] = {
		"keep command keep", "keep every 1s", "keep splay 0",
		"keep max_output 1k",
		"change command keep x", "change every 10s", "change splay 0",
		"new command keep", "new every 10s", "new splay 0", NULL
	};
	struct check_conf *c1, *c2;
	struct check_stats st;
	char cmd[256], err[256];
	void *in;

	(void)state;
	script("keep", "echo kept");
	snprintf(cmd, sizeof(cmd), "sleep 30 & echo $! > %s/long.pid; wait",
	    dir);
	script("long", cmd);
	c1 = conf(lines1);
	in = start(c1);
	run_until(3, 3);		/* keep twice, change once */
	assert_int_equal(checks_stats(in, "gone", &st), 0);
	assert_int_equal(st.running, 1);
	c2 = conf(lines2);
	assert_int_equal(check_input_ops.reload(in, c2, err, sizeof(err)), 0);
	check_conf_free(c1);		/* the input keeps only the new one */
	assert_int_equal(checks_stats(in, "gone", &st), -1);
	assert_true(pid_gone("long.pid"));
	assert_int_equal(checks_stats(in, "keep", &st), 0);
	assert_true(st.runs >= 2);	/* its counters: the same run */
	assert_int_equal(checks_stats(in, "change", &st), 0);
	assert_int_equal(st.runs, 0);	/* a new schedule */
	assert_int_equal(checks_stats(in, "new", &st), 0);
	sink_fix_clear(&F);
	run_until(3, 3);
	assert_has(event_of("new", 0), "\"output\":\"kept\"");
	assert_has(event_of("change", 0), "\"output\":\"kept\"");
	assert_has(event_of("keep", 0), "\"output\":\"kept\"");
	/* Stop: no more runs. */
	check_input_ops.stop(in);
	sink_fix_clear(&F);
	run_for(1.5);
	assert_int_equal(F.n, 0);
	check_input_ops.free(in);
	check_conf_free(c2);
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);	/* as gw-agent does */
	snprintf(dir, sizeof(dir), "/tmp/test_checks.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (F.s != NULL)
		sink_fix_close(&F);
	sink_fix_clear(&F);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_event_format),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_check_load),
		cmocka_unit_test(test_argv_env),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_no_overlap),
		cmocka_unit_test(test_splay),
		cmocka_unit_test(test_sink_full),
		cmocka_unit_test(test_stop_pending),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
