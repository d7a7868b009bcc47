/*
 * checks.c: gw-agent's scheduled checks (checks.h): the schedule, one run
 * at a time per check, the results to the sink, reload.
 */
#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_conf.h"
#include "checks.h"
#include "command.h"
#include "event.h"
#include "log.h"
#include "plugin_out.h"
#include "proto.h"
#include "sink.h"

#define CHECKS_MAGIC	0x43686b73u	/* "Chks" */
#define CHECK_RUN_MAGIC	0x43686b52u	/* "ChkR" */
#define CHECK_REASON_MAX	(PATH_MAX + 256)

static const char *const check_states[] = {
	"OK", "WARNING", "CRITICAL", "UNKNOWN"
};

/* A plugin's whole environment. */
static char *const check_env[] = {
	(char *)"PATH=/usr/bin:/bin", (char *)"LC_ALL=C", NULL
};

/* One check: its schedule, its run, its result waiting for room. */
struct check_run {
	unsigned		 magic;		/* CHECK_RUN_MAGIC */
	struct checks		*in;
	const struct check_def	*def;		/* in the input's conf */
	ev_timer		 tick;		/* every due time */
	struct command		*cmd;		/* the run going on, or NULL */
	double			 started;	/* its start, monotonic */
	int			 last_state;	/* -1: no result yet */
	uint8_t			*pending;	/* an event waiting for room */
	size_t			 pending_len;
	struct check_stats	 st;
	struct check_run	*next;
};

struct checks {
	unsigned		 magic;		/* CHECKS_MAGIC */
	struct ev_loop		*loop;
	struct sink		*sink;
	const struct check_conf	*conf;
	struct check_run	*runs;
	struct sink_waiter	 waiter;
	struct event		*ev;		/* the event being built */
	struct plugin_out	*po;		/* the output being read */
	uint64_t		 rng;		/* splay_at()'s */
	int			 stopped;
};

static void check_tick_cb(struct ev_loop *, ev_timer *, int);

