/*
 * command.c: one --on-command handler process (see command.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "log.h"
#include "proto.h"

#define COMMAND_MAGIC		0x436d6452u	/* "CmdR" */
#define COMMAND_DRAIN_READS	256	/* reads after the exit (1 MiB) */

/* A start or an end: info, or debug for a quiet one (a check's run). */
#define COMMAND_LOG(c, ...) do {					\
	if ((c)->quiet)							\
		log_debug(__VA_ARGS__);					\
	else								\
		log_info(__VA_ARGS__);					\
} while (0)

/*
 * Where a handler stands; only command_set_state() changes it.  Its exit
 * is the end: what it wrote is then in the pipe (a background child of
 * its own that holds the pipe open is not waited for).
 */
enum command_state {
	CMD_SPAWN_FAILED,	/* no process: done from the timer */
	CMD_RUNNING,		/* the process lives */
	CMD_KILLED,		/* ... and got SIGKILL at the timeout */
	CMD_DONE		/* reaped, or freed */
};

struct command {
	unsigned		 magic;		/* COMMAND_MAGIC */
	struct ev_loop		*loop;
	enum command_state	 state;
	uint64_t		 id;
	pid_t			 pid;
	int			 in_fd;		/* the handler's stdin, or -1 */
	int			 out_fd;	/* its stdout+stderr, or -1 */
	ev_io			 in_w, out_w;
	ev_child		 child;
	ev_timer		 timer;		/* timeout; spawn failure */
	uint8_t			*body;
	size_t			 blen, boff;	/* body bytes, written */
	uint8_t			*out;
	size_t			 olen, omax;	/* output kept, its bound */
	int			 truncated;
	int			 wstatus;	/* waitpid's, once reaped */
	int			 spawn_errno;
	int			 quiet;		/* logs at debug level */
	command_done_fn		*done;
	void			*arg;
};

/* The command behind a callback's ${arg}; anything else aborts. */
static struct command *
command_arg(void *arg)
{
	struct command *c = arg;

	if (c == NULL || c->magic != COMMAND_MAGIC)
		abort();
	return c;
}

static void
command_set_state(struct command *c, enum command_state st)
{
	static const char *const names[] = {
		"spawn-failed", "running", "killed", "done"
	};

	log_debug("event=command_state id=%llu from=%s to=%s",
	    (unsigned long long)c->id, names[c->state], names[st]);
	c->state = st;
}

static void
command_close_in(struct command *c)
{
	ev_io_stop(c->loop, &c->in_w);
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
}

static void
command_close_out(struct command *c)
{
	ev_io_stop(c->loop, &c->out_w);
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}

/* Write what the pipe takes of the body; close it when all went. */
static void
command_in_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct command *c = command_arg(w->data);
	ssize_t n;

	(void)loop;
	(void)revents;
	n = write(c->in_fd, c->body + c->boff, c->blen - c->boff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {		/* EPIPE: the handler closed its stdin */
		log_debug("event=command_stdin id=%llu err=\"%s\"",
		    (unsigned long long)c->id, strerror(errno));
		command_close_in(c);
		return;
	}
	c->boff += (size_t)n;
	if (c->boff == c->blen)
		command_close_in(c);
}

/* Read once: 1 more may come, 0 end of output or nothing for now. */
static int
command_read(struct command *c)
{
	uint8_t drop[4096];
	ssize_t n;

	if (c->olen < c->omax)
		n = read(c->out_fd, c->out + c->olen, c->omax - c->olen);
	else
		n = read(c->out_fd, drop, sizeof(drop));
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {		/* EOF (or an error: the same end) */
		command_close_out(c);
		return 0;
	}
	if (c->olen < c->omax)
		c->olen += (size_t)n;
	else
		c->truncated = 1;
	return 1;
}

static void
command_out_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	(void)command_read(command_arg(w->data));
}

