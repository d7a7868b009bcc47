/*
 * test_link.c: gw-mgmt's link.c, mchan.c and commit.c together, without
 * sockets: gateways are fake conns (tests/support/fake_conn.h) the test opens,
 * feeds with frames, fills and closes; the store is a real SQLite file in
 * a temporary directory, read back from a second connection that sees
 * only committed rows.  Every ACK and OPEN_ACK gw-mgmt sends is checked,
 * when it is sent, against that committed view: an ACK never covers a row
 * that is not durable.  Covered: HELLO; OPEN answered at once or after the
 * open batch commits; DATA ACKed only after its commit; the store refusing
 * one row (a trigger) or a whole commit (a commit hook); a channel closed
 * by the gateway or by gw-mgmt, and a link closed, with channels in every
 * state (enum mchan_state); a channel superseded by another gateway's
 * OPEN of its agent (not by the same gateway's); [scope] refusing a
 * gateway's OPEN for an agent out of its scope.
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
#include "log.h"
#include "mchan.h"
#include "mgmt.h"
#include "proto.h"
#include "signer.h"
#include "x509_issue.h"

#define ISSUER_A	"CN=agents A"
#define ISSUER_B	"CN=agents B"
#define NSENT		512

enum { GW1, GW2, AGENT_CRT, NCRTS };

/* One frame gw-mgmt sent (and that fit). */
struct sent {
	struct conn	*c;
	uint8_t		 type;
	uint32_t	 channel;
	uint64_t	 seq;
	unsigned	 code;
	char		 text[200];
};

/* Which agent a link's channel is (for the committed view). */
struct chan_agent {
	struct conn	*c;
	uint32_t	 channel;
	char		 agent[32];
};

static struct {
	char			 dir[64], path[96];
	struct mgmt_config	 cfg;
	struct mgmt		 m;
	sqlite3			*reader;
	struct sent		 sent[NSENT];
	unsigned		 nsent;
	struct chan_agent	 chans[64];
	unsigned		 nchans;
	struct conn		*closed[16];	/* conns closed, in order */
	unsigned		 reasons[16];
	unsigned		 nclosed;
	int			 refuse_commit;	/* the next COMMIT fails */
	unsigned		 undurable;	/* (OPEN_)ACKs above it */
} T;

static mbedtls_x509_crt crts[NCRTS];

static const char conf[] =
    "[mgmt]\n"
    "cert = mgmt.crt\nkey = mgmt.key\ngateway_ca = ca.crt\n"
    "gateway_names = gw-*\n"
    "max_payload = 1024\n"
    "[store]\n"
    "database = unused.db\n";

/* The highest committed seq of ${agent} (0: none), as another reader. */
static uint64_t
committed_max(const char *agent)
{
	sqlite3_stmt *st;
	uint64_t max = 0;

	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT max(seq) FROM "
	    "messages WHERE agent = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		max = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return max;
}

