/*
 * test_link.c: gw-mgmt's links (link.c), without sockets, in the world of
 * tests/support/link_fixture.h (fake conns for gateways, a real SQLite
 * store whose committed view checks every ACK): HELLO; ENROLL answered on
 * its own link; frames owed while a link's output is full go, in order,
 * when room comes; a link closed with channels in every state (enum
 * mchan_state).  Channels are test_link_chan.c, the group commit
 * test_link_commit.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "commit.h"
#include "fake_conn.h"
#include "link.h"
#include "link_fixture.h"
#include "proto.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_enroll_answered_on_its_link,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_owed_frames_go_when_room_comes,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_close_link_in_every_state,
		    link_fixture_setup, link_fixture_teardown),
	};

	link_fixture_init("test_link");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
