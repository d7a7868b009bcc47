/*
 * store_pg.c: the PostgreSQL store backend (see store.h), through libpq.
 * Several management servers of one group share it: the primary key
 * (issuer, agent, seq) makes a message resent to another server after a
 * failover a no-op.  A batch is one pipeline: BEGIN, one prepared INSERT
 * ... ON CONFLICT DO NOTHING per row (binary parameters, no copy), COMMIT,
 * then one sync: one round trip and one WAL flush per batch.  The schema
 * version is in the table gw_schema (STORE_SCHEMA); a writer migrates an
 * older table under an advisory lock, in one transaction, and adds the
 * tables of the agents and commands (version 2), whose statements
 * (store_backend.c) run unprepared in single-row mode: a long result is
 * never held whole in memory; version 3 adds the floors of retention
 * (retained_floor), version 4 the agents' sans, not_after_ms, last_seq
 * and state (was online), version 5 their via.  Every server of a group
 * must run this code before any writes again: an older one's INSERT names
 * the old key and fails, or does not see the floors.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#include "store.h"
#include "store_backend.h"
#include "store_pg_schema.h"

#define PG_SCAN_CHUNK	"5000"
#define PG_MAGIC	0x5067536cu	/* "PgSl" */
#define PG_QCOLS	16	/* values out of a store_q statement */
/*
 * A server that hangs (SIGSTOP, a frozen VM) inside a transaction holds
 * the row locks of its uncommitted (issuer, agent, seq) keys, and the
 * server that takes over waits on them for every resent message.
 * PostgreSQL ends such a session after this long idle in its transaction;
 * ours are never idle in one for more than batch_delay.
 */
#define PG_SESSION_SETUP \
    "SET idle_in_transaction_session_timeout = 700"

struct store_pg {
	uint32_t	 magic;		/* PG_MAGIC */
	PGconn		*conn;
	int		 readonly;
	int		 legacy;	/* a reader of a version 0 table */
	int		 cmds;		/* 0, or the version (2 and up) */
	unsigned	 queued;	/* INSERTs in the open pipeline */
	char		 err[256];	/* the last error (pg_errmsg) */
	struct timespec	 reset_failed;	/* when a PQreset last failed */
};

/* What store.c hands an op must be a live PostgreSQL store. */
static struct store_pg *
pg_check(void *b)
{
	struct store_pg *s = b;

	if (s == NULL || s->magic != PG_MAGIC)
		abort();
	return s;
}

static int
pg_fail(struct store_pg *s, const char *what)
{
	char *nl;

	snprintf(s->err, sizeof(s->err), "%s: %s", what,
	    PQerrorMessage(s->conn));
	if ((nl = strchr(s->err, '\n')) != NULL)
		*nl = '\0';
	return -1;
}

static uint64_t
pg_be64(uint64_t v)
{
	return ((uint64_t)htonl((uint32_t)v) << 32) |
	    htonl((uint32_t)(v >> 32));
}

/*
 * A row is stored unless its key is (ON CONFLICT) or its seq is at or
 * below its agent's floor (retention deleted it, it was stored once):
 * both are duplicates, no row.
 */
static const char pg_put_sql[] =
    "INSERT INTO messages (issuer, agent, seq, gateway, fingerprint,"
    " received_ms, payload) SELECT $1::text, $2::text, $3::bigint,"
    " $4::text, $5::text, $6::bigint, $7::bytea WHERE NOT EXISTS (SELECT"
    " 1 FROM retained_floor WHERE issuer = $1::text AND agent = $2::text"
    " AND floor >= $3::bigint) ON CONFLICT (issuer, agent, seq) DO NOTHING";

static int
pg_prepare(struct store_pg *s)
{
	PGresult *res;

	res = PQexec(s->conn, PG_SESSION_SETUP);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(s, "session setup");
	}
	PQclear(res);
	res = PQprepare(s->conn, "put", pg_put_sql, 7, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(s, "prepare");
	}
	PQclear(res);
	return 0;
}

#define PG_RESET_INTERVAL	1.	/* seconds between two PQresets */

