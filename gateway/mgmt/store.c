/*
 * store.c: the store interface (store.h) over its backends
 * (store_sqlite.c, store_pg.c).
 */
#include <stdio.h>

#include "store_impl.h"

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

/**
 * store_put(s, r): add row ${r} to the transaction, opening one if none
 * is open.  Return 0, or -1 on error (the transaction must then be rolled
 * back).  Whether it was new or a duplicate is known at commit.
 */
int
store_put(struct store *s, const struct store_row *r)
{
	if (r->seq > INT64_MAX) {
		snprintf(s->err, sizeof(s->err), "seq %llu out of range",
		    (unsigned long long)r->seq);
		return -1;
	}
	return s->ops->put(s, r);
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
 * ${dups}.  Return 0 or -1 (nothing of it is stored then).
 */
int
store_commit(struct store *s, uint64_t *stored, uint64_t *dups)
{
	*stored = *dups = 0;
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
 * store_last_seq(s, agent, out): the highest sequence number stored for
 * ${agent} (0: none) into ${out}.  Return 0 or -1.  Call it outside a
 * transaction: inside, it would count rows not yet durable.
 */
int
store_last_seq(struct store *s, const char *agent, uint64_t *out)
{
	*out = 0;
	return s->ops->last_seq(s, agent, out);
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
