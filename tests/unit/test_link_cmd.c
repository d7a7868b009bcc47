/*
 * test_link_cmd.c: gw-mgmt's side of commands (PROTOCOL.md 9.7) on its
 * links and channels (link.c, mchan.c), without sockets, in the world of
 * tests/support/link_fixture.h: the COMMANDS capability agreed in
 * HELLO_ACK; COMMAND_ACK and RESULT refused on a link that did not agree
 * it, or on a channel never opened, and ignored on a closed one; a
 * command's COMMAND after its agent's OPEN_ACK, its COMMAND_ACK and
 * RESULT in the store (the real SQLite one, store_cmd.h), the answers of
 * another agent ignored; the resend round; expiry; a full output.  The
 * agents table these links write is test_link_inventory.c's.
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

#include "fake_conn.h"
#include "identity.h"
#include "link_fixture.h"
#include "mchan.h"
#include "proto.h"
#include "store_cmd.h"

/* The store's time: the loop's (it stands still in these tests). */
static int64_t
now_ms(void)
{
	return (int64_t)(ev_now(T.m.loop) * 1000.);
}

/* The loop ends its pass: the queued inventory writes are made. */
static void
loop_pass(void)
{
	if (ev_is_active(&T.m.chans->batch.prepare))
		ev_invoke(T.m.loop, &T.m.chans->batch.prepare, EV_PREPARE);
	assert_false(ev_is_active(&T.m.chans->batch.prepare));
}

/*
 * `gw-mgmt command send --agent ${agent}`: command ${body} for every
 * known agent of that name, expiring ${ttl_ms} from now (made 10 s ago).
 */
static int64_t
make_cmd(const char *agent, const char *body, int64_t ttl_ms)
{
	struct store_cmd c = {
		.target = agent,
		.body = body,
		.len = strlen(body),
		.created_ms = now_ms() - 10000,
		.expires_ms = now_ms() + ttl_ms,
	};
	long n = 0;

	loop_pass();	/* the agents the OPEN_ACKs before made known */
	if (store_cmd_create(T.m.store, &c, STORE_MATCH_NAME, agent, &n) != 0)
		fail_msg("store_cmd_create: %s", store_errmsg(T.m.store));
	assert_int_equal(n, 1);
	return c.id;
}

/* A target as the store shows it. */
struct tgt {
	const char		*agent;
	int			 found;
	enum store_cmd_state	 state;
	unsigned		 outcome;
	int32_t			 status;
	char			 output[64];
};

static int
tgt_cb(const struct store_target *t, void *arg)
{
	struct tgt *x = arg;

	if (strcmp(t->agent, x->agent) != 0)
		return 0;
	x->found = 1;
	x->state = t->state;
	x->outcome = t->outcome;
	x->status = t->status;
	snprintf(x->output, sizeof(x->output), "%.*s", (int)t->len,
	    (const char *)t->output);
	return 0;
}

/* The target (${id}, ${agent}): its state (asserted to exist). */
static enum store_cmd_state
target(int64_t id, const char *agent, struct tgt *x)
{
	memset(x, 0, sizeof(*x));
	x->agent = agent;
	assert_true(store_cmd_targets(T.m.store, id, now_ms(), tgt_cb, x) >=
	    0);
	assert_true(x->found);
	return x->state;
}

/* The state (${id}, ${agent}) has in the table (not as readers show it). */
static int
stored_state(int64_t id, const char *agent)
{
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(T.reader, "SELECT state FROM "
	    "command_targets WHERE command = ? AND agent = ?", -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, agent, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}


/* The resend round runs, as the loop would every [commands] resend. */
static void
resend_round(void)
{
	assert_true(ev_is_active(&T.m.chans->resend));
	ev_invoke(T.m.loop, &T.m.chans->resend, EV_TIMER);
	conn_reap();
	check_durable();
}

/* The poll for new commands runs, as the loop would every second. */
static void
poll_new(void)
{
	assert_true(ev_is_active(&T.m.chans->poll));
	ev_invoke(T.m.loop, &T.m.chans->poll, EV_TIMER);
	conn_reap();
	check_durable();
}

/* How many COMMAND(${id}) went on ${c}'s ${channel}. */
static unsigned
commands(struct conn *c, uint32_t channel, int64_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < T.nsent; i++)
		if (T.sent[i].c == c && T.sent[i].type == GW_T_COMMAND &&
		    T.sent[i].channel == channel &&
		    T.sent[i].seq == (uint64_t)id)
			n++;
	return n;
}

/* A gateway that agreed COMMANDS. */
static struct conn *
cgateway(int crt)
{
	struct conn *c = gateway(crt, 0);

	hello(c, GW_CAP_COMMANDS);
	return c;
}