/*
 * Make sure the connection is up (after a server restart, say): at most
 * one PQreset (which blocks up to the connect timeout) per
 * PG_RESET_INTERVAL seconds; the calls in between fail at once with the
 * last error.
 */
static int
pg_connected(struct store_pg *s)
{
	struct timespec now, *f = &s->reset_failed;

	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((f->tv_sec != 0 || f->tv_nsec != 0) &&
	    (double)(now.tv_sec - f->tv_sec) +
	    (double)(now.tv_nsec - f->tv_nsec) / 1e9 < PG_RESET_INTERVAL)
		return -1;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		clock_gettime(CLOCK_MONOTONIC, &s->reset_failed);
		return pg_fail(s, "connect");
	}
	s->reset_failed = (struct timespec){ 0, 0 };
	return s->readonly ? 0 : pg_prepare(s);
}

static void pg_close(void *b);
static int pg_reader_schema(struct store_pg *s);

/*
 * store_pg_ops.open: connect to the database of libpq connection string
 * ${conninfo} and (unless ${readonly}) create the table.
 */
static void *
pg_open(const char *conninfo, int readonly, char *err, size_t errlen)
{
	struct store_pg *s;
	PGresult *res;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "postgresql: out of memory");
		return NULL;
	}
	s->magic = PG_MAGIC;
	s->readonly = readonly;
	s->conn = PQconnectdb(conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_fail(s, "postgresql: connect");
		goto fail;
	}
	if (!readonly) {
		res = PQexec(s->conn, store_pg_schema);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			pg_fail(s, "postgresql: create table");
			goto fail;
		}
		PQclear(res);
		if (pg_prepare(s) != 0)
			goto fail;
		s->cmds = STORE_SCHEMA;
	} else if (pg_reader_schema(s) != 0)
		goto fail;
	return s;
fail:
	snprintf(err, errlen, "%s", s->err);
	pg_close(s);
	return NULL;
}

/* A reader of the tables of version 2: which version (into s->cmds)? */
static int
pg_reader_version(struct store_pg *s)
{
	PGresult *res;

	res = PQexec(s->conn, "SELECT coalesce(max(version), 0) FROM "
	    "gw_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return pg_fail(s, "postgresql: schema");
	}
	if (atoi(PQgetvalue(res, 0, 0)) >= 4)
		s->cmds = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* A reader migrates nothing: is there an issuer, are there commands? */
static int
pg_reader_schema(struct store_pg *s)
{
	PGresult *res;

	res = PQexec(s->conn, "SELECT to_regclass('command_targets') IS NOT "
	    "NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return pg_fail(s, "postgresql: schema");
	}
	s->cmds = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 3 : 0;
	PQclear(res);
	if (s->cmds != 0 && pg_reader_version(s) != 0)
		return -1;
	res = PQexec(s->conn, "SELECT count(*) FROM "
	    "information_schema.columns WHERE table_name = 'messages' "
	    "AND column_name = 'issuer' AND table_schema = "
	    "current_schema()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		PQclear(res);
		return pg_fail(s, "postgresql: schema");
	}
	s->legacy = strcmp(PQgetvalue(res, 0, 0), "0") == 0;
	PQclear(res);
	return 0;
}

static void
pg_close(void *b)
{
	struct store_pg *s = pg_check(b);

	PQfinish(s->conn);
	s->magic = 0;
	free(s);
}

/* BEGIN opens the pipeline of the batch. */
static int
pg_begin(void *b)
{
	struct store_pg *s = pg_check(b);

	if (pg_connected(s) != 0)
		return -1;
	if (PQenterPipelineMode(s->conn) != 1 ||
	    PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL,
	    0) != 1)
		return pg_fail(s, "begin");
	s->queued = 0;
	return 0;
}

