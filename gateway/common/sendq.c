/*
 * sendq.c: the ring of unacknowledged lines (see sendq.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sendq.h"

struct sendq {
	struct sendq_ent	*ents;
	size_t			 slots;		/* of ents: cap, or more */
	size_t			 cap;		/* lines taken by sendq_push */
	size_t			 head;		/* index of the oldest line */
	size_t			 n;		/* lines held */
	size_t			 sent;		/* lines from head that are sent */
	size_t			 bytes;		/* of the lines held */
	size_t			 max_bytes;	/* 0: no byte cap */
	uint64_t		 next_seq;	/* for the next unnumbered line */
	void			(*on_number)(uint64_t seq, void *arg);
	void			*arg;
};

/* The entry ${i} places after the oldest. */
static struct sendq_ent *
sendq_at(const struct sendq *q, size_t i)
{
	return &q->ents[(q->head + i) % q->slots];
}

/** sendq_new(cap): an empty queue of at most ${cap} lines, or NULL. */
struct sendq *
sendq_new(size_t cap)
{
	struct sendq *q;

	if (cap == 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto err0;
	if ((q->ents = calloc(cap, sizeof(*q->ents))) == NULL)
		goto err1;
	q->slots = cap;
	q->cap = cap;
	q->next_seq = 1;
	return q;

err1:
	free(q);
err0:
	return NULL;
}

/**
 * sendq_set_bytes(q, max): hold at most ${max} bytes of lines (0: no byte
 * cap, the default).  A line larger than ${max} is still taken into an
 * empty queue, so that no line is refused for ever.
 */
void
sendq_set_bytes(struct sendq *q, size_t max)
{
	q->max_bytes = max;
}

/** sendq_bytes(q): bytes of the lines held. */
size_t
sendq_bytes(const struct sendq *q)
{
	return q->bytes;
}

/**
 * sendq_room(q, len): 1 if a line of ${len} bytes would be taken now
 * (under both caps), else 0.
 */
int
sendq_room(const struct sendq *q, size_t len)
{
	if (q->n >= q->cap)
		return 0;
	if (q->max_bytes == 0 || q->n == 0)
		return 1;
	return q->bytes < q->max_bytes && len <= q->max_bytes - q->bytes;
}

/** sendq_free(q): free ${q} and its lines; sendq_free(NULL) is a no-op. */
void
sendq_free(struct sendq *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(sendq_at(q, i)->body);
	free(q->ents);
	free(q);
}

/*
 * Make room in the ring of ${q} for one more line (it holds q->slots):
 * twice as many slots, the lines moved to the start.  0 or -1 (ENOMEM).
 */
static int
sendq_grow(struct sendq *q)
{
	struct sendq_ent *ents;
	size_t slots;

	if (q->n < q->slots)
		return 0;
	if (q->slots > SIZE_MAX / 2 / sizeof(*ents)) {
		errno = ENOMEM;
		return -1;
	}
	slots = q->slots * 2;
	if ((ents = calloc(slots, sizeof(*ents))) == NULL)
		return -1;
	for (size_t i = 0; i < q->n; i++)
		ents[i] = *sendq_at(q, i);
	free(q->ents);
	q->ents = ents;
	q->slots = slots;
	q->head = 0;
	return 0;
}

/* Append a copy of the ${len} bytes of ${body}, caps or not.  0 or -1. */
static int
sendq_append(struct sendq *q, const char *body, size_t len)
{
	struct sendq_ent *e;
	char *copy;

	if (sendq_grow(q) != 0)
		return -1;
	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, body, len);
	e = sendq_at(q, q->n);
	e->seq = 0;
	e->len = len;
	e->body = copy;
	q->n++;
	q->bytes += len;
	return 0;
}

/**
 * sendq_push(q, body, len): append a copy of the ${len} bytes of ${body}.
 * Return 0, or -1 if ${q} is full (either cap: sendq_room) or memory ran
 * out (errno ENOBUFS/ENOMEM).
 */
int
sendq_push(struct sendq *q, const char *body, size_t len)
{
	if (!sendq_room(q, len)) {
		errno = ENOBUFS;
		return -1;
	}
	return sendq_append(q, body, len);
}

/**
 * sendq_push_over(q, body, len): append a copy of the ${len} bytes of
 * ${body} whatever the caps (a journal replay: what it holds was taken
 * under earlier caps and is never refused); the queue grows past them,
 * and sendq_push takes nothing until acknowledgements bring it back under
 * them.  Return 0, or -1 if memory ran out.
 */
int
sendq_push_over(struct sendq *q, const char *body, size_t len)
{
	return sendq_append(q, body, len);
}

/** sendq_over(q): 1 if ${q} holds more than either cap allows, else 0. */
int
sendq_over(const struct sendq *q)
{
	return q->n > q->cap || (q->max_bytes != 0 && q->n > 1 &&
	    q->bytes > q->max_bytes);
}

/** sendq_len(q): lines in ${q} (sent or not, not yet acknowledged). */
size_t
sendq_len(const struct sendq *q)
{
	return q->n;
}

/**
 * sendq_full(q): 1 if ${q} holds its capacity of lines, or (byte cap) is
 * not empty and holds its bytes, else 0.
 */
