/*
 * test_client_session.c: the agent side of the downstream session
 * (client_session.c, client_session_probe.c) without sockets: the fake
 * conn of tests/support/ plays the gateway.  HELLO, credit and DATA,
 * cumulative ACKs and the finish, GOAWAY (also before HELLO_ACK) and
 * draining, a frame out of place, a reconnect that resends under the same
 * numbers, a refusal, a missed heartbeat, the move back to a better
 * gateway, freeing a running session, and the magic that callbacks check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "client_session.h"
#include "client_session_impl.h"
#include "fake_conn.h"
#include "proto.h"
#include "sendq.h"

#define MAX_SENT	64

/* What the session sent, as the gateway read it. */
static struct {
	unsigned	 type;
	uint64_t	 seq;		/* DATA */
	unsigned	 code;		/* ERROR */
	uint32_t	 caps;		/* HELLO */
	uint64_t	 id;		/* COMMAND_ACK, RESULT */
	unsigned	 outcome, flags;	/* RESULT */
	int32_t		 status;
	uint32_t	 outlen;
} sent[MAX_SENT];
static unsigned nsent;
static unsigned closed_reason;
static enum client_status finished = CLIENT_ST_RUNNING;

static void
on_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	(void)c;
	assert_true(fits);
	assert_true(nsent < MAX_SENT);
	sent[nsent].type = f->type;
	sent[nsent].seq = f->type == GW_T_DATA ? f->u.data.seq : 0;
	sent[nsent].code = f->type == GW_T_ERROR ? f->u.reason.code : 0;
	sent[nsent].caps = f->type == GW_T_HELLO ? f->u.hello.caps : 0;
	sent[nsent].id = f->type == GW_T_COMMAND_ACK ? f->u.ack.seq :
	    f->type == GW_T_RESULT ? f->u.result.id : 0;
	if (f->type == GW_T_RESULT) {
		sent[nsent].outcome = f->u.result.outcome;
		sent[nsent].flags = f->u.result.flags;
		sent[nsent].status = f->u.result.status;
		sent[nsent].outlen = f->u.result.output.len;
	}
	nsent++;
}

static void
on_closing(struct conn *c, unsigned reason, const char *detail)
{
	(void)c;
	(void)detail;
	closed_reason = reason;
}

static const struct fake_conn_env env = {
	.connects = 2,		/* the session's conn and the probe */
	.sent = on_sent,
	.closing = on_closing
};

/* The COMMANDs the session handed to its owner. */
static unsigned ncommands;
static uint64_t command_id;
static char command_body[64];

static void
on_command(uint64_t id, const uint8_t *body, size_t len, void *arg)
{
	(void)arg;
	assert_true(len < sizeof(command_body));
	ncommands++;
	command_id = id;
	memcpy(command_body, body, len);
	command_body[len] = '\0';
}

static void
on_finish(enum client_status st, void *arg)
{
	(void)arg;
	finished = st;
}

/* The fake conn has no TLS: no session ticket is ever kept. */
void
conn_ticket_free(struct conn_ticket *t)
{
	assert_null(t);
}

struct fixture {
	struct ev_loop		*loop;
	struct sendq		*q;
	struct client_session	*s;
};

static struct fixture fx;
static int with_commands;	/* the owner answers COMMANDs */

/* A session on ${n} gateways, not started. */
static void
setup_n(size_t n)
{
	struct client_session_params p = {
		.gateways = { "192.0.2.1:7443", "192.0.2.2:7443" },
		.ngateways = n,
		.heartbeat = 5,
		.failback_hold = 0,
		.on_finish = on_finish
	};

	fake_conn_reset(&env);
	nsent = 0;
	closed_reason = 0;
	finished = CLIENT_ST_RUNNING;
	ncommands = 0;
	if (with_commands)
		p.on_command = on_command;
	assert_non_null(fx.loop = ev_loop_new(EVFLAG_AUTO));
	assert_non_null(fx.q = sendq_new(16));
	p.queue = fx.q;
	assert_non_null(fx.s = client_session_new(fx.loop, &p));
}

static int
setup(void **state)
{
	(void)state;
	setup_n(1);
	return 0;
}