static unsigned
committed_count(const char *agent)
{
	sqlite3_stmt *st;
	unsigned n = 0;

	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT count(*) FROM "
	    "messages WHERE agent = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = (unsigned)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
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

	if (!fits)
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

/* Frames of ${type} sent on ${c}'s ${channel}; the last into ${last}. */
static unsigned
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

/* Was ${c} closed, and with which reason (-1: not closed)? */
static int
closed(struct conn *c)
{
	for (unsigned i = 0; i < T.nclosed; i++)
		if (T.closed[i] == c)
			return (int)T.reasons[i];
	return -1;
}

/* SQLite: every connection gets the hook that can refuse a COMMIT. */
static int
commit_hook(void *arg)
{
	(void)arg;
	if (!T.refuse_commit)
		return 0;
	T.refuse_commit = 0;
	return 1;		/* the COMMIT becomes a ROLLBACK */
}

static int
hook_all(sqlite3 *db, char **err, const void *api)
{
	(void)err;
	(void)api;
	sqlite3_commit_hook(db, commit_hook, NULL);
	return SQLITE_OK;
}

static int
setup(void **state)
{
	struct store_conf sc = { .type = STORE_SQLITE };
	char err[512];

	(void)state;
	memset(&T, 0, sizeof(T));
	snprintf(T.dir, sizeof(T.dir), "/tmp/gwlink.XXXXXX");
	assert_non_null(mkdtemp(T.dir));
	snprintf(T.path, sizeof(T.path), "%s/store.db", T.dir);
	if (mgmt_config_load_string(conf, "mgmt", "/", &T.cfg, err,
	    sizeof(err)) != 0)
		fail_msg("config: %s", err);
	T.cfg.batch_max = 64;
	fake_conn_reset(&env);
	T.m.magic = MGMT_MAGIC;
	T.m.cfg = &T.cfg;
	T.m.lfd = -1;
	assert_non_null(T.m.loop = ev_loop_new(EVFLAG_AUTO));
	assert_int_equal(link_init(&T.m), 0);
	sc.path = T.path;
	if ((T.m.store = store_open(&sc, 0, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(signer_init(&T.m, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_open_v2(T.path, &T.reader,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return 0;
}

/* After each step: no ACK or OPEN_ACK went above the committed rows. */
static void
check_durable(void)
{
	assert_int_equal(T.undurable, 0);
}

static void
send_frame(struct conn *c, const struct gw_frame *f)
{
	fake_conn_frame(c, f);
	conn_reap();
	check_durable();
}

/* The batch commits (a full batch, or gw-mgmt stopping). */
static void
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
static int
teardown(void **state)
{
	unsigned live, nlinks, undurable;
	int dirty, agents, timer;
	char cmd[160];

	(void)state;
	commit_now(&T.m);
	conn_reap();
	link_stop_all(&T.m, GW_R_SHUTDOWN, "test over");
	conn_reap();
	live = fake_conn_live();
	nlinks = T.m.links->n;
	undurable = T.undurable;
	dirty = !TAILQ_EMPTY(&T.m.commit->dirty);
	agents = T.m.chans->agents != NULL;
	timer = ev_is_active(&T.m.commit->batch_timer);
	signer_free(&T.m);
	store_close(T.m.store);
	sqlite3_close(T.reader);
	link_free(&T.m);
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

/* A gateway with certificate ${crt} connects; HELLO if ${hello}. */
static struct conn *
gateway(int crt, int hello)
{
	struct gw_frame f = { .type = GW_T_HELLO };
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
	if (hello) {
		f.u.hello.vmin = 1;
		f.u.hello.vmax = 1;
		f.u.hello.max_payload = 1024;
		send_frame(c, &f);
		assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, NULL), 1);
	}
	return c;
}

/* The gateway on ${c} opens ${channel} for ${agent} of ${issuer}. */
static void
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

static void
data(struct conn *c, uint32_t channel, uint64_t seq, const char *body)
{
	struct gw_frame f = { .type = GW_T_DATA, .channel = channel };

	f.u.data.seq = seq;
	f.u.data.body.p = (const uint8_t *)body;
	f.u.data.body.len = (uint32_t)strlen(body);
	send_frame(c, &f);
}

static void
close_chan(struct conn *c, uint32_t channel)
{
	struct gw_frame f = { .type = GW_T_CLOSE, .channel = channel };

	f.u.reason.code = GW_R_NORMAL;
	send_frame(c, &f);
}

/* The link answers a PING: it is alive and reading. */
static void
assert_alive(struct conn *c)
{
	struct gw_frame f = { .type = GW_T_PING };
	unsigned n = sent(c, GW_T_PONG, 0, NULL);

	send_frame(c, &f);
	assert_int_equal(closed(c), -1);
	assert_int_equal(sent(c, GW_T_PONG, 0, NULL), n + 1);
}

/* The batch timer fires, as the loop would. */
static void
batch_timer(void)
{
	assert_true(ev_is_active(&T.m.commit->batch_timer));
	ev_invoke(T.m.loop, &T.m.commit->batch_timer, EV_TIMER);
	conn_reap();	check_durable();
}

static void
test_hello(void **state)
{
	struct gw_frame ping = { .type = GW_T_PING };
	struct conn *c, *a;
	struct sent *s = NULL;

	(void)state;
	/* An agent's certificate (no serverAuth) is no gateway's. */
	a = gateway(AGENT_CRT, 0);
	assert_int_equal(closed(a), GW_R_POLICY);
	/* A first frame that is not HELLO closes the link. */
	c = gateway(GW1, 0);
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, NULL), 0);
	send_frame(c, &ping);
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
	assert_int_equal(sent(c, GW_T_PONG, 0, NULL), 0);
	/* HELLO: HELLO_ACK, then the link is ready. */
	c = gateway(GW1, 1);
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, &s), 1);
	assert_int_equal(T.m.links->n, 1);
	assert_alive(c);
}

/*
 * ENROLL goes down to the signer; its ENROLL_RESULT comes back up through
 * link.c's reply callback, on the link the request came on (here at once:
 * no [enroll], so refused for policy), and on no other.
 */
static void
test_enroll_answered_on_its_link(void **state)
{
	struct gw_frame f = { .type = GW_T_ENROLL };
	struct conn *c1, *c2;
	struct sent *s = NULL;

	(void)state;
	c1 = gateway(GW1, 1);
	c2 = gateway(GW2, 1);
	f.u.enroll.ref = 7;
	send_frame(c2, &f);
	assert_int_equal(sent(c2, GW_T_ENROLL_RESULT, 0, &s), 1);
	assert_int_equal(s->seq, 7);
	assert_int_equal(s->code, GW_R_POLICY);
	assert_int_equal(sent(c1, GW_T_ENROLL_RESULT, 0, NULL), 0);
	assert_alive(c1);
	assert_alive(c2);
}

static void
test_open_answers_at_once(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 0);
	data(c, 1, 1, "one");
	data(c, 1, 2, "two");
	commit();
	close_chan(c, 1);
	/* The agent comes back: OPEN_ACK gives its last durable seq. */
	open_chan(c, 2, "agent-0", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, &s), 1);
	assert_int_equal(s->seq, 2);
	/* DATA at or below it is a sequence error, on that channel only. */
	data(c, 2, 2, "again");
	assert_int_equal(sent(c, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_SEQUENCE);
	assert_alive(c);
}

static void
test_ack_only_after_commit(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	for (uint64_t seq = 1; seq <= 3; seq++)
		data(c, 1, seq, "line");
	assert_int_equal(sent(c, GW_T_ACK, 1, NULL), 0);
	assert_int_equal(committed_count("agent-0"), 0);
	/* An OPEN while the batch holds rows waits for its commit. */
	open_chan(c, 2, "agent-1", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, NULL), 0);
	batch_timer();
	assert_int_equal(committed_count("agent-0"), 3);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 3);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, &s), 1);
	assert_int_equal(s->seq, 0);
	assert_int_equal(T.m.commit->commits, 1);
	assert_int_equal(T.m.commit->stored, 3);
	/* DATA before its OPEN_ACK closes that channel alone. */
	open_chan(c, 3, "agent-2", ISSUER_A);
	data(c, 1, 4, "line");
	open_chan(c, 4, "agent-3", ISSUER_A);	/* waits for the commit */
	data(c, 4, 1, "early");
	assert_int_equal(sent(c, GW_T_CLOSE, 4, &s), 1);
	assert_int_equal(s->code, GW_R_UNEXPECTED);
	commit();
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 4, NULL), 0);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 2);
	assert_int_equal(s->seq, 4);
	assert_alive(c);
}

