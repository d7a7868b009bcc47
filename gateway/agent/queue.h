/*
 * queue.h: gw-agent's queue of lines not yet acknowledged, a fixed-capacity
 * ring in input order.  From the oldest: lines sent and waiting for their
 * ACK, then lines not sent on the current connection (the "sent" cursor
 * separates them).  Sequence numbers are assigned lazily, when a line is
 * first handed out for sending, so that a HELLO_ACK's last_seq can still
 * raise the numbering of lines read before it arrived.  Once assigned, a
 * line keeps its sequence number across reconnects.
 */
#ifndef GW_AGENT_QUEUE_H
#define GW_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/* One queued line; seq is 0 until the line is first handed out. */
struct queue_ent {
	uint64_t	 seq;
	size_t		 len;
	char		*body;
};

/** queue_new(cap): an empty queue of at most ${cap} lines, or NULL. */
struct queue *queue_new(size_t cap);

/** queue_free(q): free ${q} and its lines; queue_free(NULL) is a no-op. */
void queue_free(struct queue *q);

/**
 * queue_push(q, body, len): append a copy of the ${len} bytes of ${body}.
 * Return 0, or -1 if ${q} is full or memory ran out (errno ENOBUFS/ENOMEM).
 */
int queue_push(struct queue *q, const char *body, size_t len);

/** queue_len(q): lines in ${q} (sent or not, not yet acknowledged). */
size_t queue_len(const struct queue *q);

/** queue_full(q): 1 if ${q} holds its capacity, else 0. */
int queue_full(const struct queue *q);

/** queue_unsent(q): lines after the sent cursor. */
size_t queue_unsent(const struct queue *q);

/**
 * queue_next(q): the first line after the sent cursor, with its sequence
 * number assigned if it had none, or NULL if every line is sent.  The
 * cursor does not move: call queue_advance() once the line is sent.
 */
const struct queue_ent *queue_next(struct queue *q);

/**
 * queue_number(q, n): give sequence numbers now to the next ${n} unsent
 * lines that have none (so that they can be made durable before they are
 * sent).  Return how many were numbered.
 */
size_t queue_number(struct queue *q, size_t n);

/**
 * queue_set_seq(q, seq): number the oldest unnumbered line ${seq} (a
 * journal replay).  Return 0, or -1 if there is none or ${seq} is below
 * the numbering so far.
 */
int queue_set_seq(struct queue *q, uint64_t seq);

/**
 * queue_on_number(q, fn, arg): call ${fn}(seq, ${arg}) whenever a line is
 * given its sequence number.
 */
void queue_on_number(struct queue *q, void (*fn)(uint64_t seq, void *arg),
    void *arg);

/** queue_get(q, i): the ${i}-th line from the oldest, or NULL. */
const struct queue_ent *queue_get(const struct queue *q, size_t i);

/** queue_advance(q): move the sent cursor past the line of queue_next(). */
void queue_advance(struct queue *q);

/**
 * queue_ack(q, seq): drop every line from the oldest whose sequence number
 * is assigned and <= ${seq} (a cumulative ACK).  Return the number dropped.
 */
size_t queue_ack(struct queue *q, uint64_t seq);

/**
 * queue_hello(q, last_seq): a new session said ${last_seq} is durable: drop
 * what it covers (as queue_ack) and number new lines from at least
 * ${last_seq} + 1.  Return the number dropped.  Ask queue_foreign() first.
 */
size_t queue_hello(struct queue *q, uint64_t last_seq);

/**
 * queue_foreign(q, last_seq): 1 if a HELLO_ACK's ${last_seq} cannot be
 * ours: it is above every number ${q} has given out or taken from an
 * earlier HELLO_ACK (once it has any), or it leaves no number to go on
 * with (UINT64_MAX).  Someone else wrote under this identity; queue_hello
 * would drop lines the store never had.  Else 0.
 */
int queue_foreign(const struct queue *q, uint64_t last_seq);

/** queue_rewind(q): the connection is gone: nothing counts as sent. */
void queue_rewind(struct queue *q);

/** queue_next_seq(q): the sequence number the next new line will get. */
uint64_t queue_next_seq(const struct queue *q);

#endif /* GW_AGENT_QUEUE_H */
