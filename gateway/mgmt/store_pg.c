/*
 * store_pg.c: the PostgreSQL store backend (see store.h), through libpq.
 * Several management servers of one group share it: the primary key
 * (agent, seq) makes a message resent to another server after a failover
 * a no-op.  A batch is one pipeline: BEGIN, one prepared INSERT ... ON
 * CONFLICT DO NOTHING per row (binary parameters, no copy), COMMIT, then
 * one sync: one round trip and one WAL flush per batch.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "store_impl.h"

#define PG_SCAN_CHUNK	"5000"
/*
 * A server that hangs (SIGSTOP, a frozen VM) inside a transaction holds
 * the row locks of its uncommitted (agent, seq) keys, and the server that
 * takes over waits on them for every resent message.  PostgreSQL ends
 * such a session after this long idle in its transaction; ours are never
 * idle in one for more than batch_delay.
 */
#define PG_SESSION_SETUP \
    "SET idle_in_transaction_session_timeout = 700"

struct store_pg {
	struct store	 base;
	PGconn		*conn;
	int		 readonly;
	unsigned	 queued;	/* INSERTs in the open pipeline */
};

#define PG(s)	((struct store_pg *)(s))

static const char pg_schema[] =
    "SELECT pg_advisory_lock(4747001);"
    "CREATE TABLE IF NOT EXISTS messages ("
    " agent text NOT NULL,"
    " seq bigint NOT NULL,"
    " id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    " gateway text NOT NULL,"
    " fingerprint text NOT NULL,"
    " received_ms bigint NOT NULL,"
    " payload bytea NOT NULL,"
    " PRIMARY KEY (agent, seq));"
    "SELECT pg_advisory_unlock(4747001);";

static int
pg_fail(struct store_pg *s, const char *what)
{
	char *nl;

	snprintf(s->base.err, sizeof(s->base.err), "%s: %s", what,
	    PQerrorMessage(s->conn));
	if ((nl = strchr(s->base.err, '\n')) != NULL)
		*nl = '\0';
	return -1;
}

static uint64_t
pg_be64(uint64_t v)
{
	return ((uint64_t)htonl((uint32_t)v) << 32) | htonl((uint32_t)(v >> 32));
}

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
	res = PQprepare(s->conn, "put", "INSERT INTO messages (agent, seq, "
	    "gateway, fingerprint, received_ms, payload) VALUES ($1, $2, $3, "
	    "$4, $5, $6) ON CONFLICT (agent, seq) DO NOTHING", 6, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return pg_fail(s, "prepare");
	}
	PQclear(res);
	return 0;
}

/* Make sure the connection is up (after a server restart, say). */
static int
pg_connected(struct store_pg *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK)
		return pg_fail(s, "connect");
	return s->readonly ? 0 : pg_prepare(s);
}

static void pg_close(struct store *base);
static int pg_put(struct store *base, const struct store_row *r);
static int pg_commit(struct store *base, uint64_t *stored, uint64_t *dups);
static void pg_rollback(struct store *base);
static int pg_last_seq(struct store *base, const char *agent, uint64_t *out);
static long pg_scan(struct store *base, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg);

static const struct store_ops pg_ops = {
	pg_close, pg_put, pg_commit, pg_rollback, pg_last_seq, pg_scan
};

/**
 * store_pg_open(conninfo, readonly, err, errlen): connect to the database
 * of libpq connection string ${conninfo} and (unless ${readonly}) create
 * the table.  NULL with the reason in ${err}.
 */
struct store *
store_pg_open(const char *conninfo, int readonly, char *err, size_t errlen)
{
	struct store_pg *s;
	PGresult *res;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "postgresql: out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->readonly = readonly;
	s->conn = PQconnectdb(conninfo);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		pg_fail(s, "postgresql: connect");
		goto fail;
	}
	if (!readonly) {
		res = PQexec(s->conn, pg_schema);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			pg_fail(s, "postgresql: create table");
			goto fail;
		}
		PQclear(res);
		if (pg_prepare(s) != 0)
			goto fail;
	}
	return &s->base;
fail:
	snprintf(err, errlen, "%s", s->base.err);
	pg_close(&s->base);
	return NULL;
}

static void
pg_close(struct store *base)
{
	struct store_pg *s = PG(base);

	pg_rollback(base);
	PQfinish(s->conn);
	free(s);
}

