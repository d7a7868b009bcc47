/*
 * test_agent.c: one downstream session (agent.c) without sockets: its
 * states from HANDSHAKE to OPEN, credit granted against the window and
 * given back on ACK, SIGTERM's drain, failover (the session stays, its
 * agent sees no second HELLO_ACK), one session per name, and closing in
 * every state, and commands (PROTOCOL.md 9.7): the COMMANDS capability,
 * COMMAND_ACK and RESULT relayed on the agent's channel, and the ids a
 * session may answer; frames of the upstream protocol (SEEN...) refused.
 * Real sessions, channels and links on fake conns
 * (gwd_world.h).
 */
#include <unistd.h>

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

/*
 * ACKCREDIT: an agent that offers it gets its credit in the ACK (no CREDIT
 * frame beside it), with every ACK; an old agent (no bit) gets ACK then
 * CREDIT, as before.  Credit folded into an
 * ACK its full output holds back is not the agent's until it goes.
 */
static void
t_ack_credit(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *b;
	struct agent *ag, *bg;

	(void)state;
	w_link_up(0);
	w_agent_caps = GW_CAP_COMMANDS | GW_CAP_ACKCREDIT;
	a = open_agent(gw, 0, 0);
	w_agent_caps = GW_CAP_COMMANDS;
	b = open_agent(gw, 1, 0);
	ag = w_agent_of(gw, a);
	bg = w_agent_of(gw, b);
	assert_int_equal(w_last(a, GW_T_HELLO_ACK)->caps,
	    GW_CAP_COMMANDS | GW_CAP_ACKCREDIT);
	assert_int_equal(w_last(b, GW_T_HELLO_ACK)->caps, GW_CAP_COMMANDS);
	/* The first window: a CREDIT for both (no ACK to ride). */
	assert_int_equal(w_count(a, GW_T_CREDIT), 1);
	assert_int_equal(w_count(b, GW_T_CREDIT), 1);
	for (uint64_t s = 1; s <= 4; s++) {
		w_agent_data(a, s, 10);
		w_agent_data(b, s, 10);
	}
	/* One DATA ACKed: its credit rides the ACK, a 12-byte one. */
	w_link_ack(w_link(0), GW_T_ACK, ag->ch.id, 1);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 1);
	assert_int_equal(w_last(a, GW_T_ACK)->n, 1);
	assert_int_equal(w_count(a, GW_T_CREDIT), 1);
	assert_int_equal(ag->credit, 1);
	/* The old agent: an 8-byte ACK, then a CREDIT, as before. */
	w_link_ack(w_link(0), GW_T_ACK, bg->ch.id, 3);
	assert_int_equal(w_last(b, GW_T_ACK)->n, 0);
	assert_int_equal(w_count(b, GW_T_CREDIT), 2);
	assert_int_equal(w_last(b, GW_T_CREDIT)->n, 3);
	assert_true(w_last(b, GW_T_CREDIT)->stamp >
	    w_last(b, GW_T_ACK)->stamp);
	/* Output full: the ACK waits, and its credit with it. */
	fake_conn_full(a, 0);
	w_link_ack(w_link(0), GW_T_ACK, ag->ch.id, 3);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 1);
	assert_int_equal(ag->credit_fold, 2);
	assert_int_equal(ag->credit, 3);
	w_agent_data(a, 5, 10);		/* the credit it has: 1 */
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_agent_data(a, 6, 10);		/* not the folded 2: flow */
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_data(a)->reason, GW_R_FLOW);	/* output full */
	assert_int_equal(conn_state(b), CONN_OPEN);
	conn_reap();
	w_stop(gw);
}

