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

#define AUTH_HOOK_MAGIC	0x486f6f6bu	/* "Hook" */
#define AUTH_HOOK_ENV	9	/* 7 GW_ENROLL_*, PATH, NULL */
#define AUTH_HOOK_GRACE	2.0	/* seconds from SIGTERM to SIGKILL */
/* CSR_DER_MAX bytes as PEM: base64 (4/3), 64-column lines, armour. */
#define AUTH_HOOK_PEM	(CSR_DER_MAX / 3 * 4 + CSR_DER_MAX / 48 + 256)

/* The hooks of one authority: its part (authority.c holds a pointer). */
struct auth_hooks {
	struct authority_params	 p;		/* loop, hook, hook_*: the
						   authority's */
	const struct auth_hook_ops *ops;	/* the authority's */
	struct authority	*a;		/* handed back through ops */
	struct auth_hook	*running;
	unsigned		 nrunning;
	struct auth_hook	*queue, **queue_tail;	/* waiting, oldest
							   first */
	unsigned		 nqueue;
};

/* One request asked of the hook. */
struct auth_hook {
	uint32_t		 magic;		/* AUTH_HOOK_MAGIC */
	struct auth_hooks	*hs;
	struct auth_ctx		 x;		/* a copy, handed back */
	char			 why[96];	/* AUTH_FAILED: what happened */
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

/* ${p}, the data of one of a hook's watchers, or abort. */
static struct auth_hook *
auth_hook_of(void *p)
{
	struct auth_hook *h = p;

	if (h == NULL || h->magic != AUTH_HOOK_MAGIC)
		abort();
	return h;
}

/* Stop feeding the hook's stdin. */
static void
auth_hook_input_end(struct auth_hook *h)
{
	ev_io_stop(h->hs->p.loop, &h->io);
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

	for (pp = &h->hs->running; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			h->hs->nrunning--;
			break;
		}
	ev_child_stop(h->hs->p.loop, &h->child);
	ev_timer_stop(h->hs->p.loop, &h->timer);
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
	struct auth_hook *h = auth_hook_of(w->data);

	(void)loop;
	(void)revents;
	if (auth_hook_feed(h))
		auth_hook_input_end(h);
}

/* Take the oldest waiting request off the queue, or NULL. */
static struct auth_hook *
auth_hook_dequeue(struct auth_hooks *hs)
{
	struct auth_hook *h;

	if ((h = hs->queue) == NULL)
		return NULL;
	if ((hs->queue = h->next) == NULL)
		hs->queue_tail = &hs->queue;
	h->next = NULL;
	hs->nqueue--;
	return h;
}

/* Start waiting hooks while there is room. */
static void
auth_hook_next(struct auth_hooks *hs)
{
	struct auth_hook *h;

	while (hs->nrunning < hs->p.hook_max &&
	    (h = auth_hook_dequeue(hs)) != NULL)
		auth_hook_start(h);
}

static void
auth_hook_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct auth_hook *h = auth_hook_of(w->data);
	struct auth_hooks *hs = h->hs;
	int st = w->rstatus, verdict = AUTH_FAILED;

	(void)loop;
	(void)revents;
	auth_hook_unlink(h);
	auth_hook_next(hs);
	if (h->cancelled) {
		log_info("event=enroll_hook_ended name=%s rid=%s kind=%s "
		    "detail=\"requester gone\"", h->x.name, h->x.rid,
		    h->x.kind);
		hs->ops->drop(hs->a, &h->x);
		free(h);
		return;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) <= AUTH_PENDING)
		verdict = WEXITSTATUS(st);
	else if (WIFEXITED(st))
		snprintf(h->why, sizeof(h->why), "exit %d", WEXITSTATUS(st));
	else if (h->why[0] == '\0')
		snprintf(h->why, sizeof(h->why), "killed by signal %d",
		    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	hs->ops->decide(hs->a, &h->x, verdict, h->why, h->cb, h->arg);
	free(h);
}

