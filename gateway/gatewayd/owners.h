/*
 * owners.h: the parent's table of which worker holds which agent (W-OWN's
 * module; this header is the interface fixed in the brief, kept here so
 * that workers.c builds before the merge: the lead keeps W-OWN's copy).
 */
#ifndef GW_OWNERS_H
#define GW_OWNERS_H

#include <ev.h>

struct owners;

/** owners_new(loop, nworkers, max_agents): the parent's table, or NULL. */
struct owners *owners_new(struct ev_loop *loop, unsigned nworkers,
    unsigned max_agents);

/** owners_worker_up(o, worker, fd): ${fd}: the parent's end of its pipe. */
void owners_worker_up(struct owners *o, unsigned worker, int fd);

/** owners_worker_gone(o, worker): dead: all it held released; fd closed. */
void owners_worker_gone(struct owners *o, unsigned worker);

/** owners_free(o): NULL-safe. */
void owners_free(struct owners *o);

#endif /* GW_OWNERS_H */
