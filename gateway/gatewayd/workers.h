/*
 * workers.h: [gateway] workers = N (N > 1): the parent process and its
 * workers.  The parent makes every listening socket (N agents' sockets on
 * `listen` with SO_REUSEPORT, the others once), drops privileges, forks N
 * workers and supervises them; it never accepts a connection nor touches
 * TLS after the fork.  Each worker is the single-process gateway on its
 * own socket; worker 0 alone serves enrollment and [downstream].
 */
#ifndef GW_WORKERS_H
#define GW_WORKERS_H

#include <stddef.h>

struct gw_config;
struct tls_ticket;

/* What a new worker is given: sockets made by the parent (-1: none). */
struct worker_fds {
	unsigned	 index;		/* this worker: 0..n-1 */
	unsigned	 n;		/* [gateway] workers */
	int		 listen;	/* its agents' socket */
	int		 enroll;	/* worker 0: [enroll] listen */
	int		 down;		/* worker 0: [downstream] listen */
	int		 metrics;	/* [metrics] listen, its port + index */
	int		 own;		/* the owner pipe: its end (handover.h) */
};

/*
 * SIGHUP in the parent: check the configuration file (and what it names);
 * return its number of errors, the first in ${err}; none: the parent has
 * adopted it (the configuration and TLS configurations the workers it
 * forks from now on run).
 */
typedef int workers_check_fn(void *arg, char *err, size_t errlen);

struct workers_params {
	const struct gw_config	*cfg;
	struct tls_ticket	*tickets;	/* NULL: no resumption */
	workers_check_fn	*check;
	void			*check_arg;
};

#define WORKERS_FAILED	(-1)	/* the parent could not start (logged) */
#define WORKERS_DONE	0	/* the parent: every worker has stopped */
#define WORKERS_CHILD	1	/* a new worker: build and run it */

/**
 * workers_run(p, wf): make the sockets, drop privileges, fork the workers
 * and supervise them until SIGTERM/SIGINT (sent on to each; the parent
 * returns once all have stopped); a dead worker is started again after
 * 1 s, doubling to 30 s while it keeps dying within a minute.  SIGHUP:
 * ${p}->check, then sent on.  The parent alone rotates the ticket keys and
 * writes their file; the workers follow it (tls_ticket_share).  Return
 * WORKERS_FAILED, WORKERS_DONE (*${status}: 0 if every worker stopped
 * cleanly, else 1), or, in a new worker, WORKERS_CHILD with ${wf} filled.
 */
int workers_run(const struct workers_params *p, struct worker_fds *wf,
    int *status);

/**
 * workers_sigmask(how): SIG_BLOCK or SIG_UNBLOCK the signals a gateway
 * watches (SIGHUP, SIGTERM, SIGINT): a new worker starts with them blocked
 * and unblocks them once its watchers are started.
 */
void workers_sigmask(int how);

/**
 * gw_drop_privileges(user, err, errlen): run as ${user} (its groups too)
 * and check there is no way back to root; ${user} NULL: nothing.  0, or
 * -1 with the reason in ${err}.
 */
int gw_drop_privileges(const char *user, char *err, size_t errlen);

#endif /* GW_WORKERS_H */