/* The gateway on ${c} sends COMMAND_ACK(id) on ${channel}. */
static void
command_ack(struct conn *c, uint32_t channel, uint64_t id)
{
	struct gw_frame f = { .type = GW_T_COMMAND_ACK, .channel = channel };

	f.u.ack.seq = id;
	send_frame(c, &f);
}

/* The gateway on ${c} sends RESULT(id, outcome, status, output). */
static void
result(struct conn *c, uint32_t channel, uint64_t id, unsigned outcome,
    int32_t status, const char *output)
{
	struct gw_frame f = { .type = GW_T_RESULT, .channel = channel };

	f.u.result.id = id;
	f.u.result.outcome = (uint8_t)outcome;
	f.u.result.status = status;
	f.u.result.output.p = (const uint8_t *)output;
	f.u.result.output.len = (uint32_t)strlen(output);
	send_frame(c, &f);
}

/* HELLO_ACK's caps: the HELLO's that gw-mgmt knows (GW_CAPS_KNOWN). */
static void
test_caps(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 0);
	hello(c, 0xffffffffu);
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, &s), 1);
	assert_int_equal(s->seq, GW_CAPS_KNOWN);
	c = gateway(GW2, 0);
	hello(c, 0x80000008u);	/* bits no one knows */
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, &s), 1);
	assert_int_equal(s->seq, 0);
	assert_alive(c);
}

/* Without COMMANDS agreed, an agent's answer is a connection error. */
static void
test_answers_need_commands(void **state)
{
	struct conn *c;

	(void)state;
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	command_ack(c, 1, 1);
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
	c = gateway(GW1, 1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	result(c, 1, 1, GW_OUT_EXITED, 0, "");
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
}

/*
 * With COMMANDS: on a channel never opened, as DATA there (a connection
 * error, protocol); on a channel closed, ignored (the late frames of a
 * channel are); on channel 0, unexpected.
 */
static void
test_answers_on_channels(void **state)
{
	struct conn *c;

	(void)state;
	c = gateway(GW1, 0);
	hello(c, GW_CAP_COMMANDS);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 2, "agent-2", ISSUER_A);
	close_chan(c, 1);
	command_ack(c, 1, 1);
	result(c, 1, 1, GW_OUT_EXITED, 0, "late");
	assert_alive(c);
	command_ack(c, 3, 1);
	assert_int_equal(closed(c), GW_R_PROTOCOL);
	c = gateway(GW1, 0);
	hello(c, GW_CAP_COMMANDS);
	result(c, 9, 1, GW_OUT_EXITED, 0, "");
	assert_int_equal(closed(c), GW_R_PROTOCOL);
	c = gateway(GW1, 0);
	hello(c, GW_CAP_COMMANDS);
	command_ack(c, 0, 1);
	assert_int_equal(closed(c), GW_R_UNEXPECTED);
}


/*
 * A command made while its agent is away goes after the OPEN_ACK of its
 * next channel; COMMAND_ACK makes it delivered, RESULT done (exit 0) or
 * failed, with its output; the first RESULT is kept.
 */
static void
test_command_answered(void **state)
{
	struct conn *c;
	struct sent *s = NULL;
	struct tgt t;
	int64_t id, id2;
	unsigned ack_at = 0, cmd_at = 0;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	close_chan(c, 1);
	id = make_cmd("agent-1", "uptime", 3600000);
	id2 = make_cmd("agent-1", "false", 3600000);
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_QUEUED);
	open_chan(c, 2, "agent-1", ISSUER_A);
	assert_int_equal(commands(c, 2, id), 1);
	assert_int_equal(commands(c, 2, id2), 1);
	for (unsigned i = 0; i < T.nsent; i++) {
		if (T.sent[i].type == GW_T_OPEN_ACK && T.sent[i].channel == 2)
			ack_at = i;
		if (T.sent[i].type == GW_T_COMMAND && cmd_at == 0)
			cmd_at = i;
	}
	assert_true(ack_at < cmd_at);
	(void)sent(c, GW_T_COMMAND, 2, &s);
	assert_string_equal(s->text, "false");	/* oldest first */
	command_ack(c, 2, (uint64_t)id);
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_DELIVERED);
	result(c, 2, (uint64_t)id, GW_OUT_EXITED, 0, "up 3 days");
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_DONE);
	assert_string_equal(t.output, "up 3 days");
	result(c, 2, (uint64_t)id, GW_OUT_EXITED, 1, "again");
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_DONE);
	assert_string_equal(t.output, "up 3 days");
	result(c, 2, (uint64_t)id2, GW_OUT_EXITED, 1, "no");
	assert_int_equal(target(id2, "agent-1", &t), STORE_CMD_FAILED);
	assert_int_equal(t.status, 1);
	assert_alive(c);
}

/*
 * An agent's answers for a command that is not its own, for its own not
 * sent on its channel yet, or for ids never sent (0 is the codec's; above
 * 2^63-1), are ignored: the targets are unchanged, no channel or link
 * closes.
 */
