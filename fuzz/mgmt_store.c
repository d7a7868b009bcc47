/*
 * mgmt_store.c: fuzz_mgmt's store side (see mgmt_env.h): gw-mgmt's own
 * SQLite connection made to refuse inserts or a commit when the input
 * says (MGMT_FAULT), and a second, read-only connection that sees only
 * what is committed, against which mgmt_check and the gateways' checks
 * (mgmt_link.c) tell what is durable.  The commands made (MGMT_CMD) and
 * their targets' states as last seen, against which mgmt_check tells who
 * changed which.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "fuzz.h"
#include "mgmt_env.h"
#include "mgmt_env_impl.h"
#include "store.h"
#include "store_cmd.h"

#define MG_CMDS		8	/* commands made per input */

/* A command made: its targets (a bit per agent of mg.names), where its
 * COMMAND went, its targets' states as last seen (-1: not a target). */
struct mg_cmd {
	int64_t		 id;
	int		 expired;	/* made past its expiry */
	uint32_t	 targets;
	uint32_t	 sent;
	int8_t		 state[MG_NAMES];
};

static struct mg_cmd cmds[MG_CMDS];
static unsigned ncmds;
static int64_t clock_ms;

/* The store: its connection (faults), a reader, what each one saw. */
static sqlite3 *store_db, *reader;
static sqlite3_stmt *rd_new, *rd_count, *rd_has, *rd_max;
static int capturing;
static unsigned fault_mode;
static struct mg_row durable[MG_SENT], pending[MG_SENT], scanned[MG_SENT];
static unsigned ndurable, npending, nscanned;
static int64_t durable_id;		/* highest committed id */
static int rows_full;

/* SQLite: find the store's connection, refuse on command. */

static int
mg_capture(sqlite3 *db, char **err, const void *api)
{
	(void)err;
	(void)api;
	if (capturing) {
		store_db = db;
		capturing = 0;
	}
	return SQLITE_OK;
}

static void
mg_refuse_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	if (fault_mode == 1)
		mg.faults++;
	sqlite3_result_int(ctx, fault_mode == 1);
}

static int
mg_commit_hook(void *arg)
{
	(void)arg;
	if (fault_mode != 2)
		return 0;
	fault_mode = 0;
	mg.faults++;
	return 1;		/* the COMMIT becomes a ROLLBACK */
}

void
mg_store_init(void)
{
	if (sqlite3_auto_extension((void (*)(void))mg_capture) != SQLITE_OK)
		abort();
}

void
mg_store_reset(void)
{
	fault_mode = 0;
	ncmds = 0;
	ndurable = npending = 0;
	rows_full = 0;
	durable_id = 0;
}

void
mg_store_done(void)
{
	sqlite3_finalize(rd_new);
	sqlite3_finalize(rd_count);
	sqlite3_finalize(rd_has);
	sqlite3_finalize(rd_max);
	sqlite3_close(reader);
	rd_new = rd_count = rd_has = rd_max = NULL;
	reader = store_db = NULL;
}

