/*
 * store.h: gw-mgmt's durable store of delivered messages: SQLite (the
 * embedded default) or PostgreSQL (one store shared by the management
 * servers of a group).
 *
 * One table, messages(issuer, agent, seq, id, gateway, fingerprint,
 * received_ms, payload), with the primary key (issuer, agent, seq): an
 * agent is its issuer's DN and its name together, so the same name under
 * two agent CAs is two agents, and a resent message is ignored, not stored
 * twice, across restarts and across servers sharing a store.  A store of
 * the older schema (key (agent, seq)) is migrated when opened for writing:
 * its rows keep issuer "" (legacy) until store_last_seq gives them to the
 * first issuer whose agent of that name opens.  id numbers the rows in
 * arrival order, a cursor for consumers (export --after).  Writes are
 * grouped: store_put opens a transaction, many rows go in, one commit
 * makes them durable (SQLite: WAL with synchronous=FULL; PostgreSQL: its
 * WAL): one sync per batch, never one per message.  A row the store
 * refuses (store_refused) is told apart from a failure of the store
 * itself: the caller can write the batch again without it.  This module
 * never logs: failures come back as -1 with store_errmsg().
 */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

enum store_type { STORE_SQLITE, STORE_POSTGRESQL };

struct store_conf {
	enum store_type	 type;
	const char	*path;		/* SQLite: the database file */
	const char	*conninfo;	/* PostgreSQL: libpq conninfo string */
};

struct store_row {
	int64_t		 id;		/* arrival order; set by the store */
	const char	*issuer;	/* the agent's issuer DN, as attested */
	const char	*agent;		/* identity name (certificate CN) */
	uint64_t	 seq;
	const char	*gateway;	/* CN of the gateway that relayed it */
	const char	*fingerprint;	/* agent certificate SHA-256, hex */
	int64_t		 received_ms;	/* Unix time in milliseconds */
	const void	*payload;
	size_t		 len;
};

/**
 * store_open(c, readonly, err, errlen): open (and unless ${readonly}
 * create) the store of ${c}.  Return NULL with the reason in ${err}.
 */
struct store *store_open(const struct store_conf *c, int readonly,
    char *err, size_t errlen);

/** store_close(s): roll back an open transaction and close; NULL-safe. */
void store_close(struct store *s);

/**
 * store_check(s, r): 0 if the store can take row ${r} (a seq in
 * 1..GW_SEQ_MAX, a payload of at most GW_PAYLOAD_HARD_MAX bytes, UTF-8
 * text), else -1 with the reason in store_errmsg().  store_put checks it.
 */
int store_check(struct store *s, const struct store_row *r);

/**
 * store_put(s, r): add row ${r} to the transaction, opening one if none
 * is open.  Return 0, or -1 on error (the transaction must then be rolled
 * back; store_refused() tells whether ${r} or another row of the
 * transaction was refused, or the store failed).  Whether it was new or a
 * duplicate is known at commit.
 */
int store_put(struct store *s, const struct store_row *r);

/** store_in_txn(s): 1 while a transaction is open. */
int store_in_txn(const struct store *s);

/**
 * store_commit(s, stored, dups): commit the open transaction (durable)
 * and count its rows: new ones into ${stored}, ones already there into
 * ${dups}.  Return 0 or -1 (nothing of it is stored then; see
 * store_refused()).
 */
int store_commit(struct store *s, uint64_t *stored, uint64_t *dups);

/** store_rollback(s): abandon the open transaction, if any. */
void store_rollback(struct store *s);

/**
 * store_refused(s): after store_put or store_commit returned -1, the
 * index (from 0, in store_put order since the transaction began) of the
 * row the store refused for what it holds (a constraint, a value it cannot
 * keep), or -1 if the store itself failed (I/O, connection, disk full).
 */
long store_refused(const struct store *s);

/**
 * store_last_seq(s, issuer, agent, out): the highest sequence number
 * stored for the agent ${agent} of ${issuer} (0: none) into ${out}.  If it
 * has no rows but legacy rows of its name exist (issuer "", from before
 * the migration), they become its rows first, in one statement: the first
 * issuer to ask takes them, and no other issuer's agent of that name sees
 * them.  Return 0 or -1.  Call it outside a transaction: inside, it would
 * count rows not yet durable.
 */
int store_last_seq(struct store *s, const char *issuer, const char *agent,
    uint64_t *out);

/**
 * store_scan(s, after, fn, arg): call ${fn} on every row with id >
 * ${after}, in id order, until it returns non-zero.  Return the number of
 * rows visited, or -1 on error.  Row strings are valid during the call.
 */
long store_scan(struct store *s, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg);

/*
 * Retention (store_expire_*): a row is old when it was received before
 * before_ms, or when max_rows newer ids follow it (ids only grow, with
 * gaps: so at most max_rows rows stay).  A pass deletes the old rows in
 * id order, a few per step, each step one short statement of its own, so
 * that the group commit is never held up for long; deleting what another
 * server already deleted is a no-op.  The newest row of each agent (its
 * highest seq) is never deleted: it is the agent's high-water mark
 * (store_last_seq), so an agent whose rows all grew old does not restart
 * its numbering, and the newest row of the store is never deleted either,
 * so no id is handed out twice.  A reader following by id (export
 * --follow) skips the ids deleted under it.
 */
struct store_expire {
	int64_t		 before_ms;	/* older rows go; 0: no age limit */
	int64_t		 rowcut;	/* rows of lower id go; 0: no cap */
	int64_t		 cut;		/* the pass looks below this id */
	int64_t		 after;		/* where the pass stands */
	int		 done;		/* the pass is over */
};

/**
 * store_expire_begin(s, before_ms, max_rows, x): start in ${x} a pass
 * deleting the rows received before ${before_ms} (0: none for their age)
 * and those that ${max_rows} newer ids follow (0: no cap).  Call it outside
 * a transaction.  Return 0 or -1.
 */
int store_expire_begin(struct store *s, int64_t before_ms,
    uint64_t max_rows, struct store_expire *x);

/**
 * store_expire_step(s, x, n): delete the old rows among the next ${n} ids
 * of pass ${x}, in one statement; ${x}->done once it has looked at all.
 * Call it outside a transaction.  Return the number of rows deleted, or
 * -1.
 */
long store_expire_step(struct store *s, struct store_expire *x, unsigned n);

/** store_errmsg(s): the last error, as text. */
const char *store_errmsg(const struct store *s);

#endif /* GW_STORE_H */
