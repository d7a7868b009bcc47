/*
 * store_sqlite.c: the SQLite store backend (see store.h).  Prepared
 * statements, one connection, WAL with synchronous=FULL.  Rows are
 * inserted as they come, inside the open transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store_impl.h"

#define STORE_BUSY_MS	5000	/* wait for another process's lock */

struct store_sqlite {
	struct store	 base;
	sqlite3		*db;
	sqlite3_stmt	*put, *last, *scan, *begin, *commit, *rollback;
	int64_t		 next_id;	/* id of the next row stored */
	int64_t		 txn_id;	/* next_id when the transaction began */
	uint64_t	 stored, dups;	/* of the open transaction */
};

#define SQ(s)	((struct store_sqlite *)(s))

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS messages ("
    " agent TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " id INTEGER NOT NULL UNIQUE,"
    " gateway TEXT NOT NULL,"
    " fingerprint TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " payload BLOB NOT NULL,"
    " PRIMARY KEY (agent, seq));";

static int
store_fail(struct store_sqlite *s, const char *what)
{
	snprintf(s->base.err, sizeof(s->base.err), "%s: %s", what,
	    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

static int
store_prepare(struct store_sqlite *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
	    NULL) != SQLITE_OK)
		return store_fail(s, "prepare");
	return 0;
}

/* Run a statement with no result rows; reset it. */
static int
store_step_done(struct store_sqlite *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, what);
	return 0;
}

/* The id the next row gets: one more than the highest stored. */
static int
store_max_id(struct store_sqlite *s)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, "SELECT max(id) FROM messages", &st) != 0)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		s->next_id = sqlite3_column_int64(st, 0) + 1;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : store_fail(s, "max id");
}

static void sq_close(struct store *base);
static int sq_put(struct store *base, const struct store_row *r);
static int sq_commit(struct store *base, uint64_t *stored, uint64_t *dups);
static void sq_rollback(struct store *base);
static int sq_last_seq(struct store *base, const char *agent, uint64_t *out);
static long sq_scan(struct store *base, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg);

static const struct store_ops sq_ops = {
	sq_close, sq_put, sq_commit, sq_rollback, sq_last_seq, sq_scan
};

/**
 * store_sqlite_open(path, readonly, err, errlen): open (and unless
 * ${readonly} create) the database ${path}.  NULL with the reason in ${err}.
 */
struct store *
store_sqlite_open(const char *path, int readonly, char *err, size_t errlen)
{
	struct store_sqlite *s;
	char *msg = NULL;
	int flags = readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	s->base.ops = &sq_ops;
	if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	if (!readonly && (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=FULL;", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK)) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	if ((!readonly && (
	    store_prepare(s, "INSERT INTO messages (agent, seq, id, gateway, "
	    "fingerprint, received_ms, payload) VALUES (?, ?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (agent, seq) DO NOTHING", &s->put) != 0 ||
	    store_prepare(s, "BEGIN IMMEDIATE", &s->begin) != 0 ||
	    store_prepare(s, "COMMIT", &s->commit) != 0 ||
	    store_prepare(s, "ROLLBACK", &s->rollback) != 0)) ||
	    store_prepare(s, "SELECT max(seq) FROM messages WHERE agent = ?",
	    &s->last) != 0 ||
	    store_prepare(s, "SELECT id, agent, seq, gateway, fingerprint, "
	    "received_ms, payload FROM messages WHERE id > ? ORDER BY id",
	    &s->scan) != 0 ||
	    (!readonly && store_max_id(s) != 0)) {
		snprintf(err, errlen, "%s: %s", path, s->base.err);
		goto fail;
	}
	return &s->base;
fail:
	sq_close(&s->base);
	return NULL;
}

static void
sq_close(struct store *base)
{
	struct store_sqlite *s = SQ(base);

	sq_rollback(base);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->last);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_close(s->db);
	free(s);
}

static int
sq_put(struct store *base, const struct store_row *r)
{
	struct store_sqlite *s = SQ(base);
	sqlite3_stmt *st = s->put;
	int rc;

	if (!s->base.in_txn) {
		if (store_step_done(s, s->begin, "begin") != 0)
			return -1;
		s->base.in_txn = 1;
		s->txn_id = s->next_id;
		s->stored = s->dups = 0;
	}
	sqlite3_bind_text(st, 1, r->agent, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->seq);
	sqlite3_bind_int64(st, 3, s->next_id);
	sqlite3_bind_text(st, 4, r->gateway, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->received_ms);
	sqlite3_bind_blob64(st, 7, r->payload, r->len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		/* These are the row's; anything else is the database's. */
		switch (rc & 0xff) {
		case SQLITE_CONSTRAINT:
		case SQLITE_TOOBIG:
		case SQLITE_MISMATCH:
			s->base.refused = s->base.nput;
			break;
		}
		return store_fail(s, "insert");
	}
	if (sqlite3_changes(s->db) == 0) {
		s->dups++;
	} else {
		s->next_id++;
		s->stored++;
	}
	return 0;
}

static int
sq_commit(struct store *base, uint64_t *stored, uint64_t *dups)
{
	struct store_sqlite *s = SQ(base);

	if (store_step_done(s, s->commit, "commit") != 0)
		return -1;
	s->base.in_txn = 0;
	*stored = s->stored;
	*dups = s->dups;
	return 0;
}

static void
sq_rollback(struct store *base)
{
	struct store_sqlite *s = SQ(base);

	if (!s->base.in_txn || s->rollback == NULL)
		return;
	/* A failed COMMIT may already have rolled back: check first. */
	if (!sqlite3_get_autocommit(s->db))
		(void)store_step_done(s, s->rollback, "rollback");
	s->base.in_txn = 0;
	s->next_id = s->txn_id;
}

static int
sq_last_seq(struct store *base, const char *agent, uint64_t *out)
{
	struct store_sqlite *s = SQ(base);
	sqlite3_stmt *st = s->last;
	int rc;

	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, "last seq");
	return 0;
}

static long
sq_scan(struct store *base, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	struct store_sqlite *s = SQ(base);
	sqlite3_stmt *st = s->scan;
	struct store_row r;
	long n = 0;
	int rc;

	sqlite3_bind_int64(st, 1, after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.id = sqlite3_column_int64(st, 0);
		r.agent = (const char *)sqlite3_column_text(st, 1);
		r.seq = (uint64_t)sqlite3_column_int64(st, 2);
		r.gateway = (const char *)sqlite3_column_text(st, 3);
		r.fingerprint = (const char *)sqlite3_column_text(st, 4);
		r.received_ms = sqlite3_column_int64(st, 5);
		r.payload = sqlite3_column_blob(st, 6);
		r.len = (size_t)sqlite3_column_bytes(st, 6);
		n++;
		if (fn(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "scan");
	return n;
}