static void
auth_hook_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct auth_hook *h = auth_hook_of(w->data);

	(void)loop;
	(void)revents;
	if (h->cancelled) {	/* SIGTERM was not enough */
		kill(-h->pid, SIGKILL);
		return;
	}
	snprintf(h->why, sizeof(h->why), "no answer in %us",
	    h->hs->p.hook_timeout);
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
	char *argv[2] = { (char *)h->hs->p.hook, NULL };
	int fds[2], rc;

	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(h->why, sizeof(h->why), "pipe: %s",
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
	rc = posix_spawn(&h->pid, h->hs->p.hook, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		snprintf(h->why, sizeof(h->why), "%s: %s",
		    h->hs->p.hook, strerror(rc));
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
	struct auth_hooks *hs = h->hs;
	char *envp[AUTH_HOOK_ENV];

	for (int i = 0; i < 7; i++)
		envp[i] = h->env[i];
	envp[7] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[8] = NULL;
	if (auth_hook_spawn(h, envp) != 0) {
		free(h->in);
		hs->ops->decide(hs->a, &h->x, AUTH_FAILED, h->why, h->cb,
		    h->arg);
		free(h);
		return;
	}
	ev_child_init(&h->child, auth_hook_on_exit, h->pid, 0);
	h->child.data = h;
	ev_child_start(hs->p.loop, &h->child);
	ev_timer_init(&h->timer, auth_hook_on_timeout, hs->p.hook_timeout, 0.);
	h->timer.data = h;
	ev_timer_start(hs->p.loop, &h->timer);
	ev_io_init(&h->io, auth_hook_on_writable, h->fd, EV_WRITE);
	h->io.data = h;
	if (auth_hook_feed(h))
		auth_hook_input_end(h);
	else
		ev_io_start(hs->p.loop, &h->io);
	h->next = hs->running;
	hs->running = h;
	hs->nrunning++;
}

/**
 * auth_hook_run(hs, x, csr, len, cb, arg): ask the hook about request
 * ${x}; its verdict goes to the ops' decide(), then to ${cb} unless
 * cancelled.  It runs at once if fewer than hook_max run, else waits its
 * turn; with hook_queue requests waiting already, the verdict is
 * AUTH_BUSY.
 */
void
auth_hook_run(struct auth_hooks *hs, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg)
{
	struct auth_hook *h;
	char why[96];

	if (hs->nrunning >= hs->p.hook_max && hs->nqueue >= hs->p.hook_queue) {
		snprintf(why, sizeof(why), "%u running, %u waiting (hook_max, "
		    "hook_queue)", hs->nrunning, hs->nqueue);
		hs->ops->decide(hs->a, x, AUTH_BUSY, why, cb, arg);
		return;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		hs->ops->decide(hs->a, x, AUTH_FAILED, "out of memory", cb,
		    arg);
		return;
	}
	h->magic = AUTH_HOOK_MAGIC;
	h->hs = hs;
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
		free(h->in);
		hs->ops->decide(hs->a, &h->x, AUTH_FAILED,
		    "cannot prepare its input", cb, arg);
		free(h);
		return;
	}
	h->inlen--;		/* the writer counts the NUL */
	if (hs->nrunning < hs->p.hook_max) {
		auth_hook_start(h);
		return;
	}
	*hs->queue_tail = h;
	hs->queue_tail = &h->next;
	hs->nqueue++;
}

/**
 * auth_hook_cancel(a, arg): the requester ${arg} is gone: never call it.
 * Its request, waiting, is dropped at once; running, its hook is ended
 * (SIGTERM, SIGKILL after a grace) and it is dropped when the hook exits.
 */
void
auth_hook_cancel(struct auth_hooks *hs, void *arg)
{
	struct auth_hook **pp, *h;

	for (h = hs->running; h != NULL; h = h->next)
		if (h->arg == arg && !h->cancelled) {
			h->cb = NULL;
			h->cancelled = 1;
			kill(-h->pid, SIGTERM);
			ev_timer_stop(hs->p.loop, &h->timer);
			ev_timer_set(&h->timer, AUTH_HOOK_GRACE, 0.);
			ev_timer_start(hs->p.loop, &h->timer);
		}
	for (pp = &hs->queue; (h = *pp) != NULL;) {
		if (h->arg != arg) {
			pp = &h->next;
			continue;
		}
		if ((*pp = h->next) == NULL)
			hs->queue_tail = pp;
		hs->nqueue--;
		hs->ops->drop(hs->a, &h->x);
		free(h->in);
		free(h);
	}
}

/**
 * auth_hook_busy(a, rid): 1 if a hook is deciding request ${rid} (or
 * waits to).
 */
int
auth_hook_busy(const struct auth_hooks *hs, const char *rid)
{
	for (const struct auth_hook *h = hs->running; h != NULL; h = h->next)
		if (strcmp(h->x.rid, rid) == 0)
			return 1;
	for (const struct auth_hook *h = hs->queue; h != NULL; h = h->next)
		if (strcmp(h->x.rid, rid) == 0)
			return 1;
	return 0;
}

/**
 * auth_hook_new(p, ops, a): the hooks of authority ${a}, which runs
 * ${p}->hook on ${p}->loop (hook_timeout, hook_max, hook_queue) and hears
 * the verdicts through ${ops}.  ${p}'s strings, ${ops} and ${a} must live
 * until auth_hook_free().  NULL if out of memory.
 */
struct auth_hooks *
auth_hook_new(const struct authority_params *p,
    const struct auth_hook_ops *ops, struct authority *a)
{
	struct auth_hooks *hs;

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return NULL;
	hs->p = *p;
	hs->ops = ops;
	hs->a = a;
	hs->queue_tail = &hs->queue;
	return hs;
}

/**
 * auth_hook_free(hs): kill every running hook; their requests and the
 * waiting ones are dropped (the ops' drop), no callbacks; free ${hs}.
 * NULL is a no-op.
 */
void
auth_hook_free(struct auth_hooks *hs)
{
	struct auth_hook *h;

	if (hs == NULL)
		return;
	while ((h = auth_hook_dequeue(hs)) != NULL) {
		hs->ops->drop(hs->a, &h->x);
		free(h->in);
		free(h);
	}
	while ((h = hs->running) != NULL) {
		auth_hook_unlink(h);
		kill(-h->pid, SIGKILL);
		while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
			;
		log_warnx("event=enroll_hook_killed name=%s rid=%s kind=%s",
		    h->x.name, h->x.rid, h->x.kind);
		hs->ops->drop(hs->a, &h->x);
		free(h);
	}
	free(hs);
}
