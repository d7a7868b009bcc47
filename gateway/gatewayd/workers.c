/*
 * workers.c: the parent of [gateway] workers = N (workers.h).
 *
 * The parent keeps every listening socket open and never accepts: a worker
 * that dies loses no queued connection, its replacement inherits the same
 * socket and backlog.  The kernel spreads new connections over the N
 * agents' sockets (SO_REUSEPORT: a hash of the 4-tuple), so a reconnecting
 * agent lands on any worker.  The parent forks from the top of its loop
 * (never inside a callback): a callback that wants a worker started marks
 * it and breaks the loop; workers_run forks, and in the child returns.
 *
 * In a new worker, what it inherited of the parent is let go before it
 * builds: the parent's watchers stopped, the owner table freed (owners.h:
 * it closes the parent's pipe ends), the other workers' sockets closed,
 * the default loop told of the fork; its systemd socket forgotten (the
 * parent alone speaks to systemd).  Under systemd, KillMode=mixed
 * (conf/gatewayd.service): SIGTERM goes to the parent alone, which sends
 * it on once (a worker takes a second one for "stop now").
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ev.h>

#include "config.h"
#include "log.h"
#include "net.h"
#include "owners.h"
#include "sdnotify.h"
#include "tls_ticket.h"
#include "workers.h"

#define WORKERS_MAGIC	0x576b7273u	/* "Wkrs" */
#define WORKER_MAGIC	0x576b7231u	/* "Wkr1" */

#define WORKER_DELAY_MIN	1.0	/* s before a dead worker starts again */
#define WORKER_DELAY_MAX	30.0	/* ... doubling up to this */
#define WORKER_STABLE		60.0	/* s alive: its next death is a first */
#define WORKERS_TICK		1.0	/* s between ticket key checks */

struct workers;

struct worker {
	unsigned	 magic;
	struct workers	*ws;
	unsigned	 index;
	pid_t		 pid;		/* 0: not running */
	int		 listen;	/* its agents' socket (kept by the parent) */
	int		 metrics;	/* its metrics socket, or -1 */
	int		 want;		/* to be forked at the top of the loop */
	int		 failed;	/* its last exit was not clean */
	ev_tstamp	 started;
	double		 delay;		/* s before the next start; 0: none yet */
	ev_child	 child;
	ev_timer	 restart;
};

struct workers {
	unsigned		 magic;
	const struct workers_params *p;
	struct ev_loop		*loop;
	struct owners		*owners;
	unsigned		 n;
	unsigned		 running;
	int			 enroll, down;	/* worker 0's sockets, or -1 */
	int			 stopping;	/* SIGTERM/SIGINT seen */
	pid_t			 pid;		/* the parent's */
	int			 dumpable;	/* as it was: for the workers */
	ev_signal		 sigterm, sigint, sighup;
	ev_timer		 tick;		/* ticket keys */
	struct worker		 w[GW_MAX_WORKERS];
};

/* ${arg} of a callback: the parent's state, alive, or abort (a bug). */
static struct workers *
workers_of(void *arg)
{
	struct workers *ws = arg;

	if (ws == NULL || ws->magic != WORKERS_MAGIC) {
		log_errx("event=bug detail=\"workers callback: bad object\"");
		abort();
	}
	return ws;
}