static int
setup_cmd(void **state)
{
	(void)state;
	with_commands = 1;
	setup_n(1);
	with_commands = 0;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	client_session_free(fx.s);
	conn_reap();
	assert_int_equal(fake_conn_live(), 0);
	sendq_free(fx.q);
	ev_loop_destroy(fx.loop);
	return 0;
}

/* The session's current conn (it connected last). */
static struct conn *
cur(void)
{
	assert_non_null(fx.s->conn);
	return fx.s->conn;
}

static void
push(const char *line)
{
	assert_int_equal(sendq_push(fx.q, line, strlen(line)), 0);
	client_session_kick(fx.s);
}

static void
hello_ack_caps(uint64_t last_seq, uint32_t caps, uint32_t max_payload)
{
	struct gw_frame f = { .type = GW_T_HELLO_ACK };

	f.u.hello_ack.version = GW_PROTO_VERSION_MAX;
	f.u.hello_ack.caps = caps;
	f.u.hello_ack.max_payload = max_payload;
	f.u.hello_ack.last_seq = last_seq;
	fake_conn_frame(cur(), &f);
}

static void
hello_ack(uint64_t last_seq)
{
	hello_ack_caps(last_seq, 0, 65536);
}

static void
command(uint64_t id, const char *body)
{
	struct gw_frame f = { .type = GW_T_COMMAND };

	f.u.data.seq = id;
	f.u.data.body.p = (const uint8_t *)body;
	f.u.data.body.len = (uint32_t)strlen(body);
	fake_conn_frame(cur(), &f);
}

static void
credit(uint32_t n)
{
	struct gw_frame f = { .type = GW_T_CREDIT };

	f.u.credit.n = n;
	fake_conn_frame(cur(), &f);
}

static void
ack_credit(uint64_t seq, uint32_t n)
{
	struct gw_frame f = { .type = GW_T_ACK };

	f.u.ack.seq = seq;
	f.u.ack.credit = n;
	fake_conn_frame(cur(), &f);
}

static void
ack(uint64_t seq)
{
	ack_credit(seq, 0);
}

static void
reason(unsigned type, unsigned code)
{
	struct gw_frame f = { .type = type };

	f.u.reason.code = (uint16_t)code;
	fake_conn_frame(cur(), &f);
}

/* Connect and open the TLS session: HELLO goes out. */
static void
connect_open(void)
{
	client_session_start(fx.s);
	assert_int_equal(fx.s->state, CS_CONNECTING);
	fake_conn_open(cur(), NULL);
	assert_int_equal(fx.s->state, CS_HELLO_WAIT);
	assert_int_equal(sent[nsent - 1].type, GW_T_HELLO);
}

/* Fire one of the session's timers (the loop is never run). */
static void
fire(ev_timer *w)
{
	ev_feed_event(fx.loop, w, EV_TIMER);
	ev_invoke_pending(fx.loop);
	conn_reap();
}

/* DATA sent since ${from}: their sequence numbers, in order, in ${seq}. */
static unsigned
data_since(unsigned from, uint64_t *seq, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = from; i < nsent && n < max; i++)
		if (sent[i].type == GW_T_DATA)
			seq[n++] = sent[i].seq;
	return n;
}

static void
test_credit_data_ack_done(void **state)
{
	uint64_t seq[8];
	unsigned mark;

	(void)state;
	connect_open();
	push("a");
	push("b");
	push("c");
	hello_ack(0);
	assert_int_equal(fx.s->state, CS_OPEN);
	mark = nsent;
	credit(2);			/* two of the three go */
	assert_int_equal(data_since(mark, seq, 8), 2);
	assert_int_equal(seq[0], 1);
	assert_int_equal(seq[1], 2);
	ack(1);
	assert_int_equal(client_session_acked(fx.s), 1);
	assert_int_equal(sendq_len(fx.q), 2);
	client_session_eof(fx.s);
	ack(2);				/* "c" is still queued: not done */
	assert_int_equal(finished, CLIENT_ST_RUNNING);
	mark = nsent;
	credit(1);
	assert_int_equal(data_since(mark, seq, 8), 1);
	assert_int_equal(seq[0], 3);
	ack(3);
	assert_int_equal(finished, CLIENT_ST_DONE);
	assert_int_equal(client_session_status(fx.s), CLIENT_ST_DONE);
	assert_int_equal(fx.s->state, CS_FINISHED);
	assert_int_equal(closed_reason, GW_R_NORMAL);
	assert_null(fx.s->conn);
}

