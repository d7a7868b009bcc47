/*
 * syslog_world.c: the world of the syslog input's tests (syslog_world.h):
 * the loop, the real sink, free ports, the input started and finished.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "conf_util.h"
#include "input.h"
#include "log.h"
#include "sink.h"
#include "sink_fixture.h"
#include "syslog_in.h"
#include "syslog_world.h"

struct sink_fix F;
struct ev_loop *loop;

/* A new sink with room for ${room} events, over the journal ${state} (a
 * file not there: a new one) or none (NULL). */
void
reset(size_t room, const char *state)
{
	if (F.s != NULL)
		sink_fix_close(&F);
	sink_fix_clear(&F);
	F.on_fail = NULL;
	sink_fix_open(&F, state);
	sink_fix_room(&F, room);
}

static void
tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

/* Run the loop until ${n} events are in the sink or ${secs} pass. */
void
spin_until(size_t n, double secs)
{
	ev_timer tick;
	double end = ev_time() + secs;

	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	while (F.n < n && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
}

/* A port free now on 127.0.0.1 for both UDP and TCP. */
int
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int t, u, port;

	for (;;) {
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = 0;
		t = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(bind(t, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(getsockname(t, (struct sockaddr *)&sa, &sl), 0);
		port = ntohs(sa.sin_port);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(t);
			close(u);
			return port;
		}
		close(t);
		close(u);
	}
}

/* Start the input with "key=value" pairs (NULL-terminated). */
void *
start(const char *first, ...)
{
	char why[256], err[512] = "";
	const char *kv;
	void *conf, *in;
	va_list ap;

	conf = syslog_input_ops.conf_new("/nonexistent");
	assert_non_null(conf);
	va_start(ap, first);
	for (kv = first; kv != NULL; kv = va_arg(ap, const char *)) {
		char key[64];
		const char *eq = strchr(kv, '=');

		assert_non_null(eq);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		assert_int_equal(syslog_input_ops.conf_set(conf, NULL, key,
		    eq + 1, why, sizeof(why)), CONF_SET_OK);
	}
	va_end(ap);
	assert_int_equal(syslog_input_ops.conf_check(conf,
	    CONF_REPORT_TEXT(err, sizeof(err))),
	    0);
	assert_true(syslog_input_ops.conf_any(conf));
	in = syslog_input_ops.start(loop, F.s, conf, err, sizeof(err));
	if (in == NULL)
		fail_msg("start: %s", err);
	syslog_input_ops.conf_free(conf);	/* the input keeps a copy */
	return in;
}

void
finish(void *in)
{
	syslog_input_ops.stop(in);
	syslog_input_ops.free(in);
	assert_false(sink_fix_waiting(&F));
	reset(0, NULL);
}

struct syslog_stats
stats(void *in)
{
	struct syslog_stats st;

	syslog_in_stats(in, &st);
	return st;
}

/** syslog_world_init(): the log, SIGPIPE ignored, the loop, a sink. */
void
syslog_world_init(void)
{
	log_init("test_syslog_in", LOG_LVL_WARN);
	(void)signal(SIGPIPE, SIG_IGN);	/* a write after the input closed */
	loop = ev_default_loop(0);
	reset(0, NULL);
}
