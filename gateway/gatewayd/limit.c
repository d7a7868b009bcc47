/*
 * limit.c: count session limit hits; one log line per limit and interval.
 */
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "log.h"

static const char *const limit_names[LIMIT_COUNT] = {
	"handshake_timeout", "hello_timeout", "idle_timeout", "max_payload",
	"agent_output", "agent_window", "buffer_budget", "first_byte_timeout"
};

/** limit_name(i): "handshake_timeout", ... (the config key it counts). */
const char *
limit_name(enum limit i)
{
	return limit_names[i];
}

static void
limit_log(struct limits *l, enum limit i, ev_tstamp now)
{
	log_warnx("event=limit_hit limit=%s hits=%llu total=%llu "
	    "interval_s=%.0f", limit_names[i],
	    (unsigned long long)(l->total[i] - l->logged[i]),
	    (unsigned long long)l->total[i], LIMIT_LOG_EVERY);
	l->logged[i] = l->total[i];
	l->last[i] = now;
}

/* The end of an interval: log the limits hit during it. */
static void
limits_on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct limits *l = w->data;
	ev_tstamp now = ev_now(loop), next = 0;

	(void)revents;
	if (l == NULL || l->magic != LIMITS_MAGIC) {
		log_errx("event=bug detail=\"limits timer: bad object\"");
		abort();
	}
	for (int i = 0; i < LIMIT_COUNT; i++) {
		if (l->total[i] == l->logged[i])
			continue;
		if (now - l->last[i] >= LIMIT_LOG_EVERY)
			limit_log(l, (enum limit)i, now);
		else if (next == 0 || l->last[i] + LIMIT_LOG_EVERY < next)
			next = l->last[i] + LIMIT_LOG_EVERY;
	}
	if (next > 0) {
		ev_timer_set(w, next - now, 0.);
		ev_timer_start(loop, w);
	}
}

void
limits_init(struct limits *l, struct ev_loop *loop)
{
	memset(l, 0, sizeof(*l));
	l->magic = LIMITS_MAGIC;
	l->loop = loop;
	for (int i = 0; i < LIMIT_COUNT; i++)
		l->last[i] = -LIMIT_LOG_EVERY;
	ev_timer_init(&l->flush, limits_on_flush, 0., 0.);
	l->flush.data = l;
}

void
limit_hit(struct limits *l, enum limit which)
{
	ev_tstamp now = ev_now(l->loop);

	l->total[which]++;
	if (now - l->last[which] >= LIMIT_LOG_EVERY)
		limit_log(l, which, now);
	else if (!ev_is_active(&l->flush)) {
		ev_timer_set(&l->flush, l->last[which] + LIMIT_LOG_EVERY - now,
		    0.);
		ev_timer_start(l->loop, &l->flush);
	}
}

void
limits_stop(struct limits *l)
{
	ev_timer_stop(l->loop, &l->flush);
	for (int i = 0; i < LIMIT_COUNT; i++)
		if (l->total[i] != l->logged[i])
			limit_log(l, (enum limit)i, ev_now(l->loop));
	log_info("event=limit_totals handshake_timeout=%llu hello_timeout=%llu "
	    "idle_timeout=%llu max_payload=%llu agent_output=%llu "
	    "agent_window=%llu buffer_budget=%llu first_byte_timeout=%llu",
	    (unsigned long long)l->total[LIMIT_HANDSHAKE_TIMEOUT],
	    (unsigned long long)l->total[LIMIT_HELLO_TIMEOUT],
	    (unsigned long long)l->total[LIMIT_IDLE_TIMEOUT],
	    (unsigned long long)l->total[LIMIT_FRAME_SIZE],
	    (unsigned long long)l->total[LIMIT_AGENT_OUTPUT],
	    (unsigned long long)l->total[LIMIT_AGENT_WINDOW],
	    (unsigned long long)l->total[LIMIT_BUFFER_BUDGET],
	    (unsigned long long)l->total[LIMIT_FIRST_BYTE_TIMEOUT]);
}
