/*
 * retain.h: retention (retain.c): with [store] retain or max_rows set,
 * gw-mgmt deletes the old rows of its store (store_expire_*, store.h) a
 * few at a time, between the group commit's transactions.
 */
#ifndef GW_MGMT_RETAIN_H
#define GW_MGMT_RETAIN_H

struct mgmt;

/**
 * retain_new(m): the retention of ${m}, for main.c to store in m->retain,
 * its timer on m->loop started if m->cfg sets retain or max_rows (else it
 * does nothing until retain_configure finds them set).  NULL if out of
 * memory.
 */
struct retain *retain_new(struct mgmt *m);

/**
 * retain_configure(r): (re)start ${r}'s timer from its server's
 * configuration: a tick of retain / 10 (RETAIN_TICK_MIN .. RETAIN_TICK_MAX;
 * 1 s with max_rows alone), or stopped if neither retain nor max_rows is
 * set.  A pass that is running goes on; the next tick uses the new values.
 */
void retain_configure(struct retain *r);

/** retain_free(r): stop the watchers of ${r} and free it; NULL-safe. */
void retain_free(struct retain *r);

#endif /* GW_MGMT_RETAIN_H */
