/*
 * store.h: gw-mgmt's durable store of delivered messages, on SQLite.
 *
 * One table, messages(agent, seq, id, gateway, fingerprint, received_ms,
 * payload), with the primary key (agent, seq): a resent message is
 * ignored, not stored twice, across restarts.  id numbers the rows in
 * arrival order (1, 2, ...), a cursor for consumers (export --after).  The database runs in WAL
 * mode with synchronous=FULL, so a committed transaction survives a crash
 * or a power cut.  Writes are grouped: the caller opens one transaction
 * (store_put opens it), puts many rows, and commits once; one sync per
 * batch, never one per message.  This module never logs: failures come
 * back as -1 with store_errmsg().
 */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct store_row {
	int64_t		 id;		/* arrival order; set by the store */
	const char	*agent;		/* identity name (certificate CN) */
	uint64_t	 seq;
	const char	*gateway;	/* CN of the gateway that relayed it */
	const char	*fingerprint;	/* agent certificate SHA-256, hex */
	int64_t		 received_ms;	/* Unix time in milliseconds */
	const void	*payload;
	size_t		 len;
};

/**
 * store_open(path, readonly, err, errlen): open (and unless ${readonly}
 * create) the database ${path}.  Return NULL with the reason in ${err}.
 */
struct store *store_open(const char *path, int readonly, char *err,
    size_t errlen);

/** store_close(s): roll back an open transaction and close; NULL-safe. */
void store_close(struct store *s);

/**
 * store_put(s, r): insert row ${r}, opening a transaction if none is open.
 * Return 1 if stored, 0 if (agent, seq) was already there, -1 on error
 * (the transaction must then be rolled back).
 */
int store_put(struct store *s, const struct store_row *r);

/** store_in_txn(s): 1 while a transaction is open. */
int store_in_txn(const struct store *s);

/** store_commit(s): commit the open transaction (durable); 0 or -1. */
int store_commit(struct store *s);

/** store_rollback(s): abandon the open transaction, if any. */
void store_rollback(struct store *s);

/**
 * store_last_seq(s, agent, out): the highest sequence number stored for
 * ${agent} (0: none) into ${out}.  Return 0 or -1.  Call it outside a
 * transaction: inside, it would count rows not yet durable.
 */
int store_last_seq(struct store *s, const char *agent, uint64_t *out);

/**
 * store_scan(s, after, fn, arg): call ${fn} on every row with id >
 * ${after}, in id order, until it returns non-zero.  Return the number of
 * rows visited, or -1 on error.  Row strings are valid during the call.
 */
long store_scan(struct store *s, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg);

/** store_errmsg(s): the last error, as text. */
const char *store_errmsg(const struct store *s);

#endif /* GW_STORE_H */
