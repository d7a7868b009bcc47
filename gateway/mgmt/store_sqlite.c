/*
 * store_sqlite.c: the SQLite store backend (see store.h).  Prepared
 * statements, one connection, WAL with synchronous=FULL.  Rows are
 * inserted as they come, inside the open transaction.  The schema version
 * is PRAGMA user_version (STORE_SCHEMA); a version 0 table (key (agent,
 * seq)) is rebuilt with the issuer column, "" in its rows, and a version 0
 * or 1 store gets the tables of the agents and commands (version 2),
 * a version 0, 1 or 2 the floors of retention (retained_floor, version
 * 3), one of 0 to 3 the agents' columns of version 4 and one of 0 to 4
 * their via (version 5), in one transaction when opened for writing.
 * Their statements (store_backend.c) are prepared when first run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store.h"
#include "store_backend.h"
#include "store_sqlite_schema.h"

#define STORE_BUSY_MS	5000	/* wait for another process's lock */
#define SQ_MAGIC	0x53714c74u	/* "SqLt" */
#define SQ_QCOLS	16	/* columns of a store_q statement, at most */

struct store_sqlite {
	uint32_t	 magic;		/* SQ_MAGIC */
	sqlite3		*db;
	sqlite3_stmt	*put, *last, *claim, *claimf, *scan, *begin,
			*commit, *rollback;
	sqlite3_stmt	*q[STORE_Q_N];	/* of store_q_sql, when first run */
	sqlite3_stmt	*xbounds, *xhi, *xfloor, *xdel;	/* retention, lazy */
	int		 cmds;		/* 0, or the version (2 and up) */
	int64_t		 next_id;	/* id of the next row stored */
	int64_t		 txn_id;	/* next_id when the transaction began */
	uint64_t	 stored, dups;	/* of the open transaction */
	char		 err[256];	/* the last error (sq_errmsg) */
};

/* What store.c hands an op must be a live SQLite store. */
static struct store_sqlite *
sq_check(void *b)
{
	struct store_sqlite *s = b;

	if (s == NULL || s->magic != SQ_MAGIC)
		abort();
	return s;
}

static int
sq_fail(struct store_sqlite *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what,
	    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

static int
sq_prepare(struct store_sqlite *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK)
		return sq_fail(s, "prepare");
	return 0;
}

/* Run a statement with no result rows; reset it. */
static int
sq_step_done(struct store_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_fail(s, what);
	return 0;
}

/* The id the next row gets: one more than the highest stored. */
static int
sq_max_id(struct store_sqlite *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sq_prepare(s, "SELECT max(id) FROM messages", &st) != 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		s->next_id = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sq_fail(s, "max id");
}

/* PRAGMA user_version, and whether the table exists, into ${version}. */
static int
sq_version(struct store_sqlite *s, int *version, int *exists)
{
	sqlite3_stmt *st;

	if (sq_prepare(s, "PRAGMA user_version", &st) != 0)
		return -1;
	*version = sqlite3_step(st) == SQLITE_ROW ?
	    sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (sq_prepare(s, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'messages'", &st) != 0)
		return -1;
	*exists = sqlite3_step(st) == SQLITE_ROW ?
	    sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (*version < 0 || *exists < 0)
		return sq_fail(s, "schema version");
	return 0;
}

/*
 * Create or migrate the table (writer), or learn its version (reader:
 * a version 0 table is read with issuer "").  Another writer may be doing
 * the same: BEGIN IMMEDIATE waits for it, the version is read again.
 */
static int
sq_schema(struct store_sqlite *s, int readonly, int *version)
{
	const char *sql = NULL;
	char *msg = NULL;
	int exists;

	if (sq_version(s, version, &exists) != 0)
		return -1;
	if (readonly || *version >= STORE_SCHEMA)
		return 0;
	sql = store_sqlite_schema(exists, *version);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s %d: %s", exists ?
		    "migrate to schema" : "create tables of schema",
		    STORE_SCHEMA, msg ? msg : "?");
		sqlite3_free(msg);
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		/* A writer that got there first: take what it made. */
		if (sq_version(s, version, &exists) == 0 &&
		    *version >= STORE_SCHEMA)
			return 0;
		return -1;
	}
	*version = STORE_SCHEMA;
	return 0;
}