int
sendq_full(const struct sendq *q)
{
	return q->n >= q->cap ||
	    (q->max_bytes != 0 && q->n > 0 && q->bytes >= q->max_bytes);
}

/** sendq_unsent(q): lines after the sent cursor. */
size_t
sendq_unsent(const struct sendq *q)
{
	return q->n - q->sent;
}

/**
 * sendq_next(q): the first line after the sent cursor, with its sequence
 * number assigned if it had none, or NULL if every line is sent.  The
 * cursor does not move: call sendq_advance() once the line is sent.
 */
const struct sendq_ent *
sendq_next(struct sendq *q)
{
	struct sendq_ent *e;

	if (q->sent == q->n)
		return NULL;
	e = sendq_at(q, q->sent);
	if (e->seq == 0) {
		e->seq = q->next_seq++;
		if (q->on_number != NULL)
			q->on_number(e->seq, q->arg);
	}
	return e;
}

/**
 * sendq_number(q, n): give sequence numbers now to the next ${n} unsent
 * lines that have none (so that they can be made durable before they are
 * sent).  Return how many were numbered.
 */
size_t
sendq_number(struct sendq *q, size_t n)
{
	size_t done = 0;

	for (size_t i = q->sent; i < q->n && done < n; i++) {
		struct sendq_ent *e = sendq_at(q, i);

		if (e->seq != 0)
			continue;
		e->seq = q->next_seq++;
		if (q->on_number != NULL)
			q->on_number(e->seq, q->arg);
		done++;
	}
	return done;
}

/**
 * sendq_set_seq(q, seq): number the oldest unnumbered line ${seq} (a
 * journal replay).  Return 0, or -1 if there is none or ${seq} is below
 * the numbering so far.
 */
int
sendq_set_seq(struct sendq *q, uint64_t seq)
{
	for (size_t i = 0; i < q->n; i++) {
		struct sendq_ent *e = sendq_at(q, i);

		if (e->seq != 0)
			continue;
		if (seq == 0 || seq < q->next_seq)
			return -1;
		e->seq = seq;
		q->next_seq = seq + 1;
		return 0;
	}
	return -1;
}

/**
 * sendq_on_number(q, fn, arg): call ${fn}(seq, ${arg}) whenever a line is
 * given its sequence number.
 */
void
sendq_on_number(struct sendq *q, void (*fn)(uint64_t seq, void *arg),
    void *arg)
{
	q->on_number = fn;
	q->arg = arg;
}

/** sendq_get(q, i): the ${i}-th line from the oldest, or NULL. */
const struct sendq_ent *
sendq_get(const struct sendq *q, size_t i)
{
	return i < q->n ? sendq_at(q, i) : NULL;
}

/** sendq_advance(q): move the sent cursor past the line of sendq_next(). */
void
sendq_advance(struct sendq *q)
{
	if (q->sent < q->n)
		q->sent++;
}

/**
 * sendq_ack(q, seq): drop every line from the oldest whose sequence number
 * is assigned and <= ${seq} (a cumulative ACK).  Return the number dropped.
 */
size_t
sendq_ack(struct sendq *q, uint64_t seq)
{
	struct sendq_ent *e;
	size_t dropped = 0;

	while (q->n > 0) {
		e = sendq_at(q, 0);
		if (e->seq == 0 || e->seq > seq)
			break;
		q->bytes -= e->len;
		free(e->body);
		e->body = NULL;
		e->seq = 0;
		q->head = (q->head + 1) % q->slots;
		q->n--;
		if (q->sent > 0)
			q->sent--;
		dropped++;
	}
	return dropped;
}

/**
 * sendq_hello(q, last_seq): a new session said ${last_seq} is durable: drop
 * what it covers (as sendq_ack) and number new lines from at least
 * ${last_seq} + 1.  Return the number dropped.
 */
size_t
sendq_hello(struct sendq *q, uint64_t last_seq)
{
	size_t dropped;

	dropped = sendq_ack(q, last_seq);
	if (last_seq != UINT64_MAX && q->next_seq < last_seq + 1)
		q->next_seq = last_seq + 1;
	return dropped;
}

/**
 * sendq_foreign(q, last_seq): 1 if a HELLO_ACK's ${last_seq} cannot be
 * ours: it is above every number ${q} has given out or taken from an
 * earlier HELLO_ACK (once it has any), or it leaves no number to go on
 * with (UINT64_MAX).  Someone else wrote under this identity; sendq_hello
 * would drop lines the store never had.  Else 0.
 */
int
sendq_foreign(const struct sendq *q, uint64_t last_seq)
{
	/*
	 * next_seq 1: no numbering yet (a first start, or a restart whose
	 * journal holds no numbered line): the store's is taken as ours.
	 */
	return last_seq == UINT64_MAX ||
	    (q->next_seq > 1 && last_seq >= q->next_seq);
}

/** sendq_rewind(q): the connection is gone: nothing counts as sent. */
void
sendq_rewind(struct sendq *q)
{
	q->sent = 0;
}

/** sendq_next_seq(q): the sequence number the next new line will get. */
uint64_t
sendq_next_seq(const struct sendq *q)
{
	return q->next_seq;
}
