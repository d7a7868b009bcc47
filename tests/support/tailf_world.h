/*
 * tailf_world.h: what the tests of the followed files (tests/unit/
 * test_tailf_*.c) share, with cmocka: a temporary directory of files, a
 * libev loop, the [file app] input started on the real sink (sink_fixture.h,
 * over the journal ${dir}/state once journal_up), and the short-named steps
 * the tests are written in, which assert what they expect (test code
 * only).
 */
#ifndef GW_SUPPORT_TAILF_WORLD_H
#define GW_SUPPORT_TAILF_WORLD_H

#include <stddef.h>

#include "sink_fixture.h"

struct ev_loop;

extern char dir[64];		/* the files' directory */
extern struct ev_loop *loop;
extern struct sink_fix F;	/* the real sink, its events recorded */
extern void *conf;		/* the [file] sections (tail_conf.h) */
extern void *tail;		/* the input started, or NULL */

/** setup(state), teardown(state): cmocka's, around each test. */
int setup(void **state);
int teardown(void **state);

/** down(): the agent goes down (as by kill -9 after its last commit). */
void down(void);

/** set_in(c, name, key, value): [file ${name}] ${key} = ${value} in ${c}. */
void set_in(void *c, const char *name, const char *key, const char *value);

/** set(key, value): [file app] ${key} = ${value}. */
void set(const char *key, const char *value);

/** journal_up(): the sink over the journal ${dir}/state, (re)opened. */
void journal_up(void);

/** start(): the input started over conf. */
void start(void);

/** spin(secs): run the loop for ${secs}. */
void spin(double secs);

/** spin_until(n): run the loop until ${n} events are committed (5 s). */
void spin_until(size_t n);

/** fpath(buf, len, name): the path of ${name} in ${dir}. */
void fpath(char *buf, size_t len, const char *name);

/** append_raw(name, s): append ${s} to ${name}. */
void append_raw(const char *name, const char *s);

/** append(name, from, to): lines "line N" for N in [from, to). */
void append(const char *name, int from, int to);

/** move(from, to): rename ${from} to ${to}. */
void move(const char *from, const char *to);

/** copytruncate(from, to): cp ${from} ${to}; truncate ${from} to 0. */
void copytruncate(const char *from, const char *to);

/** line_of(i, buf, len): the "line" of event ${i} (no escapes), or "". */
const char *line_of(size_t i, char *buf, size_t len);

/** expect_lines(first, from, n): events from ${first}: "line ${from}"... */
void expect_lines(size_t first, int from, int n);

/** age(name, ago): ${name} last modified ${ago} seconds ago. */
void age(const char *name, double ago);

/** count_from(name): the events whose source ends with "/${name}". */
size_t count_from(const char *name);

/** any_holds(s): 1 if an event holds ${s}. */
int any_holds(const char *s);

/** expect_each_once(n): the events are "line N", N in [0, n), once each. */
void expect_each_once(int n);

/** rotate_numbered(): logrotate without dateext: .2 -> .3, .1 -> .2, -> .1. */
void rotate_numbered(void);

#endif /* GW_SUPPORT_TAILF_WORLD_H */
