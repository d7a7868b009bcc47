/*
 * link_fixture.c: the world of the unit tests of gw-mgmt's link.c,
 * mchan.c and commit.c (test_link*.c; see link_fixture.h): a gw-mgmt
 * without sockets (mgmt_world.h) whose gateways are fake conns
 * (fake_conn.h), over a real SQLite store in a temporary directory, read
 * back from a second connection that sees only committed rows.  Every ACK
 * and OPEN_ACK gw-mgmt sends is checked, when it is sent, against that
 * committed view: an ACK never covers a row that is not durable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "commit.h"
#include "fake_conn.h"
#include "identity.h"
#include "link.h"
#include "link_fixture.h"
#include "log.h"
#include "mchan.h"
#include "mgmt.h"
#include "mgmt_world.h"
#include "proto.h"
#include "x509_issue.h"

struct link_world T;

static mbedtls_x509_crt crts[NCRTS];

static const char conf[] =
    "[mgmt]\n"
    "cert = mgmt.crt\nkey = mgmt.key\ngateway_ca = ca.crt\n"
    "gateway_names = gw-*\n"
    "max_payload = 1024\n"
    "[store]\n"
    "database = unused.db\n";

/* The integer that ${sql} selects for ${agent} (0: none), as another
 * reader. */
static int64_t
committed_int(const char *sql, const char *agent)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	assert_int_equal(sqlite3_prepare_v2(T.reader, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The highest committed seq of ${agent} (0: none), as another reader. */
static uint64_t
committed_max(const char *agent)
{
	return (uint64_t)committed_int("SELECT max(seq) FROM messages WHERE "
	    "agent = ?", agent);
}

/** committed_count(agent): rows of ${agent} committed, as another reader. */
unsigned
committed_count(const char *agent)
{
	return (unsigned)committed_int("SELECT count(*) FROM messages WHERE "
	    "agent = ?", agent);
}

static const char *
chan_agent(struct conn *c, uint32_t channel)
{
	for (unsigned i = T.nchans; i-- > 0;)
		if (T.chans[i].c == c && T.chans[i].channel == channel)
			return T.chans[i].agent;
	return NULL;
}

/* fake_conn_env.sent: record; an ACK or OPEN_ACK covers durable rows. */
static void
on_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	struct sent *s = NULL;
	const char *agent;

	if (!fits || T.quiet)
		return;
	assert_true(T.nsent < NSENT);
	s = &T.sent[T.nsent++];
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->type = f->type;
	s->channel = f->channel;
	if (f->type == GW_T_ACK || f->type == GW_T_OPEN_ACK) {
		s->seq = f->u.ack.seq;
		/* Not asserted here, inside the conn: by check_durable. */
		agent = chan_agent(c, f->channel);
		if (agent == NULL || s->seq > committed_max(agent))
			T.undurable++;
	}
	if (f->type == GW_T_HELLO_ACK)
		s->seq = f->u.hello_ack.caps;
	if (f->type == GW_T_COMMAND) {
		s->seq = f->u.data.seq;
		snprintf(s->text, sizeof(s->text), "%.*s",
		    (int)f->u.data.body.len,
		    (const char *)f->u.data.body.p);
	}
	if (f->type == GW_T_ENROLL_RESULT) {
		s->seq = f->u.enroll_result.ref;
		s->code = f->u.enroll_result.reason;
	}
	if (f->type == GW_T_CLOSE) {
		s->code = f->u.reason.code;
		snprintf(s->text, sizeof(s->text), "%.*s",
		    (int)f->u.reason.text.len,
		    (const char *)f->u.reason.text.p);
	}
}

static void
on_closing(struct conn *c, unsigned reason, const char *detail)
{
	(void)detail;
	assert_true(T.nclosed < 16);
	T.closed[T.nclosed] = c;
	T.reasons[T.nclosed++] = reason;
}

/* fake_conn_env.made: a new conn may reuse a freed one's address. */
static void
on_made(struct conn *c)
{
	for (unsigned i = 0; i < T.nsent; i++)
		if (T.sent[i].c == c)
			T.sent[i].c = NULL;
	for (unsigned i = 0; i < T.nclosed; i++)
		if (T.closed[i] == c)
			T.closed[i] = NULL;
	for (unsigned i = 0; i < T.nchans; i++)
		if (T.chans[i].c == c)
			T.chans[i].c = NULL;
}

static const struct fake_conn_env env = {
	.accepts = 4,
	.queue_cap = 65536,
	.sent = on_sent,
	.closing = on_closing,
	.made = on_made,
};

/**
 * sent(c, type, channel, last): how many frames of ${type} gw-mgmt sent on
 * ${c}'s ${channel}; the last into ${last} unless NULL.
 */
unsigned
sent(struct conn *c, uint8_t type, uint32_t channel, struct sent **last)
{
	unsigned n = 0;

	for (unsigned i = 0; i < T.nsent; i++)
		if (T.sent[i].c == c && T.sent[i].type == type &&
		    T.sent[i].channel == channel) {
			n++;
			if (last != NULL)
				*last = &T.sent[i];
		}
	return n;
}

/** closed(c): the reason ${c} was closed with; -1 if it was not. */
int
closed(struct conn *c)
{
	for (unsigned i = 0; i < T.nclosed; i++)
		if (T.closed[i] == c)
			return (int)T.reasons[i];
	return -1;
}

/* Does the open transaction write the agents table? */
static int agents_written;

static void
update_hook(void *arg, int op, const char *db, const char *table,
    sqlite3_int64 rowid)
{
	(void)arg;
	(void)op;
	(void)db;
	(void)rowid;
	if (strcmp(table, "agents") == 0)
		agents_written = 1;
}

static void
rollback_hook(void *arg)
{
	(void)arg;
	agents_written = 0;
}

/*
 * SQLite: every connection gets the hook that can refuse a COMMIT, and
 * counts the COMMITs that write the agents table.
 */
static int
commit_hook(void *arg)
{
	(void)arg;
	if (agents_written && !T.refuse_commit)
		T.agent_commits++;
	agents_written = 0;
	if (!T.refuse_commit)
		return 0;
	T.refuse_commit = 0;
	return 1;		/* the COMMIT becomes a ROLLBACK */
}

/* SQLite: count the statements of store_cmd_pending (STORE_Q_PENDING). */
static int
trace_hook(unsigned type, void *arg, void *p, void *x)
{
	(void)arg;
	(void)p;
	if (type == SQLITE_TRACE_STMT &&
	    strstr((const char *)x, "ORDER BY c.id LIMIT") != NULL)
		T.pending_queries++;
	return 0;
}

static int
hook_all(sqlite3 *db, char **err, const void *api)
{
	(void)err;
	(void)api;
	sqlite3_commit_hook(db, commit_hook, NULL);
	sqlite3_update_hook(db, update_hook, NULL);
	sqlite3_rollback_hook(db, rollback_hook, NULL);
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace_hook, NULL);
	return SQLITE_OK;
}

