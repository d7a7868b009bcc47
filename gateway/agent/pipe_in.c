/*
 * pipe_in.c: gw-agent's command-line mode (see pipe_in.h): lines from the
 * file or stdin into the queue, at --rate, until EOF and the last
 * acknowledgement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ev.h>

#include "agent_core.h"
#include "client_session.h"
#include "journal.h"
#include "log.h"
#include "pipe_in.h"
#include "sendq.h"

#define AGENT_MAX_LINE		(65536 - 8)	/* DATA body limit */
#define AGENT_INBUF		(2 * 65536)
#define AGENT_INPUT_MAGIC	0x41674970u	/* "AgIp" */

/* The input side: lines from the file into the queue, at --rate. */
struct agent_input {
	unsigned		 magic;		/* AGENT_INPUT_MAGIC */
	struct agent_core	 core;		/* queue, journal, session */
	struct ev_loop		*loop;
	int			 fd;
	int			 regular;	/* regular file: ev_idle */
	int			 rd_eof;	/* read() returned 0 */
	int			 eof;		/* every line is queued */
	ev_io			 io;
	ev_idle			 idle;
	char			*buf;
	size_t			 used;
	uint64_t		 lines;		/* lines read */
	uint64_t		 offset;	/* input bytes queued as lines */
	double			 rate;		/* --rate lines/s, 0: no limit */
	double			 allowance;	/* lines that may be read now */
	ev_timer		 rate_timer;
	ev_timer		 timeout;	/* --timeout */
	char			 err[300];
};

/* The input behind a callback's ${arg}; anything else aborts. */
static struct agent_input *
agent_input_arg(void *arg)
{
	struct agent_input *in = arg;

	if (in == NULL || in->magic != AGENT_INPUT_MAGIC)
		abort();
	return in;
}

static void
agent_input_start(struct agent_input *in)
{
	if (in->eof)
		return;
	if (in->regular)
		ev_idle_start(in->loop, &in->idle);
	else
		ev_io_start(in->loop, &in->io);
}

static void
agent_input_stop(struct agent_input *in)
{
	ev_idle_stop(in->loop, &in->idle);
	ev_io_stop(in->loop, &in->io);
}

/* Push one line (without its end of line). 0, 1 queue full, -1 error. */
static int
agent_input_line(struct agent_input *in, const char *p, size_t len)
{
	struct agent_core *a = &in->core;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > AGENT_MAX_LINE) {
		snprintf(in->err, sizeof(in->err),
		    "gw-agent: line %llu too long", (unsigned long long)
		    in->lines + 1);
		return -1;
	}
	if (!sendq_room(a->q, len) || (in->rate > 0 && in->allowance < 1))
		return 1;
	if (sendq_push(a->q, p, len) != 0) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    strerror(errno));
		return -1;
	}
	if (a->journal != NULL && journal_line(a->journal, p, len) != 0) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    journal_error(a->journal));
		return -1;
	}
	in->lines++;
	in->allowance--;
	return 0;
}

/*
 * Queue the complete lines of the buffer (and the last partial one at
 * EOF).  Return 0 if all went, 1 if the queue is full, -1 on error.
 */
static int
agent_input_drain(struct agent_input *in, int at_eof)
{
	struct journal *j = in->core.journal;
	size_t off = 0, len;
	char *nl;
	int rc = 0;

	while (off < in->used) {
		nl = memchr(in->buf + off, '\n', in->used - off);
		if (nl == NULL) {
			len = in->used - off;
			if (len > AGENT_MAX_LINE + 1) {
				snprintf(in->err, sizeof(in->err),
				    "gw-agent: line %llu too long",
				    (unsigned long long)in->lines + 1);
				return -1;
			}
			if (!at_eof)
				break;
			if ((rc = agent_input_line(in, in->buf + off, len))
			    != 0)
				break;
			off = in->used;
			break;
		}
		len = (size_t)(nl - (in->buf + off));
		if ((rc = agent_input_line(in, in->buf + off, len)) != 0)
			break;
		off += len + 1;
	}
	in->offset += off;
	memmove(in->buf, in->buf + off, in->used - off);
	in->used -= off;
	/* The lines and where the input stands, durable before we go on. */
	if (rc >= 0 && off > 0 && j != NULL &&
	    (journal_offset(j, in->offset) != 0 || journal_commit(j) != 0)) {
		snprintf(in->err, sizeof(in->err), "gw-agent: %s",
		    journal_error(j));
		return -1;
	}
	return rc;
}

static void
agent_input_fail(struct agent_input *in)
{
	agent_input_stop(in);
	client_session_fail(in->core.sess, CLIENT_ST_FAIL, in->err);
}

/*
 * Queue the buffered lines and send what credit allows; then read more,
 * stop on a full queue (backpressure), or finish the input at EOF.
 */
static void
agent_input_pump(struct agent_input *in)
{
	int rc;

	rc = agent_input_drain(in, in->rd_eof);
	client_session_kick(in->core.sess);
	if (rc < 0) {
		agent_input_fail(in);
	} else if (rc > 0) {
		agent_input_stop(in);
	} else if (in->rd_eof) {
		in->eof = 1;
		agent_input_stop(in);
		log_info("event=input_eof lines=%llu",
		    (unsigned long long)in->lines);
		client_session_eof(in->core.sess);
	} else
		agent_input_start(in);
}

/* Read once, then pump. */
static void
agent_input_read(struct agent_input *in)
{
	ssize_t n;

	n = read(in->fd, in->buf + in->used, AGENT_INBUF - in->used);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		snprintf(in->err, sizeof(in->err), "gw-agent: read: %s",
		    strerror(errno));
		agent_input_fail(in);
		return;
	}
	if (n == 0)
		in->rd_eof = 1;
	in->used += (size_t)n;
	agent_input_pump(in);
}