/*
 * A row is stored unless its key is (ON CONFLICT) or its seq is at or
 * below its agent's floor (retention deleted it, it was stored once):
 * both are duplicates, no change.  (The WHERE lets SQLite parse the
 * ON CONFLICT of an INSERT ... SELECT.)
 */
static const char sq_put_sql[] =
    "INSERT INTO messages (issuer, agent, seq, id, gateway, fingerprint,"
    " received_ms, payload) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE"
    " NOT EXISTS (SELECT 1 FROM retained_floor WHERE issuer = ?1 AND"
    " agent = ?2 AND floor >= ?3)"
    " ON CONFLICT (issuer, agent, seq) DO NOTHING";

/*
 * The claim of legacy rows takes their floor along (there is none of the
 * issuer's: it has no rows, and retention keeps each agent's highest).
 */
static const char sq_claim_floor[] =
    "UPDATE retained_floor SET issuer = ?1 WHERE issuer = '' AND"
    " agent = ?2 AND NOT EXISTS (SELECT 1 FROM retained_floor AS f"
    " WHERE f.issuer = ?1 AND f.agent = ?2)";

static void sq_close(void *b);

/* store_sqlite_ops.open: see store_backend.h. */
static void *
sq_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct store_sqlite *s;
	char *msg = NULL;
	int version = 0;
	int flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->magic = SQ_MAGIC;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (!readonly && sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;", NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	if (sq_schema(s, readonly, &version) != 0 || (!readonly && (
	    sq_prepare(s, sq_put_sql, &s->put) != 0 ||
	    sq_prepare(s, "UPDATE messages SET issuer = ? WHERE "
	    "issuer = '' AND agent = ?", &s->claim) != 0 ||
	    sq_prepare(s, sq_claim_floor, &s->claimf) != 0 ||
	    sq_prepare(s, "SELECT max(seq) FROM messages WHERE issuer = ? "
	    "AND agent = ?", &s->last) != 0 ||
	    sq_prepare(s, "BEGIN IMMEDIATE", &s->begin) != 0 ||
	    sq_prepare(s, "COMMIT", &s->commit) != 0 ||
	    sq_prepare(s, "ROLLBACK", &s->rollback) != 0)) ||
	    sq_prepare(s, version >= 1 ? "SELECT id, issuer, agent, seq, "
	    "gateway, fingerprint, received_ms, payload FROM messages WHERE "
	    "id > ? ORDER BY id" : "SELECT id, '', agent, seq, gateway, "
	    "fingerprint, received_ms, payload FROM messages WHERE id > ? "
	    "ORDER BY id", &s->scan) != 0 ||
	    (!readonly && sq_max_id(s) != 0)) {
		snprintf(err, errlen, "%s: %s", path, s->err);
		goto fail;
	}
	s->cmds = version >= 2 ? version : 0;
	return s;
fail:
	sq_close(s);
	return NULL;
}

static void
sq_close(void *b)
{
	struct store_sqlite *s = sq_check(b);

	sqlite3_finalize(s->put);
	sqlite3_finalize(s->last);
	sqlite3_finalize(s->claim);
	sqlite3_finalize(s->claimf);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	for (int i = 0; i < STORE_Q_N; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_finalize(s->xbounds);
	sqlite3_finalize(s->xhi);
	sqlite3_finalize(s->xfloor);
	sqlite3_finalize(s->xdel);
	sqlite3_close(s->db);
	s->magic = 0;
	free(s);
}

static int
sq_begin(void *b)
{
	struct store_sqlite *s = sq_check(b);

	if (sq_step_done(s, s->begin, "begin") != 0)
		return -1;
	s->txn_id = s->next_id;
	s->stored = s->dups = 0;
	return 0;
}

static int
sq_put(void *b, const struct store_row *r)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st = s->put;
	int rc;

	sqlite3_bind_text(st, 1, r->issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->seq);
	sqlite3_bind_int64(st, 4, s->next_id);
	sqlite3_bind_text(st, 5, r->gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, r->received_ms);
	sqlite3_bind_blob64(st, 8, r->payload, r->len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		sq_fail(s, "insert");
		/* These are the row's; anything else is the database's. */
		switch (rc & 0xff) {
		case SQLITE_CONSTRAINT:
		case SQLITE_TOOBIG:
		case SQLITE_MISMATCH:
			return STORE_EROW;
		}
		return -1;
	}
	if (sqlite3_changes(s->db) == 0) {
		s->dups++;
	} else {
		s->next_id++;
		s->stored++;
	}
	return 0;
}