static void
test_answers_of_another_agent(void **state)
{
	struct conn *c, *other;
	struct tgt t;
	int64_t id, own;

	(void)state;
	c = cgateway(GW1);
	other = cgateway(GW2);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(other, 1, "agent-2", ISSUER_A);
	id = make_cmd("agent-1", "reboot", 3600000);
	/* Its own, but not sent on its channel yet: not taken either. */
	own = make_cmd("agent-2", "ls", 3600000);
	result(other, 1, (uint64_t)own, GW_OUT_EXITED, 0, "early");
	assert_int_equal(target(own, "agent-2", &t), STORE_CMD_QUEUED);
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	assert_int_equal(commands(other, 1, id), 0);
	command_ack(other, 1, (uint64_t)id);
	result(other, 1, (uint64_t)id, GW_OUT_EXITED, 0, "forged");
	result(other, 1, GW_SEQ_MAX + 1, GW_OUT_EXITED, 0, "");
	command_ack(other, 1, UINT64_MAX);
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_QUEUED);
	assert_int_equal(sent(other, GW_T_CLOSE, 1, NULL), 0);
	assert_int_equal(sent(c, GW_T_CLOSE, 1, NULL), 0);
	assert_alive(other);
	assert_alive(c);
}

/*
 * The resend round sends again what has no RESULT, and the commands made
 * since; not what was answered, nor what expired (which it marks
 * expired); at most GW_COMMANDS_INFLIGHT without a RESULT.
 */
static void
test_resend_round(void **state)
{
	struct conn *c;
	struct tgt t;
	int64_t id, id2, old, many[GW_COMMANDS_INFLIGHT];

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	old = make_cmd("agent-1", "late", -1);		/* expired */
	id = make_cmd("agent-1", "one", 3600000);
	assert_int_equal(stored_state(old, "agent-1"), STORE_CMD_QUEUED);
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	assert_int_equal(commands(c, 1, old), 0);
	assert_int_equal(target(old, "agent-1", &t), STORE_CMD_EXPIRED);
	assert_int_equal(stored_state(old, "agent-1"), STORE_CMD_EXPIRED);
	command_ack(c, 1, (uint64_t)id);
	id2 = make_cmd("agent-1", "two", 3600000);
	resend_round();
	assert_int_equal(commands(c, 1, id), 2);	/* no RESULT yet */
	assert_int_equal(commands(c, 1, id2), 1);
	result(c, 1, (uint64_t)id, GW_OUT_EXITED, 0, "");
	result(c, 1, (uint64_t)id2, GW_OUT_EXITED, 0, "");
	for (unsigned i = 0; i < GW_COMMANDS_INFLIGHT; i++)
		many[i] = make_cmd("agent-1", "x", 3600000);
	id = make_cmd("agent-1", "seventeenth", 3600000);
	resend_round();
	assert_int_equal(commands(c, 1, id2), 1);
	for (unsigned i = 0; i < GW_COMMANDS_INFLIGHT; i++)
		assert_int_equal(commands(c, 1, many[i]), 1);
	assert_int_equal(commands(c, 1, id), 0);
	result(c, 1, (uint64_t)many[3], GW_OUT_EXITED, 0, "");
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	assert_alive(c);
}

/*
 * A command acknowledged before its expiry waits for its RESULT after it
 * (the agent runs it): it keeps its slot, so with GW_COMMANDS_INFLIGHT
 * more pending only one less goes, and its COMMAND is sent again each
 * round (a RESULT lost on the way is asked for again: the agent answers
 * from its journal, never running it twice); its RESULT is still taken.
 * A repeated COMMAND_ACK writes nothing to the store.
 */
static void
test_inflight_bound(void **state)
{
	struct conn *c;
	struct tgt t;
	int64_t id, many[GW_COMMANDS_INFLIGHT];
	unsigned n = 0;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	id = make_cmd("agent-1", "slow", 20);
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	command_ack(c, 1, (uint64_t)id);
	usleep(50000);				/* it expires */
	ev_now_update(T.m.loop);
	for (unsigned i = 0; i < GW_COMMANDS_INFLIGHT; i++)
		many[i] = make_cmd("agent-1", "x", 3600000);
	resend_round();
	assert_int_equal(commands(c, 1, id), 2);	/* acked: asked again */
	command_ack(c, 1, (uint64_t)id);		/* its answer: known */
	for (unsigned i = 0; i < GW_COMMANDS_INFLIGHT; i++)
		n += commands(c, 1, many[i]);
	assert_int_equal(n, GW_COMMANDS_INFLIGHT - 1);
	assert_int_equal(commands(c, 1, many[GW_COMMANDS_INFLIGHT - 1]), 0);
	result(c, 1, (uint64_t)id, GW_OUT_EXITED, 0, "late but ran");
	assert_int_equal(target(id, "agent-1", &t), STORE_CMD_DONE);
	resend_round();
	assert_int_equal(commands(c, 1, many[GW_COMMANDS_INFLIGHT - 1]), 1);
	assert_alive(c);
}

