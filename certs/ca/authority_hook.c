/*
 * authority_hook.c: the policy hook, a child process watched by the event
 * loop (authority_hook.h).  Its input, the CSR as PEM, goes through a
 * non-blocking pipe fed by an io watcher, so a hook that does not read
 * never stalls the loop; the hook runs in its own process group, and a
 * timeout kills the whole group.  At most hook_max hooks run at once;
 * hook_queue requests more wait for one, oldest first, and others are
 * refused (overload).  A cancelled request (its requester left) ends its
 * hook: SIGTERM to the group, SIGKILL after AUTH_HOOK_GRACE; the loop
 * reaps it (ev_child) and the request is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ev.h>
#include <mbedtls/pem.h>

#include "authority_hook.h"
#include "csr.h"
#include "log.h"

#define AUTH_HOOK_ENV	9	/* 7 GW_ENROLL_*, PATH, NULL */
#define AUTH_HOOK_GRACE	2.0	/* seconds from SIGTERM to SIGKILL */
/* CSR_DER_MAX bytes as PEM: base64 (4/3), 64-column lines, armour. */
#define AUTH_HOOK_PEM	(CSR_DER_MAX / 3 * 4 + CSR_DER_MAX / 48 + 256)

struct auth_hook {
	struct authority	*a;
	struct auth_ctx		 x;
	authority_cb		 cb;		/* NULL: cancelled */
	void			*arg;
	pid_t			 pid;		/* 0: waiting to run */
	int			 cancelled;	/* SIGTERM sent */
	int			 fd;		/* its stdin, or -1 */
	char			 env[7][200];	/* GW_ENROLL_*= */
	unsigned char		*in;		/* the CSR as PEM */
	size_t			 inlen, inoff;
	ev_child		 child;
	ev_timer		 timer;
	ev_io			 io;
	struct auth_hook	*next;
};

/* Stop feeding the hook's stdin. */
static void
auth_hook_input_end(struct auth_hook *h)
{
	ev_io_stop(h->a->p.loop, &h->io);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	free(h->in);
	h->in = NULL;
}

static void auth_hook_start(struct auth_hook *);

/* Take ${h}, running, off the list; stop its watchers. */
static void
auth_hook_unlink(struct auth_hook *h)
{
	struct auth_hook **pp;

	for (pp = &h->a->hooks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			h->a->nhooks--;
			break;
		}
	ev_child_stop(h->a->p.loop, &h->child);
	ev_timer_stop(h->a->p.loop, &h->timer);
	auth_hook_input_end(h);
}

/*
 * write(2) to a pipe whose reader may be gone: EPIPE, never SIGPIPE (a
 * library must not kill its host, which may not ignore SIGPIPE).
 */
static ssize_t
auth_hook_write(int fd, const void *p, size_t n)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe, old, pend;
	ssize_t r;
	int e, was;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	sigpending(&pend);
	was = sigismember(&pend, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe, &old);
	r = write(fd, p, n);
	e = errno;
	if (r < 0 && e == EPIPE && !was)
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return r;
}

/* Write what the pipe takes; 1 when all is written or the reader left. */
static int
auth_hook_feed(struct auth_hook *h)
{
	ssize_t n;

	while (h->inoff < h->inlen) {
		n = auth_hook_write(h->fd, h->in + h->inoff,
		    h->inlen - h->inoff);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)	/* EPIPE: it decided without reading */
			return 1;
		h->inoff += (size_t)n;
	}
	return 1;
}

static void
auth_hook_on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct auth_hook *h = w->data;

	(void)loop;
	(void)revents;
	if (auth_hook_feed(h))
		auth_hook_input_end(h);
}

/* Take the oldest waiting request off the queue, or NULL. */
static struct auth_hook *
auth_hook_dequeue(struct authority *a)
{
	struct auth_hook *h;

	if ((h = a->queue) == NULL)
		return NULL;
	if ((a->queue = h->next) == NULL)
		a->queue_tail = &a->queue;
	h->next = NULL;
	a->nqueue--;
	return h;
}

/* Start waiting hooks while there is room. */
static void
auth_hook_next(struct authority *a)
{
	struct auth_hook *h;

	while (a->nhooks < a->p.hook_max && (h = auth_hook_dequeue(a)) != NULL)
		auth_hook_start(h);
}