/* ${arg} of a callback: one worker's record, or abort (a bug). */
static struct worker *
worker_of(void *arg)
{
	struct worker *w = arg;

	if (w == NULL || w->magic != WORKER_MAGIC) {
		log_errx("event=bug detail=\"worker callback: bad object\"");
		abort();
	}
	return w;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/**
 * gw_drop_privileges(user, err, errlen): run as ${user} (its groups too)
 * and check there is no way back to root; ${user} NULL: nothing.  0, or
 * -1 with the reason in ${err}.
 */
int
gw_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "[gateway] user: no user '%s'", user);
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "[gateway] user: cannot become '%s': %s",
		    user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "[gateway] user: could get root back");
		return -1;
	}
	log_info("event=privileges_dropped user=%s uid=%u gid=%u", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

/*
 * Worker ${i}'s metrics address: [metrics] listen itself for worker 0,
 * its port + i for the others.  0, or -1 (the port would pass 65535).
 */
static int
metrics_addr(const char *addr, unsigned i, char *buf, size_t len)
{
	char host[256];
	const char *port;
	unsigned long p;

	if ((port = net_addr_host(addr, host, sizeof(host))) == NULL)
		return -1;
	p = strtoul(port, NULL, 10) + i;
	if (p > 65535)
		return -1;
	snprintf(buf, len, strchr(host, ':') != NULL ? "[%s]:%lu" :
	    "%s:%lu", host, p);
	return 0;
}

/* Every listening socket, made while privileges allow.  0, or -1. */
static int
workers_bind(struct workers *ws, const struct gw_config *cfg, char *err,
    size_t errlen)
{
	char addr[300];
	int probe;

	/* Alone, SO_REUSEPORT would let a second gatewayd (same user) join
	 * the group: two parents, two owner tables.  A plain socket on the
	 * address first: in use, refuse. */
	if ((probe = net_listen(cfg->listen, err, errlen)) < 0) {
		if (errno == EADDRINUSE)
			snprintf(err, errlen, "listen %s: in use (another "
			    "gatewayd?)", cfg->listen);
		return -1;
	}
	close(probe);
	if ((cfg->enroll_listen != NULL && (ws->enroll =
	    net_listen(cfg->enroll_listen, err, errlen)) < 0) ||
	    (cfg->down_listen != NULL && (ws->down =
	    net_listen(cfg->down_listen, err, errlen)) < 0))
		return -1;
	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *w = &ws->w[i];

		if ((w->listen = net_listen_opt(cfg->listen, NET_REUSEPORT,
		    err, errlen)) < 0)
			return -1;
		if (cfg->metrics_listen == NULL)
			continue;
		if (metrics_addr(cfg->metrics_listen, i, addr,
		    sizeof(addr)) != 0) {
			snprintf(err, errlen, "[metrics] listen %s: no port "
			    "for worker %u (its port + %u)",
			    cfg->metrics_listen, i, i);
			return -1;
		}
		if ((w->metrics = net_listen(addr, err, errlen)) < 0)
			return -1;
	}
	return 0;
}

/* Close every socket the parent keeps (stopping, or failed). */
static void
workers_close(struct workers *ws)
{
	close_fd(&ws->enroll);
	close_fd(&ws->down);
	for (unsigned i = 0; i < ws->n; i++) {
		close_fd(&ws->w[i].listen);
		close_fd(&ws->w[i].metrics);
	}
}

/*
 * In a new worker ${w} (${fd}: its end of the owner pipe): fill ${wf} and
 * let go of what is the parent's (the top of this file).
 */
static void
worker_child(struct workers *ws, struct worker *w, int fd,
    struct worker_fds *wf)
{
	memset(wf, 0, sizeof(*wf));
	wf->index = w->index;
	wf->n = ws->n;
	wf->listen = w->listen;
	wf->metrics = w->metrics;
	wf->enroll = w->index == 0 ? ws->enroll : -1;
	wf->down = w->index == 0 ? ws->down : -1;
	wf->own = fd;
	if (w->index != 0) {
		close_fd(&ws->enroll);
		close_fd(&ws->down);
	}
	for (unsigned i = 0; i < ws->n; i++) {
		struct worker *o = &ws->w[i];

		ev_child_stop(ws->loop, &o->child);
		ev_timer_stop(ws->loop, &o->restart);
		if (o != w) {
			close_fd(&o->listen);
			close_fd(&o->metrics);
		}
	}
	ev_signal_stop(ws->loop, &ws->sigterm);
	ev_signal_stop(ws->loop, &ws->sigint);
	ev_signal_stop(ws->loop, &ws->sighup);
	ev_timer_stop(ws->loop, &ws->tick);
	owners_free(ws->owners);
	ev_loop_fork(ws->loop);
	unsetenv("NOTIFY_SOCKET");
	/* A terminal's ^C reaches the parent alone (which sends it on, once);
	 * a parent that dies without that drains its workers all the same. */
	(void)setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0 && getppid() != ws->pid)
		(void)raise(SIGTERM);
	if (ws->p->tickets != NULL)
		tls_ticket_share(ws->p->tickets, TLS_TICKET_FOLLOW);
	/* The parent alone is kept from ptrace (workers_new). */
	(void)prctl(PR_SET_DUMPABLE, ws->dumpable);
	ws->magic = 0;
	free(ws);
}

/**
 * workers_sigmask(how): SIG_BLOCK or SIG_UNBLOCK the signals a gateway
 * watches (SIGHUP, SIGTERM, SIGINT).  Blocked from before a fork until
 * the new worker has started its watchers (main.c's run): sent in between,
 * one waits instead of killing the worker (their default action).
 */