/* ACKCREDIT agreed: an ACK's credit adds as CREDIT does, and lines go. */
static void
test_ack_credit(void **state)
{
	uint64_t seq[8];
	unsigned mark;

	(void)state;
	connect_open();
	push("a");
	push("b");
	push("c");
	hello_ack_caps(0, GW_CAP_ACKCREDIT, 65536);
	assert_int_equal(client_session_caps(fx.s), GW_CAP_ACKCREDIT);
	mark = nsent;
	credit(1);
	assert_int_equal(data_since(mark, seq, 8), 1);
	mark = nsent;
	ack_credit(1, 2);		/* "a" done; "b" and "c" go */
	assert_int_equal(client_session_acked(fx.s), 1);
	assert_int_equal(data_since(mark, seq, 8), 2);
	assert_int_equal(seq[0], 2);
	assert_int_equal(seq[1], 3);
	assert_int_equal(fx.s->credit, 0);
	ack(3);				/* an 8-byte ACK: no credit */
	assert_int_equal(client_session_acked(fx.s), 3);
	assert_int_equal(fx.s->credit, 0);
	assert_int_equal(fx.s->state, CS_OPEN);
}

/* Without ACKCREDIT agreed (legacy_acks), an ACK with credit: protocol. */
static void
test_ack_credit_not_agreed(void **state)
{
	(void)state;
	fx.s->p.legacy_acks = 1;
	connect_open();
	assert_int_equal(sent[nsent - 1].caps, 0);
	push("a");
	hello_ack_caps(0, GW_CAP_ACKCREDIT, 65536);	/* not offered */
	assert_int_equal(client_session_caps(fx.s), 0);
	credit(1);
	ack_credit(1, 1);
	assert_int_equal(sent[nsent - 1].type, GW_T_ERROR);
	assert_int_equal(sent[nsent - 1].code, GW_R_PROTOCOL);
	assert_int_equal(client_session_acked(fx.s), 0);
	assert_int_not_equal(fx.s->state, CS_OPEN);
}

static void
test_goaway_drains(void **state)
{
	uint64_t seq[8];
	unsigned mark;

	(void)state;
	connect_open();
	push("a");
	hello_ack(0);
	credit(1);
	reason(GW_T_GOAWAY, GW_R_SHUTDOWN);
	assert_int_equal(fx.s->state, CS_DRAINING);
	assert_int_equal(fx.s->gws[0].fails, 1);	/* counted once */
	push("b");
	mark = nsent;
	credit(5);			/* taken, but nothing new goes */
	assert_int_equal(data_since(mark, seq, 8), 0);
	assert_int_equal(client_session_enroll(fx.s, NULL, 0, "r"), -1);
	ack(1);				/* what was sent is acknowledged */
	assert_int_equal(client_session_acked(fx.s), 1);
	assert_int_equal(fx.s->state, CS_DRAINING);
	fake_conn_eof(cur());		/* the gateway closes */
	conn_reap();
	assert_int_equal(fx.s->state, CS_IDLE);
	assert_int_equal(fx.s->gws[0].fails, 1);	/* no failure more */
	assert_true(ev_is_active(&fx.s->retry));
}

static void
test_goaway_before_hello_ack(void **state)
{
	uint64_t seq[8];
	unsigned mark;

	(void)state;
	connect_open();
	push("a");
	reason(GW_T_GOAWAY, GW_R_SHUTDOWN);
	assert_int_equal(fx.s->state, CS_HELLO_DRAINING);
	hello_ack(0);			/* still taken, as before */
	assert_int_equal(fx.s->state, CS_DRAINING);
	mark = nsent;
	credit(5);
	assert_int_equal(data_since(mark, seq, 8), 0);
	assert_non_null(fx.s->conn);
}