/* Room again: the held ACK goes with its credit, and no CREDIT frame. */
static void
t_ack_credit_held(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;
	struct agent *ag;

	(void)state;
	w_link_up(0);
	w_agent_caps = GW_CAP_ACKCREDIT;
	a = open_agent(gw, 0, 0);
	w_agent_caps = GW_CAP_COMMANDS;
	ag = w_agent_of(gw, a);
	for (uint64_t s = 1; s <= 4; s++)
		w_agent_data(a, s, 10);
	fake_conn_full(a, 0);
	w_link_ack(w_link(0), GW_T_ACK, ag->ch.id, 2);
	w_link_ack(w_link(0), GW_T_ACK, ag->ch.id, 4);
	assert_null(w_last(a, GW_T_ACK));
	assert_int_equal(ag->credit_fold, 4);
	fake_conn_full(a, SIZE_MAX);	/* on_writable */
	assert_int_equal(w_count(a, GW_T_ACK), 1);	/* the newest only */
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 4);
	assert_int_equal(w_last(a, GW_T_ACK)->n, 4);
	assert_int_equal(w_count(a, GW_T_CREDIT), 1);	/* the first */
	assert_int_equal(ag->credit_fold, 0);
	for (uint64_t s = 5; s <= 8; s++)
		w_agent_data(a, s, 10);
	assert_int_equal(conn_state(a), CONN_OPEN);
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

/* COMMAND_ACKs and RESULTs on link ${l}'s channel ${ch} for ${id}. */
static unsigned
answers(struct conn *l, uint8_t type, uint32_t ch, uint64_t id)
{
	struct w_data *d = w_data(l);
	unsigned n = 0;

	for (unsigned i = d->n; i-- > 0 && d->n - i <= W_FRAMES;) {
		const struct w_frame *w = &d->f[i % W_FRAMES];

		n += w->type == type && w->channel == ch && w->seq == id;
	}
	return n;
}

/*
 * Capabilities: the HELLO_ACK carries the HELLO's known caps; the link's
 * HELLO offers COMMANDS (and FLEET).  An agent without it still gets
 * COMMANDs, and its COMMAND_ACK ends its session (unexpected); a link
 * whose server did not agree COMMANDS gets no answer, and the session
 * stays.
 */
static void
t_cmd_caps(void **state)
{
	struct gw *gw;
	struct conn *a, *b, *l;
	struct agent *ag;

	(void)state;
	w_link_caps = 0;
	gw = w_start();
	l = w_link_up(0);
	assert_int_equal(w_last(l, GW_T_HELLO)->caps,
	    GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN);
	w_agent_caps = GW_CAP_COMMANDS | 0x80;	/* unknown bits: ignored */
	a = open_agent(gw, 0, 0);
	assert_int_equal(w_last(a, GW_T_HELLO_ACK)->caps, GW_CAP_COMMANDS);
	w_agent_caps = 0;
	b = open_agent(gw, 1, 0);
	assert_int_equal(w_last(b, GW_T_HELLO_ACK)->caps, 0);
	w_agent_caps = GW_CAP_COMMANDS;
	/* Without COMMANDS, relayed all the same; an answer: unexpected. */
	w_link_command(l, w_agent_of(gw, b)->ch.id, 4);
	assert_int_equal(w_last(b, GW_T_COMMAND)->seq, 4);
	w_agent_cmd_ack(b, 4);
	assert_int_equal(conn_state(b), CONN_CLOSED);
	assert_int_equal(w_last(b, GW_T_ERROR)->code, GW_R_UNEXPECTED);
	/* A link without COMMANDS: the answer is dropped, no harm. */
	ag = w_agent_of(gw, a);
	w_link_command(l, ag->ch.id, 5);
	w_agent_cmd_ack(a, 5);
	w_agent_result(a, 5, 3);
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(w_count(l, GW_T_COMMAND_ACK), 0);
	assert_int_equal(w_count(l, GW_T_RESULT), 0);
	assert_int_equal(conn_state(l), CONN_OPEN);
	w_link_caps = GW_CAP_COMMANDS;
	conn_reap();
	w_stop(gw);
}

/*
 * COMMAND_ACK and RESULT go up on the agent's channel; a COMMAND_ACK
 * again without a new COMMAND is not; a RESULT frees the id: another
 * answer for it ends the session.
 */