static int
pg_put(void *b, const struct store_row *r)
{
	struct store_pg *s = pg_check(b);
	uint64_t seq = pg_be64(r->seq);
	uint64_t ms = pg_be64((uint64_t)r->received_ms);
	const char *values[7] = { r->issuer, r->agent, (const char *)&seq,
	    r->gateway, r->fingerprint, (const char *)&ms, r->payload };
	int lengths[7] = { 0, 0, 8, 0, 0, 8, (int)r->len };
	static const int formats[7] = { 0, 0, 1, 0, 0, 1, 1 };

	if (r->len > 0x7fffffff ||
	    PQsendQueryPrepared(s->conn, "put", 7, values, lengths, formats,
	    0) != 1)
		return pg_fail(s, "insert");
	s->queued++;
	return 0;
}

/*
 * Did INSERT result ${res} fail because of its row?  SQLSTATE classes 22
 * (data exception: a value out of range, text not in the encoding), 23
 * (a constraint) and P0 (raised by a trigger); the others (connection,
 * resources, disk full, shutdown, deadlock) are the store's.
 */
static int
pg_row_error(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return state != NULL && (strncmp(state, "22", 2) == 0 ||
	    strncmp(state, "23", 2) == 0 || strncmp(state, "P0", 2) == 0);
}

/*
 * Sync the pipeline and read every result: BEGIN, the INSERTs, COMMIT
 * (when ${commit}).  Count INSERTs that stored a row.  Return 0 if all
 * succeeded, else -1 with the first error (and in ${refused} the place of
 * its INSERT if its row was refused).
 */