static struct check_run *
run_arg(void *arg)
{
	struct check_run *r = arg;

	if (r == NULL || r->magic != CHECK_RUN_MAGIC)
		abort();
	return r;
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The name of ${r} escaped for a log line (one buffer per call site). */
static const char *
run_name(const struct check_run *r, char *buf, size_t cap)
{
	return log_esc(buf, cap, r->def->name, LOG_ESC_STR, LOG_ESC_BARE);
}

/* Queue the event in ${p}: 0 pushed (or dropped), 1 no room. */
static int
run_push(struct check_run *r, const void *p, size_t len)
{
	char nb[CHECK_NAME_MAX * 4 + 1];
	int rc = sink_push(r->in->sink, p, len);

	if (rc == SINK_FULL)
		return 1;
	if (rc == SINK_OK)
		r->st.events++;
	else
		log_warnx("event=check_result_dropped name=%s reason=sink",
		    run_name(r, nb, sizeof(nb)));
	return 0;
}

/* Keep a copy of the event as ${r}'s one result waiting for room. */
static void
run_keep(struct check_run *r, const void *p, size_t len)
{
	char nb[CHECK_NAME_MAX * 4 + 1];
	uint8_t *copy;

	if ((copy = malloc(len)) == NULL) {
		log_warnx("event=check_result_dropped name=%s reason=memory",
		    run_name(r, nb, sizeof(nb)));
		return;
	}
	memcpy(copy, p, len);
	if (r->pending != NULL) {
		r->st.replaced++;
		log_warnx("event=check_result_replaced name=%s replaced=%llu",
		    run_name(r, nb, sizeof(nb)),
		    (unsigned long long)r->st.replaced);
	}
	free(r->pending);
	r->pending = copy;
	r->pending_len = len;
	r->st.pending = 1;
	sink_wait(r->in->sink, &r->in->waiter);
}

/*
 * A finished run's event: to the sink (after the one that waited, if
 * there is room for it now), or waiting for room.
 */
static void
run_deliver(struct check_run *r, const void *p, size_t len)
{
	int pushed = 0;

	if (r->pending != NULL && run_push(r, r->pending,
	    r->pending_len) == 0) {
		free(r->pending);
		r->pending = NULL;
		r->st.pending = 0;
		pushed = 1;
	}
	if (r->pending == NULL && run_push(r, p, len) == 0)
		pushed = 1;
	else
		run_keep(r, p, len);
	if (pushed)
		(void)sink_commit(r->in->sink);
}

/* Room came back: the results that waited, in the checks' order. */
static void
checks_room_cb(struct sink_waiter *w)
{
	struct checks *in = (struct checks *)(void *)((char *)w -
	    offsetof(struct checks, waiter));
	struct check_run *r;
	int pushed = 0;

	if (in->magic != CHECKS_MAGIC)
		abort();
	if (in->stopped)
		return;
	for (r = in->runs; r != NULL; r = r->next) {
		if (r->pending == NULL)
			continue;
		if (run_push(r, r->pending, r->pending_len) != 0) {
			sink_wait(in->sink, &in->waiter);
			break;
		}
		free(r->pending);
		r->pending = NULL;
		r->st.pending = 0;
		pushed = 1;
	}
	if (pushed)
		(void)sink_commit(in->sink);
}

/* How the runner's outcome reads as a check's state; ${why} the reason. */
static void
run_result(struct check_run *r, const struct command_result *cr,
    struct check_result *res, char *why, size_t whylen)
{
	memset(res, 0, sizeof(*res));
	res->state = 3;
	res->truncated = (cr->flags & GW_RESULT_TRUNCATED) != 0;
	res->duration = mono_now() - r->started;
	switch (cr->outcome) {
	case GW_OUT_EXITED:
		res->exited = 1;
		res->status = cr->status;
		if (cr->status >= 0 && cr->status <= 3) {
			res->state = cr->status;
			return;
		}
		snprintf(why, whylen, "exit status %d", (int)cr->status);
		break;
	case GW_OUT_TIMEOUT:
		res->timed_out = 1;
		snprintf(why, whylen, "timed out after %gs",
		    r->def->timeout);
		break;
	case GW_OUT_SPAWN:
		snprintf(why, whylen, "cannot run %s: %s", r->def->program,
		    strerror((int)cr->status));
		break;
	default:
		snprintf(why, whylen, "killed by signal %d (%s)",
		    (int)cr->status, strsignal((int)cr->status));
		break;
	}
	res->reason = why;
}

/* Log a run: its state when it changed (info), else at debug level. */
static void
run_log(struct check_run *r, const struct check_result *res)
{
	char nb[CHECK_NAME_MAX * 4 + 1], rb[512];
	const char *reason = res->reason != NULL ?
	    log_esc(rb, sizeof(rb), res->reason, LOG_ESC_STR, 0) : "";

	if (res->timed_out) {
		r->st.timeouts++;
		log_warnx("event=check_timeout name=%s timeout=%gs "
		    "timeouts=%llu", run_name(r, nb, sizeof(nb)),
		    r->def->timeout, (unsigned long long)r->st.timeouts);
	}
	if (res->state != r->last_state)
		log_info("event=check_state name=%s from=%s to=%s "
		    "reason=\"%s\"", run_name(r, nb, sizeof(nb)),
		    r->last_state < 0 ? "none" : check_states[r->last_state],
		    check_states[res->state], reason);
	else
		log_debug("event=check_run name=%s state=%s ms=%.0f",
		    run_name(r, nb, sizeof(nb)), check_states[res->state],
		    res->duration * 1000);
	r->last_state = res->state;
}

/* The run ended (command_start's done): its event out. */
static void
check_done_cb(const struct command_result *cr, void *arg)
{
	struct check_run *r = run_arg(arg);
	struct checks *in = r->in;
	struct check_result res;
	char why[CHECK_REASON_MAX];
	size_t len;

	run_result(r, cr, &res, why, sizeof(why));
	run_log(r, &res);
	plugin_out_parse(in->po, cr->out, cr->len);	/* cr->out: r->cmd's */
	len = check_event(in->ev, r->def->name, &res, in->po, ev_time());
	command_free(r->cmd);
	r->cmd = NULL;
	r->st.running = 0;
	run_deliver(r, in->ev->buf, len);
}

/* A due time: run the plugin, unless it still runs (skipped). */
static void
check_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check_run *r = run_arg(w->data);
	const struct check_def *d = r->def;
	struct command_params p = { .program = d->program,
	    .output_max = d->max_output, .timeout = d->timeout,
	    .argv = d->argv, .envp = check_env, .quiet = 1 };
	char nb[CHECK_NAME_MAX * 4 + 1];

	(void)revents;
	if (r->cmd != NULL) {
		r->st.skipped++;
		log_warnx("event=check_skipped name=%s reason=running "
		    "skipped=%llu", run_name(r, nb, sizeof(nb)),
		    (unsigned long long)r->st.skipped);
		return;
	}
	r->st.runs++;
	r->started = mono_now();
	/* A program missing is said at once (not as the exit status 127 of
	 * a posix_spawn that could not tell). */
	if (access(d->program, X_OK) == 0 && (r->cmd = command_start(loop,
	    &p, r->st.runs, NULL, 0, check_done_cb, r)) != NULL) {
		r->st.running = 1;
		return;
	}
	check_done_cb(&(struct command_result){ .outcome = GW_OUT_SPAWN,
	    .status = errno, .out = (const uint8_t *)"" }, r);
}

