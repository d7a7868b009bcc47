/*
 * opipe.c: one end of an owner pipe (opipe.h): nonblocking packets in and
 * out, the ones that find the socket full kept in order until it drains.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "opipe.h"
#include "owners_msg.h"

struct opkt {
	struct opkt	*next;
	size_t		 len;
	uint8_t		 b[OWN_MSG_MAX];
};

/* Read while the queue to the peer is short; stop reading otherwise. */
static void
opipe_want_read(struct opipe *p)
{
	if (p->fd < 0 || p->dead)
		return;
	if (p->queued > OPIPE_PAUSE && !p->never_pause)
		ev_io_stop(p->loop, &p->rd);
	else
		ev_io_start(p->loop, &p->rd);
}

/* The end is dead: stop, tell the owner once. */
static void
opipe_dead(struct opipe *p)
{
	p->dead = 1;
	ev_io_stop(p->loop, &p->rd);
	ev_io_stop(p->loop, &p->wr);
	if (p->on_eof != NULL) {
		opipe_eof_fn *fn = p->on_eof;

		p->on_eof = NULL;
		fn(p->arg);
	}
}

/* Send what is queued, in order, while the socket takes it. */
static void
opipe_flush(struct opipe *p)
{
	struct opkt *k;

	while ((k = p->head) != NULL) {
		if (send(p->fd, k->b, k->len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ENOBUFS) {
				ev_io_start(p->loop, &p->wr);
				return;
			}
			log_warnx("event=handover_pipe_error op=send error=%s",
			    strerror(errno));
			opipe_dead(p);
			return;
		}
		if ((p->head = k->next) == NULL)
			p->tail = &p->head;
		p->queued--;
		free(k);
	}
	ev_io_stop(p->loop, &p->wr);
	opipe_want_read(p);
}

static void
opipe_on_write(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	opipe_flush(w->data);
}

/*
 * recv gave 0: the peer closed its end, or sent an empty packet (a
 * malformed message, which closes nothing).  1 if closed.
 */
static int
opipe_hup(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void
opipe_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct opipe *p = w->data;
	uint8_t b[OWN_MSG_MAX + 1];
	ssize_t n;

	(void)loop;
	(void)revents;
	for (int i = 0; (i < OPIPE_BATCH || p->never_pause) && p->fd >= 0 &&
	    !p->dead && (p->queued <= OPIPE_PAUSE || p->never_pause); i++) {
		n = recv(p->fd, b, sizeof(b), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (n < 0 || (n == 0 && opipe_hup(p->fd))) {
			if (n < 0)
				log_warnx("event=handover_pipe_error op=recv "
				    "error=%s", strerror(errno));
			opipe_dead(p);
			return;
		}
		p->on_msg(p->arg, b, (size_t)n);
	}
	opipe_want_read(p);
}

/**
 * opipe_never_pause(p): ${p} reads whatever it has queued to send (the
 * worker's end; opipe.h).
 */
void
opipe_never_pause(struct opipe *p)
{
	p->never_pause = 1;
	opipe_want_read(p);
}

/**
 * opipe_init(p, loop, fd, on_msg, on_eof, arg): ${p} reads and writes
 * ${fd} (a SOCK_SEQPACKET socket; ${p} closes it) on ${loop}, telling
 * ${arg} through the callbacks.
 */
void
opipe_init(struct opipe *p, struct ev_loop *loop, int fd,
    opipe_msg_fn *on_msg, opipe_eof_fn *on_eof, void *arg)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->loop = loop;
	p->tail = &p->head;
	p->on_msg = on_msg;
	p->on_eof = on_eof;
	p->arg = arg;
	ev_io_init(&p->rd, opipe_on_read, fd, EV_READ);
	ev_io_init(&p->wr, opipe_on_write, fd, EV_WRITE);
	p->rd.data = p->wr.data = p;
	ev_io_start(loop, &p->rd);
}

/**
 * opipe_send(p, type, key): send message ${type} of ${key} now, or queue
 * it.  0, or -1 (${key} malformed, or no memory to queue it: counted in
 * lost, logged).
 */
int
opipe_send(struct opipe *p, unsigned type, const char *key)
{
	struct opkt *k;

	if (p->fd < 0 || p->dead)
		return -1;
	if ((k = malloc(sizeof(*k))) == NULL) {
		p->lost++;
		log_warnx("event=handover_pipe_error op=queue error=ENOMEM "
		    "lost=%llu", (unsigned long long)p->lost);
		return -1;
	}
	if ((k->len = own_msg_encode(k->b, type, key)) == 0) {
		free(k);
		return -1;
	}
	k->next = NULL;
	*p->tail = k;
	p->tail = &k->next;
	p->queued++;
	if (p->head == k)
		opipe_flush(p);
	else
		opipe_want_read(p);
	return 0;
}

/** opipe_open(p): 1 if ${p} has its socket (opipe_init, no close yet). */
int
opipe_open(const struct opipe *p)
{
	return p->fd >= 0;
}

/** opipe_none(p): ${p} has no socket yet (opipe_close is a no-op). */
void
opipe_none(struct opipe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->tail = &p->head;
}

/** opipe_close(p): stop, close the socket, drop the queue; idempotent. */
void
opipe_close(struct opipe *p)
{
	struct opkt *k;

	if (p->fd < 0)
		return;
	ev_io_stop(p->loop, &p->rd);
	ev_io_stop(p->loop, &p->wr);
	close(p->fd);
	p->fd = -1;
	while ((k = p->head) != NULL) {
		p->head = k->next;
		free(k);
	}
	p->tail = &p->head;
	p->queued = 0;
}
