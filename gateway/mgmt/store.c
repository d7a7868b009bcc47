/*
 * store.c: the store interface (store.h) over its backends
 * (store_sqlite.c, store_pg.c, through store_backend.h); store_agents.c
 * (the agents) and store_cmd.c (the commands) share its object and the
 * store_q_* helpers here (store_impl.h).  This module
 * owns the transaction state, the rows put in it and the refused one; a
 * backend owns its connection and reports failures through its ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "store_impl.h"
#include "utf8.h"

/* The only writer of a store's state: idle and in a transaction, in turn. */
static void
store_set_state(struct store *s, enum store_state st)
{
	if (st == s->state)
		abort();
	s->state = st;
}

/**
 * store_fail(s): the backend failed: its reason becomes the store's.
 * Return -1.
 */
int
store_fail(struct store *s)
{
	snprintf(s->err, sizeof(s->err), "%s", s->ops->errmsg(s->b));
	return -1;
}

/**
 * store_q_err(s, fmt, ...): the store's reason becomes the message of
 * ${fmt}.  Return -1.
 */
int
store_q_err(struct store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * store_q_ready(s): 0 if no transaction is open (each call of
 * store_agents.h and store_cmd.h is its own transaction, never inside the
 * group commit's), else -1 with the reason.
 */
int
store_q_ready(struct store *s)
{
	if (s->state != STORE_IDLE)
		return store_q_err(s, "commands: a transaction is open");
	return 0;
}

/** store_q_text_ok(p): 1 if ${p} is not NULL and is UTF-8, else 0. */
int
store_q_text_ok(const char *p)
{
	return p != NULL && utf8_valid((const unsigned char *)p, strlen(p));
}

/**
 * store_q_run(s, q, in, nin, row, arg, changes): run statement ${q} of
 * store_backend.c (the backend's query op; ${changes} may be NULL); the
 * backend's failure becomes the store's.  Return the rows visited, or -1.
 */
long
store_q_run(struct store *s, enum store_q q, const struct store_val *in,
    unsigned nin, int (*row)(const struct store_val *, unsigned, void *),
    void *arg, int64_t *changes)
{
	int64_t ch = 0;
	long n;

	n = s->ops->query(s->b, q, in, nin, row, arg, changes ? changes : &ch);
	return n < 0 ? store_fail(s) : n;
}

/**
 * store_q_abort(s): roll back the transaction a call opened (BEGIN),
 * keeping the reason it failed.  Return -1.
 */
int
store_q_abort(struct store *s)
{
	char err[sizeof(s->err)];
	int64_t ch;

	snprintf(err, sizeof(err), "%s", s->err);
	(void)s->ops->query(s->b, STORE_Q_ROLLBACK, NULL, 0, NULL, NULL, &ch);
	snprintf(s->err, sizeof(s->err), "%s", err);
	return -1;
}

/** store_col_int(col, i): column ${i} of a row if an integer, else 0. */
int64_t
store_col_int(const struct store_val *col, unsigned i)
{
	return col[i].type == STORE_V_INT ? col[i].i : 0;
}

/** store_col_text(col, i): column ${i} of a row if text, else "". */
const char *
store_col_text(const struct store_val *col, unsigned i)
{
	return col[i].type == STORE_V_TEXT ? (const char *)col[i].p : "";
}

/**
 * store_open(c, readonly, err, errlen): open (and unless ${readonly}
 * create) the store of ${c}.  Return NULL with the reason in ${err}.
 */
struct store *
store_open(const struct store_conf *c, int readonly, char *err,
    size_t errlen)
{
	int pg = c->type == STORE_POSTGRESQL;
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory",
		    pg ? "postgresql" : c->path);
		return NULL;
	}
	s->ops = pg ? &store_pg_ops : &store_sqlite_ops;
	s->b = s->ops->open(pg ? c->conninfo : c->path, readonly, err,
	    errlen);
	if (s->b == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/** store_close(s): roll back an open transaction and close; NULL-safe. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_rollback(s);
	s->ops->close(s->b);
	free(s);
}

/* A name from a gateway's OPEN is printable bytes, not always UTF-8. */
static int
store_text_ok(const char *p)
{
	return utf8_valid((const unsigned char *)p, strlen(p));
}

/**
 * store_check(s, r): 0 if the store can take row ${r} (a seq in
 * 1..GW_SEQ_MAX, a payload of at most GW_PAYLOAD_HARD_MAX bytes, UTF-8
 * text), else -1 with the reason in store_errmsg().  store_put checks it.
 */
int
store_check(struct store *s, const struct store_row *r)
{
	const char *why = NULL;

	if (r->seq == 0 || r->seq > GW_SEQ_MAX)
		why = "seq out of range";
	else if (r->len > GW_PAYLOAD_HARD_MAX)
		why = "payload too long";
	else if (!store_text_ok(r->agent) || !store_text_ok(r->issuer) ||
	    !store_text_ok(r->gateway) || !store_text_ok(r->fingerprint))
		why = "name not UTF-8";
	if (why == NULL)
		return 0;
	snprintf(s->err, sizeof(s->err), "row (seq %llu): %s",
	    (unsigned long long)r->seq, why);
	return -1;
}

/**
 * store_put(s, r): add row ${r} to the transaction, opening one if none
 * is open.  Return 0, or -1 on error (the transaction must then be rolled
 * back; store_refused() tells whether ${r} or another row of the
 * transaction was refused, or the store failed).  Whether it was new or a
 * duplicate is known at commit.
 */
int
store_put(struct store *s, const struct store_row *r)
{
	int rc;

	if (s->state == STORE_IDLE)
		s->nput = 0;
	s->refused = -1;
	if (store_check(s, r) != 0) {
		s->refused = s->nput;
		return -1;
	}
	if (s->state == STORE_IDLE) {
		if (s->ops->begin(s->b) != 0)
			return store_fail(s);
		store_set_state(s, STORE_TXN);
	}
	if ((rc = s->ops->put(s->b, r)) != 0) {
		if (rc == STORE_EROW)
			s->refused = s->nput;
		return store_fail(s);
	}
	s->nput++;
	return 0;
}

/** store_in_txn(s): 1 while a transaction is open. */
int
store_in_txn(const struct store *s)
{
	return s->state == STORE_TXN;
}

/**
 * store_commit(s, stored, dups): commit the open transaction (durable)
 * and count its rows: new ones into ${stored}, ones already there into
 * ${dups}.  Return 0 or -1 (nothing of it is stored then; see
 * store_refused()).
 */
int
store_commit(struct store *s, uint64_t *stored, uint64_t *dups)
{
	long refused = -1;
	int rc;

	*stored = *dups = 0;
	s->refused = -1;
	if (s->state == STORE_IDLE)
		return 0;
	rc = s->ops->commit(s->b, stored, dups, &refused);
	if (rc == 0 || rc == STORE_EOVER)
		store_set_state(s, STORE_IDLE);
	if (rc == 0)
		return 0;
	s->refused = refused;
	return store_fail(s);
}

/** store_rollback(s): abandon the open transaction, if any. */
void
store_rollback(struct store *s)
{
	if (s->state == STORE_IDLE)
		return;
	s->ops->rollback(s->b);
	store_set_state(s, STORE_IDLE);
}

/**
 * store_refused(s): after store_put or store_commit returned -1, the
 * index (from 0, in store_put order since the transaction began) of the
 * row the store refused for what it holds (a constraint, a value it cannot
 * keep), or -1 if the store itself failed (I/O, connection, disk full).
 */
long
store_refused(const struct store *s)
{
	return s->refused;
}

/**
 * store_last_seq(s, issuer, agent, out): the highest sequence number
 * stored for the agent ${agent} of ${issuer} (0: none) into ${out}.  If it
 * has no rows but legacy rows of its name exist (issuer "", from before
 * the migration), they become its rows first, in one statement: the first
 * issuer to ask takes them, and no other issuer's agent of that name sees
 * them.  Return 0 or -1.  Call it outside a transaction: inside, it would
 * count rows not yet durable.
 */
int
store_last_seq(struct store *s, const char *issuer, const char *agent,
    uint64_t *out)
{
	*out = 0;
	if (s->ops->last_seq(s->b, issuer, agent, out) != 0)
		return store_fail(s);
	if (*out != 0 || issuer[0] == '\0')
		return 0;
	/* Legacy rows of the name, from before the migration: claim them. */
	if (s->ops->claim(s->b, issuer, agent) != 0 ||
	    s->ops->last_seq(s->b, issuer, agent, out) != 0)
		return store_fail(s);
	return 0;
}

/**
 * store_scan(s, after, fn, arg): call ${fn} on every row with id >
 * ${after}, in id order, until it returns non-zero.  Return the number of
 * rows visited, or -1 on error.  Row strings are valid during the call.
 */
long
store_scan(struct store *s, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	long n = s->ops->scan(s->b, after, fn, arg);

	return n < 0 ? store_fail(s) : n;
}

/* Retention runs between transactions, never inside one. */
static int
store_expire_idle(struct store *s)
{
	if (s->state == STORE_IDLE)
		return 0;
	snprintf(s->err, sizeof(s->err), "expire: a transaction is open");
	return -1;
}

/**
 * store_expire_begin(s, before_ms, max_rows, x): start in ${x} a pass
 * deleting the rows received before ${before_ms} (0: none for their age)
 * and those that ${max_rows} newer ids follow (0: no cap).  Call it outside
 * a transaction.  Return 0 or -1.
 */
int
store_expire_begin(struct store *s, int64_t before_ms, uint64_t max_rows,
    struct store_expire *x)
{
	int64_t first_new = 0, max_id = 0;

	memset(x, 0, sizeof(*x));
	x->done = 1;
	if (store_expire_idle(s) != 0)
		return -1;
	if (before_ms < 0)
		before_ms = 0;
	if (max_rows > INT64_MAX / 2)
		max_rows = INT64_MAX / 2;
	if (s->ops->expire_bounds(s->b, before_ms, &first_new, &max_id) != 0)
		return store_fail(s);
	x->before_ms = before_ms;
	if (max_rows > 0 && max_id > (int64_t)max_rows)
		x->rowcut = max_id + 1 - (int64_t)max_rows;
	x->cut = before_ms > 0 ? first_new : 0;
	if (x->rowcut > x->cut)
		x->cut = x->rowcut;
	/* The newest row stays: SQLite numbers on from the highest id. */
	if (x->cut > max_id)
		x->cut = max_id;
	x->done = x->cut <= 1;
	return 0;
}

/**
 * store_expire_step(s, x, n): delete the old rows among the next ${n} ids
 * of pass ${x}, in one statement; ${x}->done once it has looked at all.
 * Call it outside a transaction.  Return the number of rows deleted, or
 * -1.
 */
long
store_expire_step(struct store *s, struct store_expire *x, unsigned n)
{
	int64_t hi = x->after, deleted = 0;

	if (x->done || n == 0)
		return 0;
	if (store_expire_idle(s) != 0)
		return -1;
	if (s->ops->expire(s->b, x, n, &hi, &deleted) != 0)
		return store_fail(s);
	if (hi <= x->after || hi >= x->cut - 1)
		x->done = 1;
	x->after = hi;
	return (long)deleted;
}

/** store_errmsg(s): the last error, as text. */
const char *
store_errmsg(const struct store *s)
{
	return s->err;
}