static void
test_store_refuses_a_row(void **state)
{
	struct conn *c;
	struct sent *s = NULL;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(T.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER poison BEFORE "
	    "INSERT ON messages WHEN NEW.payload = CAST('poison' AS BLOB) "
	    "BEGIN SELECT RAISE(ABORT, 'poison row'); END", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	open_chan(c, 2, "agent-1", ISSUER_A);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		data(c, 1, seq, "line");
		data(c, 2, seq, seq == 2 ? "poison" : "line");
	}
	commit();
	assert_int_equal(sent(c, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_STORE);
	assert_non_null(strstr(s->text, "poison row"));
	assert_int_equal(sent(c, GW_T_ACK, 2, NULL), 0);
	assert_int_equal(committed_count("agent-1"), 0);
	assert_int_equal(sent(c, GW_T_CLOSE, 1, NULL), 0);
	assert_int_equal(sent(c, GW_T_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 3);
	assert_int_equal(committed_count("agent-0"), 3);
	assert_alive(c);
}

static void
test_store_refuses_a_commit(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	open_chan(c, 2, "agent-1", ISSUER_A);
	data(c, 1, 1, "line");
	data(c, 2, 1, "line");
	T.refuse_commit = 1;
	commit();
	assert_int_equal(T.refuse_commit, 0);	/* the hook ran */
	for (uint32_t ch = 1; ch <= 2; ch++) {
		assert_int_equal(sent(c, GW_T_CLOSE, ch, &s), 1);
		assert_int_equal(s->code, GW_R_STORE);
		assert_non_null(strstr(s->text, "store failed"));
		assert_int_equal(sent(c, GW_T_ACK, ch, NULL), 0);
	}
	assert_int_equal(committed_count("agent-0"), 0);
	assert_int_equal(T.m.commit->commits, 0);
	/* The link lives on, and the next batch is stored. */
	assert_alive(c);
	open_chan(c, 3, "agent-0", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 0);
	data(c, 3, 1, "line");
	commit();
	assert_int_equal(sent(c, GW_T_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 1);
}

/*
 * Link ${a} (gw-1) gets channels in the states that owe frames, its output
 * full: 1 MCHAN_OPEN owed ACK(1); 2 MCHAN_CLOSING (CLOSE superseded owed:
 * agent-5 opened through ${other}, gw-2); 3 MCHAN_ANSWERED (OPEN_ACK
 * owed); 4 MCHAN_ANSWERED_CLOSING (OPEN_ACK, then CLOSE superseded owed).
 */
static void
owed_states(struct conn *a, struct conn *other)
{
	struct gw_frame ping = { .type = GW_T_PING };

	open_chan(a, 1, "agent-1", ISSUER_A);
	open_chan(a, 2, "agent-5", ISSUER_A);
	data(a, 1, 1, "line");
	open_chan(a, 3, "agent-3", ISSUER_A);	/* wait for the batch */
	open_chan(a, 4, "agent-4", ISSUER_A);
	assert_int_equal(sent(a, GW_T_OPEN_ACK, 3, NULL), 0);
	fake_conn_full(a, 0);			/* the output fills */
	commit();
	send_frame(a, &ping);	/* not read: the link waits for room */
	open_chan(other, 1, "agent-4", ISSUER_A);
	open_chan(other, 2, "agent-5", ISSUER_A);
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 1, NULL), 1);
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 2, NULL), 1);
	/* Nothing could go yet. */
	assert_int_equal(sent(a, GW_T_ACK, 1, NULL), 0);
	assert_int_equal(sent(a, GW_T_CLOSE, 2, NULL), 0);
	assert_int_equal(sent(a, GW_T_OPEN_ACK, 3, NULL), 0);
	assert_int_equal(sent(a, GW_T_OPEN_ACK, 4, NULL), 0);
	assert_int_equal(sent(a, GW_T_CLOSE, 4, NULL), 0);
	assert_int_equal(sent(a, GW_T_PONG, 0, NULL), 0);
	assert_int_equal(committed_count("agent-1"), 1);
}