/*
 * A random point of [0, ${splay}) (checks do not run in step, nor agents
 * started together): splitmix64 on a seed from getrandom().
 */
static double
splay_at(struct checks *in, double splay)
{
	uint64_t z = (in->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return splay * (double)(z >> 11) * 0x1.0p-53;
}

/* ${d}'s schedule on ${in}, its first run within splay; NULL: errno. */
static struct check_run *
run_new(struct checks *in, const struct check_def *d)
{
	struct check_run *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->magic = CHECK_RUN_MAGIC;
	r->in = in;
	r->def = d;
	r->last_state = -1;
	ev_timer_init(&r->tick, check_tick_cb, splay_at(in, d->splay),
	    d->every);
	r->tick.data = r;
	if (!in->stopped)
		ev_timer_start(in->loop, &r->tick);
	return r;
}

/* Stop ${r}'s schedule and kill its run (no event: it was not asked). */
static void
run_halt(struct check_run *r)
{
	char nb[CHECK_NAME_MAX * 4 + 1];

	ev_timer_stop(r->in->loop, &r->tick);
	if (r->cmd != NULL) {
		log_info("event=check_killed name=%s reason=stopped",
		    run_name(r, nb, sizeof(nb)));
		command_free(r->cmd);	/* SIGKILL to its group, reaped */
		r->cmd = NULL;
		r->st.running = 0;
	}
}

static void
run_free(struct check_run *r)
{
	char nb[CHECK_NAME_MAX * 4 + 1];

	if (r == NULL)
		return;
	run_halt(r);
	if (r->pending != NULL)
		log_warnx("event=check_result_dropped name=%s reason=removed",
		    run_name(r, nb, sizeof(nb)));
	free(r->pending);
	r->magic = 0;
	free(r);
}

static void
checks_free(void *arg)
{
	struct checks *in = arg;
	struct check_run *r, *next;

	if (in == NULL)
		return;
	if (in->magic != CHECKS_MAGIC)
		abort();
	sink_unwait(in->sink, &in->waiter);
	for (r = in->runs; r != NULL; r = next) {
		next = r->next;
		run_free(r);
	}
	free(in->ev);
	free(in->po);
	in->magic = 0;
	free(in);
}

/* A run for every check of ${c}, in its order: 0, or -1 (errno). */
static int
checks_add_all(struct checks *in, const struct check_conf *c)
{
	const struct check_def *d;
	struct check_run **tail = &in->runs;

	for (d = c->defs; d != NULL; d = d->next) {
		if ((*tail = run_new(in, d)) == NULL)
			return -1;
		tail = &(*tail)->next;
	}
	return 0;
}

static void *
checks_start(struct ev_loop *loop, struct sink *sink, const void *conf,
    char *err, size_t errlen)
{
	const struct check_conf *c = conf;
	struct checks *in;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		goto fail;
	in->magic = CHECKS_MAGIC;
	in->loop = loop;
	in->sink = sink;
	in->conf = c;
	sink_waiter_init(&in->waiter, checks_room_cb);
	if (getrandom(&in->rng, sizeof(in->rng), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(in->rng))
		in->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((in->ev = malloc(sizeof(*in->ev))) == NULL ||
	    (in->po = malloc(sizeof(*in->po))) == NULL ||
	    checks_add_all(in, c) != 0)
		goto fail;
	log_info("event=checks_started checks=%u", c->n);
	return in;
fail:
	snprintf(err, errlen, "checks: %s", strerror(errno));
	checks_free(in);
	return NULL;
}

/* 1 if ${r} runs what ${d} says (its schedule and run may go on). */
static int
run_same(const struct check_run *r, const struct check_def *d)
{
	const struct check_def *o = r->def;

	return strcmp(o->command, d->command) == 0 &&
	    o->every == d->every && o->timeout == d->timeout;
}

/* Take ${d}'s run out of the list ${*from}, if there is one. */
static struct check_run *
run_take(struct check_run **from, const struct check_def *d)
{
	struct check_run **pp, *r;

	for (pp = from; (r = *pp) != NULL; pp = &r->next)
		if (strcmp(r->def->name, d->name) == 0) {
			*pp = r->next;
			r->next = NULL;
			return r;
		}
	return NULL;
}

/* ${d}'s run: the old one if nothing changed, else a new one that takes
 * over the old one's waiting result. */
static struct check_run *
run_reload(struct checks *in, struct check_run *old,
    const struct check_def *d)
{
	struct check_run *r;

	if (old != NULL && run_same(old, d)) {
		old->def = d;
		return old;
	}
	if ((r = run_new(in, d)) == NULL)
		return NULL;
	if (old != NULL) {
		r->pending = old->pending;
		r->pending_len = old->pending_len;
		r->st.pending = old->st.pending;
		r->last_state = old->last_state;
		old->pending = NULL;
		run_free(old);
	}
	return r;
}

static int
checks_reload(void *arg, const void *conf, char *err, size_t errlen)
{
	struct checks *in = arg;
	const struct check_conf *c = conf;
	const struct check_def *d;
	struct check_run *old = in->runs, *r, *list = NULL, **tail = &list;
	unsigned kept = 0, started = 0, removed = 0;

	(void)err;
	(void)errlen;
	if (in->magic != CHECKS_MAGIC)
		abort();
	for (d = c->defs; d != NULL; d = d->next) {
		struct check_run *o = run_take(&old, d);

		if ((r = run_reload(in, o, d)) == NULL) {
			/* No memory: that check ends (the others have the
			 * new configuration: the old one goes). */
			char nb[CHECK_NAME_MAX * 4 + 1];

			log_warnx("event=check_reload_failed name=%s "
			    "err=\"%s\"", log_esc(nb, sizeof(nb), d->name,
			    LOG_ESC_STR, LOG_ESC_BARE), strerror(errno));
			run_free(o);
			continue;
		}
		if (r == o)
			kept++;
		else
			started++;
		*tail = r;
		tail = &r->next;
	}
	for (; old != NULL; old = r) {
		r = old->next;
		run_free(old);
		removed++;
	}
	in->runs = list;
	in->conf = c;
	log_info("event=checks_reloaded kept=%u started=%u removed=%u", kept,
	    started, removed);
	return 0;
}

static void
checks_stop(void *arg)
{
	struct checks *in = arg;
	struct check_run *r;

	if (in->magic != CHECKS_MAGIC)
		abort();
	in->stopped = 1;
	sink_unwait(in->sink, &in->waiter);	/* a result waiting stays
						   pending (counted), unsent */
	for (r = in->runs; r != NULL; r = r->next)
		run_halt(r);
}

/**
 * checks_stats(in, name, st): the counters of check ${name} of input
 * ${in} (the tests, the logs).  0, or -1: no such check.
 */
int
checks_stats(const struct checks *in, const char *name,
    struct check_stats *st)
{
	const struct check_run *r;

	for (r = in->runs; r != NULL; r = r->next)
		if (strcmp(r->def->name, name) == 0) {
			*st = r->st;
			return 0;
		}
	return -1;
}

const struct input_ops check_input_ops = {
	.section = "check",
	.named = 1,
	.conf_new = check_conf_new,
	.conf_set = check_conf_set,
	.conf_check = check_conf_check,
	.conf_free = check_conf_free,
	.conf_any = check_conf_any,
	.start = checks_start,
	.reload = checks_reload,
	.stop = checks_stop,
	.free = checks_free,
};