static int
pg_drain(struct store_pg *s, int commit, uint64_t *stored, uint64_t *dups,
    long *refused)
{
	unsigned expect = 1 + s->queued + (commit ? 1 : 0), i;
	PGresult *res;
	int rc = 0;

	if (commit && PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL,
	    NULL, NULL, 0) != 1)
		rc = pg_fail(s, "commit");
	if (PQpipelineSync(s->conn) != 1)
		return pg_fail(s, "sync");
	for (i = 0; i < expect; i++) {
		ExecStatusType st;

		if ((res = PQgetResult(s->conn)) == NULL) {
			if (rc == 0)
				rc = pg_fail(s, "pipeline");
			break;
		}
		st = PQresultStatus(res);
		if (st != PGRES_COMMAND_OK && rc == 0) {
			snprintf(s->err, sizeof(s->err), "%s: %s",
			    i == 0 ? "begin" : i == expect - 1 && commit ?
			    "commit" : "insert", st == PGRES_PIPELINE_ABORTED ?
			    "aborted" : PQresultErrorMessage(res));
			if (i > 0 && i <= s->queued && pg_row_error(res))
				*refused = (long)i - 1;
			rc = -1;
		} else if (st == PGRES_COMMAND_OK && i > 0 && i <= s->queued) {
			if (strcmp(PQcmdTuples(res), "1") == 0)
				(*stored)++;
			else
				(*dups)++;
		}
		PQclear(res);
		while ((res = PQgetResult(s->conn)) != NULL)
			PQclear(res);	/* the NULL after each query */
	}
	/* The sync itself. */
	while ((res = PQgetResult(s->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		PQclear(res);
	}
	if (PQexitPipelineMode(s->conn) != 1 && rc == 0)
		rc = pg_fail(s, "pipeline exit");
	s->queued = 0;
	return rc;
}

/* A failed COMMIT is rolled back here: the transaction is over. */
static int
pg_commit(void *b, uint64_t *stored, uint64_t *dups, long *refused)
{
	struct store_pg *s = pg_check(b);
	int rc;

	rc = pg_drain(s, 1, stored, dups, refused);
	if (rc != 0) {
		char *nl = strchr(s->err, '\n');

		if (nl != NULL)
			*nl = '\0';
		*stored = *dups = 0;
		if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		return STORE_EOVER;
	}
	return 0;
}

static void
pg_rollback(void *b)
{
	struct store_pg *s = pg_check(b);
	uint64_t stored = 0, dups = 0;
	long refused = -1;

	if (PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF)
		(void)pg_drain(s, 0, &stored, &dups, &refused);
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
}

static int
pg_claim(void *b, const char *issuer, const char *agent)
{
	struct store_pg *s = pg_check(b);
	const char *values[2] = { issuer, agent };
	PGresult *res;

	if (pg_connected(s) != 0)
		return -1;
	/*
	 * The floor first (a failure after it leaves the rows to claim),
	 * unless the issuer has one (it cannot: it has no rows, and
	 * retention keeps each agent's highest).
	 */
	res = PQexecParams(s->conn, "UPDATE retained_floor SET issuer = $1 "
	    "WHERE issuer = '' AND agent = $2 AND NOT EXISTS (SELECT 1 FROM "
	    "retained_floor AS f WHERE f.issuer = $1 AND f.agent = $2)", 2,
	    NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(s, "claim legacy floor");
	}
	PQclear(res);
	res = PQexecParams(s->conn, "UPDATE messages SET issuer = $1 WHERE "
	    "issuer = '' AND agent = $2", 2, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(s, "claim legacy rows");
	}
	PQclear(res);
	return 0;
}

static int
pg_last_seq(void *b, const char *issuer, const char *agent, uint64_t *out)
{
	struct store_pg *s = pg_check(b);
	const char *values[2] = { issuer, agent };
	PGresult *res;

	if (pg_connected(s) != 0)
		return -1;
	res = PQexecParams(s->conn, "SELECT coalesce(max(seq), 0) FROM "
	    "messages WHERE issuer = $1 AND agent = $2", 2, NULL, values,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		PQclear(res);
		return pg_fail(s, "last seq");
	}
	*out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* The binary bigint of field ${col} of row ${row}. */
static uint64_t
pg_bigint(const PGresult *res, int row, int col)
{
	uint64_t v;

	memcpy(&v, PQgetvalue(res, row, col), 8);
	return pg_be64(v);
}

static long
pg_scan(void *b, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	struct store_pg *s = pg_check(b);
	char cursor[24];
	const char *values[1] = { cursor };
	PGresult *res;
	long n = 0;
	int rows, stop = 0;

	do {
		snprintf(cursor, sizeof(cursor), "%lld", (long long)after);
		res = PQexecParams(s->conn, s->legacy ? "SELECT id, ''::text, "
		    "agent, seq, gateway, fingerprint, received_ms, payload "
		    "FROM messages WHERE id > $1 ORDER BY id LIMIT "
		    PG_SCAN_CHUNK : "SELECT id, issuer, agent, seq, gateway, "
		    "fingerprint, received_ms, payload FROM messages WHERE "
		    "id > $1 ORDER BY id LIMIT " PG_SCAN_CHUNK, 1, NULL,
		    values, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			return pg_fail(s, "scan");
		}
		rows = PQntuples(res);
		for (int i = 0; i < rows && !stop; i++) {
			const struct store_row r = {
				.id = (int64_t)pg_bigint(res, i, 0),
				.issuer = PQgetvalue(res, i, 1),
				.agent = PQgetvalue(res, i, 2),
				.seq = pg_bigint(res, i, 3),
				.gateway = PQgetvalue(res, i, 4),
				.fingerprint = PQgetvalue(res, i, 5),
				.received_ms = (int64_t)pg_bigint(res, i, 6),
				.payload = PQgetvalue(res, i, 7),
				.len = (size_t)PQgetlength(res, i, 7),
			};

			after = r.id;
			n++;
			stop = fn(&r, arg) != 0;
		}
		PQclear(res);
	} while (rows > 0 && !stop);
	return n;
}

static int
pg_cmd_tables(void *b)
{
	return pg_check(b)->cmds;
}

/* Value ${i} of row ${row} of ${res} (binary) into ${v}. */
static void
pg_val(const PGresult *res, int row, int i, struct store_val *v)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, i);
	size_t len = (size_t)PQgetlength(res, row, i);
	uint64_t x = 0;

	if (PQgetisnull(res, row, i)) {
		*v = (struct store_val){ .type = STORE_V_NULL };
		return;
	}
	switch (PQftype(res, i)) {
	case 20: case 23: case 21: case 16:	/* int8, int4, int2, bool */
		for (size_t k = 0; k < len && k < 8; k++)
			x = x << 8 | p[k];
		if (len > 0 && len < 8 && (p[0] & 0x80))
			x |= ~UINT64_C(0) << (8 * len);	/* sign */
		*v = (struct store_val){ .type = STORE_V_INT,
		    .i = (int64_t)x };
		break;
	case 17:				/* bytea */
		*v = (struct store_val){ .type = STORE_V_BLOB, .p = p,
		    .len = len };
		break;
	default:				/* text */
		*v = (struct store_val){ .type = STORE_V_TEXT, .p = p,
		    .len = len };
	}
}