static void
test_frame_out_of_place(void **state)
{
	(void)state;
	connect_open();
	credit(1);			/* before HELLO_ACK */
	assert_int_equal(sent[nsent - 1].type, GW_T_ERROR);
	assert_int_equal(sent[nsent - 1].code, GW_R_UNEXPECTED);
	assert_int_equal(closed_reason, GW_R_UNEXPECTED);
	conn_reap();
	assert_int_equal(fx.s->state, CS_IDLE);
	assert_int_equal(finished, CLIENT_ST_RUNNING);	/* it reconnects */
	assert_true(ev_is_active(&fx.s->retry));
}

static void
test_second_hello_ack(void **state)
{
	(void)state;
	connect_open();
	hello_ack(0);
	hello_ack(0);
	assert_int_equal(sent[nsent - 1].type, GW_T_ERROR);
	assert_int_equal(sent[nsent - 1].code, GW_R_UNEXPECTED);
	conn_reap();
	assert_int_equal(fx.s->state, CS_IDLE);
}

static void
test_reconnect_resends(void **state)
{
	uint64_t seq[8];
	unsigned mark;

	(void)state;
	connect_open();
	push("a");
	push("b");
	hello_ack(0);
	credit(5);
	fake_conn_eof(cur());		/* lost, nothing acknowledged */
	conn_reap();
	assert_int_equal(fx.s->state, CS_IDLE);
	assert_int_equal(sendq_unsent(fx.q), 2);
	fx.s->gws[0].retry_at = ev_now(fx.loop);	/* backoff over */
	fire(&fx.s->retry);
	assert_int_equal(fx.s->state, CS_CONNECTING);
	fake_conn_open(cur(), NULL);
	hello_ack(1);			/* the store has "a" */
	assert_int_equal(sendq_len(fx.q), 1);
	mark = nsent;
	credit(5);
	assert_int_equal(data_since(mark, seq, 8), 1);
	assert_int_equal(seq[0], 2);	/* "b" under its first number */
}

/* on_acked: the owner's input fails while the ACKed lines are dropped. */
static void
fail_on_acked(uint64_t seq, void *arg)
{
	(void)seq;
	(void)arg;
	client_session_fail(fx.s, CLIENT_ST_FAIL, "gw-agent: input failed");
}

/*
 * HELLO_ACK acknowledges lines of the last connection and the owner, told
 * of them, stops the session (gw-agent: a line too long or a journal write
 * failing once the queue has room): the session ends with the owner's
 * status, and is not then set OPEN (a transition from FINISHED its setter
 * refuses by aborting).
 */
static void
test_owner_stops_in_hello_ack(void **state)
{
	(void)state;
	connect_open();
	push("a");
	push("b");
	hello_ack(0);
	credit(5);
	fake_conn_eof(cur());
	conn_reap();
	fx.s->gws[0].retry_at = ev_now(fx.loop);
	fire(&fx.s->retry);
	fake_conn_open(cur(), NULL);
	fx.s->p.on_acked = fail_on_acked;
	hello_ack(1);			/* the store has "a" */
	conn_reap();
	assert_int_equal(finished, CLIENT_ST_FAIL);
	assert_int_equal(fx.s->state, CS_FINISHED);
	assert_int_equal(client_session_acked(fx.s), 1);
}

static void
test_refused(void **state)
{
	(void)state;
	connect_open();
	reason(GW_T_ERROR, GW_R_POLICY);
	assert_int_equal(finished, CLIENT_ST_REFUSED);
	assert_int_equal(fx.s->state, CS_FINISHED);
	assert_non_null(strstr(client_session_msg(fx.s), "refused"));
	assert_false(ev_is_active(&fx.s->retry));
}