/*
 * Link ${b} (gw-1 too) gets the states of an open batch: 1 MCHAN_OPEN with
 * a row in it, 2 MCHAN_OPENING (its OPEN_ACK waits for that batch).
 */
static void
batch_states(struct conn *b)
{
	open_chan(b, 1, "agent-6", ISSUER_A);
	data(b, 1, 1, "line");
	open_chan(b, 2, "agent-7", ISSUER_A);
	assert_int_equal(sent(b, GW_T_OPEN_ACK, 2, NULL), 0);
	assert_false(TAILQ_EMPTY(&T.m.commit->dirty));
}

/* Where in the frames sent is the first of ${type} on ${c}'s ${ch}? */
static unsigned
sent_at(struct conn *c, uint8_t type, uint32_t ch)
{
	for (unsigned i = 0; i < T.nsent; i++)
		if (T.sent[i].c == c && T.sent[i].type == type &&
		    T.sent[i].channel == ch)
			return i;
	fail_msg("no %s on channel %u", gw_type_str(type), ch);
	return 0;
}

/* Room comes: every frame owed goes, in order; then DATA flows again. */
static void
test_owed_frames_go_when_room_comes(void **state)
{
	struct conn *a, *other;
	struct sent *s = NULL;

	(void)state;
	a = gateway(GW1, 1);
	other = gateway(GW2, 1);
	owed_states(a, other);
	fake_conn_full(a, SIZE_MAX);
	conn_reap();
	fake_conn_loop(NULL, NULL);	/* the loop: the link reads again */
	conn_reap();
	check_durable();
	assert_int_equal(sent(a, GW_T_PONG, 0, NULL), 1);
	assert_int_equal(sent(a, GW_T_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 1);
	assert_int_equal(sent(a, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_SUPERSEDED);
	assert_int_equal(sent(a, GW_T_OPEN_ACK, 2, NULL), 1);	/* at once */
	assert_int_equal(sent(a, GW_T_OPEN_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 0);
	assert_int_equal(sent(a, GW_T_CLOSE, 4, &s), 1);
	assert_int_equal(s->code, GW_R_SUPERSEDED);
	assert_true(sent_at(a, GW_T_OPEN_ACK, 4) < sent_at(a, GW_T_CLOSE, 4));
	/* 3 is open now; 4 is gone (its late DATA is ignored). */
	data(a, 3, 1, "line");
	data(a, 4, 1, "late");
	commit();
	assert_int_equal(sent(a, GW_T_ACK, 3, &s), 1);
	assert_int_equal(s->seq, 1);
	assert_int_equal(committed_count("agent-4"), 0);
	assert_alive(a);
	assert_alive(other);
}

/* A link closes with a channel in each state: nothing is left of them. */
static void
test_close_link_in_every_state(void **state)
{
	struct conn *a, *b, *other, *c;
	struct sent *s = NULL;

	(void)state;
	a = gateway(GW1, 1);
	other = gateway(GW2, 1);
	b = gateway(GW1, 1);
	owed_states(a, other);
	batch_states(b);
	fake_conn_eof(a);
	conn_reap();
	fake_conn_eof(b);
	conn_reap();
	assert_int_equal(T.m.links->n, 1);
	assert_true(TAILQ_EMPTY(&T.m.commit->dirty));
	/* The batch is still written, though nothing is ACKed for it. */
	commit();
	assert_int_equal(committed_count("agent-6"), 1);
	assert_int_equal(sent(b, GW_T_ACK, 1, NULL), 0);
	assert_int_equal(sent(b, GW_T_OPEN_ACK, 2, NULL), 0);
	/* Their agents are free: another gateway's OPEN closes nothing. */
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 2, "agent-7", ISSUER_A);
	open_chan(other, 3, "agent-3", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 1);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 2, NULL), 1);
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 3, NULL), 1);
	for (unsigned i = 0; i < T.nsent; i++)
		assert_int_not_equal(T.sent[i].type, GW_T_CLOSE);
	assert_alive(other);
}