static void
agent_input_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	agent_input_read(agent_input_arg(w->data));
}

static void
agent_input_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	(void)loop;
	(void)revents;
	agent_input_read(agent_input_arg(w->data));
}

#define RATE_TICK	0.05	/* seconds */

/* --rate: a token bucket refilled every tick, a burst of two ticks. */
static void
agent_input_rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_input *in = agent_input_arg(w->data);
	double burst = in->rate * RATE_TICK * 2;

	(void)loop;
	(void)revents;
	in->allowance += in->rate * RATE_TICK;
	if (in->allowance > (burst > 1 ? burst : 1))
		in->allowance = burst > 1 ? burst : 1;
	if (!in->eof && in->allowance >= 1 && !sendq_full(in->core.q))
		agent_input_pump(in);
}

/* Acknowledgements up to ${seq} freed queue space: record, read again. */
static void
agent_input_on_acked(uint64_t seq, void *arg)
{
	struct agent_input *in = agent_input_arg(arg);
	struct agent_core *a = &in->core;

	/* Not recorded: the lines are resent, the store deduplicates. */
	if (a->journal != NULL && journal_ack(a->journal, a->q, seq,
	    in->offset) != 0)
		log_warnx("event=state_write_failed detail=\"%s\"",
		    journal_error(a->journal));
	if (!in->eof && !sendq_full(a->q))
		agent_input_pump(in);
}

/* A command failure stops the agent: read no more. */
static void
agent_input_on_fatal(void *arg)
{
	agent_input_stop(agent_input_arg(arg));
}

/* --timeout: stop, with how many lines are not acknowledged. */
static void
agent_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent_input *in = agent_input_arg(w->data);
	uint64_t acked = client_session_acked(in->core.sess);
	char msg[128];

	(void)loop;
	(void)revents;
	snprintf(msg, sizeof(msg), "gw-agent: %llu of %llu lines not "
	    "acknowledged", (unsigned long long)(in->lines - acked),
	    (unsigned long long)in->lines);
	agent_input_stop(in);
	client_session_fail(in->core.sess, CLIENT_ST_FAIL, msg);
}

/* Open the input (${file}, or stdin), non-blocking unless a regular file. */
static int
agent_open_input(struct agent_input *in, const char *file)
{
	struct stat st;

	if (file != NULL && (in->fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", file, strerror(errno));
		return -1;
	}
	if (fstat(in->fd, &st) != 0) {
		fprintf(stderr, "gw-agent: fstat: %s\n", strerror(errno));
		return -1;
	}
	in->regular = S_ISREG(st.st_mode);
	if (!in->regular && fcntl(in->fd, F_SETFL,
	    fcntl(in->fd, F_GETFL) | O_NONBLOCK) != 0) {
		fprintf(stderr, "gw-agent: fcntl: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* The core, then the file resumes where the journal says. */
static int
agent_input_build(struct agent_input *in, const struct agent_opts *o,
    void (*usage)(const char *why))
{
	char err[256];
	int rc;

	if ((in->buf = malloc(AGENT_INBUF)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return -1;
	}
	if ((rc = agent_core_build(&in->core, o, err, sizeof(err))) ==
	    AGENT_CORE_USAGE)
		usage(err);
	if (rc != 0)
		return -1;
	in->loop = in->core.loop;
	in->offset = in->core.offset;
	if (in->core.journal != NULL && in->regular &&
	    lseek(in->fd, (off_t)in->offset, SEEK_SET) < 0) {
		fprintf(stderr, "gw-agent: %s: %s\n", o->file, strerror(errno));
		return -1;
	}
	return 0;
}

/* Read, send and wait until the session finishes: the exit status. */
static int
agent_input_run(struct agent_input *in, const struct agent_opts *o)
{
	struct ev_loop *loop = in->loop;

	ev_io_init(&in->io, agent_input_io_cb, in->fd, EV_READ);
	in->io.data = in;
	ev_idle_init(&in->idle, agent_input_idle_cb);
	in->idle.data = in;
	ev_timer_init(&in->timeout, agent_timeout_cb, o->timeout, 0.);
	in->timeout.data = in;
	if (o->timeout > 0)
		ev_timer_start(loop, &in->timeout);
	ev_timer_init(&in->rate_timer, agent_input_rate_cb, RATE_TICK,
	    RATE_TICK);
	in->rate_timer.data = in;
	if (in->rate > 0)
		ev_timer_start(loop, &in->rate_timer);
	agent_input_start(in);
	client_session_start(in->core.sess);
	ev_run(loop, 0);
	ev_timer_stop(loop, &in->timeout);
	ev_timer_stop(loop, &in->rate_timer);
	agent_input_stop(in);
	return agent_core_exit_status(&in->core);
}

/**
 * pipe_in_main(o): run the command-line mode with ${o}: gw-agent's exit
 * status (0 done, 1 failure or timeout, 2 usage, 3 refused).  A usage
 * error calls ${usage}(why), which does not return.
 */
int
pipe_in_main(const struct agent_opts *o, void (*usage)(const char *why))
{
	struct agent_input *in;
	int rc = 1;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return 1;
	}
	in->magic = AGENT_INPUT_MAGIC;
	agent_core_init(&in->core, agent_input_on_acked, agent_input_on_fatal,
	    in);
	in->fd = STDIN_FILENO;
	in->rate = o->rate;
	if (agent_open_input(in, o->file) == 0 &&
	    agent_input_build(in, o, usage) == 0)
		rc = agent_input_run(in, o);
	agent_core_free(&in->core);
	free(in->buf);
	if (in->fd >= 0 && in->fd != STDIN_FILENO)
		close(in->fd);
	free(in);
	return rc;
}