/* A gateway silent for too long is hung: also while draining. */
static void
test_heartbeat_missed(void **state)
{
	(void)state;
	connect_open();
	hello_ack(0);
	reason(GW_T_GOAWAY, GW_R_SHUTDOWN);
	fx.s->hb.last_rx = ev_now(fx.loop) - 1000;
	fire(&fx.s->heartbeat);		/* late: it asks first */
	assert_int_equal(closed_reason, 0);
	fx.s->hb.first_ping = ev_now(fx.loop) - 999;	/* long unanswered */
	fire(&fx.s->heartbeat);
	assert_int_equal(closed_reason, GW_R_TIMEOUT);
	assert_int_equal(fx.s->state, CS_IDLE);
}

static void
test_moves_back_to_better_gateway(void **state)
{
	double now;

	(void)state;
	teardown(NULL);
	setup_n(2);
	now = ev_now(fx.loop);
	/* The first gateway is down for now: the session takes the second. */
	fo_down(&fx.s->gws[0], FO_R_REFUSED, now, &fx.s->pol, 0);
	fx.s->gws[0].retry_at = now + 1000;
	connect_open();
	assert_int_equal(fx.s->active, 1);
	hello_ack(0);
	/* It has been up (a probe saw it) for longer than failback_hold. */
	fo_up(&fx.s->gws[0], now - 100);
	fire(&fx.s->probe_timer);
	assert_int_equal(closed_reason, GW_R_NORMAL);
	assert_int_equal(fx.s->state, CS_IDLE);
	/* Leaving is no failure of the gateway left. */
	assert_int_equal(fx.s->gws[1].health, FO_UP);
	assert_int_equal(fx.s->gws[1].fails, 0);
	fire(&fx.s->retry);
	assert_int_equal(fx.s->state, CS_CONNECTING);
	assert_int_equal(fx.s->active, 0);
}

/*
 * Freeing a session that runs (its conn open) leaves no timer of it in the
 * loop: its conn's on_close starts the retry timer, which must not fire
 * on freed memory.
 */
static void
test_free_while_running(void **state)
{
	(void)state;
	connect_open();
	hello_ack(0);
	/* ev_run: non-zero while a watcher is active (the heartbeat's). */
	assert_int_not_equal(ev_run(fx.loop, EVRUN_NOWAIT), 0);
	client_session_free(fx.s);
	fx.s = NULL;
	conn_reap();
	assert_int_equal(ev_run(fx.loop, EVRUN_NOWAIT), 0);
}

/* A callback handed something else than a session aborts. */
static void
test_callback_checks_magic(void **state)
{
	struct client_session other;
	pid_t pid;
	int st;

	(void)state;
	memset(&other, 0, sizeof(other));
	other.loop = fx.loop;
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		fx.s->retry.data = &other;
		fire(&fx.s->retry);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
}

/* Without an on_command the HELLO announces nothing: gw-loadgen. */
static void
test_no_commands_no_caps(void **state)
{
	(void)state;
	connect_open();
	assert_int_equal(sent[nsent - 1].caps, GW_CAP_ACKCREDIT);
	hello_ack_caps(0, GW_CAP_COMMANDS, 65536);  /* a gateway's mistake */
	assert_int_equal(client_session_caps(fx.s), 0);
	command(5, "x");
	assert_int_equal(fx.s->state, CS_OPEN);	/* ignored, not closed */
	assert_int_equal(client_session_command_ack(fx.s, 5), -1);
}

/* COMMANDS announced, agreed: a COMMAND goes to the owner, who answers. */
static void
test_command_to_owner(void **state)
{
	unsigned mark;

	(void)state;
	connect_open();
	assert_int_equal(sent[nsent - 1].caps,
	    GW_CAP_COMMANDS | GW_CAP_ACKCREDIT);
	assert_int_equal(client_session_command_ack(fx.s, 7), -1);
	hello_ack_caps(0, GW_CAP_COMMANDS | 0x80, 65536);
	assert_int_equal(client_session_caps(fx.s), GW_CAP_COMMANDS);
	command(7, "uptime");
	assert_int_equal(ncommands, 1);
	assert_int_equal(command_id, 7);
	assert_string_equal(command_body, "uptime");
	mark = nsent;
	assert_int_equal(client_session_command_ack(fx.s, 7), 0);
	assert_int_equal(client_session_result(fx.s, 7, GW_OUT_EXITED, 0, 3,
	    (const uint8_t *)"out", 3), 0);
	assert_int_equal(nsent, mark + 2);
	assert_int_equal(sent[mark].type, GW_T_COMMAND_ACK);
	assert_int_equal(sent[mark].id, 7);
	assert_int_equal(sent[mark + 1].type, GW_T_RESULT);
	assert_int_equal(sent[mark + 1].id, 7);
	assert_int_equal(sent[mark + 1].outcome, GW_OUT_EXITED);
	assert_int_equal(sent[mark + 1].status, 3);
	assert_int_equal(sent[mark + 1].flags, 0);
	assert_int_equal(sent[mark + 1].outlen, 3);
}

