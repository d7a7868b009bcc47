/*
 * store_impl.h: what a store backend provides (store.c dispatches).
 * A backend's struct begins with struct store.  A backend whose put or
 * commit fails because of one row (not of the store) sets refused to that
 * row's index: nput, in put; its place in the transaction, in commit.
 * STORE_SCHEMA is the version of the table this code writes: 1 since the
 * key became (issuer, agent, seq); 0 is the older (agent, seq).
 */
#ifndef GW_STORE_IMPL_H
#define GW_STORE_IMPL_H

#include "store.h"

#define STORE_SCHEMA	1

struct store_ops {
	void	(*close)(struct store *s);
	int	(*put)(struct store *s, const struct store_row *r);
	int	(*commit)(struct store *s, uint64_t *stored, uint64_t *dups);
	void	(*rollback)(struct store *s);
	int	(*last_seq)(struct store *s, const char *issuer,
		    const char *agent, uint64_t *out);
	/* Give the legacy rows (issuer "") of ${agent} to ${issuer}. */
	int	(*claim)(struct store *s, const char *issuer,
		    const char *agent);
	long	(*scan)(struct store *s, int64_t after,
		    int (*fn)(const struct store_row *r, void *arg), void *arg);
};

struct store {
	const struct store_ops	*ops;
	int			 in_txn;
	long			 nput;		/* rows put in the transaction */
	long			 refused;	/* see store_refused() */
	char			 err[256];
};

/** store_sqlite_open, store_pg_open: the backends' constructors. */
struct store *store_sqlite_open(const char *path, int readonly, char *err,
    size_t errlen);
struct store *store_pg_open(const char *conninfo, int readonly, char *err,
    size_t errlen);

#endif /* GW_STORE_IMPL_H */
