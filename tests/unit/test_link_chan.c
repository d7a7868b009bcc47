/*
 * test_link_chan.c: gw-mgmt's channels (mchan.c, under link.c), without
 * sockets, in the world of tests/support/link_fixture.h: OPEN answered at
 * once with the agent's last durable seq; a channel closed by the
 * gateway, or by gw-mgmt, or both (crossed CLOSEs); a channel superseded
 * by another gateway's OPEN of its agent (not by the same gateway's);
 * [scope] refusing a gateway's OPEN for an agent out of its scope.
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
		cmocka_unit_test_setup_teardown(test_open_answers_at_once,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_gateway_closes_channels,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_superseded,
		    link_fixture_setup, link_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_scope,
		    link_fixture_setup, link_fixture_teardown),
	};

	link_fixture_init("test_link_chan");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