/* A failed COMMIT leaves the transaction open: store.c rolls it back. */
static int
sq_commit(void *b, uint64_t *stored, uint64_t *dups, long *refused)
{
	struct store_sqlite *s = sq_check(b);

	(void)refused;	/* a row's fault shows at its INSERT */
	if (sq_step_done(s, s->commit, "commit") != 0)
		return -1;
	*stored = s->stored;
	*dups = s->dups;
	return 0;
}

static void
sq_rollback(void *b)
{
	struct store_sqlite *s = sq_check(b);

	if (s->rollback == NULL)
		return;
	/* A failed COMMIT may already have rolled back: check first. */
	if (!sqlite3_get_autocommit(s->db))
		(void)sq_step_done(s, s->rollback, "rollback");
	s->next_id = s->txn_id;
}

static int
sq_last_seq(void *b, const char *issuer, const char *agent, uint64_t *out)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st = s->last;
	int rc;

	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return sq_fail(s, "last seq");
	return 0;
}

static int
sq_claim(void *b, const char *issuer, const char *agent)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st = s->claim;

	/* The floor first: a failure after it leaves the rows to claim. */
	sqlite3_bind_text(s->claimf, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->claimf, 2, agent, -1, SQLITE_STATIC);
	if (sq_step_done(s, s->claimf, "claim legacy floor") != 0)
		return -1;
	sqlite3_bind_text(st, 1, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	return sq_step_done(s, st, "claim legacy rows");
}