static void
auth_hook_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct auth_hook *h = w->data;
	struct authority *a = h->a;
	int st = w->rstatus, verdict = AUTH_FAILED;

	(void)loop;
	(void)revents;
	auth_hook_unlink(h);
	auth_hook_next(a);
	if (h->cancelled) {
		log_info("event=enroll_hook_ended name=%s rid=%s kind=%s "
		    "detail=\"requester gone\"", h->x.name, h->x.rid,
		    h->x.kind);
		a->hook_ops->drop(a, &h->x);
		free(h);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) <= AUTH_PENDING)
		verdict = WEXITSTATUS(st);
	else if (WIFEXITED(st))
		snprintf(h->x.hook_why, sizeof(h->x.hook_why), "exit %d",
		    WEXITSTATUS(st));
	else if (h->x.hook_why[0] == '\0')
		snprintf(h->x.hook_why, sizeof(h->x.hook_why),
		    "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	a->hook_ops->decide(a, &h->x, verdict, h->cb, h->arg);
	free(h);
}

static void
auth_hook_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct auth_hook *h = w->data;

	(void)loop;
	(void)revents;
	if (h->cancelled) {	/* SIGTERM was not enough */
		kill(-h->pid, SIGKILL);
		return;
	}
	snprintf(h->x.hook_why, sizeof(h->x.hook_why), "no answer in %us",
	    h->a->p.hook_timeout);
	kill(-h->pid, SIGKILL);	/* its group; auth_hook_on_exit next */
}

/*
 * Start the hook for ${h}: its own process group, default signal
 * dispositions and an empty signal mask (whatever its parent ignores or
 * blocks), stdin from a pipe whose write end is ours (non-blocking).
 */
static int
auth_hook_spawn(struct auth_hook *h, char **envp)
{
	static const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT,
	    SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	char *argv[2] = { h->a->hook, NULL };
	int fds[2], rc;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(h->x.hook_why, sizeof(h->x.hook_why), "pipe: %s",
		    strerror(errno));
		return -1;
	}
	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	rc = posix_spawn(&h->pid, h->a->hook, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		snprintf(h->x.hook_why, sizeof(h->x.hook_why), "%s: %s",
		    h->a->hook, strerror(rc));
		close(fds[1]);
		return -1;
	}
	h->fd = fds[1];
	if (fcntl(h->fd, F_SETFL, O_NONBLOCK) != 0)
		log_warn("event=enroll_hook_input rid=%s", h->x.rid);
	return 0;
}

/* Run the hook of ${h}, taken off the queue; on failure, decide it. */
static void
auth_hook_start(struct auth_hook *h)
{
	struct authority *a = h->a;
	char *envp[AUTH_HOOK_ENV];

	for (int i = 0; i < 7; i++)
		envp[i] = h->env[i];
	envp[7] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[8] = NULL;
	if (auth_hook_spawn(h, envp) != 0) {
		free(h->in);
		a->hook_ops->decide(a, &h->x, AUTH_FAILED, h->cb, h->arg);
		free(h);
		return;
	}
	ev_child_init(&h->child, auth_hook_on_exit, h->pid, 0);
	h->child.data = h;
	ev_child_start(a->p.loop, &h->child);
	ev_timer_init(&h->timer, auth_hook_on_timeout, a->p.hook_timeout, 0.);
	h->timer.data = h;
	ev_timer_start(a->p.loop, &h->timer);
	ev_io_init(&h->io, auth_hook_on_writable, h->fd, EV_WRITE);
	h->io.data = h;
	if (auth_hook_feed(h))
		auth_hook_input_end(h);
	else
		ev_io_start(a->p.loop, &h->io);
	h->next = a->hooks;
	a->hooks = h;
	a->nhooks++;
}

/**
 * auth_hook_run(a, x, csr, len, cb, arg): ask the hook about request ${x};
 * its verdict goes to a->hook_ops->decide(), then to ${cb} unless
 * cancelled.  It runs at once if fewer than hook_max run, else waits its
 * turn; with hook_queue requests waiting already, the verdict is
 * AUTH_BUSY.
 */
