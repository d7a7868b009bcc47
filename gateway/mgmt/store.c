/*
 * store.c: the store interface (store.h) over its backends
 * (store_sqlite.c, store_pg.c).
 */
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "store_impl.h"
#include "utf8.h"

/**
 * store_open(c, readonly, err, errlen): open (and unless ${readonly}
 * create) the store of ${c}.  Return NULL with the reason in ${err}.
 */
struct store *
store_open(const struct store_conf *c, int readonly, char *err,
    size_t errlen)
{
	if (c->type == STORE_POSTGRESQL)
		return store_pg_open(c->conninfo, readonly, err, errlen);
	return store_sqlite_open(c->path, readonly, err, errlen);
}

/** store_close(s): roll back an open transaction and close; NULL-safe. */
void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
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
	else if (!store_text_ok(r->agent) || !store_text_ok(r->issuer) || !store_text_ok(r->gateway) ||
	    !store_text_ok(r->fingerprint))
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
	if (!s->in_txn)
		s->nput = 0;
	s->refused = -1;
	if (store_check(s, r) != 0) {
		s->refused = s->nput;
		return -1;
	}
	if (s->ops->put(s, r) != 0)
		return -1;
	s->nput++;
	return 0;
}

/** store_in_txn(s): 1 while a transaction is open. */
int
store_in_txn(const struct store *s)
{
	return s->in_txn;
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
	*stored = *dups = 0;
	s->refused = -1;
	if (!s->in_txn)
		return 0;
	return s->ops->commit(s, stored, dups);
}

/** store_rollback(s): abandon the open transaction, if any. */
void
store_rollback(struct store *s)
{
	if (s->in_txn)
		s->ops->rollback(s);
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
	if (s->ops->last_seq(s, issuer, agent, out) != 0)
		return -1;
	if (*out != 0 || issuer[0] == '\0')
		return 0;
	/* Legacy rows of the name, from before the migration: claim them. */
	if (s->ops->claim(s, issuer, agent) != 0)
		return -1;
	return s->ops->last_seq(s, issuer, agent, out);
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
	return s->ops->scan(s, after, fn, arg);
}

/** store_errmsg(s): the last error, as text. */
const char *
store_errmsg(const struct store *s)
{
	return s->err;
}