static long
sq_scan(void *b, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st = s->scan;
	long n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* The blob before its length, as SQLite asks. */
		const void *payload = sqlite3_column_blob(st, 7);
		const struct store_row r = {
			.id = sqlite3_column_int64(st, 0),
			.issuer = (const char *)sqlite3_column_text(st, 1),
			.agent = (const char *)sqlite3_column_text(st, 2),
			.seq = (uint64_t)sqlite3_column_int64(st, 3),
			.gateway = (const char *)sqlite3_column_text(st, 4),
			.fingerprint =
			    (const char *)sqlite3_column_text(st, 5),
			.received_ms = sqlite3_column_int64(st, 6),
			.payload = payload,
			.len = (size_t)sqlite3_column_bytes(st, 7),
		};

		n++;
		if (fn(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return sq_fail(s, "scan");
	return n;
}

static int
sq_cmd_tables(void *b)
{
	return sq_check(b)->cmds;
}

/* Statement ${q} of store_q_sql, prepared when first run; NULL: failed. */
static sqlite3_stmt *
sq_stmt(struct store_sqlite *s, enum store_q q)
{
	if (s->q[q] == NULL && sq_prepare(s, q == STORE_Q_BEGIN ?
	    "BEGIN IMMEDIATE" : store_q_sql[q], &s->q[q]) != 0)
		return NULL;
	return s->q[q];
}

/* Bind ${in} to ${st}, which takes as many.  0 or -1. */
static int
sq_bind(struct store_sqlite *s, sqlite3_stmt *st, const struct store_val *in,
    unsigned nin)
{
	int rc = SQLITE_OK;

	if ((unsigned)sqlite3_bind_parameter_count(st) != nin) {
		snprintf(s->err, sizeof(s->err), "query: %d parameters, %u "
		    "values", sqlite3_bind_parameter_count(st), nin);
		return -1;
	}
	for (unsigned i = 0; i < nin && rc == SQLITE_OK; i++) {
		int k = (int)i + 1;

		switch (in[i].type) {
		case STORE_V_INT:
			rc = sqlite3_bind_int64(st, k, in[i].i);
			break;
		case STORE_V_TEXT:
			rc = sqlite3_bind_text64(st, k, in[i].p, in[i].len,
			    SQLITE_STATIC, SQLITE_UTF8);
			break;
		case STORE_V_BLOB:
			rc = sqlite3_bind_blob64(st, k, in[i].p, in[i].len,
			    SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(st, k);
		}
	}
	return rc == SQLITE_OK ? 0 : sq_fail(s, "bind");
}

/* The row ${st} stands on into ${col} (room for SQ_QCOLS); how many. */
static unsigned
sq_row(sqlite3_stmt *st, struct store_val *col)
{
	unsigned n = (unsigned)sqlite3_column_count(st);

	if (n > SQ_QCOLS)
		n = SQ_QCOLS;
	for (unsigned i = 0; i < n; i++) {
		int k = (int)i;
		const void *p;

		switch (sqlite3_column_type(st, k)) {
		case SQLITE_NULL:
			col[i] = (struct store_val){ .type = STORE_V_NULL };
			break;
		case SQLITE_TEXT:
			p = sqlite3_column_text(st, k);
			col[i] = (struct store_val){ .type = STORE_V_TEXT,
			    .p = p != NULL ? p : "",
			    .len = (size_t)sqlite3_column_bytes(st, k) };
			break;
		case SQLITE_BLOB:
			p = sqlite3_column_blob(st, k);
			col[i] = (struct store_val){ .type = STORE_V_BLOB,
			    .p = p != NULL ? p : "",
			    .len = (size_t)sqlite3_column_bytes(st, k) };
			break;
		default:
			col[i] = (struct store_val){ .type = STORE_V_INT,
			    .i = sqlite3_column_int64(st, k) };
		}
	}
	return n;
}

/* store_sqlite_ops.query: see store_backend.h. */
static long
sq_query(void *b, enum store_q q, const struct store_val *in, unsigned nin,
    int (*fn)(const struct store_val *col, unsigned ncol, void *arg),
    void *arg, int64_t *changes)
{
	struct store_sqlite *s = sq_check(b);
	struct store_val col[SQ_QCOLS];
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	*changes = 0;
	if ((st = sq_stmt(s, q)) == NULL)
		return -1;
	if (sq_bind(s, st, in, nin) != 0) {
		sqlite3_clear_bindings(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned ncol = sq_row(st, col);

		n++;
		if (fn == NULL || fn(col, ncol, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		sq_fail(s, "query");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return -1;
	*changes = sqlite3_changes64(s->db);
	return n;
}

/*
 * Retention.  The ids are the UNIQUE index's and each agent's highest seq
 * its key's, so a step reads at most n index entries and a subquery of
 * one index seek per row; the bounds walk the ids from the lowest to the
 * first row new enough (what the pass deletes, and one row kept per
 * agent), so received_ms needs no index.  The deleted pages go on the
 * free list and new rows reuse them (no auto_vacuum: the file keeps its
 * largest size).  The same transaction raises the floor of each agent
 * it deletes rows of to the highest seq it deletes (see sq_put_sql).
 */
static const char sq_xbounds[] =
    "SELECT coalesce((SELECT min(id) FROM messages WHERE received_ms >= ?1),"
    " (SELECT max(id) + 1 FROM messages), 1),"
    " coalesce((SELECT max(id) FROM messages), 0)";
static const char sq_xhi[] =
    "SELECT max(id) FROM (SELECT id FROM messages WHERE id > ?1 AND"
    " id < ?2 ORDER BY id LIMIT ?3)";
#define SQ_XWHERE							\
    " WHERE id > ?1 AND id <= ?2 AND"					\
    " (received_ms < ?3 OR id < ?4) AND seq < (SELECT max(x.seq) FROM"	\
    " messages AS x WHERE x.issuer = messages.issuer AND"		\
    " x.agent = messages.agent)"
/* Before the DELETE, in its transaction: the floors of what it deletes. */
static const char sq_xfloor[] =
    "INSERT INTO retained_floor (issuer, agent, floor) SELECT issuer,"
    " agent, max(seq) FROM messages" SQ_XWHERE " GROUP BY issuer, agent"
    " ON CONFLICT (issuer, agent) DO UPDATE SET"
    " floor = max(floor, excluded.floor)";
static const char sq_xdel[] = "DELETE FROM messages" SQ_XWHERE;

/* Statement ${sql} into ${st}, prepared when first run; 0 or -1. */
static int
sq_lazy(struct store_sqlite *s, sqlite3_stmt **st, const char *sql)
{
	return *st != NULL ? 0 : sq_prepare(s, sql, st);
}

/* store_sqlite_ops.expire_bounds: see store_backend.h. */
static int
sq_expire_bounds(void *b, int64_t since_ms, int64_t *first_new,
    int64_t *max_id)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st;
	int rc;

	if (sq_lazy(s, &s->xbounds, sq_xbounds) != 0)
		return -1;
	st = s->xbounds;
	sqlite3_bind_int64(st, 1, since_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*first_new = sqlite3_column_int64(st, 0);
		*max_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : sq_fail(s, "expire bounds");
}

/* Run ${st} (sq_xfloor, sq_xdel) on the ids of ${x} up to ${hi}. */
static int
sq_xrun(struct store_sqlite *s, sqlite3_stmt *st,
    const struct store_expire *x, int64_t hi)
{
	int rc;

	sqlite3_bind_int64(st, 1, x->after);
	sqlite3_bind_int64(st, 2, hi);
	sqlite3_bind_int64(st, 3, x->before_ms);
	sqlite3_bind_int64(st, 4, x->rowcut);
	rc = sq_step_done(s, st, "expire");
	sqlite3_clear_bindings(st);
	return rc;
}

/* Roll a failed step back (its error kept, no id given back); -1. */
static int
sq_xabort(struct store_sqlite *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		(void)sqlite3_step(s->rollback);
		sqlite3_reset(s->rollback);
	}
	return -1;
}

/* store_sqlite_ops.expire: see store_backend.h. */
static int
sq_expire(void *b, const struct store_expire *x, unsigned n, int64_t *hi,
    int64_t *deleted)
{
	struct store_sqlite *s = sq_check(b);
	sqlite3_stmt *st;
	int rc;

	*hi = x->after;
	*deleted = 0;
	if (sq_lazy(s, &s->xhi, sq_xhi) != 0 ||
	    sq_lazy(s, &s->xfloor, sq_xfloor) != 0 ||
	    sq_lazy(s, &s->xdel, sq_xdel) != 0)
		return -1;
	st = s->xhi;
	sqlite3_bind_int64(st, 1, x->after);
	sqlite3_bind_int64(st, 2, x->cut);
	sqlite3_bind_int64(st, 3, n);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		*hi = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return sq_fail(s, "expire");
	if (*hi <= x->after)
		return 0;
	if (sq_step_done(s, s->begin, "expire") != 0)
		return -1;
	if (sq_xrun(s, s->xfloor, x, *hi) != 0 ||
	    sq_xrun(s, s->xdel, x, *hi) != 0)
		return sq_xabort(s);
	*deleted = sqlite3_changes64(s->db);
	if (sq_step_done(s, s->commit, "expire") != 0)
		return sq_xabort(s);
	return 0;
}

static const char *
sq_errmsg(void *b)
{
	return sq_check(b)->err;
}

const struct store_ops store_sqlite_ops = {
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.put = sq_put,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.last_seq = sq_last_seq,
	.claim = sq_claim,
	.scan = sq_scan,
	.errmsg = sq_errmsg,
	.cmd_tables = sq_cmd_tables,
	.query = sq_query,
	.expire_bounds = sq_expire_bounds,
	.expire = sq_expire,
};