/*
 * A link whose output is full, or short of the room kept for what
 * commits owe, is sent no COMMAND, and neither blocks nor closes: the
 * round after room comes sends it.
 */
static void
test_full_output(void **state)
{
	struct conn *c;
	int64_t id;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	id = make_cmd("agent-1", "df", 3600000);
	fake_conn_full(c, 0);
	resend_round();
	assert_int_equal(commands(c, 1, id), 0);
	assert_int_equal(closed(c), -1);
	fake_conn_full(c, 1000);	/* room for it, not for the ACKs */
	resend_round();
	assert_int_equal(commands(c, 1, id), 0);
	fake_conn_full(c, 0);		/* full again, then drained */
	fake_conn_full(c, SIZE_MAX);
	conn_reap();
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	assert_alive(c);
}

/*
 * A command made while its agents are online goes at the next poll (each
 * second), not at the resend round, once, to its targets' channels only;
 * an offline target gets it at its OPEN_ACK, not again at a poll; the
 * poll keeps GW_COMMANDS_INFLIGHT and the link's room (the round sends
 * the rest).
 */
static void
test_new_command_polled(void **state)
{
	struct conn *c;
	int64_t id, off, many[GW_COMMANDS_INFLIGHT + 1];
	unsigned n = 0;

	(void)state;
	c = cgateway(GW1);
	open_chan(c, 1, "agent-1", ISSUER_A);
	open_chan(c, 2, "agent-2", ISSUER_A);
	open_chan(c, 3, "agent-3", ISSUER_A);
	close_chan(c, 3);
	poll_new();
	id = make_cmd("agent-1", "hostname", 3600000);
	off = make_cmd("agent-3", "uname", 3600000);
	assert_int_equal(commands(c, 1, id), 0);
	poll_new();
	assert_int_equal(commands(c, 1, id), 1);
	assert_int_equal(commands(c, 2, id), 0);
	poll_new();
	assert_int_equal(commands(c, 1, id), 1);
	open_chan(c, 4, "agent-3", ISSUER_A);
	assert_int_equal(commands(c, 4, off), 1);
	poll_new();
	assert_int_equal(commands(c, 4, off), 1);
	for (unsigned i = 0; i <= GW_COMMANDS_INFLIGHT; i++)
		many[i] = make_cmd("agent-2", "x", 3600000);
	poll_new();
	for (unsigned i = 0; i <= GW_COMMANDS_INFLIGHT; i++)
		n += commands(c, 2, many[i]);
	assert_int_equal(n, GW_COMMANDS_INFLIGHT);
	assert_int_equal(commands(c, 2, many[GW_COMMANDS_INFLIGHT]), 0);
	id = make_cmd("agent-1", "df", 3600000);
	fake_conn_full(c, 0);
	poll_new();
	assert_int_equal(commands(c, 1, id), 0);
	fake_conn_full(c, SIZE_MAX);
	conn_reap();
	result(c, 2, (uint64_t)many[0], GW_OUT_EXITED, 0, "");
	resend_round();
	assert_int_equal(commands(c, 1, id), 1);
	assert_int_equal(commands(c, 2, many[GW_COMMANDS_INFLIGHT]), 1);
	assert_alive(c);
}

/*
 * The resend round asks the store for the pending commands of the
 * channels whose agent has some (one query lists them), not of every
 * open channel.
 */
static void
test_round_skips_idle(void **state)
{
	struct conn *c;
	unsigned long before;
	char name[32];
	int64_t id;

	(void)state;
	c = cgateway(GW1);
	for (uint32_t i = 1; i <= 10; i++) {
		snprintf(name, sizeof(name), "agent-%u", i);
		open_chan(c, i, name, ISSUER_A);
	}
	id = make_cmd("agent-4", "w", 3600000);
	before = T.pending_queries;
	resend_round();
	assert_int_equal(T.pending_queries - before, 1);
	assert_int_equal(commands(c, 4, id), 1);
	result(c, 4, (uint64_t)id, GW_OUT_EXITED, 0, "");
	before = T.pending_queries;
	resend_round();
	assert_int_equal(T.pending_queries - before, 0);
	assert_int_equal(commands(c, 4, id), 1);
	assert_alive(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caps,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_answers_need_commands,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_answers_on_channels,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_command_answered,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_answers_of_another_agent,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_resend_round,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_inflight_bound,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_new_command_polled,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_round_skips_idle,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_full_output,
		    link_fixture_setup, link_fixture_teardown),
	};

	link_fixture_init("test_link_cmd");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