static int
pg_put(struct store *base, const struct store_row *r)
{
	struct store_pg *s = PG(base);
	uint64_t seq = pg_be64(r->seq), ms = pg_be64((uint64_t)r->received_ms);
	const char *values[6] = { r->agent, (const char *)&seq, r->gateway,
	    r->fingerprint, (const char *)&ms, r->payload };
	int lengths[6] = { 0, 8, 0, 0, 8, (int)r->len };
	static const int formats[6] = { 0, 1, 0, 0, 1, 1 };

	if (!s->base.in_txn) {
		if (pg_connected(s) != 0)
			return -1;
		if (PQenterPipelineMode(s->conn) != 1 ||
		    PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL,
		    NULL, 0) != 1)
			return pg_fail(s, "begin");
		s->base.in_txn = 1;
		s->queued = 0;
	}
	if (r->len > 0x7fffffff ||
	    PQsendQueryPrepared(s->conn, "put", 6, values, lengths, formats,
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
 * succeeded, else -1 with the first error.
 */
static int
pg_drain(struct store_pg *s, int commit, uint64_t *stored, uint64_t *dups)
{
	unsigned expect = 1 + s->queued + (commit ? 1 : 0), i;
	PGresult *res;
	int rc = 0;

	if (commit && PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL, NULL,
	    NULL, 0) != 1)
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
			snprintf(s->base.err, sizeof(s->base.err), "%s: %s",
			    i == 0 ? "begin" : i == expect - 1 && commit ?
			    "commit" : "insert", st == PGRES_PIPELINE_ABORTED ?
			    "aborted" : PQresultErrorMessage(res));
			if (i > 0 && i <= s->queued && pg_row_error(res))
				s->base.refused = (long)i - 1;
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

static int
pg_commit(struct store *base, uint64_t *stored, uint64_t *dups)
{
	struct store_pg *s = PG(base);
	int rc;

	rc = pg_drain(s, 1, stored, dups);
	s->base.in_txn = 0;
	if (rc != 0) {
		char *nl = strchr(s->base.err, '\n');

		if (nl != NULL)
			*nl = '\0';
		*stored = *dups = 0;
		if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
			PQclear(PQexec(s->conn, "ROLLBACK"));
	}
	return rc;
}

static void
pg_rollback(struct store *base)
{
	struct store_pg *s = PG(base);
	uint64_t a = 0, b = 0;

	if (!s->base.in_txn)
		return;
	if (PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF)
		(void)pg_drain(s, 0, &a, &b);
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->base.in_txn = 0;
}

static int
pg_last_seq(struct store *base, const char *agent, uint64_t *out)
{
	struct store_pg *s = PG(base);
	const char *values[1] = { agent };
	PGresult *res;

	if (pg_connected(s) != 0)
		return -1;
	res = PQexecParams(s->conn, "SELECT coalesce(max(seq), 0) FROM "
	    "messages WHERE agent = $1", 1, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		PQclear(res);
		return pg_fail(s, "last seq");
	}
	*out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

static long
pg_scan(struct store *base, int64_t after,
    int (*fn)(const struct store_row *r, void *arg), void *arg)
{
	struct store_pg *s = PG(base);
	struct store_row r;
	char cursor[24];
	const char *values[1] = { cursor };
	PGresult *res;
	long n = 0;
	int rows, stop = 0;

	do {
		snprintf(cursor, sizeof(cursor), "%lld", (long long)after);
		res = PQexecParams(s->conn, "SELECT id, agent, seq, gateway, "
		    "fingerprint, received_ms, payload FROM messages WHERE "
		    "id > $1 ORDER BY id LIMIT " PG_SCAN_CHUNK, 1, NULL,
		    values, NULL, NULL, 1);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			return pg_fail(s, "scan");
		}
		rows = PQntuples(res);
		for (int i = 0; i < rows && !stop; i++) {
			uint64_t v;

			memcpy(&v, PQgetvalue(res, i, 0), 8);
			r.id = (int64_t)pg_be64(v);
			r.agent = PQgetvalue(res, i, 1);
			memcpy(&v, PQgetvalue(res, i, 2), 8);
			r.seq = pg_be64(v);
			r.gateway = PQgetvalue(res, i, 3);
			r.fingerprint = PQgetvalue(res, i, 4);
			memcpy(&v, PQgetvalue(res, i, 5), 8);
			r.received_ms = (int64_t)pg_be64(v);
			r.payload = PQgetvalue(res, i, 6);
			r.len = (size_t)PQgetlength(res, i, 6);
			after = r.id;
			n++;
			stop = fn(&r, arg) != 0;
		}
		PQclear(res);
	} while (rows > 0 && !stop);
	return n;
}