/*
 * Read the results of the statement sent: each row to ${fn} (until it
 * returns non-zero; the rest are read and dropped), the rows written into
 * ${changes}.  The number of rows given, or -1.
 */
static long
pg_rows(struct store_pg *s,
    int (*fn)(const struct store_val *col, unsigned ncol, void *arg),
    void *arg, int64_t *changes)
{
	struct store_val col[PG_QCOLS];
	PGresult *res;
	long n = 0;
	int stop = fn == NULL, failed = 0;

	while ((res = PQgetResult(s->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && !stop && !failed) {
			unsigned ncol = (unsigned)PQnfields(res);

			ncol = ncol > PG_QCOLS ? PG_QCOLS : ncol;
			for (unsigned i = 0; i < ncol; i++)
				pg_val(res, 0, (int)i, &col[i]);
			n++;
			stop = fn(col, ncol, arg) != 0;
		} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			*changes = strtoll(PQcmdTuples(res), NULL, 10);
		} else if (st != PGRES_SINGLE_TUPLE && !failed) {
			snprintf(s->err, sizeof(s->err), "query: %s",
			    PQresultErrorMessage(res));
			failed = 1;
		}
		PQclear(res);
	}
	if (failed) {
		char *nl = strchr(s->err, '\n');

		if (nl != NULL)
			*nl = '\0';
		return -1;
	}
	return n;
}

/* store_pg_ops.query: see store_backend.h. */
static long
pg_query(void *b, enum store_q q, const struct store_val *in, unsigned nin,
    int (*fn)(const struct store_val *col, unsigned ncol, void *arg),
    void *arg, int64_t *changes)
{
	struct store_pg *s = pg_check(b);
	char ints[STORE_Q_VALS_MAX][24];
	const char *values[STORE_Q_VALS_MAX];
	int lengths[STORE_Q_VALS_MAX], formats[STORE_Q_VALS_MAX];

	PGresult *res;

	*changes = 0;
	if (nin > STORE_Q_VALS_MAX) {
		snprintf(s->err, sizeof(s->err), "query: %u values", nin);
		return -1;
	}
	if (pg_connected(s) != 0)
		return -1;
	for (unsigned i = 0; i < nin; i++) {
		if (in[i].len > 0x7fffffff) {
			snprintf(s->err, sizeof(s->err), "query: value of "
			    "%zu bytes", in[i].len);
			return -1;
		}
		values[i] = in[i].p;
		lengths[i] = (int)in[i].len;
		formats[i] = in[i].type == STORE_V_BLOB;
		if (in[i].type == STORE_V_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%lld",
			    (long long)in[i].i);
			values[i] = ints[i];
		} else if (in[i].type == STORE_V_NULL)
			values[i] = NULL;
	}
	if (PQsendQueryParams(s->conn, store_q_sql[q], (int)nin, NULL,
	    values, lengths, formats, 1) != 1 ||
	    PQsetSingleRowMode(s->conn) != 1) {
		pg_fail(s, "query");
		while ((res = PQgetResult(s->conn)) != NULL)
			PQclear(res);
		return -1;
	}
	return pg_rows(s, fn, arg, changes);
}

/*
 * Retention.  Servers of a group may run it at once: each deletes what is
 * old by the rows it sees; a row another deleted first is skipped (under
 * READ COMMITTED, DELETE rechecks a row it waited for).  The highest seq
 * of an agent is never deleted by anyone, so the subquery's is there.
 * The same statement raises the floor of each agent it deleted rows of
 * to the highest seq it deleted (see pg_put_sql): the floor of a row
 * another deleted is that one's; an upsert keeps the greater, in key
 * order (two servers lock the floors in the same order).
 */
