/*
 * owners_tab.h: the parent's table of workers mode, agent -> the worker
 * that owns it (may hold a channel for it upstream), and its rules, as a
 * pure module: messages in as bytes (checked here), messages out through
 * a callback, the clock passed in.  owners.c is its I/O shim; the unit
 * test and fuzz_owners drive it directly.
 *
 * Rules (one owner per agent, always):
 *   CLAIM(k) from w: k unknown: w owns it, GRANT.  Owned by w, no RELEASE
 *     asked: GRANT.  Owned by another worker v: w waits for it (the one
 *     waiting claim of k: an older one, of any worker, gets DENY), and v
 *     gets RELEASE (once); RELEASED from v, or v gone, makes w the owner:
 *     GRANT.  A worker over its share (entries it owns or waits for) gets
 *     DENY.
 *   RELEASED(k) from w: w was asked to release k: see above; else ignored.
 *   DROP(k) from w: w owns k: forgotten (or, if asked to release it,
 *     taken as RELEASED); else ignored.
 *   A worker gone: what it owned goes to its waiting claimant or is
 *     forgotten; what it waited for, forgotten.
 *   A RELEASE unanswered for OWNERS_RELEASE_WAIT seconds: owners_tab_overdue
 *     names its worker, to be killed (and then gone).
 * A message that does not decode, comes from a worker out of range, is of a
 * parent's type, or names a key the worker has no business with is
 * dropped and counted, logged at most once a second per worker: a worker
 * is trusted with its own claims only, never with another's agent.
 */
#ifndef GW_OWNERS_TAB_H
#define GW_OWNERS_TAB_H

#include <stddef.h>
#include <stdint.h>

#define OWNERS_RELEASE_WAIT	5.0	/* seconds a RELEASE may wait */
#define OWNERS_MAX_WORKERS	1024

struct owners_tab;

/* Send message ${type} of ${key} to ${worker} (owners_msg.h). */
typedef void owners_send_fn(void *arg, unsigned worker, unsigned type,
    const char *key);

/**
 * owners_tab_new(nworkers, share, send, arg): an empty table of
 * ${nworkers} workers (1..OWNERS_MAX_WORKERS), each owning or waiting for
 * at most ${share} agents (>= 1), sending through ${send}(${arg}, ...).
 * NULL on ENOMEM or bad arguments.
 */
struct owners_tab *owners_tab_new(unsigned nworkers, unsigned share,
    owners_send_fn *send, void *arg);

/** owners_tab_free(t): free ${t}; NULL-safe. */
void owners_tab_free(struct owners_tab *t);

/**
 * owners_tab_input(t, worker, p, len, now): worker ${worker} sent the
 * ${len} bytes at ${p} at time ${now}: apply the rules.  0 if it was
 * taken, -1 if it was dropped (malformed or not the worker's business:
 * counted, logged rate-limited).
 */
int owners_tab_input(struct owners_tab *t, unsigned worker, const uint8_t *p,
    size_t len, double now);

/**
 * owners_tab_gone(t, worker): ${worker} is dead: all it owned is released
 * (granted to those waiting), all it waited for forgotten.
 */
void owners_tab_gone(struct owners_tab *t, unsigned worker);

/**
 * owners_tab_overdue(t, now, when): the worker whose RELEASE has waited
 * OWNERS_RELEASE_WAIT or more at ${now}, or -1; ${when} (if not NULL) is
 * set to when the oldest RELEASE waiting becomes overdue (0: none waits).
 */
int owners_tab_overdue(const struct owners_tab *t, double now, double *when);

/** owners_tab_owner(t, key): the worker owning ${key}, or -1. */
int owners_tab_owner(const struct owners_tab *t, const char *key);

/** owners_tab_waiter(t, key): the worker waiting for ${key}, or -1. */
int owners_tab_waiter(const struct owners_tab *t, const char *key);

/** owners_tab_count(t): entries in ${t}. */
size_t owners_tab_count(const struct owners_tab *t);

/** owners_tab_held(t, worker): entries ${worker} owns or waits for. */
unsigned owners_tab_held(const struct owners_tab *t, unsigned worker);

/** owners_tab_dropped(t): messages dropped (malformed or not theirs). */
uint64_t owners_tab_dropped(const struct owners_tab *t);

#endif /* GW_OWNERS_TAB_H */
