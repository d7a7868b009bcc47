/*
 * checks.h: gw-agent's scheduled checks, the input kind "check" ([check
 * NAME] sections, check_conf.h): each check's plugin run every `every`
 * seconds (the first run at a random point of its first `splay` seconds,
 * so checks do not run in step), by the handler runner (command.h): no
 * shell, its own process group, PATH=/usr/bin:/bin and LC_ALL=C as its
 * whole environment, nothing on its standard input, at most max_output
 * bytes of its standard output and error kept, SIGKILL to its group at
 * `timeout`.  A check never runs twice at once: a due time that finds it
 * still running is skipped and counted.  Each run is one event (kind
 * "check", PROTOCOL.md 12.4): its state from the exit status (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN; anything else, a signal, a timeout or
 * a program that cannot be started UNKNOWN with a reason) and its output
 * read by plugin_out.h.  When the sink has no room the result waits, one
 * per check (a newer one replaces it, counted), and the schedule goes on.
 */
#ifndef GW_CHECKS_H
#define GW_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"

extern const struct input_ops check_input_ops;

struct checks;
struct check_def;
struct plugin_out;
struct event;

/* How one run ended, as the event tells it. */
struct check_result {
	int		 state;		/* 0 OK ... 3 UNKNOWN */
	int		 exited;	/* 1: status is an exit status */
	int		 status;
	int		 timed_out;
	int		 truncated;	/* output over max_output */
	const char	*reason;	/* why UNKNOWN past 3, or NULL */
	double		 duration;	/* seconds */
};

/* A check's counters (checks_stats). */
struct check_stats {
	uint64_t	 runs;		/* started */
	uint64_t	 events;	/* results given to the sink */
	uint64_t	 skipped;	/* due times found it still running */
	uint64_t	 replaced;	/* results replaced while waiting */
	uint64_t	 timeouts;
	int		 running;
	int		 pending;	/* a result waits for room */
};

/**
 * check_event(e, name, r, po, ts): the event of check ${name}'s run ${r}
 * with output ${po} (plugin_out_parse) at ${ts}, into ${e}.  Its length.
 */
size_t check_event(struct event *e, const char *name,
    const struct check_result *r, const struct plugin_out *po, double ts);

/**
 * checks_stats(in, name, st): the counters of check ${name} of input
 * ${in} (the tests, the logs).  0, or -1: no such check.
 */
int checks_stats(const struct checks *in, const char *name,
    struct check_stats *st);

#endif /* GW_CHECKS_H */
