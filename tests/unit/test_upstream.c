/*
 * test_upstream.c: one link to a management server (upstream.c) without
 * sockets: its states from IDLE to READY and DRAINING, what its end says
 * about its server (the failover controller's input), draining, control
 * frames owed rather than failing the link, a hostile seq, freeing it in
 * every state, and GW_CAP_FLEET: OPEN's identity extension and SEEN of
 * the channels heard, only on a link that agreed it.  Real links,
 * channels and sessions on fake conns (gwd_world.h).
 */
#include <time.h>

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

/* ACKCREDIT is downstream only: a server's ACK with a credit ends the link. */
static void
t_ack_credit_upstream(void **state)
{
	struct gw *gw = w_start();
	struct conn *l0, *a;
	struct gw_frame f = { .type = GW_T_ACK };

	(void)state;
	l0 = w_link_up(0);
	assert_int_equal(w_last(l0, GW_T_HELLO)->caps & GW_CAP_ACKCREDIT, 0);
	a = w_agent(gw, 0);
	w_link_ack(l0, GW_T_OPEN_ACK, w_agent_of(gw, a)->ch.id, 0);
	w_agent_data(a, 1, 10);
	f.channel = w_agent_of(gw, a)->ch.id;
	f.u.ack.seq = 1;
	f.u.ack.credit = 1;
	fake_conn_frame(l0, &f);
	assert_int_equal(conn_state(l0), CONN_CLOSED);
	assert_int_equal(w_data(l0)->reason, GW_R_PROTOCOL);
	assert_null(w_last(a, GW_T_ACK));	/* not relayed */
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

/*
 * GW_CAP_FLEET (PROTOCOL.md 9.12).  An agent ${name} past OPEN_ACK on
 * whichever link took its channel; that link is its conn in ${link}.
 */
static struct conn *
fleet_agent(struct gw *gw, unsigned name, struct conn **link)
{
	struct conn *a = w_agent(gw, name);
	struct agent *ag = w_agent_of(gw, a);

	assert_non_null(*link = w_link_of(&ag->ch));
	w_link_ack(*link, GW_T_OPEN_ACK, ag->ch.id, 0);
	assert_int_equal(ag->state, AGENT_OPEN);
	return a;
}

/* The agent on ${c} sends PING. */
static void
agent_ping(struct conn *c)
{
	struct gw_frame f = { .type = GW_T_PING };

	fake_conn_frame(c, &f);
}

/*
 * Of the SEEN frames on ${l} after its ${from}th frame: how many, and
 * whether their ids are exactly the channels of ${want} (${n} sessions).
 */
static unsigned
seen_since(struct conn *l, unsigned from, struct agent *const *want,
    unsigned n)
{
	struct w_data *d = w_data(l);
	unsigned frames = 0, ids = 0;

	for (unsigned i = from; i < d->n; i++) {
		const struct w_frame *w = &d->f[i % W_FRAMES];

		if (w->type != GW_T_SEEN)
			continue;
		frames++;
		assert_int_equal(w->channel, 0);
		assert_true(w->n >= 1 && w->n <= W_SEEN_IDS);
		for (uint32_t k = 0; k < w->n; k++) {
			unsigned hit = 0;

			for (unsigned j = 0; j < n; j++)
				hit += want[j]->ch.id == w->ids[k];
			assert_int_equal(hit, 1);	/* no other id */
			ids++;
		}
	}
	assert_int_equal(ids, n);		/* each once */
	return frames;
}

/*
 * A link whose HELLO_ACK has FLEET gets OPEN with the identity extension:
 * the certificate's notAfter and its SANs; one without it gets a legacy
 * OPEN.  The HELLO offers FLEET either way.
 */
static void
t_fleet_open(void **state)
{
	const mbedtls_x509_time *t = &w_crt[0].valid_to;
	struct tm tm = { .tm_year = t->year - 1900, .tm_mon = t->mon - 1,
	    .tm_mday = t->day, .tm_hour = t->hour, .tm_min = t->min,
	    .tm_sec = t->sec };
	const struct w_frame *o;
	struct conn *l, *l2;
	struct gw *gw;

	(void)state;
	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	gw = w_start();
	l = w_link_up(0);
	assert_int_equal(w_last(l, GW_T_HELLO)->caps,
	    GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN);
	assert_int_equal(upstream_caps(gw->up[0]),
	    GW_CAP_COMMANDS | GW_CAP_FLEET);
	w_agent(gw, 0);
	assert_non_null(o = w_last(l, GW_T_OPEN));
	assert_int_equal(o->has_ext, 1);
	assert_true(o->not_after_ms > 0);
	assert_int_equal(o->not_after_ms, (uint64_t)timegm(&tm) * 1000);
	assert_string_equal(o->sans, "DNS:agent-1");
	/* An older server: no FLEET in its HELLO_ACK, a legacy OPEN. */
	w_link_caps = GW_CAP_COMMANDS | 0x80;
	l2 = w_link_up(1);
	assert_int_equal(upstream_caps(gw->up[1]), GW_CAP_COMMANDS);
	w_agent(gw, 1);		/* the link with fewer channels */
	assert_non_null(o = w_last(l2, GW_T_OPEN));
	assert_int_equal(o->has_ext, 0);
	assert_int_equal(w_count(l, GW_T_OPEN), 1);
	w_link_caps = GW_CAP_COMMANDS;
	w_stop(gw);
}

/* The OPEN of agent 0 on a FLEET link whose server takes ${max} bytes. */
static struct w_frame
fleet_open_at(uint32_t max)
{
	struct w_frame o;
	struct conn *l;
	struct gw *gw;

	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	w_link_max = max;
	gw = w_start();
	l = w_link_up(0);
	w_agent(gw, 0);
	assert_non_null(w_last(l, GW_T_OPEN));
	o = *w_last(l, GW_T_OPEN);
	w_stop(gw);
	w_link_caps = GW_CAP_COMMANDS;
	w_link_max = 0;
	return o;
}

/*
 * An OPEN never exceeds the server's max_payload (it would close the
 * link, and every reconnect would send it again): the SANs are cut after
 * a whole entry, and the extension left out if its fixed part does not
 * fit either.
 */
static void
t_fleet_open_fits(void **state)
{
	struct w_frame full, cut, none;
	uint32_t base;

	(void)state;
	full = fleet_open_at(0);
	assert_int_equal(full.has_ext, 1);
	assert_string_equal(full.sans, "DNS:agent-1");
	base = full.len - 10 - 11;	/* without the extension */
	cut = fleet_open_at(full.len - 1);
	assert_int_equal(cut.has_ext, 1);
	assert_string_equal(cut.sans, "");	/* one entry: none fits */
	assert_int_equal(cut.len, base + 10);
	assert_int_equal(cut.not_after_ms, full.not_after_ms);
	none = fleet_open_at(base + 9);
	assert_int_equal(none.has_ext, 0);
	assert_int_equal(none.len, base);
}

/*
 * Every [gateway] heartbeat each FLEET link sends SEEN of exactly its
 * channels whose agent sent a frame since its last SEEN (PING or DATA
 * alike), each once; a link with none heard sends none; a link without
 * FLEET never sends one.
 */
static void
t_seen(void **state)
{
	static struct gw_config cfg;
	struct conn *a[4], *la[4], *l0, *l1;
	struct agent *ag[4], *on0[4], *on1[4];
	unsigned n0, n1, f0, f1;
	double now = ev_now(w_loop);
	struct gw *gw;

	(void)state;
	w_config(&cfg, 1024, 4, "heartbeat = 100ms\n");
	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	gw = w_start_cfg(&cfg);
	l0 = w_link_up(0);
	l1 = w_link_up(1);
	for (unsigned i = 0; i < 4; i++) {
		a[i] = fleet_agent(gw, i, &la[i]);
		ag[i] = w_agent_of(gw, a[i]);
	}
	assert_true(la[0] != la[1] || la[0] != la[2]);	/* both used */
	/* Nothing heard since OPEN: no SEEN. */
	servers_heartbeat(gw, now + 0.1);
	assert_int_equal(w_count(l0, GW_T_SEEN) + w_count(l1, GW_T_SEEN), 0);
	/* 0 PINGs and 2 sends DATA; 1 and 3 are silent. */
	agent_ping(a[0]);
	w_agent_data(a[2], 1, 10);
	f0 = w_data(l0)->n;
	f1 = w_data(l1)->n;
	servers_heartbeat(gw, now + 0.15);	/* not yet due */
	assert_int_equal(w_count(l0, GW_T_SEEN) + w_count(l1, GW_T_SEEN), 0);
	servers_heartbeat(gw, now + 0.2);
	n0 = n1 = 0;
	for (unsigned i = 0; i <= 2; i += 2) {
		if (la[i] == l0)
			on0[n0++] = ag[i];
		else
			on1[n1++] = ag[i];
	}
	assert_int_equal(seen_since(l0, f0, on0, n0), n0 > 0);
	assert_int_equal(seen_since(l1, f1, on1, n1), n1 > 0);
	/* Said once: the next round has nothing to say. */
	f0 = w_data(l0)->n;
	f1 = w_data(l1)->n;
	servers_heartbeat(gw, now + 0.3);
	assert_int_equal(seen_since(l0, f0, NULL, 0), 0);
	assert_int_equal(seen_since(l1, f1, NULL, 0), 0);
	/* 1 speaks: only its channel, on its link. */
	agent_ping(a[1]);
	servers_heartbeat(gw, now + 0.4);
	assert_int_equal(seen_since(la[1], la[1] == l0 ? f0 : f1, &ag[1], 1),
	    1);
	assert_int_equal(seen_since(la[1] == l0 ? l1 : l0,
	    la[1] == l0 ? f1 : f0, NULL, 0), 0);
	w_link_caps = GW_CAP_COMMANDS;
	w_stop(gw);
}

/* A link without FLEET sends no SEEN, however much its agents say. */
static void
t_seen_no_cap(void **state)
{
	static struct gw_config cfg;
	double now = ev_now(w_loop);
	struct conn *a, *l;
	struct gw *gw;

	(void)state;
	w_config(&cfg, 1024, 4, "heartbeat = 100ms\n");
	w_link_caps = GW_CAP_COMMANDS;
	gw = w_start_cfg(&cfg);
	w_link_up(0);
	a = fleet_agent(gw, 0, &l);
	assert_int_equal(w_last(l, GW_T_OPEN)->has_ext, 0);
	for (unsigned k = 1; k <= 5; k++) {
		agent_ping(a);
		w_agent_data(a, k, 10);
		servers_heartbeat(gw, now + 0.1 * k);
	}
	assert_int_equal(w_count(l, GW_T_SEEN), 0);
	assert_true(w_count(l, GW_T_DATA) > 0);
	w_stop(gw);
}

/*
 * More channels heard than one SEEN of the server's max_payload holds (64
 * bytes: 16 ids) go in several SEEN, each id once.
 */
static void
t_seen_split(void **state)
{
	static struct gw_config cfg;
	struct agent *ag[17];
	double now = ev_now(w_loop);
	struct conn *l, *la;
	unsigned from;
	struct gw *gw;

	(void)state;
	w_config(&cfg, 1024, 4, "heartbeat = 100ms\n");
	w_link_caps = GW_CAP_COMMANDS | GW_CAP_FLEET;
	w_link_max = 64;
	gw = w_start_cfg(&cfg);
	l = w_link_up(0);
	for (unsigned i = 0; i < 17; i++) {
		struct conn *a = fleet_agent(gw, i, &la);

		assert_ptr_equal(la, l);
		ag[i] = w_agent_of(gw, a);
		agent_ping(a);
	}
	from = w_data(l)->n;
	servers_heartbeat(gw, now + 0.1);
	assert_int_equal(seen_since(l, from, ag, 17), 2);
	assert_int_equal(w_last(l, GW_T_SEEN)->n, 1);
	w_link_max = 0;
	w_link_caps = GW_CAP_COMMANDS;
	w_stop(gw);
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
		cmocka_unit_test(t_ack_credit_upstream),
		cmocka_unit_test(t_free_every_state),
		cmocka_unit_test(t_fleet_open),
		cmocka_unit_test(t_fleet_open_fits),
		cmocka_unit_test(t_seen),
		cmocka_unit_test(t_seen_no_cap),
		cmocka_unit_test(t_seen_split),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
