/*
 * test_upstream.c: one link to a management server (upstream.c) without
 * sockets: its states from IDLE to READY and DRAINING, what its end says
 * about its server (the failover controller's input), draining, control
 * frames owed rather than failing the link, a hostile seq, and freeing it
 * in every state.  Real links, channels and sessions on fake conns
 * (gwd_world.h).
 */
#include "gwd_world.h"

/* Downs of server 0 for ${why} (fo_down counts them). */
static unsigned
downs(struct gw *gw, enum fo_reason why)
{
	unsigned n;

	return (unsigned)servers_peers(gw, &n)[0].downs[why];
}

/* CONNECTING -> HELLO_SENT -> READY; a bad HELLO_ACK ends it. */
static void
t_states(void **state)
{
	struct gw *gw = w_start();
	struct conn *l = w_link(0);
	struct gw_frame f = { .type = GW_T_HELLO_ACK };

	(void)state;
	assert_int_equal(upstream_state(gw->up[0]), UP_CONNECTING);
	w_link_up(1);
	assert_int_equal(upstream_state(gw->up[1]), UP_READY);
	assert_int_equal(upstream_ready(gw), 1);
	fake_conn_open(l, NULL);
	assert_int_equal(upstream_state(gw->up[0]), UP_HELLO_SENT);
	assert_non_null(w_last(l, GW_T_HELLO));
	f.u.hello_ack.version = GW_PROTO_VERSION_MAX + 1;
	fake_conn_frame(l, &f);
	assert_int_equal(conn_state(l), CONN_CLOSED);
	assert_int_equal(w_data(l)->reason, GW_R_VERSION);
	assert_int_equal(downs(gw, FO_R_PROTOCOL), 1);
	conn_reap();
	w_stop(gw);
}

/* The server's GOAWAY blames it as GOAWAY; our drop blames nobody. */
static void
t_goaway_and_drop(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0, *l1;
	struct gw_frame g;
	unsigned n;

	(void)state;
	l0 = w_link_up(0);
	l1 = w_link_up(1);
	upstream_drop(gw->up[1], "test");
	assert_int_equal(conn_state(l1), CONN_CLOSED);
	assert_int_equal(upstream_state(gw->up[1]) == UP_READY, 0);
	assert_int_equal(servers_peers(gw, &n)[0].fails, 0);
	memset(&g, 0, sizeof(g));
	g.type = GW_T_GOAWAY;
	g.u.reason.code = GW_R_SHUTDOWN;
	fake_conn_frame(l0, &g);
	assert_int_equal(conn_state(l0), CONN_CLOSED);
	assert_int_equal(downs(gw, FO_R_GOAWAY), 1);
	assert_int_equal(downs(gw, FO_R_CLOSED), 0);
	conn_reap();
	w_stop(gw);
}

/* Draining: GOAWAY, no new channel, closed once empty or time is up. */
static void
t_drain(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0, *a;
	double now = ev_now(w_loop);
	unsigned n;

	(void)state;
	l0 = w_link_up(0);
	a = w_agent(gw, 0);
	w_link_ack(l0, GW_T_OPEN_ACK, w_agent_of(gw, a)->ch.id, 0);
	w_agent_data(a, 1, 10);
	upstream_drain(gw->up[0], "test");
	assert_true(upstream_draining(gw->up[0]));
	assert_int_equal(upstream_state(gw->up[0]), UP_READY);
	assert_int_equal(w_count(l0, GW_T_GOAWAY), 1);
	upstream_drain(gw->up[0], "again");	/* once */
	assert_int_equal(w_count(l0, GW_T_GOAWAY), 1);
	assert_null(servers_pick(gw));		/* no new channel on it */
	servers_heartbeat(gw, now + 0.1);
	assert_int_equal(conn_state(l0), CONN_OPEN);	/* it carries one */
	servers_heartbeat(gw, now + 10);	/* drain time over */
	assert_int_equal(conn_state(l0), CONN_CLOSED);
	assert_int_equal(servers_peers(gw, &n)[0].fails, 0);	/* not blamed */
	assert_false(upstream_draining(gw->up[0]));
	conn_reap();
	w_stop(gw);
}

