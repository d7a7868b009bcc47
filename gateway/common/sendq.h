/*
 * sendq.h: a client session's send queue (client_session.h; gw-agent's
 * lines, gw-loadgen's events): the lines not yet acknowledged, a
 * fixed-capacity ring in input order.  From the oldest: lines sent and
 * waiting for their ACK, then lines not sent on the current connection
 * (the "sent" cursor separates them).  Sequence numbers are assigned lazily, when a line is
 * first handed out for sending, so that a HELLO_ACK's last_seq can still
 * raise the numbering of lines read before it arrived.  Once assigned, a
 * line keeps its sequence number across reconnects.  Two caps bound it:
 * lines, and (optionally) the bytes of the lines held; a journal replay
 * may take more than they allow (sendq_push_over), and then nothing new
 * is pushed until acknowledgements bring the queue back under them.
 */
#ifndef GW_SENDQ_H
#define GW_SENDQ_H

#include <stddef.h>
#include <stdint.h>

struct sendq;

/* One queued line; seq is 0 until the line is first handed out. */
struct sendq_ent {
	uint64_t	 seq;
	size_t		 len;
	char		*body;
};

/** sendq_new(cap): an empty queue of at most ${cap} lines, or NULL. */
struct sendq *sendq_new(size_t cap);

/**
 * sendq_set_bytes(q, max): hold at most ${max} bytes of lines (0: no byte
 * cap, the default).  A line larger than ${max} is still taken into an
 * empty queue, so that no line is refused for ever.
 */
void sendq_set_bytes(struct sendq *q, size_t max);

/** sendq_bytes(q): bytes of the lines held. */
size_t sendq_bytes(const struct sendq *q);

/**
 * sendq_room(q, len): 1 if a line of ${len} bytes would be taken now
 * (under both caps), else 0.
 */
int sendq_room(const struct sendq *q, size_t len);

/** sendq_free(q): free ${q} and its lines; sendq_free(NULL) is a no-op. */
void sendq_free(struct sendq *q);

/**
 * sendq_push(q, body, len): append a copy of the ${len} bytes of ${body}.
 * Return 0, or -1 if ${q} is full (either cap: sendq_room) or memory ran
 * out (errno ENOBUFS/ENOMEM).
 */
int sendq_push(struct sendq *q, const char *body, size_t len);

/**
 * sendq_push_over(q, body, len): append a copy of the ${len} bytes of
 * ${body} whatever the caps (a journal replay: what it holds was taken
 * under earlier caps and is never refused); the queue grows past them,
 * and sendq_push takes nothing until acknowledgements bring it back under
 * them.  Return 0, or -1 if memory ran out.
 */
int sendq_push_over(struct sendq *q, const char *body, size_t len);

/** sendq_over(q): 1 if ${q} holds more than either cap allows, else 0. */
int sendq_over(const struct sendq *q);

/** sendq_len(q): lines in ${q} (sent or not, not yet acknowledged). */
size_t sendq_len(const struct sendq *q);

/**
 * sendq_full(q): 1 if ${q} holds its capacity of lines, or (byte cap) is
 * not empty and holds its bytes, else 0.
 */
int sendq_full(const struct sendq *q);

/** sendq_unsent(q): lines after the sent cursor. */
size_t sendq_unsent(const struct sendq *q);

/**
 * sendq_next(q): the first line after the sent cursor, with its sequence
 * number assigned if it had none, or NULL if every line is sent.  The
 * cursor does not move: call sendq_advance() once the line is sent.
 */
const struct sendq_ent *sendq_next(struct sendq *q);

/**
 * sendq_number(q, n): give sequence numbers now to the next ${n} unsent
 * lines that have none (so that they can be made durable before they are
 * sent).  Return how many were numbered.
 */
size_t sendq_number(struct sendq *q, size_t n);

/**
 * sendq_set_seq(q, seq): number the oldest unnumbered line ${seq} (a
 * journal replay).  Return 0, or -1 if there is none or ${seq} is below
 * the numbering so far.
 */
int sendq_set_seq(struct sendq *q, uint64_t seq);

/**
 * sendq_on_number(q, fn, arg): call ${fn}(seq, ${arg}) whenever a line is
 * given its sequence number.
 */
void sendq_on_number(struct sendq *q, void (*fn)(uint64_t seq, void *arg),
    void *arg);

/** sendq_get(q, i): the ${i}-th line from the oldest, or NULL. */
const struct sendq_ent *sendq_get(const struct sendq *q, size_t i);

/** sendq_advance(q): move the sent cursor past the line of sendq_next(). */
void sendq_advance(struct sendq *q);

/**
 * sendq_ack(q, seq): drop every line from the oldest whose sequence number
 * is assigned and <= ${seq} (a cumulative ACK).  Return the number dropped.
 */
size_t sendq_ack(struct sendq *q, uint64_t seq);

/**
 * sendq_hello(q, last_seq): a new session said ${last_seq} is durable: drop
 * what it covers (as sendq_ack) and number new lines from at least
 * ${last_seq} + 1.  Return the number dropped.  Ask sendq_foreign() first.
 */
size_t sendq_hello(struct sendq *q, uint64_t last_seq);

/**
 * sendq_foreign(q, last_seq): 1 if a HELLO_ACK's ${last_seq} cannot be
 * ours: it is above every number ${q} has given out or taken from an
 * earlier HELLO_ACK (once it has any), or it leaves no number to go on
 * with (UINT64_MAX).  Someone else wrote under this identity; sendq_hello
 * would drop lines the store never had.  Else 0.
 */
int sendq_foreign(const struct sendq *q, uint64_t last_seq);

/** sendq_rewind(q): the connection is gone: nothing counts as sent. */
void sendq_rewind(struct sendq *q);

/** sendq_next_seq(q): the sequence number the next new line will get. */
uint64_t sendq_next_seq(const struct sendq *q);

#endif /* GW_SENDQ_H */
