/*
 * test_agent.c: one downstream session (agent.c) without sockets: its
 * states from HANDSHAKE to OPEN, credit granted against the window and
 * given back on ACK, SIGTERM's drain, failover (the session stays, its
 * agent sees no second HELLO_ACK), one session per name, and closing in
 * every state.  Real sessions, channels and links on fake conns
 * (gwd_world.h).
 */
#include "gwd_world.h"

/* An agent ${name} past HELLO_ACK on link 0 (last_seq ${last}). */
static struct conn *
open_agent(struct gw *gw, unsigned name, uint64_t last)
{
	struct conn *a = w_agent(gw, name);
	struct agent *ag = w_agent_of(gw, a);

	assert_int_equal(ag->state, AGENT_OPENING);
	assert_null(w_last(a, GW_T_HELLO_ACK));
	w_link_ack(w_link(0), GW_T_OPEN_ACK, ag->ch.id, last);
	assert_int_equal(ag->state, AGENT_OPEN);
	return a;
}

/* HELLO_ACK carries last_seq; the window is granted, used, given back. */
static void
t_credit(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;
	struct agent *ag;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 7);
	ag = w_agent_of(gw, a);
	assert_int_equal(w_last(a, GW_T_HELLO_ACK)->seq, 7);
	assert_int_equal(w_last(a, GW_T_CREDIT)->n, w_cfg.agent_window);
	assert_int_equal(ag->credit, 4);
	assert_int_equal(agent_counts(gw)->open, 1);
	assert_int_equal(agent_counts(gw)->reserved_bytes,
	    4 * w_cfg.max_payload);
	for (uint64_t s = 8; s < 12; s++)
		w_agent_data(a, s, 100);
	assert_int_equal(ag->credit, 0);
	assert_int_equal(chan_replay_bytes(gw), 400);
	assert_int_equal(agent_counts(gw)->reserved_bytes, 0);
	/* ACK of 3 of 4 gives their credit back (a quarter window or more). */
	w_link_ack(w_link(0), GW_T_ACK, ag->ch.id, 10);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 10);
	assert_int_equal(w_last(a, GW_T_CREDIT)->n, 3);
	assert_int_equal(ag->credit + ag->credit_owed +
	    chan_ring_len(&ag->ch), w_cfg.agent_window);
	/* DATA beyond its credit ends the session: flow. */
	for (uint64_t s = 12; s < 15; s++)
		w_agent_data(a, s, 1);
	w_agent_data(a, 15, 1);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_FLOW);
	conn_reap();
	w_stop(gw);
}

/* SIGTERM: a session past HELLO_ACK gets GOAWAY and ends once ACKed. */
static void
t_drain_all(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *b, *c;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	b = open_agent(gw, 1, 0);
	c = w_agent(gw, 2);		/* OPENING: no HELLO_ACK yet */
	w_agent_data(a, 1, 10);
	gw->draining = 1;
	agent_drain_all(gw);
	assert_int_equal(conn_state(c), CONN_CLOSED);	/* at once */
	assert_int_equal(conn_state(b), CONN_CLOSED);	/* nothing pending */
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(w_last(a, GW_T_GOAWAY)->code, GW_R_SHUTDOWN);
	assert_false(gw_is_drained(gw));
	w_link_ack(w_link(0), GW_T_ACK, w_agent_of(gw, a)->ch.id, 1);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	conn_reap();
	assert_true(gw_is_drained(gw));
	w_stop(gw);
}

/* A lost link: the session stays; its agent sees an ACK, no new HELLO_ACK. */
static void
t_failover(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct agent *ag;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	ag = w_agent_of(gw, a);
	w_agent_data(a, 1, 10);
	w_agent_data(a, 2, 10);
	fake_conn_eof(w_link(0));
	conn_reap();
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(ag->state, AGENT_OPEN);
	assert_int_equal(ag->ch.state, CHAN_NO_LINK);
	w_agent_data(a, 3, 10);		/* kept while no link */
	assert_int_equal(chan_ring_len(&ag->ch), 3);
	assert_true(w_links_up() >= 1);
	assert_non_null(l = w_link_of(&ag->ch));
	w_link_ack(l, GW_T_OPEN_ACK, ag->ch.id, 2);
	assert_int_equal(w_count(a, GW_T_HELLO_ACK), 1);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 2);
	assert_int_equal(w_last(l, GW_T_DATA)->seq, 3);
	assert_int_equal(chan_ring_len(&ag->ch), 1);
	w_stop(gw);
}

/* A second session of a name supersedes the first. */
static void
t_supersede(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *b;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	b = w_agent(gw, 0);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_SUPERSEDED);
	assert_int_equal(conn_state(b), CONN_OPEN);
	assert_int_equal(w_agent_of(gw, b)->state, AGENT_OPENING);
	conn_reap();
	assert_int_equal(agent_counts(gw)->agents, 1);
	w_stop(gw);
}

/* Closed in every state: counted out, its channel and credit released. */
static void
t_close_every_state(void **state)
{
	static const enum agent_state states[] = { AGENT_HANDSHAKE,
	    AGENT_HELLO_WAIT, AGENT_OPENING, AGENT_OPEN };

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct gw *gw = w_start();
		struct conn *a;
		struct agent *ag;

		w_link_up(0);
		if (states[i] == AGENT_OPEN) {
			a = open_agent(gw, 0, 0);
			w_agent_data(a, 1, 10);
		} else if (states[i] == AGENT_OPENING)
			a = w_agent(gw, 0);
		else {
			agent_accept(gw, -1);
			a = fake_conn_accepted(0);
			if (states[i] == AGENT_HELLO_WAIT)
				fake_conn_open(a, &w_crt[0]);
		}
		ag = w_agent_of(gw, a);
		assert_int_equal(ag->state, states[i]);
		/* No timer while its channel opens: the agent goes away. */
		if (states[i] == AGENT_OPENING)
			fake_conn_eof(a);
		else
			fake_conn_timer(a);	/* slot, HELLO or idle */
		if (states[i] == AGENT_HANDSHAKE) {
			assert_int_equal(conn_state(a), CONN_HANDSHAKE);
			fake_conn_timer(a);	/* handshake_timeout */
		}
		assert_int_equal(conn_state(a), CONN_CLOSED);
		assert_int_equal(ag->state, AGENT_CLOSED);
		assert_int_equal(ag->ch.state, CHAN_CLOSED);
		assert_int_equal(w_data(a)->reason,
		    states[i] == AGENT_OPENING ? GW_R_PEER_CLOSED :
		    GW_R_TIMEOUT);
		assert_int_equal(agent_counts(gw)->handshakes, 0);
		conn_reap();
		assert_int_equal(agent_counts(gw)->agents, 0);
		assert_int_equal(agent_counts(gw)->open, 0);
		assert_true(chan_replay_bytes(gw) == 0 &&
		    agent_counts(gw)->reserved_bytes == 0);
		assert_int_equal(chan_count(gw->up[0]), 0);
		assert_int_equal(w_count(w_link(0), GW_T_CLOSE),
		    states[i] >= AGENT_OPENING);
		w_stop(gw);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_credit),
		cmocka_unit_test(t_drain_all),
		cmocka_unit_test(t_failover),
		cmocka_unit_test(t_supersede),
		cmocka_unit_test(t_close_every_state),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