/* The gateway closes channels: opening, open with a row in the batch,
 * and one gw-mgmt closed first (the two CLOSEs crossed). */
static void
test_gateway_closes_channels(void **state)
{
	struct conn *c, *other;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 1);
	other = gateway(GW2, 1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 3, "agent-3", ISSUER_A);
	data(c, 1, 1, "line");
	open_chan(c, 4, "agent-2", ISSUER_A);	/* OPENING */
	close_chan(c, 4);
	close_chan(c, 1);
	open_chan(other, 1, "agent-3", ISSUER_A);	/* supersedes 3 */
	assert_int_equal(sent(c, GW_T_CLOSE, 3, &s), 1);
	assert_int_equal(s->code, GW_R_SUPERSEDED);
	close_chan(c, 3);			/* crossed: ignored */
	close_chan(c, 3);
	commit();
	assert_int_equal(committed_count("agent-1"), 1);
	assert_int_equal(sent(c, GW_T_ACK, 1, NULL), 0);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 4, NULL), 0);
	/* Their agents are free. */
	open_chan(other, 2, "agent-1", ISSUER_A);
	open_chan(other, 3, "agent-2", ISSUER_A);
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 2, &s), 1);
	assert_int_equal(s->seq, 1);
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 3, NULL), 1);
	assert_int_equal(sent(c, GW_T_CLOSE, 1, NULL), 0);
	assert_int_equal(sent(c, GW_T_CLOSE, 4, NULL), 0);
	/* A channel never opened is a protocol error: the link closes. */
	assert_alive(c);
	close_chan(c, 9);
	assert_int_equal(closed(c), GW_R_PROTOCOL);
	assert_alive(other);
}

/* One channel per agent across gateways; within one gateway, none is
 * closed for the other. */
