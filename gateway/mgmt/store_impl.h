/*
 * store_impl.h: the store's object, shared by the files of the store
 * module (store.c: messages and transactions; store_cmd.c: agents and
 * commands) and by no other.  store.c owns the transaction state.
 */
#ifndef GW_STORE_IMPL_H
#define GW_STORE_IMPL_H

#include "store.h"
#include "store_backend.h"

/* A store's transaction, set only by store_set_state (store.c). */
enum store_state { STORE_IDLE, STORE_TXN };

struct store {
	const struct store_ops	*ops;
	void			*b;		/* the backend's object */
	enum store_state	 state;		/* store_set_state only */
	long			 nput;		/* rows put in the txn */
	long			 refused;	/* see store_refused() */
	char			 err[256];
};

/**
 * store_fail(s): the backend failed: its reason becomes the store's.
 * Return -1.
 */
int store_fail(struct store *s);

#endif /* GW_STORE_IMPL_H */
