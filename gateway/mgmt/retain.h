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
 * does nothing).  NULL if out of memory.
 */
struct retain *retain_new(struct mgmt *m);

/** retain_free(r): stop the watchers of ${r} and free it; NULL-safe. */
void retain_free(struct retain *r);

#endif /* GW_MGMT_RETAIN_H */