void
auth_hook_run(struct authority *a, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg)
{
	struct auth_hook *h;

	if (a->nhooks >= a->p.hook_max && a->nqueue >= a->p.hook_queue) {
		struct auth_ctx y = *x;

		snprintf(y.hook_why, sizeof(y.hook_why), "%u running, %u "
		    "waiting (hook_max, hook_queue)", a->nhooks, a->nqueue);
		a->hook_ops->decide(a, &y, AUTH_BUSY, cb, arg);
		return;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		struct auth_ctx y = *x;

		snprintf(y.hook_why, sizeof(y.hook_why), "out of memory");
		a->hook_ops->decide(a, &y, AUTH_FAILED, cb, arg);
		return;
	}
	h->a = a;
	h->x = *x;
	h->cb = cb;
	h->arg = arg;
	h->fd = -1;
	snprintf(h->env[0], sizeof(h->env[0]), "GW_ENROLL_KIND=%s", x->kind);
	snprintf(h->env[1], sizeof(h->env[1]), "GW_ENROLL_NAME=%s", x->name);
	snprintf(h->env[2], sizeof(h->env[2]), "GW_ENROLL_SOURCE=%s",
	    x->source);
	snprintf(h->env[3], sizeof(h->env[3]), "GW_ENROLL_VIA=%s", x->via);
	snprintf(h->env[4], sizeof(h->env[4]), "GW_ENROLL_KEY_FINGERPRINT=%s",
	    x->key_fp);
	snprintf(h->env[5], sizeof(h->env[5]), "GW_ENROLL_REQUEST_ID=%s",
	    x->rid);
	snprintf(h->env[6], sizeof(h->env[6]), "GW_ENROLL_TOKEN_ID=%s",
	    x->token_id);
	if ((h->in = malloc(AUTH_HOOK_PEM)) == NULL ||
	    mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE REQUEST-----\n",
	    "-----END CERTIFICATE REQUEST-----\n", csr, len, h->in,
	    AUTH_HOOK_PEM, &h->inlen) != 0 || h->inlen == 0) {
		snprintf(h->x.hook_why, sizeof(h->x.hook_why),
		    "cannot prepare its input");
		free(h->in);
		a->hook_ops->decide(a, &h->x, AUTH_FAILED, cb, arg);
		free(h);
		return;
	}
	h->inlen--;		/* the writer counts the NUL */
	if (a->nhooks < a->p.hook_max) {
		auth_hook_start(h);
		return;
	}
	*a->queue_tail = h;
	a->queue_tail = &h->next;
	a->nqueue++;
}

/**
 * auth_hook_cancel(a, arg): the requester ${arg} is gone: never call it.
 * Its request, waiting, is dropped at once; running, its hook is ended
 * (SIGTERM, SIGKILL after a grace) and it is dropped when the hook exits.
 */
void
auth_hook_cancel(struct authority *a, void *arg)
{
	struct auth_hook **pp, *h;

	for (h = a->hooks; h != NULL; h = h->next)
		if (h->arg == arg && !h->cancelled) {
			h->cb = NULL;
			h->cancelled = 1;
			kill(-h->pid, SIGTERM);
			ev_timer_stop(a->p.loop, &h->timer);
			ev_timer_set(&h->timer, AUTH_HOOK_GRACE, 0.);
			ev_timer_start(a->p.loop, &h->timer);
		}
	for (pp = &a->queue; (h = *pp) != NULL;) {
		if (h->arg != arg) {
			pp = &h->next;
			continue;
		}
		if ((*pp = h->next) == NULL)
			a->queue_tail = pp;
		a->nqueue--;
		a->hook_ops->drop(a, &h->x);
		free(h->in);
		free(h);
	}
}

/**
 * auth_hook_busy(a, rid): 1 if a hook is deciding request ${rid} (or
 * waits to).
 */
int
auth_hook_busy(const struct authority *a, const char *rid)
{
	for (const struct auth_hook *h = a->hooks; h != NULL; h = h->next)
		if (strcmp(h->x.rid, rid) == 0)
			return 1;
	for (const struct auth_hook *h = a->queue; h != NULL; h = h->next)
		if (strcmp(h->x.rid, rid) == 0)
			return 1;
	return 0;
}

/**
 * auth_hook_close_all(a): kill every running hook; their requests and the
 * waiting ones are dropped (a->hook_ops->drop), no callbacks.
 */
void
auth_hook_close_all(struct authority *a)
{
	struct auth_hook *h;

	while ((h = auth_hook_dequeue(a)) != NULL) {
		a->hook_ops->drop(a, &h->x);
		free(h->in);
		free(h);
	}
	while ((h = a->hooks) != NULL) {
		auth_hook_unlink(h);
		kill(-h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
		log_warnx("event=enroll_hook_killed name=%s rid=%s kind=%s",
		    h->x.name, h->x.rid, h->x.kind);
		a->hook_ops->drop(a, &h->x);
		free(h);
	}
}