static void
t_cmd_relay(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	uint32_t ch;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ch = w_agent_of(gw, a)->ch.id;
	w_link_command(l, ch, 9);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 9);
	assert_int_equal(w_last(a, GW_T_COMMAND)->channel, 0);
	w_agent_cmd_ack(a, 9);
	assert_int_equal(answers(l, GW_T_COMMAND_ACK, ch, 9), 1);
	w_agent_cmd_ack(a, 9);		/* no COMMAND since: not again */
	assert_int_equal(answers(l, GW_T_COMMAND_ACK, ch, 9), 1);
	w_link_command(l, ch, 9);	/* the server resends: ACK again */
	w_agent_cmd_ack(a, 9);
	assert_int_equal(answers(l, GW_T_COMMAND_ACK, ch, 9), 2);
	w_agent_result(a, 9, 100);
	assert_int_equal(answers(l, GW_T_RESULT, ch, 9), 1);
	assert_int_equal(w_last(l, GW_T_RESULT)->len, 100);
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_agent_result(a, 9, 100);	/* answered lately: dropped */
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(answers(l, GW_T_RESULT, ch, 9), 1);
	w_agent_result(a, 10, 100);	/* never relayed: unexpected */
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_UNEXPECTED);
	assert_int_equal(w_count(l, GW_T_RESULT), 1);
	assert_int_equal(conn_state(l), CONN_OPEN);
	conn_reap();
	w_stop(gw);
}

/*
 * The server resends COMMAND 9 before the agent's RESULT reaches it: the
 * agent answers each COMMAND, so its answers cross the RESULT.  In each
 * order an honest agent sends them (ACK ACK RESULT, ACK RESULT RESULT,
 * RESULT RESULT, and a late ACK), one COMMAND_ACK and one RESULT go up
 * and the session stays.  A COMMAND after the RESULT takes a slot again:
 * its RESULT goes up again.
 */
static void
t_cmd_crossed(void **state)
{
	static const char *const orders[] = { "aar", "arr", "rr", "rra" };
	struct gw *gw = w_start();
	struct conn *a, *l;
	uint32_t ch;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ch = w_agent_of(gw, a)->ch.id;
	for (uint64_t k = 0; k < 4; k++) {
		uint64_t id = 9 + k;

		w_link_command(l, ch, id);
		w_link_command(l, ch, id);	/* resent: crosses */
		assert_int_equal(agent_cmd_count(w_agent_of(gw, a)), 1);
		for (const char *o = orders[k]; *o != '\0'; o++)
			if (*o == 'a')
				w_agent_cmd_ack(a, id);
			else
				w_agent_result(a, id, 10);
		assert_int_equal(conn_state(a), CONN_OPEN);
		assert_int_equal(answers(l, GW_T_COMMAND_ACK, ch, id),
		    orders[k][0] == 'a');
		assert_int_equal(answers(l, GW_T_RESULT, ch, id), 1);
		assert_int_equal(agent_cmd_count(w_agent_of(gw, a)), 0);
	}
	w_link_command(l, ch, 9);	/* after the RESULT: a slot again */
	assert_int_equal(agent_cmd_count(w_agent_of(gw, a)), 1);
	w_agent_result(a, 9, 10);
	assert_int_equal(answers(l, GW_T_RESULT, ch, 9), 2);
	w_agent_result(a, 9, 10);
	assert_int_equal(answers(l, GW_T_RESULT, ch, 9), 2);
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(conn_state(l), CONN_OPEN);
	w_stop(gw);
}

/*
 * Only the last GW_COMMANDS_INFLIGHT ids answered are remembered: an
 * answer for one older than those ends the session.
 */