/* A drained link with no channel left closes at the next heartbeat. */
static void
t_drain_empty(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0;

	(void)state;
	l0 = w_link_up(0);
	upstream_drain(gw->up[0], "test");	/* nothing on it: dropped */
	assert_int_equal(conn_state(l0), CONN_CLOSED);
	assert_int_equal(w_count(l0, GW_T_GOAWAY), 0);
	conn_reap();
	w_stop(gw);
}

/* A PING that finds no room: the PONG is owed, the link lives. */
static void
t_pong_owed(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0;
	struct gw_frame p = { .type = GW_T_PING };

	(void)state;
	l0 = w_link_up(0);
	fake_conn_full(l0, 0);
	p.u.ping.opaque = 42;
	fake_conn_frame(l0, &p);
	assert_int_equal(conn_state(l0), CONN_OPEN);
	assert_int_equal(w_count(l0, GW_T_PONG), 0);
	fake_conn_full(l0, SIZE_MAX);
	assert_int_equal(w_count(l0, GW_T_PONG), 1);
	w_stop(gw);
}

/* An ACK above 2^63-1 is the server's fault: the link ends. */
static void
t_seq_above_max(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0, *a;

	(void)state;
	l0 = w_link_up(0);
	a = w_agent(gw, 0);
	w_link_ack(l0, GW_T_ACK, w_agent_of(gw, a)->ch.id, GW_SEQ_MAX + 1);
	assert_int_equal(conn_state(l0), CONN_CLOSED);
	assert_int_equal(w_data(l0)->reason, GW_R_SEQUENCE);
	assert_int_equal(conn_state(a), CONN_OPEN);	/* it waits */
	conn_reap();
	w_stop(gw);
}

/* Freed in every state: GOAWAY only if it was up; its channels end. */
static void
t_free_every_state(void **state)
{
	static const enum up_state states[] = { UP_CONNECTING, UP_HELLO_SENT,
	    UP_READY, UP_DRAINING };

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct gw *gw = w_start();
		struct conn *l0 = w_link(0), *a = NULL;
		struct agent *ag = NULL;

		if (states[i] == UP_HELLO_SENT)
			fake_conn_open(l0, NULL);
		if (states[i] >= UP_READY) {
			w_link_up(0);
			a = w_agent(gw, 0);
			ag = w_agent_of(gw, a);
			w_link_ack(l0, GW_T_OPEN_ACK, ag->ch.id, 0);
			w_agent_data(a, 1, 10);
		}
		if (states[i] == UP_DRAINING) {
			upstream_drain(gw->up[0], "test");
			assert_true(upstream_draining(gw->up[0]));
		}
		gw->stopping = 1;
		upstream_free(gw->up[0]);
		gw->up[0] = upstream_new(gw, 0, 0);
		assert_int_equal(conn_state(l0), CONN_CLOSED);
		assert_int_equal(w_count(l0, GW_T_GOAWAY),
		    states[i] == UP_READY ? 1 : states[i] == UP_DRAINING ?
		    2 : 0);
		if (a != NULL) {	/* its channel ended: so did it */
			assert_int_equal(conn_state(a), CONN_CLOSED);
			assert_int_equal(w_last(a, GW_T_ERROR)->code,
			    GW_R_SHUTDOWN);
		}
		conn_reap();
		w_stop(gw);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_states),
		cmocka_unit_test(t_goaway_and_drop),
		cmocka_unit_test(t_drain),
		cmocka_unit_test(t_drain_empty),
		cmocka_unit_test(t_pong_owed),
		cmocka_unit_test(t_seq_above_max),
		cmocka_unit_test(t_free_every_state),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