static const char pg_xbounds[] =
    "SELECT coalesce((SELECT min(id) FROM messages WHERE"
    " received_ms >= $1::bigint), (SELECT max(id) + 1 FROM messages), 1),"
    " coalesce((SELECT max(id) FROM messages), 0)";
static const char pg_xhi[] =
    "SELECT max(id) FROM (SELECT id FROM messages WHERE id > $1::bigint"
    " AND id < $2::bigint ORDER BY id LIMIT $3::bigint) AS b";
static const char pg_xdel[] =
    "WITH d AS (DELETE FROM messages AS m WHERE id > $1::bigint AND"
    " id <= $2::bigint AND (received_ms < $3::bigint OR id < $4::bigint)"
    " AND seq < (SELECT max(x.seq) FROM messages AS x WHERE"
    " x.issuer = m.issuer AND x.agent = m.agent)"
    " RETURNING issuer, agent, seq),"
    " f AS (INSERT INTO retained_floor (issuer, agent, floor) SELECT"
    " issuer, agent, max(seq) FROM d GROUP BY issuer, agent"
    " ORDER BY issuer, agent"
    " ON CONFLICT (issuer, agent) DO UPDATE SET"
    " floor = GREATEST(retained_floor.floor, EXCLUDED.floor))"
    " SELECT count(*) FROM d";

/*
 * Run ${sql} with the ${n} integers ${v} (text); its result, or NULL
 * (failed: said in errmsg as ${what}).
 */
static PGresult *
pg_exec_ints(struct store_pg *s, const char *sql, const int64_t *v, int n,
    ExecStatusType want, const char *what)
{
	char buf[4][24];
	const char *values[4];
	PGresult *res;

	for (int i = 0; i < n && i < 4; i++) {
		snprintf(buf[i], sizeof(buf[i]), "%lld", (long long)v[i]);
		values[i] = buf[i];
	}
	if (pg_connected(s) != 0)
		return NULL;
	res = PQexecParams(s->conn, sql, n, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != want) {
		PQclear(res);
		pg_fail(s, what);
		return NULL;
	}
	return res;
}

/* store_pg_ops.expire_bounds: see store_backend.h. */
static int
pg_expire_bounds(void *b, int64_t since_ms, int64_t *first_new,
    int64_t *max_id)
{
	struct store_pg *s = pg_check(b);
	PGresult *res;

	res = pg_exec_ints(s, pg_xbounds, &since_ms, 1, PGRES_TUPLES_OK,
	    "expire bounds");
	if (res == NULL)
		return -1;
	*first_new = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*max_id = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	return 0;
}

/* store_pg_ops.expire: see store_backend.h. */
static int
pg_expire(void *b, const struct store_expire *x, unsigned n, int64_t *hi,
    int64_t *deleted)
{
	struct store_pg *s = pg_check(b);
	int64_t v[4] = { x->after, x->cut, n, 0 };
	PGresult *res;

	*hi = x->after;
	*deleted = 0;
	if ((res = pg_exec_ints(s, pg_xhi, v, 3, PGRES_TUPLES_OK,
	    "expire")) == NULL)
		return -1;
	if (!PQgetisnull(res, 0, 0))
		*hi = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (*hi <= x->after)
		return 0;
	v[1] = *hi;
	v[2] = x->before_ms;
	v[3] = x->rowcut;
	if ((res = pg_exec_ints(s, pg_xdel, v, 4, PGRES_TUPLES_OK,
	    "expire")) == NULL)
		return -1;
	*deleted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static const char *
pg_errmsg(void *b)
{
	return pg_check(b)->err;
}

const struct store_ops store_pg_ops = {
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.put = pg_put,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.last_seq = pg_last_seq,
	.claim = pg_claim,
	.scan = pg_scan,
	.errmsg = pg_errmsg,
	.cmd_tables = pg_cmd_tables,
	.query = pg_query,
	.expire_bounds = pg_expire_bounds,
	.expire = pg_expire,
};