static void
t_cmd_answered_bound(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	uint32_t ch;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ch = w_agent_of(gw, a)->ch.id;
	for (uint64_t id = 1; id <= GW_COMMANDS_INFLIGHT + 1; id++) {
		w_link_command(l, ch, id);
		w_agent_result(a, id, 0);
	}
	w_agent_result(a, 2, 0);	/* among the last 16: dropped */
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(w_count(l, GW_T_RESULT), GW_COMMANDS_INFLIGHT + 1);
	w_agent_cmd_ack(a, 1);		/* forgotten: unexpected */
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_UNEXPECTED);
	conn_reap();
	w_stop(gw);
}

/*
 * An answer for an id not relayed to that session closes that session
 * alone: another agent's session and the link stay.
 */
static void
t_cmd_unknown_id(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *b, *l;
	uint32_t cha;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	b = open_agent(gw, 1, 0);
	cha = w_agent_of(gw, a)->ch.id;
	w_link_command(l, cha, 5);
	w_agent_cmd_ack(b, 5);		/* relayed to a, not to b */
	assert_int_equal(conn_state(b), CONN_CLOSED);
	assert_int_equal(w_last(b, GW_T_ERROR)->code, GW_R_UNEXPECTED);
	assert_int_equal(w_count(l, GW_T_COMMAND_ACK), 0);
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(conn_state(l), CONN_OPEN);
	w_agent_result(a, 5, 0);
	assert_int_equal(answers(l, GW_T_RESULT, cha, 5), 1);
	w_agent_cmd_ack(a, 6);		/* never relayed at all */
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(conn_state(l), CONN_OPEN);
	conn_reap();
	w_stop(gw);
}

/*
 * GW_COMMANDS_INFLIGHT ids at most: the 17th is not relayed; a repeated
 * id is, and takes no slot; a RESULT frees a slot for the 17th.
 */
static void
t_cmd_bound(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	uint32_t ch;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ch = w_agent_of(gw, a)->ch.id;
	for (uint64_t id = 1; id <= GW_COMMANDS_INFLIGHT; id++)
		w_link_command(l, ch, id);
	assert_int_equal(w_count(a, GW_T_COMMAND), GW_COMMANDS_INFLIGHT);
	w_link_command(l, ch, 100);	/* the 17th: not relayed */
	assert_int_equal(w_count(a, GW_T_COMMAND), GW_COMMANDS_INFLIGHT);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, GW_COMMANDS_INFLIGHT);
	w_link_command(l, ch, 3);	/* repeated: relayed, no new slot */
	assert_int_equal(w_count(a, GW_T_COMMAND), GW_COMMANDS_INFLIGHT + 1);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 3);
	w_link_command(l, ch, 100);	/* still full */
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 3);
	w_agent_result(a, 3, 0);	/* frees a slot */
	assert_int_equal(answers(l, GW_T_RESULT, ch, 3), 1);
	w_link_command(l, ch, 100);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 100);
	w_agent_cmd_ack(a, 100);
	assert_int_equal(answers(l, GW_T_COMMAND_ACK, ch, 100), 1);
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_stop(gw);
}

/*
 * A link lost: the answer finds no channel and is dropped (the session
 * stays); on the new channel, the server resends the COMMAND and the
 * answer goes there.  A RESULT too large for the server is dropped.
 */
static void
t_cmd_move(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l0, *l;
	struct agent *ag;
	uint32_t old;

	(void)state;
	l0 = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ag = w_agent_of(gw, a);
	old = ag->ch.id;
	w_link_command(l0, old, 7);
	fake_conn_eof(l0);
	conn_reap();
	assert_int_equal(ag->ch.state, CHAN_NO_LINK);
	w_agent_cmd_ack(a, 7);		/* no channel: dropped */
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_link_max = 64;		/* the next server takes less */
	assert_true(w_links_up() >= 1);
	w_link_max = 0;
	assert_non_null(l = w_link_of(&ag->ch));	/* l0 is freed */
	w_link_ack(l, GW_T_OPEN_ACK, ag->ch.id, 0);
	w_link_command(l, ag->ch.id, 7);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 7);
	w_agent_cmd_ack(a, 7);
	assert_int_equal(answers(l, GW_T_COMMAND_ACK, ag->ch.id, 7), 1);
	w_agent_result(a, 7, 64);	/* 78 bytes: above the server's 64 */
	assert_int_equal(w_count(l, GW_T_RESULT), 0);
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_int_equal(conn_state(l), CONN_OPEN);
	w_link_command(l, ag->ch.id, 7);	/* resent: answered again */
	w_agent_result(a, 7, 50);
	assert_int_equal(answers(l, GW_T_RESULT, ag->ch.id, 7), 1);
	w_stop(gw);
}