int
mgmt_env_store(struct store **s, const char *path, char *err,
    size_t errlen)
{
	struct store_conf sc = { .type = STORE_SQLITE, .path = path };

	store_db = NULL;
	capturing = 1;
	*s = store_open(&sc, 0, err, errlen);
	capturing = 0;
	if (*s == NULL)
		return -1;
	if (store_db == NULL ||
	    sqlite3_create_function(store_db, "fuzz_refuse", 0, SQLITE_UTF8,
	    NULL, mg_refuse_fn, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(store_db, "CREATE TEMP TRIGGER fuzz_refuse BEFORE "
	    "INSERT ON main.messages WHEN fuzz_refuse() BEGIN "
	    "SELECT RAISE(ABORT, 'fuzz: insert refused'); END", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT id, agent, seq, payload FROM "
	    "messages WHERE id > ? ORDER BY id", -1, &rd_new, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT count(*) FROM messages", -1,
	    &rd_count, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT 1 FROM messages WHERE agent = ? "
	    "AND seq = ?", -1, &rd_has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT max(seq) FROM messages WHERE "
	    "agent = ?", -1, &rd_max, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, reader != NULL ?
		    sqlite3_errmsg(reader) : store_db != NULL ?
		    sqlite3_errmsg(store_db) : "no connection");
		return -1;
	}
	sqlite3_commit_hook(store_db, mg_commit_hook, NULL);
	return 0;
}

void
mgmt_fault(unsigned mode)
{
	fault_mode = mode % 3;
}

/* The commands (MGMT_CMD), made through the store as the CLI does. */

void
mgmt_clock(int64_t now_ms)
{
	clock_ms = now_ms;
}

static int
mg_target_cb(const struct store_target *t, void *arg)
{
	int8_t *st = arg;
	int name = mg_name(t->agent, 0);

	if (name >= 0)
		st[name] = (int8_t)t->state;
	return 0;
}

/* The states of ${c}'s targets now into ${st}; -1 if the store failed. */
static int
mg_cmd_states(struct store *s, const struct mg_cmd *c,
    int8_t st[MG_NAMES])
{
	memset(st, -1, MG_NAMES);
	return store_cmd_targets(s, c->id, clock_ms, mg_target_cb, st) < 0 ?
	    -1 : 0;
}

void
mgmt_command(struct store *s, unsigned sel)
{
	struct mg_cmd *c = &cmds[ncmds];
	struct store_cmd sc;
	char pattern[16], body[16];
	long n = 0, bits = 0;

	if (ncmds == MG_CMDS)
		return;
	snprintf(pattern, sizeof(pattern), sel & 4 ? "agent-*" :
	    "agent-%u", sel & 3);
	snprintf(body, sizeof(body), "cmd-%u", ncmds);
	memset(&sc, 0, sizeof(sc));
	sc.target = pattern;
	sc.body = body;
	sc.len = strlen(body);
	sc.created_ms = clock_ms - 10000;
	sc.expires_ms = sel & 8 ? clock_ms - 1 : clock_ms + 3600000;
	/* No agent of that name known yet, or the store made to fail. */
	if (store_cmd_create(s, &sc, sel & 4 ? STORE_MATCH_GLOB :
	    STORE_MATCH_NAME, pattern, &n) != 0)
		return;
	memset(c, 0, sizeof(*c));
	c->id = sc.id;
	c->expired = (sel & 8) != 0;
	FUZZ_CHECK(mg_cmd_states(s, c, c->state) == 0);
	for (unsigned k = 0; k < MG_NAMES; k++)
		if (c->state[k] >= 0) {
			c->targets |= 1u << k;
			bits++;
		}
	FUZZ_CHECK(bits == n || mg.names_full);
	ncmds++;
}

uint64_t
mgmt_cmd_id(unsigned sel)
{
	switch (sel % MGMT_IDS) {
	case MGMT_ID_UNKNOWN:
		return 1000000;
	case MGMT_ID_I64MAX1:
		return (uint64_t)INT64_MAX + 1;
	case MGMT_ID_U64MAX:
		return UINT64_MAX;
	default:
		return ncmds == 0 ? 1 :
		    (uint64_t)cmds[(sel / MGMT_IDS) % ncmds].id;
	}
}

void
mg_cmd_sent(int name, uint64_t id)
{
	for (unsigned i = 0; i < ncmds; i++)
		if (cmds[i].id == (int64_t)id) {
			FUZZ_CHECK(cmds[i].targets & (1u << name));
			FUZZ_CHECK(!cmds[i].expired);
			cmds[i].sent |= 1u << name;
			return;
		}
	FUZZ_CHECK(!"a COMMAND for no command made");
}

/*
 * The targets' states, after a step: one delivered or answered had its
 * COMMAND sent to a channel of its agent; an answer stays the first; and
 * in a gateway's step only the agent of its channel changed (the resend
 * round, which expires targets, is no gateway's).
 */
static void
mg_cmd_check(struct store *s)
{
	int8_t st[MG_NAMES];
	int actor = mg_actor_name();

	for (unsigned i = 0; i < ncmds; i++) {
		struct mg_cmd *c = &cmds[i];

		if (mg_cmd_states(s, c, st) != 0)
			return;		/* the store made to fail */
		for (unsigned k = 0; k < MG_NAMES; k++) {
			if (st[k] == c->state[k])
				continue;
			FUZZ_CHECK(c->state[k] >= 0);
			FUZZ_CHECK(c->state[k] != STORE_CMD_DONE &&
			    c->state[k] != STORE_CMD_FAILED);
			if (st[k] != STORE_CMD_EXPIRED)
				FUZZ_CHECK(c->sent & (1u << k));
			if (mg.actor >= 0 && actor != -2 && actor != (int)k) {
				fprintf(stderr, "fuzz_mgmt: command %lld of "
				    "%s: %s to %s by what link %d channel %u "
				    "sent\n", (long long)c->id, mg.names[k],
				    store_cmd_state_str(c->state[k]),
				    store_cmd_state_str(st[k]), mg.actor,
				    mg.actor_chan);
				FUZZ_CHECK(!"a target changed by another");
			}
			c->state[k] = st[k];
		}
	}
}

/* The committed view (the reader). */

int
mg_durable_has(int name, uint64_t seq)
{
	int rc;

	sqlite3_bind_text(rd_has, 1, mg.names[name], -1, SQLITE_STATIC);
	sqlite3_bind_int64(rd_has, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(rd_has);
	sqlite3_reset(rd_has);
	FUZZ_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE);
	return rc == SQLITE_ROW;
}

uint64_t
mg_durable_max(int name)
{
	uint64_t max = 0;
	int rc;

	sqlite3_bind_text(rd_max, 1, mg.names[name], -1, SQLITE_STATIC);
	rc = sqlite3_step(rd_max);
	FUZZ_CHECK(rc == SQLITE_ROW);
	max = (uint64_t)sqlite3_column_int64(rd_max, 0);
	sqlite3_reset(rd_max);
	return max;
}

static int
mg_scanned(const struct store_row *r, void *arg)
{
	(void)arg;
	if (nscanned == MG_SENT) {
		rows_full = 1;
		return 1;
	}
	scanned[nscanned].id = r->id;
	scanned[nscanned].name = mg_name(r->agent, 0);
	scanned[nscanned].seq = r->seq;
	scanned[nscanned].hash = mg_hash(r->payload, r->len);
	nscanned++;
	return 0;
}

/* Did some channel send ${r}: its agent, seq and payload? */
static int
mg_was_sent(const struct mg_row *r)
{
	if (mg.sent_full || mg.names_full)
		return 1;
	for (unsigned i = 0; i < mg.nsent; i++)
		if (mg.sent[i].name == r->name && mg.sent[i].seq == r->seq &&
		    mg.sent[i].hash == r->hash)
			return 1;
	return 0;
}

/* Is (name, seq) of ${p} among rows[from, to)? */
static int
mg_row_in(const struct mg_row *p, const struct mg_row *rows, unsigned from,
    unsigned to)
{
	for (unsigned i = from; i < to; i++)
		if (rows[i].name == p->name && rows[i].seq == p->seq)
			return 1;
	return 0;
}

void
mgmt_check(struct store *s)
{
	unsigned i, was = ndurable;
	int64_t count;
	int rc;

	mg_cmd_check(s);
	if (rows_full)
		return;
	/* Committed rows are never lost; new ones were sent. */
	rc = sqlite3_step(rd_count);
	FUZZ_CHECK(rc == SQLITE_ROW);
	count = sqlite3_column_int64(rd_count, 0);
	sqlite3_reset(rd_count);
	sqlite3_bind_int64(rd_new, 1, durable_id);
	while ((rc = sqlite3_step(rd_new)) == SQLITE_ROW) {
		struct mg_row r;

		if (ndurable == MG_SENT) {
			rows_full = 1;
			break;
		}
		r.id = sqlite3_column_int64(rd_new, 0);
		r.name = mg_name((const char *)sqlite3_column_text(rd_new, 1),
		    0);
		r.seq = (uint64_t)sqlite3_column_int64(rd_new, 2);
		r.hash = mg_hash(sqlite3_column_blob(rd_new, 3),
		    (size_t)sqlite3_column_bytes(rd_new, 3));
		FUZZ_CHECK(r.name >= 0 || mg.names_full);
		FUZZ_CHECK(mg_was_sent(&r));
		durable[ndurable++] = r;
		durable_id = r.id;
	}
	sqlite3_reset(rd_new);
	if (rows_full)
		return;
	FUZZ_CHECK(rc == SQLITE_DONE);
	FUZZ_CHECK(count == (int64_t)ndurable);

	/*
	 * The open batch (the store's own connection sees it): a row that
	 * was there and is gone was rolled back.  Only the store failing, or
	 * the channel that sent it, may cause that.
	 */
	nscanned = 0;
	FUZZ_CHECK(store_scan(s, durable_id, mg_scanned, NULL) >= 0);
	if (rows_full)
		return;
	for (i = 0; i < npending; i++) {
		const struct mg_row *p = &pending[i];

		/* Committed now, or still there (its id may change). */
		if (mg_row_in(p, durable, was, ndurable) ||
		    mg_row_in(p, scanned, 0, nscanned))
			continue;
		if (mg.faults != mg.step_faults || mg.teardown || p->name < 0 ||
		    mg_actor_sent(p->name, p->seq))
			continue;
		fprintf(stderr, "fuzz_mgmt: row %s/%llu rolled back by what "
		    "link %d channel %u sent\n", mg.names[p->name],
		    (unsigned long long)p->seq, mg.actor, mg.actor_chan);
		FUZZ_CHECK(!"a row rolled back for another channel");
	}
	for (i = 0; i < nscanned; i++)
		FUZZ_CHECK(scanned[i].name >= 0 || mg.names_full);
	memcpy(pending, scanned, nscanned * sizeof(scanned[0]));
	npending = nscanned;
}