/** link_fixture_setup(state), link_fixture_teardown(state): cmocka's. */
int
link_fixture_setup(void **state)
{
	struct store_conf sc = { .type = STORE_SQLITE };
	struct ev_loop *loop;
	struct store *store;
	char err[512];

	(void)state;
	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "/var/tmp/gwlink.XXXXXX");
	assert_non_null(mkdtemp(T.dir));
	snprintf(T.path, sizeof(T.path), "%s/store.db", T.dir);
	if (mgmt_config_load_string(conf, "mgmt", "/", &T.cfg, err,
	    sizeof(err)) != 0)
		fail_msg("config: %s", err);
	T.cfg.batch_max = 64;
	fake_conn_reset(&env);
	assert_non_null(loop = ev_loop_new(EVFLAG_AUTO));
	sc.path = T.path;
	if ((store = store_open(&sc, 0, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	if (mgmt_world_init(&T.m, &T.cfg, loop, store, err,
	    sizeof(err)) != 0)
		fail_msg("mgmt_world_init: %s", err);
	assert_int_equal(sqlite3_open_v2(T.path, &T.reader,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return 0;
}

/** check_durable(): no ACK or OPEN_ACK went above the committed rows. */
void
check_durable(void)
{
	assert_int_equal(T.undurable, 0);
}

/** send_frame(c, f): the gateway on ${c} sends ${f}; then check_durable. */
void
send_frame(struct conn *c, const struct gw_frame *f)
{
	fake_conn_frame(c, f);
	conn_reap();
	check_durable();
}

/** commit(): the batch commits (a full batch, or gw-mgmt stopping). */
void
commit(void)
{
	commit_now(&T.m);
	check_durable();
}

/*
 * As gw-mgmt stops: commit, close every link; nothing may be left.  What
 * is checked is checked after the cleanup, so that a failure here leaves
 * the next test a clean world.
 */
int
link_fixture_teardown(void **state)
{
	unsigned live, nlinks, undurable;
	int dirty, agents, timer;
	char cmd[160];

	(void)state;
	commit_now(&T.m);
	conn_reap();
	mgmt_world_stop(&T.m, "test over");
	live = fake_conn_live();
	nlinks = T.m.links->n;
	undurable = T.undurable;
	dirty = !TAILQ_EMPTY(&T.m.commit->dirty);
	agents = T.m.chans->agents != NULL;
	timer = ev_is_active(&T.m.commit->batch_timer);
	mgmt_world_free(&T.m);
	sqlite3_close(T.reader);
	ev_loop_destroy(T.m.loop);
	mgmt_config_free(&T.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(live, 0);
	assert_int_equal(nlinks, 0);
	assert_int_equal(undurable, 0);
	assert_false(dirty);
	assert_false(agents);
	assert_false(timer);
	return 0;
}

/**
 * hello(c, caps): the gateway on ${c} sends HELLO with capabilities
 * ${caps}, answered by one HELLO_ACK.
 */
void
hello(struct conn *c, uint32_t caps)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = 1;
	f.u.hello.vmax = 1;
	f.u.hello.caps = caps;
	f.u.hello.max_payload = 1024;
	send_frame(c, &f);
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, NULL), 1);
}

/**
 * gateway(crt, hello_too): a gateway with certificate ${crt} connects;
 * HELLO without capabilities (answered by HELLO_ACK) if ${hello_too}.
 * Return its conn.
 */
struct conn *
gateway(int crt, int hello_too)
{
	struct conn *c;
	unsigned before = fake_conn_live();

	link_accept(&T.m, -1);
	assert_int_equal(fake_conn_live(), before + 1);
	c = NULL;
	for (unsigned i = 0; i < 4; i++) {
		struct conn *x = fake_conn_accepted(i);

		if (x != NULL && conn_state(x) != CONN_OPEN &&
		    conn_state(x) != CONN_CLOSED)
			c = x;
	}
	assert_non_null(c);
	fake_conn_open(c, &crts[crt]);
	conn_reap();
	if (hello_too)
		hello(c, 0);
	return c;
}

/** open_chan(c, channel, agent, issuer): OPEN ${channel} on ${c}. */
void
open_chan(struct conn *c, uint32_t channel, const char *agent,
    const char *issuer)
{
	struct gw_frame f = { .type = GW_T_OPEN, .channel = channel };
	struct id_info id;
	struct chan_agent *ca = &T.chans[T.nchans++];

	memset(&id, 0, sizeof(id));
	snprintf(id.name, sizeof(id.name), "%s", agent);
	snprintf(id.subject, sizeof(id.subject), "CN=%s", agent);
	snprintf(id.serial, sizeof(id.serial), "01");
	snprintf(id.issuer, sizeof(id.issuer), "%s", issuer);
	snprintf(id.peer, sizeof(id.peer), "192.0.2.1:5000");
	memset(id.fingerprint, 0xa0, sizeof(id.fingerprint));
	id_fp_hex(id.fingerprint, id.fp_hex);
	id_view(&id, &f.u.open);
	ca->c = c;
	ca->channel = channel;
	snprintf(ca->agent, sizeof(ca->agent), "%s", agent);
	send_frame(c, &f);
}

/** data(c, channel, seq, body): DATA on ${c}'s ${channel}. */
void
data(struct conn *c, uint32_t channel, uint64_t seq, const char *body)
{
	struct gw_frame f = { .type = GW_T_DATA, .channel = channel };

	f.u.data.seq = seq;
	f.u.data.body.p = (const uint8_t *)body;
	f.u.data.body.len = (uint32_t)strlen(body);
	send_frame(c, &f);
}

/** close_chan(c, channel): the gateway CLOSEs ${channel} (normal). */
void
close_chan(struct conn *c, uint32_t channel)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = channel };

	f.u.reason.code = GW_R_NORMAL;
	send_frame(c, &f);
}