void
workers_sigmask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	(void)sigprocmask(how, &set, NULL);
}

/* A worker could not be forked: try again after its delay. */
static void
worker_retry(struct workers *ws, struct worker *w)
{
	if (w->listen >= 0)
		(void)shutdown(w->listen, SHUT_RD);	/* as on_worker_exit */
	w->delay = w->delay > 0 ? w->delay * 2 : WORKER_DELAY_MIN;
	if (w->delay > WORKER_DELAY_MAX)
		w->delay = WORKER_DELAY_MAX;
	ev_timer_set(&w->restart, w->delay, 0.);
	ev_timer_start(ws->loop, &w->restart);
}

/*
 * Fork worker ${w}.  Return 1 in the child (${wf} filled), else 0 (a
 * failure is logged and retried later).
 */
static int
worker_fork(struct workers *ws, struct worker *w, struct worker_fds *wf)
{
	int sv[2];
	pid_t pid;

	w->want = 0;
	if (w->listen >= 0 && listen(w->listen, NET_BACKLOG) != 0)
		log_warn("event=worker_listen_failed worker=%u", w->index);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		log_warn("event=worker_start_failed worker=%u", w->index);
		worker_retry(ws, w);
		return 0;
	}
	workers_sigmask(SIG_BLOCK);
	if ((pid = fork()) < 0) {
		workers_sigmask(SIG_UNBLOCK);
		log_warn("event=worker_start_failed worker=%u", w->index);
		close(sv[0]);
		close(sv[1]);
		worker_retry(ws, w);
		return 0;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_child(ws, w, sv[1], wf);
		return 1;	/* signals blocked until run() watches them */
	}
	workers_sigmask(SIG_UNBLOCK);
	close(sv[1]);
	w->pid = pid;
	w->started = ev_time();
	ev_child_set(&w->child, pid, 0);
	ev_child_start(ws->loop, &w->child);
	ws->running++;
	owners_worker_up(ws->owners, w->index, sv[0]);
	log_info("event=worker_started worker=%u pid=%ld", w->index,
	    (long)pid);
	return 0;
}

/* Fork the workers that want it.  1 in a child, else 0. */
static int
workers_fork(struct workers *ws, struct worker_fds *wf)
{
	for (unsigned i = 0; i < ws->n; i++)
		if (ws->w[i].want && !ws->stopping &&
		    worker_fork(ws, &ws->w[i], wf) != 0)
			return 1;
	return 0;
}

/* How a worker ended, for its log line: "exit=N" or "signal=N". */
static void
status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal=%d%s", WTERMSIG(status),
		    WCOREDUMP(status) ? " core=yes" : "");
	else
		snprintf(buf, len, "status=%d", status);
}

/*
 * A worker ended: all it held is released (owners_worker_gone); it starts
 * again after its delay unless the parent is stopping.
 */
