/*
 * store_backend.h: what a store backend (store_sqlite.c, store_pg.c)
 * provides to the store (store.c), which calls it only through its ops.
 * A backend keeps its state in its own struct, which store.c holds as a
 * void * and never reads, and its last error in its own buffer (errmsg);
 * store.c owns the transaction state and the refused row, from what the
 * ops return.  STORE_SCHEMA is the version of the table this code writes:
 * 1 since the key became (issuer, agent, seq); 0 is the older (agent, seq).
 */
#ifndef GW_STORE_BACKEND_H
#define GW_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct store_row;

#define STORE_SCHEMA	1

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
};

/* The backends: SQLite (store_sqlite.c), PostgreSQL (store_pg.c). */
extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

#endif /* GW_STORE_BACKEND_H */