/* The gateway did not agree COMMANDS: nothing to the owner, no answer. */
static void
test_command_not_agreed(void **state)
{
	unsigned mark;

	(void)state;
	connect_open();
	hello_ack_caps(0, 0, 65536);
	assert_int_equal(client_session_caps(fx.s), 0);
	command(7, "uptime");
	assert_int_equal(ncommands, 0);
	assert_int_equal(fx.s->state, CS_OPEN);
	mark = nsent;
	assert_int_equal(client_session_command_ack(fx.s, 7), -1);
	assert_int_equal(client_session_result(fx.s, 7, GW_OUT_EXITED, 0, 0,
	    NULL, 0), -1);
	assert_int_equal(nsent, mark);
}

/* RESULT output is cut to the gateway's max_payload - 14, flagged. */
static void
test_result_bounded(void **state)
{
	uint8_t out[100];
	unsigned mark;

	(void)state;
	memset(out, 'o', sizeof(out));
	connect_open();
	hello_ack_caps(0, GW_CAP_COMMANDS, 64);
	mark = nsent;
	assert_int_equal(client_session_result(fx.s, 9, GW_OUT_EXITED, 0, 0,
	    out, sizeof(out)), 0);
	assert_int_equal(sent[mark].type, GW_T_RESULT);
	assert_int_equal(sent[mark].outlen, 64 - 14);
	assert_int_equal(sent[mark].flags, GW_RESULT_TRUNCATED);
	assert_int_equal(client_session_result(fx.s, 9, GW_OUT_EXITED, 0, 0,
	    out, 50), 0);
	assert_int_equal(sent[mark + 1].outlen, 50);
	assert_int_equal(sent[mark + 1].flags, 0);
}

/* A COMMAND id above 2^63-1 ends the session (ERROR sequence). */
static void
test_command_id_too_big(void **state)
{
	(void)state;
	connect_open();
	hello_ack_caps(0, GW_CAP_COMMANDS, 65536);
	command(UINT64_C(0x8000000000000000), "x");
	assert_int_equal(ncommands, 0);
	assert_int_equal(closed_reason, GW_R_SEQUENCE);
	conn_reap();
}

/* A reconnect forgets the agreed caps until the next HELLO_ACK. */
static void
test_caps_reset_on_close(void **state)
{
	(void)state;
	connect_open();
	hello_ack_caps(0, GW_CAP_COMMANDS, 65536);
	assert_int_equal(client_session_caps(fx.s), GW_CAP_COMMANDS);
	conn_close(cur(), GW_R_PEER_CLOSED, "gone");
	conn_reap();
	assert_int_equal(client_session_caps(fx.s), 0);
	assert_int_equal(fx.s->caps, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_credit_data_ack_done,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_goaway_drains, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_goaway_before_hello_ack,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_out_of_place, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_second_hello_ack, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_resends, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_owner_stops_in_hello_ack,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_missed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_moves_back_to_better_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_while_running, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_callback_checks_magic,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_commands_no_caps,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_credit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ack_credit_not_agreed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_to_owner,
		    setup_cmd, teardown),
		cmocka_unit_test_setup_teardown(test_command_not_agreed,
		    setup_cmd, teardown),
		cmocka_unit_test_setup_teardown(test_result_bounded,
		    setup_cmd, teardown),
		cmocka_unit_test_setup_teardown(test_command_id_too_big,
		    setup_cmd, teardown),
		cmocka_unit_test_setup_teardown(test_caps_reset_on_close,
		    setup_cmd, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