/* The result, to done; the watchers stopped and the pipes closed. */
static void
command_finish(struct command *c)
{
	struct command_result r = { .id = c->id, .out = c->out,
	    .len = c->olen, .flags = c->truncated ? GW_RESULT_TRUNCATED : 0 };
	int st = c->wstatus;

	if (c->state == CMD_SPAWN_FAILED) {
		r.outcome = GW_OUT_SPAWN;
		r.status = c->spawn_errno;
	} else if (WIFEXITED(st)) {
		r.outcome = GW_OUT_EXITED;
		r.status = WEXITSTATUS(st);
	} else if (c->state == CMD_KILLED && WTERMSIG(st) == SIGKILL) {
		r.outcome = GW_OUT_TIMEOUT;
	} else {
		r.outcome = GW_OUT_KILLED;
		r.status = WTERMSIG(st);
	}
	command_set_state(c, CMD_DONE);
	ev_timer_stop(c->loop, &c->timer);
	ev_child_stop(c->loop, &c->child);
	command_close_in(c);
	command_close_out(c);
	COMMAND_LOG(c, "event=command_done id=%llu outcome=%s status=%d bytes=%zu "
	    "truncated=%s", (unsigned long long)c->id,
	    gw_outcome_str(r.outcome), (int)r.status, r.len,
	    c->truncated ? "yes" : "no");
	c->done(&r, c->arg);	/* may free c */
}

/* Reaped: take what the handler wrote (it is in the pipe), finish. */
static void
command_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct command *c = command_arg(w->data);

	(void)loop;
	(void)revents;
	c->wstatus = w->rstatus;
	c->pid = -1;
	ev_child_stop(c->loop, &c->child);
	/* Bounded: a child of the handler may write on and on. */
	for (int i = 0; i < COMMAND_DRAIN_READS && c->out_fd >= 0; i++)
		if (command_read(c) == 0)
			break;
	command_finish(c);
}

/* The timeout: SIGKILL to the handler's group.  Spawn failure: done. */
static void
command_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct command *c = command_arg(w->data);

	(void)loop;
	(void)revents;
	if (c->state == CMD_SPAWN_FAILED) {
		command_finish(c);
		return;
	}
	if (c->state != CMD_RUNNING)
		return;
	if (c->quiet)
		log_debug("event=command_timeout id=%llu pid=%ld",
		    (unsigned long long)c->id, (long)c->pid);
	else
		log_warnx("event=command_timeout id=%llu pid=%ld",
	    (unsigned long long)c->id, (long)c->pid);
	command_set_state(c, CMD_KILLED);
	if (kill(-c->pid, SIGKILL) != 0)
		(void)kill(c->pid, SIGKILL);
}

/* posix_spawn's attributes: own group, default signals and mask. */
static int
command_attr(posix_spawnattr_t *at)
{
	sigset_t all, none;

	sigfillset(&all);
	sigemptyset(&none);
	if (posix_spawnattr_init(at) != 0)
		return -1;
	if (posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) != 0 ||
	    posix_spawnattr_setpgroup(at, 0) != 0 ||
	    posix_spawnattr_setsigdefault(at, &all) != 0 ||
	    posix_spawnattr_setsigmask(at, &none) != 0) {
		posix_spawnattr_destroy(at);
		return -1;
	}
	return 0;
}

/*
 * Start the handler with pipes ${in} and ${out} (the child's ends are
 * in[0] and out[1]): 0, or an errno.
 */
static int
command_spawn(struct command *c, const struct command_params *p,
    const int in[2], const int out[2])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char idenv[64], *agent = NULL, *argv1[2], *env1[4];
	char *const *argv = p->argv, *const *envp = p->envp;
	int rc;

	if (argv == NULL) {
		argv1[0] = (char *)p->program;
		argv1[1] = NULL;
		argv = argv1;
	}
	if (envp == NULL) {
		snprintf(idenv, sizeof(idenv), "GW_COMMAND_ID=%llu",
		    (unsigned long long)c->id);
		if ((agent = malloc(strlen(p->agent) + 10)) == NULL)
			return errno;
		sprintf(agent, "GW_AGENT=%s", p->agent);
		env1[0] = idenv;
		env1[1] = agent;
		env1[2] = (char *)"PATH=/usr/bin:/bin";
		env1[3] = NULL;
		envp = env1;
	}
	rc = ENOMEM;
	if (command_attr(&at) != 0)
		goto out0;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out1;
	/* The pipes are O_CLOEXEC; dup2 makes the copies inheritable. */
	if (posix_spawn_file_actions_adddup2(&fa, in[0], 0) == 0 &&
	    posix_spawn_file_actions_adddup2(&fa, out[1], 1) == 0 &&
	    posix_spawn_file_actions_adddup2(&fa, out[1], 2) == 0)
		rc = posix_spawn(&c->pid, p->program, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
out1:
	posix_spawnattr_destroy(&at);
out0:
	free(agent);
	return rc;
}