static void
on_worker_exit(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker *w = worker_of(c->data);
	struct workers *ws = workers_of(w->ws);
	double lived = ev_time() - w->started;
	char how[64];

	(void)revents;
	ev_child_stop(loop, c);
	status_str(c->rstatus, how, sizeof(how));
	w->pid = 0;
	w->failed = !WIFEXITED(c->rstatus) || WEXITSTATUS(c->rstatus) != 0;
	ws->running--;
	owners_worker_gone(ws->owners, w->index);
	/* Out of the SO_REUSEPORT group until its replacement listens again
	 * (worker_fork): else it takes its share of new connections that no
	 * one accepts.  The connections queued on it are lost (their agents
	 * connect again). */
	if (w->listen >= 0)
		(void)shutdown(w->listen, SHUT_RD);
	if (ws->stopping) {
		log_info("event=worker_stopped worker=%u pid=%d %s left=%u",
		    w->index, c->rpid, how, ws->running);
		if (ws->running == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	w->delay = lived >= WORKER_STABLE || w->delay <= 0 ?
	    WORKER_DELAY_MIN : w->delay * 2;
	if (w->delay > WORKER_DELAY_MAX)
		w->delay = WORKER_DELAY_MAX;
	log_warnx("event=worker_died worker=%u pid=%d %s lived_s=%.1f "
	    "restart_in_s=%.0f", w->index, c->rpid, how, lived, w->delay);
	ev_timer_set(&w->restart, w->delay, 0.);
	ev_timer_start(loop, &w->restart);
}

/* A worker's delay is over: fork it at the top of the loop. */
static void
on_restart(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = worker_of(t->data);

	(void)revents;
	w->want = 1;
	ev_break(loop, EVBREAK_ONE);
}

/* Send ${sig} to every running worker. */
static void
workers_kill(struct workers *ws, int sig)
{
	for (unsigned i = 0; i < ws->n; i++)
		if (ws->w[i].pid > 0 && kill(ws->w[i].pid, sig) != 0)
			log_warn("event=worker_signal_failed worker=%u pid=%ld "
			    "signal=%d", i, (long)ws->w[i].pid, sig);
}

/*
 * SIGTERM/SIGINT: sent on to every worker (each drains as one gateway
 * does; a second signal stops them at once).  The parent's copies of the
 * sockets are closed, so that, once the workers close theirs, new
 * connections are refused (an agent goes to its next gateway); no worker
 * starts again.
 */
static void
on_stop(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct workers *ws = workers_of(s->data);

	(void)revents;
	log_info("event=%s signal=%d workers=%u", ws->stopping ?
	    "stopping" : "draining", s->signum, ws->running);
	if (!ws->stopping) {
		(void)sd_notifyf("STOPPING=1\nSTATUS=draining %u workers",
		    ws->running);
		ws->stopping = 1;
		workers_close(ws);
		for (unsigned i = 0; i < ws->n; i++) {
			ws->w[i].want = 0;
			ev_timer_stop(loop, &ws->w[i].restart);
		}
	}
	workers_kill(ws, s->signum);
	if (ws->running == 0)
		ev_break(loop, EVBREAK_ALL);
}

/*
 * SIGHUP: the file is checked here first (a bad one is logged and nothing
 * is sent on, as a single gateway keeps its configuration); then each
 * worker reloads itself.  The parent has adopted it (${p}->check): a
 * worker forked later starts with it, even if the file went bad since.
 */
static void
on_hup(struct ev_loop *loop, ev_signal *s, int revents)
{
	struct workers *ws = workers_of(s->data);
	char err[8192] = "", *nl;
	int n;

	(void)loop;
	(void)revents;
	(void)sd_notify_reloading();
	if ((n = ws->p->check(ws->p->check_arg, err, sizeof(err))) != 0) {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		log_errx("event=reload_failed errors=%d detail=\"%s\" (the "
		    "running configuration stays; nothing sent to the "
		    "workers)", n, err);
	} else {
		workers_kill(ws, SIGHUP);
		log_info("event=reload_sent workers=%u", ws->running);
	}
	(void)sd_notifyf("READY=1\nSTATUS=%u of %u workers running",
	    ws->running, ws->n);
}

/* The ticket keys: the parent alone rotates them and writes the file. */
static void
on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct workers *ws = workers_of(t->data);

	(void)loop;
	(void)revents;
	if (ws->p->tickets != NULL && tls_ticket_tick(ws->p->tickets) != 0)
		log_warnx("event=ticket_key_failed detail=\"no new key could "
		    "be made\"");
}

/*
 * owners_overdue_fn: worker ${worker} has left a RELEASE unanswered too
 * long (owners.h): kill it; it starts again as any dead worker does
 * (on_worker_exit, which releases all it held).
 */
static void
on_overdue(void *arg, unsigned worker)
{
	struct workers *ws = workers_of(arg);
	struct worker *w;

	if (worker >= ws->n || (w = &ws->w[worker])->pid <= 0)
		return;
	log_warnx("event=worker_killed worker=%u pid=%ld reason=\"a RELEASE "
	    "unanswered\"", worker, (long)w->pid);
	(void)kill(w->pid, SIGKILL);
}

/*
 * The parent alone rewrites the ticket key file at each rotation: check,
 * with its privileges dropped, that it can.  0, or -1 with the reason in
 * ${err}.
 */
static int
workers_tickets(const struct workers_params *p, char *err, size_t errlen)
{
	struct passwd *pw;
	char why[400] = "";

	if (p->tickets == NULL || tls_ticket_save(p->tickets, why,
	    sizeof(why)) == 0)
		return 0;
	pw = getpwuid(geteuid());
	snprintf(err, errlen, "[gateway] ticket_keys: %s cannot be written "
	    "by user %s (the parent writes each new key): %s",
	    p->cfg->ticket_keys, pw != NULL ? pw->pw_name : "?", why);
	return -1;
}

/* The parent's state for ${p}, every socket made; NULL (logged). */
static struct workers *
workers_new(const struct workers_params *p)
{
	struct workers *ws;
	char err[512] = "";

	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		log_errx("event=start_failed detail=\"out of memory\"");
		return NULL;
	}
	ws->magic = WORKERS_MAGIC;
	ws->p = p;
	ws->n = p->cfg->workers;
	ws->loop = EV_DEFAULT;
	ws->pid = getpid();
	ws->enroll = ws->down = -1;
	for (unsigned i = 0; i < GW_MAX_WORKERS; i++) {
		struct worker *w = &ws->w[i];

		w->magic = WORKER_MAGIC;
		w->ws = ws;
		w->index = i;
		w->listen = w->metrics = -1;
		w->want = i < ws->n;
		ev_child_init(&w->child, on_worker_exit, 0, 0);
		w->child.data = w;
		ev_timer_init(&w->restart, on_restart, 0., 0.);
		w->restart.data = w;
	}
	if (workers_bind(ws, p->cfg, err, sizeof(err)) != 0 ||
	    gw_drop_privileges(p->cfg->user, err, sizeof(err)) != 0 ||
	    workers_tickets(p, err, sizeof(err)) != 0 ||
	    (ws->owners = owners_new(ws->loop, ws->n,
	    p->cfg->max_agents)) == NULL) {
		log_errx("event=start_failed detail=\"%s\"", ws->owners ==
		    NULL && err[0] == '\0' ? "out of memory" : err);
		workers_close(ws);
		free(ws);
		return NULL;
	}
	owners_on_overdue(ws->owners, on_overdue, ws);
	/* A worker (same user) could ptrace the parent, which holds every
	 * worker's pipe: not it (its workers get their state back). */
	ws->dumpable = prctl(PR_GET_DUMPABLE) == 1;
	(void)prctl(PR_SET_DUMPABLE, 0);
	return ws;
}

