/*
 * store_backend.h: what a store backend (store_sqlite.c, store_pg.c)
 * provides to the store (store.c), which calls it only through its ops.
 * A backend keeps its state in its own struct, which store.c holds as a
 * void * and never reads, and its last error in its own buffer (errmsg);
 * store.c owns the transaction state and the refused row, from what the
 * ops return.  STORE_SCHEMA is the version of the tables this code writes:
 * 5 since the agents' via (the gateways of a chain, PROTOCOL.md 9.13);
 * 4 since the agents' sans, not_after_ms and last_seq, and their state
 * (column online became state: 0 offline, 1 online, 2 stale);
 * 3 since retained_floor (each agent's highest seq retention deleted: put
 * takes a seq at or below it for a duplicate);
 * 2 since the agents, commands and command_targets tables (store_cmd.h);
 * 1 since the key of messages became (issuer, agent, seq); 0 is the older
 * (agent, seq).  The statements on the tables of schema 2 are the same on
 * both backends (store_backend.c): each runs them through its query op.
 */
#ifndef GW_STORE_BACKEND_H
#define GW_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct store_expire;
struct store_row;

/*
 * A value in or out of a statement of store_q.  Text is UTF-8 and ends in
 * a NUL (len is strlen); a blob is len bytes; an integer is i.
 */
enum store_vtype { STORE_V_NULL, STORE_V_INT, STORE_V_TEXT, STORE_V_BLOB };

struct store_val {
	enum store_vtype	 type;
	int64_t			 i;
	const void		*p;
	size_t			 len;
};

/*
 * The statements on the tables of schema 2, in store_q_sql (store_backend.c,
 * PostgreSQL's $1 .. $n: SQLite binds them by index, so in each statement
 * $k first appears after $1 .. $k-1).  BEGIN opens a transaction that
 * writes (SQLite: BEGIN IMMEDIATE).
 */
enum store_q {
	STORE_Q_BEGIN, STORE_Q_COMMIT, STORE_Q_ROLLBACK,
	STORE_Q_AGENT_UP, STORE_Q_AGENT_DOWN, STORE_Q_AGENTS,
	STORE_Q_AGENT_SEEN, STORE_Q_AGENTS_V3, STORE_Q_AGENTS_V4,
	STORE_Q_CMD_INSERT, STORE_Q_TGT_INSERT, STORE_Q_TGT_INSERT_CHUNK,
	STORE_Q_PENDING,
	STORE_Q_CMD_LAST, STORE_Q_CMDS, STORE_Q_CMDS_COUNT, STORE_Q_TGTS,
	STORE_Q_TGTS_PENDING, STORE_Q_ACK, STORE_Q_TGT_EXISTS, STORE_Q_RESULT,
	STORE_Q_EXPIRE, STORE_Q_PENDING_AGENTS,
	STORE_Q_COUNTS,
	STORE_Q_N
};

extern const char *const store_q_sql[STORE_Q_N];

/*
 * The targets STORE_Q_TGT_INSERT_CHUNK inserts (command $1, updated_ms
 * $2, then issuer and agent of each): 2 + 2 * STORE_TGT_CHUNK values,
 * below SQLite's oldest bound (999); a backend takes that many.
 */
#define STORE_TGT_CHUNK	128
#define STORE_Q_VALS_MAX	(2 + 2 * STORE_TGT_CHUNK)

#define STORE_SCHEMA	5

/* What put and commit return besides 0 and -1 (the store failed). */
#define STORE_EROW	(-2)	/* put: the store refused this row */
#define STORE_EOVER	(-3)	/* commit: failed, the transaction is over */

/*
 * Every op but open takes the backend's object (what open returned) and
 * checks its magic.  An op that returns -1 (or STORE_E*) leaves the reason
 * in errmsg.  begin opens a transaction; put adds a row to the open one;
 * commit (0, -1: the transaction still open, or STORE_EOVER) sets
 * ${refused} to the place in the transaction of a row the store refused;
 * rollback abandons the open one.
 */
struct store_ops {
	/* Open ${where} (a path, a conninfo); NULL with the reason in err. */
	void	*(*open)(const char *where, int readonly, char *err,
		    size_t errlen);
	void	(*close)(void *b);
	int	(*begin)(void *b);
	int	(*put)(void *b, const struct store_row *r);
	int	(*commit)(void *b, uint64_t *stored, uint64_t *dups,
		    long *refused);
	void	(*rollback)(void *b);
	int	(*last_seq)(void *b, const char *issuer, const char *agent,
		    uint64_t *out);
	/* Give the legacy rows (issuer "") of ${agent} to ${issuer}. */
	int	(*claim)(void *b, const char *issuer, const char *agent);
	long	(*scan)(void *b, int64_t after,
		    int (*fn)(const struct store_row *r, void *arg), void *arg);
	const char *(*errmsg)(void *b);
	/*
	 * Retention (store_expire_*, store.h), outside a transaction.
	 * expire_bounds: the lowest id received at ${since_ms} or later
	 * (none: the highest id + 1) into ${first_new}, the highest id (0:
	 * none) into ${max_id}.  expire: the highest of the next ${n} ids
	 * above ${x}->after and below ${x}->cut into ${hi} (${x}->after if
	 * none); then delete, in one statement, the rows of ids above
	 * ${x}->after up to ${hi} received before ${x}->before_ms or of id
	 * below ${x}->rowcut, but the highest seq of each agent; how many
	 * into ${deleted}; in the same transaction, raise the floor of each
	 * agent it deleted rows of to the highest seq it deleted.
	 */
	int	(*expire_bounds)(void *b, int64_t since_ms, int64_t *first_new,
		    int64_t *max_id);
	int	(*expire)(void *b, const struct store_expire *x, unsigned n,
		    int64_t *hi, int64_t *deleted);
	/*
	 * 0 if the tables of schema 2 are not there (a reader of an older
	 * store), else the schema of the agents table: 2 or 3 (a reader:
	 * STORE_Q_AGENTS_V3), 4 (a reader: STORE_Q_AGENTS_V4), or 5 and
	 * above.
	 */
	int	(*cmd_tables)(void *b);
	/*
	 * Run statement ${q} with the ${nin} values ${in}; call ${row} on each
	 * row it returns (${ncol} values, valid during the call) until it
	 * returns non-zero.  The rows it wrote (INSERT, UPDATE) into
	 * ${changes}.  Return the number of rows visited, or -1.
	 */
	long	(*query)(void *b, enum store_q q,
		    const struct store_val *in, unsigned nin,
		    int (*row)(const struct store_val *col, unsigned ncol,
		    void *arg), void *arg, int64_t *changes);
};

/* The backends: SQLite (store_sqlite.c), PostgreSQL (store_pg.c). */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif /* GW_STORE_BACKEND_H */