/** assert_alive(c): the link ${c} answers a PING: alive and reading. */
void
assert_alive(struct conn *c)
{
	struct gw_frame f = { .type = GW_T_PING };
	unsigned n = sent(c, GW_T_PONG, 0, NULL);

	send_frame(c, &f);
	assert_int_equal(closed(c), -1);
	assert_int_equal(sent(c, GW_T_PONG, 0, NULL), n + 1);
}

/** batch_timer(): the batch timer fires, as the loop would. */
void
batch_timer(void)
{
	assert_true(ev_is_active(&T.m.commit->batch_timer));
	ev_invoke(T.m.loop, &T.m.commit->batch_timer, EV_TIMER);
	conn_reap();	check_durable();
}

/**
 * link_fixture_init(prog): once, before the tests of program ${prog}: the
 * certificates of GW1, GW2 and AGENT_CRT, the hook by which every SQLite
 * connection can refuse a COMMIT (T.refuse_commit), quiet logs.
 */
void
link_fixture_init(const char *prog)
{
	static const struct mgmt_world_crt who[NCRTS] = {
		[GW1] = { PKI_ROLE_GATEWAY, "gw-1" },
		[GW2] = { PKI_ROLE_GATEWAY, "gw-2" },
		[AGENT_CRT] = { PKI_ROLE_AGENT, "gw-3" },
	};
	struct pki_rng rng;
	char err[512];

	log_init(prog, (enum log_level)(LOG_LVL_ERR + 1));
	if (pki_rng_init(&rng, err, sizeof(err)) != 0 ||
	    sqlite3_auto_extension((void (*)(void))hook_all) != SQLITE_OK)
		abort();
	mgmt_world_crts(who, NCRTS, &rng, crts, prog);
	pki_rng_free(&rng);
}
