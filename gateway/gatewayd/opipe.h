/*
 * opipe.h: one end of an owner pipe (owners_msg.h), the I/O both the
 * parent (owners.c, one per worker) and a worker (handover.c) do on it:
 * packets read and handed to a callback as bytes (the caller decodes and
 * checks them), messages sent or queued while the socket is full.  The
 * queue is bounded by the reader: while more than OPIPE_PAUSE messages
 * wait to go out, nothing more is read from the peer (each message read
 * makes at most a bounded number to send), so a peer that does not read
 * cannot make its end grow without bound.  Only the parent's end pauses
 * (never_pause on the worker's: were both to, a worker claiming faster
 * than the parent answers would stop both for good); the worker bounds
 * its own queue by claiming no more while it is long (handover_claim).
 */
#ifndef GW_OPIPE_H
#define GW_OPIPE_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#define OPIPE_PAUSE	4096	/* queued messages that stop reading */
#define OPIPE_BATCH	64	/* packets read per event */

struct opkt;

/* A packet of ${len} bytes read (at most OWN_MSG_MAX + 1: longer is cut). */
typedef void opipe_msg_fn(void *arg, const uint8_t *p, size_t len);
/* The peer closed its end, or the socket failed: nothing more is read. */
typedef void opipe_eof_fn(void *arg);

struct opipe {
	int			 fd;		/* -1: closed */
	int			 dead;		/* failed or EOF */
	struct ev_loop		*loop;
	ev_io			 rd, wr;
	struct opkt		*head, **tail;	/* queued to send */
	size_t			 queued;
	uint64_t		 lost;		/* not queued: no memory */
	int			 never_pause;	/* read all, whatever is queued
						   (the worker's end: each read
						   answers at most once, and
						   the parent's pause bounds
						   what it sends) */
	opipe_msg_fn		*on_msg;
	opipe_eof_fn		*on_eof;
	void			*arg;
};

/**
 * opipe_init(p, loop, fd, on_msg, on_eof, arg): ${p} reads and writes
 * ${fd} (a SOCK_SEQPACKET socket; ${p} closes it) on ${loop}, telling
 * ${arg} through the callbacks.
 */
void opipe_init(struct opipe *p, struct ev_loop *loop, int fd,
    opipe_msg_fn *on_msg, opipe_eof_fn *on_eof, void *arg);

/**
 * opipe_never_pause(p): ${p} reads whatever it has queued to send (the
 * worker's end; see the top).
 */
void opipe_never_pause(struct opipe *p);

/**
 * opipe_send(p, type, key): send message ${type} of ${key} now, or queue
 * it.  0, or -1 (${key} malformed, or no memory to queue it: counted in
 * lost, logged).
 */
int opipe_send(struct opipe *p, unsigned type, const char *key);

/** opipe_open(p): 1 if ${p} has its socket (opipe_init, no close yet). */
int opipe_open(const struct opipe *p);

/** opipe_none(p): ${p} has no socket yet (opipe_close is a no-op). */
void opipe_none(struct opipe *p);

/** opipe_close(p): stop, close the socket, drop the queue; idempotent. */
void opipe_close(struct opipe *p);

#endif /* GW_OPIPE_H */
