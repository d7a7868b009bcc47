/*
 * store_impl.h: the store's object, shared by the files of the store
 * module (store.c: messages and transactions; store_agents.c: the
 * agents; store_cmd.c: the commands) and by no other, and what those
 * files share to run the statements of store_backend.c (store_q_*, in
 * store.c).  store.c owns the transaction state.
 */
#ifndef GW_STORE_IMPL_H
#define GW_STORE_IMPL_H

#include <stdint.h>
#include <string.h>

#include "store.h"
#include "store_backend.h"

/* The values of a statement of store_backend.c: an integer, text, bytes. */
#define V_INT(x)	((struct store_val){ .type = STORE_V_INT,	\
			    .i = (int64_t)(x) })
#define V_TEXT(x)	((struct store_val){ .type = STORE_V_TEXT,	\
			    .p = (x) != NULL ? (x) : "",		\
			    .len = (x) != NULL ? strlen(x) : 0 })
#define V_BLOB(x, n)	((struct store_val){ .type = STORE_V_BLOB,	\
			    .p = (x) != NULL ? (const void *)(x) : "",	\
			    .len = (n) })

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

/**
 * store_q_err(s, fmt, ...): the store's reason becomes the message of
 * ${fmt}.  Return -1.
 */
int store_q_err(struct store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * store_q_ready(s): 0 if no transaction is open (each call of
 * store_agents.h and store_cmd.h is its own transaction, never inside the
 * group commit's), else -1 with the reason.
 */
int store_q_ready(struct store *s);

/** store_q_text_ok(p): 1 if ${p} is not NULL and is UTF-8, else 0. */
int store_q_text_ok(const char *p);

/**
 * store_q_run(s, q, in, nin, row, arg, changes): run statement ${q} of
 * store_backend.c (the backend's query op; ${changes} may be NULL); the
 * backend's failure becomes the store's.  Return the rows visited, or -1.
 */
long store_q_run(struct store *s, enum store_q q, const struct store_val *in,
    unsigned nin, int (*row)(const struct store_val *, unsigned, void *),
    void *arg, int64_t *changes);

/**
 * store_q_abort(s): roll back the transaction a call opened (BEGIN),
 * keeping the reason it failed.  Return -1.
 */
int store_q_abort(struct store *s);

/** store_col_int(col, i): column ${i} of a row if an integer, else 0. */
int64_t store_col_int(const struct store_val *col, unsigned i);

/** store_col_text(col, i): column ${i} of a row if text, else "". */
const char *store_col_text(const struct store_val *col, unsigned i);

#endif /* GW_STORE_IMPL_H */