/* Capture the log (warnings and up) in a file, or end that (-1). */
static int log_fd = -1, log_saved = -1;

static void
log_capture(void)
{
	char path[] = "/tmp/test_agent.XXXXXX";

	assert_true((log_fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_true((log_saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(log_fd, STDERR_FILENO) >= 0);
	log_init("test", LOG_LVL_WARN);
}

/* The captured lines holding ${s}; the capture ends. */
static unsigned
log_lines(const char *s)
{
	static char buf[65536];
	ssize_t n;
	unsigned k = 0;

	log_init("test", LOG_LVL_ERR);
	assert_true(dup2(log_saved, STDERR_FILENO) >= 0);
	close(log_saved);
	assert_true((n = pread(log_fd, buf, sizeof(buf) - 1, 0)) >= 0);
	close(log_fd);
	buf[n] = '\0';
	for (const char *p = buf; (p = strstr(p, s)) != NULL; p++)
		k++;
	return k;
}

/*
 * A COMMAND above the agent's HELLO max_payload is not relayed (the agent
 * would close on it, too-big, and get it again at its next OPEN), takes
 * no slot, and is logged each time the server sends it; one at it is
 * relayed.
 */
static void
t_cmd_too_big_agent(void **state)
{
	struct gw *gw;
	struct conn *a, *l;
	uint32_t ch;

	(void)state;
	gw = w_start();
	l = w_link_up(0);
	w_agent_max = 64;		/* the smallest a HELLO may say */
	a = open_agent(gw, 0, 0);
	w_agent_max = 0;
	ch = w_agent_of(gw, a)->ch.id;
	log_capture();
	w_link_command_len(l, ch, 5, 64 - 8 + 1);	/* payload 65 */
	w_link_command_len(l, ch, 5, 64 - 8 + 1);	/* resent */
	assert_int_equal(log_lines("event=command_too_big agent=agent-1 "
	    "id=5 len=65 max=64"), 2);
	assert_int_equal(w_count(a, GW_T_COMMAND), 0);
	assert_int_equal(agent_cmd_count(w_agent_of(gw, a)), 0);
	w_link_command_len(l, ch, 6, 64 - 8);		/* payload 64 */
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 6);
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_stop(gw);
}

/*
 * A COMMAND that can never fit the agent's output buffer
 * (agent_output_buffer, 4 KiB) is dropped and logged as too big, not
 * retried as if the output were full; one that fills it exactly is sent
 * once the output is empty.
 */
static void
t_cmd_too_big_output(void **state)
{
	static struct gw_config big;
	struct gw *gw;
	struct conn *a, *l;
	uint32_t ch, fits = 4096 - GW_HDR_LEN - 8;

	(void)state;
	w_config(&big, 16384, 4, NULL);
	gw = w_start_cfg(&big);
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	fake_conn_bounded(a);		/* empty, 4 KiB */
	ch = w_agent_of(gw, a)->ch.id;
	log_capture();
	w_link_command_len(l, ch, 7, fits + 1);
	assert_int_equal(log_lines("event=command_too_big agent=agent-1 "
	    "id=7 len=4085 max=4084"), 1);
	assert_int_equal(w_count(a, GW_T_COMMAND), 0);
	assert_int_equal(agent_cmd_count(w_agent_of(gw, a)), 0);
	w_link_command_len(l, ch, 8, fits);
	assert_int_equal(w_last(a, GW_T_COMMAND)->seq, 8);
	assert_int_equal(w_last(a, GW_T_COMMAND)->len, fits);
	assert_int_equal(conn_out_space(a), 0);
	assert_int_equal(conn_state(a), CONN_OPEN);
	w_stop(gw);
	gw_config_free(&big);
}

/*
 * A COMMAND id above 2^63-1 is the server's fault, as an ACK's: its link
 * ends (sequence) and nothing is relayed; the session waits for another.
 */
static void
t_cmd_id_above_max(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct agent *ag;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	ag = w_agent_of(gw, a);
	w_link_command(l, ag->ch.id, GW_SEQ_MAX + 1);
	assert_int_equal(conn_state(l), CONN_CLOSED);
	assert_int_equal(w_data(l)->reason, GW_R_SEQUENCE);
	assert_int_equal(w_count(a, GW_T_COMMAND), 0);
	assert_int_equal(conn_state(a), CONN_OPEN);
	conn_reap();
	assert_true(w_links_up() >= 1);
	assert_non_null(l = w_link_of(&ag->ch));
	w_link_ack(l, GW_T_OPEN_ACK, ag->ch.id, 0);
	w_link_command(l, ag->ch.id, GW_SEQ_MAX);	/* the largest */
	assert_true(w_last(a, GW_T_COMMAND)->seq == GW_SEQ_MAX);
	w_agent_result(a, GW_SEQ_MAX, 0);
	assert_int_equal(w_count(l, GW_T_RESULT), 1);
	w_stop(gw);
}

/*
 * Frames only a server or a gateway sends upstream (OPEN, OPEN_ACK, CLOSE,
 * SEEN) end an agent's session as unexpected, in any state past HELLO;
 * its channel closes and the link stays.
 */
static void
t_upstream_only(void **state)
{
	static const uint8_t one[4] = { 0, 0, 0, 1 };
	static const uint8_t types[] = { GW_T_OPEN, GW_T_OPEN_ACK,
	    GW_T_CLOSE, GW_T_SEEN };
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct gw_frame f;

	(void)state;
	l = w_link_up(0);
	for (unsigned i = 0; i < 2 * sizeof(types); i++) {
		a = i % 2 == 0 ? open_agent(gw, 0, 0) : w_agent(gw, 0);
		memset(&f, 0, sizeof(f));
		f.type = types[i / 2];
		f.channel = f.type == GW_T_SEEN ? 0 : 1;
		f.u.open.name = gw_str_text("agent-1");
		if (f.type == GW_T_SEEN) {
			f.u.seen.ids = one;
			f.u.seen.n = 1;
		}
		fake_conn_frame(a, &f);
		assert_int_equal(conn_state(a), CONN_CLOSED);
		assert_int_equal(w_last(a, GW_T_ERROR)->code,
		    GW_R_UNEXPECTED);
		assert_int_equal(conn_state(l), CONN_OPEN);
		conn_reap();
	}
	assert_int_equal(agent_counts(gw)->agents, 0);
	w_stop(gw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_credit),
		cmocka_unit_test(t_ack_credit),
		cmocka_unit_test(t_ack_credit_held),
		cmocka_unit_test(t_drain_all),
		cmocka_unit_test(t_failover),
		cmocka_unit_test(t_supersede),
		cmocka_unit_test(t_close_every_state),
		cmocka_unit_test(t_cmd_caps),
		cmocka_unit_test(t_cmd_relay),
		cmocka_unit_test(t_cmd_unknown_id),
		cmocka_unit_test(t_cmd_bound),
		cmocka_unit_test(t_cmd_move),
		cmocka_unit_test(t_cmd_crossed),
		cmocka_unit_test(t_cmd_answered_bound),
		cmocka_unit_test(t_cmd_too_big_agent),
		cmocka_unit_test(t_cmd_too_big_output),
		cmocka_unit_test(t_cmd_id_above_max),
		cmocka_unit_test(t_upstream_only),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
