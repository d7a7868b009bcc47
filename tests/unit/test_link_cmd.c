/*
 * test_link_cmd.c: gw-mgmt's side of commands (PROTOCOL.md 9.7) on its
 * links and channels (link.c, mchan.c), without sockets, in the world of
 * tests/support/link_fixture.h: the COMMANDS capability agreed in
 * HELLO_ACK; COMMAND_ACK and RESULT refused on a link that did not agree
 * it, or on a channel never opened, and ignored on a closed one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_conn.h"
#include "link_fixture.h"
#include "proto.h"

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

/* HELLO_ACK's caps: the HELLO's that gw-mgmt knows (COMMANDS), no more. */
static void
test_caps(void **state)
{
	struct conn *c;
	struct sent *s = NULL;

	(void)state;
	c = gateway(GW1, 0);
	hello(c, 0xffffffffu);
	assert_int_equal(sent(c, GW_T_HELLO_ACK, 0, &s), 1);
	assert_int_equal(s->seq, GW_CAP_COMMANDS);
	c = gateway(GW2, 0);
	hello(c, 0x6);
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
	};

	link_fixture_init("test_link_cmd");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