/* Start the parent's watchers. */
static void
workers_watch(struct workers *ws)
{
	ev_signal_init(&ws->sigterm, on_stop, SIGTERM);
	ev_signal_init(&ws->sigint, on_stop, SIGINT);
	ev_signal_init(&ws->sighup, on_hup, SIGHUP);
	ws->sigterm.data = ws->sigint.data = ws->sighup.data = ws;
	ev_signal_start(ws->loop, &ws->sigterm);
	ev_signal_start(ws->loop, &ws->sigint);
	ev_signal_start(ws->loop, &ws->sighup);
	ev_timer_init(&ws->tick, on_tick, WORKERS_TICK, WORKERS_TICK);
	ws->tick.data = ws;
	ev_timer_start(ws->loop, &ws->tick);
}

/**
 * workers_run(p, wf, status): see workers.h.
 */
int
workers_run(const struct workers_params *p, struct worker_fds *wf,
    int *status)
{
	struct workers *ws;
	int ready = 0;

	*status = 1;
	signal(SIGPIPE, SIG_IGN);
	if ((ws = workers_new(p)) == NULL)
		return WORKERS_FAILED;
	if (p->tickets != NULL)
		tls_ticket_share(p->tickets, TLS_TICKET_LEAD);
	workers_watch(ws);
	for (;;) {
		if (workers_fork(ws, wf) != 0)
			return WORKERS_CHILD;
		if (!ready) {
			ready = 1;
			log_info("event=workers_started workers=%u listen=%s "
			    "pid=%ld", ws->n, p->cfg->listen, (long)getpid());
			(void)sd_notifyf("READY=1\nSTATUS=%u of %u workers "
			    "running", ws->running, ws->n);
		}
		if (ws->stopping && ws->running == 0)
			break;
		ev_run(ws->loop, 0);
	}
	*status = 0;
	for (unsigned i = 0; i < ws->n; i++)
		if (ws->w[i].failed)
			*status = 1;
	log_info("event=workers_stopped status=%d", *status);
	ev_signal_stop(ws->loop, &ws->sigterm);
	ev_signal_stop(ws->loop, &ws->sigint);
	ev_signal_stop(ws->loop, &ws->sighup);
	ev_timer_stop(ws->loop, &ws->tick);
	owners_free(ws->owners);
	workers_close(ws);
	ws->magic = 0;
	free(ws);
	return WORKERS_DONE;
}