static void
test_superseded(void **state)
{
	struct conn *a, *b, *other;
	struct sent *s = NULL;

	(void)state;
	a = gateway(GW1, 1);
	b = gateway(GW1, 1);
	other = gateway(GW2, 1);
	open_chan(a, 1, "agent-0", ISSUER_A);
	data(a, 1, 1, "line");
	commit();
	open_chan(b, 1, "agent-0", ISSUER_A);	/* same gateway */
	assert_int_equal(sent(a, GW_T_CLOSE, 1, NULL), 0);
	assert_int_equal(sent(b, GW_T_OPEN_ACK, 1, &s), 1);
	assert_int_equal(s->seq, 1);
	/* The same name under another CA is another agent. */
	open_chan(other, 1, "agent-0", ISSUER_B);
	assert_int_equal(sent(b, GW_T_CLOSE, 1, NULL), 0);
	data(a, 1, 2, "line");		/* in the batch when superseded */
	open_chan(other, 2, "agent-0", ISSUER_A);
	assert_int_equal(sent(b, GW_T_CLOSE, 1, &s), 1);
	assert_int_equal(s->code, GW_R_SUPERSEDED);
	assert_non_null(strstr(s->text, "gw-2"));
	/* Its rows commit before the new channel's OPEN_ACK, which counts
	 * them. */
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 2, NULL), 0);
	commit();
	assert_int_equal(sent(other, GW_T_OPEN_ACK, 2, &s), 1);
	assert_int_equal(s->seq, 2);
	assert_int_equal(sent(a, GW_T_ACK, 1, &s), 2);
	assert_int_equal(s->seq, 2);
	assert_alive(a);
	assert_alive(b);
}

/* [scope]: gw-1 serves agent-* of ISSUER_A; gw-2 has no scope. */
static void
test_scope(void **state)
{
	struct mgmt_scope *sc = &T.cfg.scopes[0];
	struct conn *c, *other;
	struct sent *s = NULL;

	(void)state;
	assert_non_null(sc->gateways = strdup("gw-1"));
	assert_non_null(sc->agent_names = strdup("agent-*"));
	assert_non_null(sc->issuers[0] = strdup(ISSUER_A));
	sc->nissuers = 1;
	T.cfg.nscopes = 1;
	c = gateway(GW1, 1);
	other = gateway(GW2, 1);
	open_chan(c, 1, "agent-0", ISSUER_A);
	assert_int_equal(sent(c, GW_T_OPEN_ACK, 1, NULL), 1);
	open_chan(c, 2, "agent-1", ISSUER_B);
	assert_int_equal(sent(c, GW_T_CLOSE, 2, &s), 1);
	assert_int_equal(s->code, GW_R_POLICY);
	assert_non_null(strstr(s->text, "outside this gateway's scope"));
	open_chan(c, 3, "other-1", ISSUER_A);
	assert_int_equal(sent(c, GW_T_CLOSE, 3, &s), 1);
	assert_int_equal(s->code, GW_R_POLICY);
	open_chan(other, 1, "agent-0", ISSUER_A);
	assert_int_equal(sent(other, GW_T_CLOSE, 1, &s), 1);
	assert_int_equal(s->code, GW_R_POLICY);
	assert_non_null(strstr(s->text, "no [scope] for this gateway"));
	/* Refused: it superseded nothing, stored nothing. */
	assert_int_equal(sent(c, GW_T_CLOSE, 1, NULL), 0);
	data(c, 2, 1, "line");
	commit();
	assert_int_equal(committed_count("agent-1"), 0);
	assert_alive(c);
	assert_alive(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_enroll_answered_on_its_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_answers_at_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_only_after_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses_a_row,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_refuses_a_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_owed_frames_go_when_room_comes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_link_in_every_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_closes_channels,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_superseded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
	};
	static const struct {
		enum pki_role	 role;
		const char	*name;
	} who[NCRTS] = {
		[GW1] = { PKI_ROLE_GATEWAY, "gw-1" },
		[GW2] = { PKI_ROLE_GATEWAY, "gw-2" },
		[AGENT_CRT] = { PKI_ROLE_AGENT, "gw-3" },
	};
	static unsigned char pem[4096], key[4096];
	struct pki_rng rng;
	char err[512];

	log_init("test_link", (enum log_level)(LOG_LVL_ERR + 1));
	if (pki_rng_init(&rng, err, sizeof(err)) != 0 ||
	    sqlite3_auto_extension((void (*)(void))hook_all) != SQLITE_OK)
		abort();
	for (int i = 0; i < NCRTS; i++) {
		struct pki_req req = { .role = who[i].role,
		    .name = who[i].name };

		pki_validity(&req, 30);
		mbedtls_x509_crt_init(&crts[i]);
		if (pki_make(&req, NULL, &rng, pem, sizeof(pem), key,
		    sizeof(key), err, sizeof(err)) != 0 ||
		    mbedtls_x509_crt_parse(&crts[i], pem,
		    strlen((char *)pem) + 1) != 0) {
			fprintf(stderr, "test_link: %s\n", err);
			abort();
		}
	}
	pki_rng_free(&rng);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
