/*
 * syslog_world.h: what the tests of the syslog input (tests/unit/
 * test_syslog_in_*.c) share, with cmocka: libev's default loop, the real
 * sink (sink_fixture.h), a port free on 127.0.0.1, the input started and
 * finished with "key=value" settings; each step asserts what it expects
 * (test code only).
 */
#ifndef GW_SUPPORT_SYSLOG_WORLD_H
#define GW_SUPPORT_SYSLOG_WORLD_H

#include <stddef.h>

#include "sink_fixture.h"
#include "syslog_in.h"

struct ev_loop;

extern struct sink_fix F;	/* the real sink, its events recorded */
extern struct ev_loop *loop;	/* libev's default loop */

/** syslog_world_init(): the log, SIGPIPE ignored, the loop, a sink. */
void syslog_world_init(void);

/**
 * reset(room, state): a new sink with room for ${room} events, over the
 * journal ${state} (a file not there: a new one) or none (NULL).
 */
void reset(size_t room, const char *state);

/** spin_until(n, secs): run the loop until ${n} events, or ${secs}. */
void spin_until(size_t n, double secs);

/** free_port(): a port free now on 127.0.0.1 for both UDP and TCP. */
int free_port(void);

/** start(first, ...): the input with "key=value" pairs (NULL-ended). */
void *start(const char *first, ...);

/** finish(in): stop and free ${in} (no waiter left); a new sink. */
void finish(void *in);

/** stats(in): the counters of ${in}. */
struct syslog_stats stats(void *in);

#endif /* GW_SUPPORT_SYSLOG_WORLD_H */