/* Pipes, the process and the watchers: 0, or -1 (errno) for no pipe. */
static int
command_launch(struct command *c, const struct command_params *p)
{
	int in[2], out[2], rc;

	if (pipe2(in, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	rc = command_spawn(c, p, in, out);
	close(in[0]);
	close(out[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	if (rc != 0) {
		if (!c->quiet)
			log_warnx("event=command_spawn_failed id=%llu "
			    "err=\"%s\"", (unsigned long long)c->id,
			    strerror(rc));
		c->spawn_errno = rc;
		command_close_in(c);
		command_close_out(c);
		ev_timer_set(&c->timer, 0., 0.);  /* done from the loop */
		ev_timer_start(c->loop, &c->timer);
		return 0;
	}
	command_set_state(c, CMD_RUNNING);
	COMMAND_LOG(c, "event=command_start id=%llu pid=%ld bytes=%zu",
	    (unsigned long long)c->id, (long)c->pid, c->blen);
	(void)fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	ev_io_set(&c->in_w, c->in_fd, EV_WRITE);
	ev_io_set(&c->out_w, c->out_fd, EV_READ);
	if (c->blen > 0)
		ev_io_start(c->loop, &c->in_w);
	else
		command_close_in(c);
	ev_io_start(c->loop, &c->out_w);
	ev_child_set(&c->child, c->pid, 0);
	ev_child_start(c->loop, &c->child);
	ev_timer_set(&c->timer, p->timeout, 0.);
	ev_timer_start(c->loop, &c->timer);
	return 0;
}

/**
 * command_start(loop, p, id, body, len, done, arg): run the handler of
 * ${p} for command ${id} with the ${len} bytes of ${body} (copied) on its
 * standard input, on ${loop} (the default loop).  ${done} is called once,
 * from the loop, never from command_start() itself, also when the program
 * cannot be started (outcome spawn-failed); it may call command_free().
 * Return NULL on out of memory (errno set).
 */
struct command *
command_start(struct ev_loop *loop, const struct command_params *p,
    uint64_t id, const uint8_t *body, size_t len, command_done_fn *done,
    void *arg)
{
	struct command *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->magic = COMMAND_MAGIC;	/* calloc: CMD_SPAWN_FAILED */
	c->loop = loop;
	c->id = id;
	c->pid = -1;
	c->in_fd = c->out_fd = -1;
	c->omax = p->output_max;
	c->quiet = p->quiet;
	c->done = done;
	c->arg = arg;
	ev_io_init(&c->in_w, command_in_cb, -1, EV_WRITE);
	ev_io_init(&c->out_w, command_out_cb, -1, EV_READ);
	ev_child_init(&c->child, command_child_cb, 0, 0);
	ev_timer_init(&c->timer, command_timer_cb, 0., 0.);
	c->in_w.data = c->out_w.data = c->child.data = c->timer.data = c;
	if ((c->out = malloc(c->omax > 0 ? c->omax : 1)) == NULL ||
	    (c->body = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	if (len > 0)
		memcpy(c->body, body, len);
	c->blen = len;
	if (command_launch(c, p) != 0)
		goto fail;
	return c;
fail:
	command_free(c);
	return NULL;
}

/**
 * command_free(c): free ${c}; a handler still running is killed (its
 * process group) and reaped first, and done is not called.  NULL-safe.
 */
void
command_free(struct command *c)
{
	int errsv = errno;

	if (c == NULL)
		return;
	if (c->pid > 0) {
		(void)kill(-c->pid, SIGKILL);
		(void)kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
		if (c->quiet)
			log_debug("event=command_abandoned id=%llu",
			    (unsigned long long)c->id);
		else
			log_warnx("event=command_abandoned id=%llu",
			    (unsigned long long)c->id);
	}
	ev_timer_stop(c->loop, &c->timer);
	ev_child_stop(c->loop, &c->child);
	command_close_in(c);
	command_close_out(c);
	free(c->body);
	free(c->out);
	c->magic = 0;
	free(c);
	errno = errsv;
}
