/*
 * owners.h: the parent's side of agent ownership in workers mode: which
 * worker may hold a channel for an agent, handed over between workers
 * through the parent before a new channel opens (docs/PROTOCOL.md 9.14).
 * Each worker has one owner pipe (an AF_UNIX SOCK_SEQPACKET socketpair,
 * messages in owners_msg.h); the rules are owners_tab.h's, this is their
 * I/O shim.
 *
 * The supervisor (workers.c) creates the socketpairs, forks, and calls:
 * owners_worker_up with the parent's end when worker i starts;
 * owners_worker_gone when it is dead (reaped), which releases all it held;
 * and on the overdue callback (a RELEASE unanswered for
 * OWNERS_RELEASE_WAIT seconds) kills that worker (SIGKILL) and restarts
 * it as it restarts any dead worker (owners_worker_gone first).  The
 * callback repeats every second while the RELEASE still waits; it may
 * call owners_worker_gone, not owners_free.
 */
#ifndef GW_OWNERS_H
#define GW_OWNERS_H

#include <ev.h>

struct owners;

/* Worker ${worker} left a RELEASE unanswered too long: kill it. */
typedef void owners_overdue_fn(void *arg, unsigned worker);

/**
 * owners_new(loop, nworkers, max_agents): the table of ${nworkers} workers
 * on ${loop}, each owning or waiting for at most 2 x ${max_agents} agents
 * (its sessions, and agents whose session ended while an OPEN of theirs
 * is unanswered); none up yet.  NULL (logged) on ENOMEM or bad arguments.
 */
struct owners *owners_new(struct ev_loop *loop, unsigned nworkers,
    unsigned max_agents);

/**
 * owners_on_overdue(o, fn, arg): call ${fn}(${arg}, worker) for a worker
 * whose RELEASE waits too long (owners_overdue).
 */
void owners_on_overdue(struct owners *o, owners_overdue_fn *fn, void *arg);

/**
 * owners_overdue(o, now): a worker whose RELEASE has waited
 * OWNERS_RELEASE_WAIT seconds or more at ${now}, or -1.
 */
int owners_overdue(const struct owners *o, double now);

/**
 * owners_worker_up(o, worker, fd): ${worker} started; ${fd} is the
 * parent's end of its owner pipe (owners closes it).  A worker still up
 * is taken as gone first.
 */
void owners_worker_up(struct owners *o, unsigned worker, int fd);

/**
 * owners_worker_gone(o, worker): ${worker} is dead: all it held is
 * released (granted to workers waiting for it); its pipe is closed.
 */
void owners_worker_gone(struct owners *o, unsigned worker);

/** owners_free(o): close every pipe, free ${o}; NULL-safe. */
void owners_free(struct owners *o);

#endif /* GW_OWNERS_H */
