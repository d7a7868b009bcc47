/*
 * test_chan.c: the channel module (chan.c) without sockets: the replay
 * ring kept until ACKed and resent after a lost link, the FIFO of
 * channels waiting for room on a link (in arrival order), fair sharing of
 * a link (t_fair_share), moving a channel off a draining link, and
 * closing a channel in every state.  The links
 * and sessions are the real ones on fake conns (gwd_world.h).
 */
#include "gwd_world.h"

static struct chan *
ch_of(struct gw *gw, struct conn *c)
{
	struct agent *a = w_agent_of(gw, c);

	assert_non_null(a);
	return &a->ch;
}

/* An agent ${name} whose channel is OPEN on link ${link}. */
static struct conn *
open_agent(struct gw *gw, unsigned name, unsigned link)
{
	struct conn *c = w_agent(gw, name);
	struct chan *ch = ch_of(gw, c);

	assert_int_equal(ch->state, CHAN_OPENING);
	assert_ptr_equal(ch->up, gw->up[link]);
	w_link_ack(w_link(link), GW_T_OPEN_ACK, ch->id, 0);
	assert_int_equal(ch->state, CHAN_OPEN);
	return c;
}

/* DATA stays in the ring until ACKed; the bytes are counted. */
static void
t_ring_until_ack(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;
	struct chan *ch;

	(void)state;
	w_link_up(0);
	w_link_up(1);
	a = open_agent(gw, 0, 0);
	ch = ch_of(gw, a);
	w_agent_data(a, 1, 100);
	w_agent_data(a, 2, 200);
	w_agent_data(a, 3, 300);
	assert_int_equal(ch->ring_len, 3);
	assert_int_equal(ch->ring_sent, 3);
	assert_int_equal(chan_replay_bytes(gw), 600);
	assert_int_equal(w_last(w_link(0), GW_T_DATA)->seq, 3);
	w_link_ack(w_link(0), GW_T_ACK, ch->id, 2);
	assert_int_equal(ch->ring_len, 1);
	assert_int_equal(ch->ring_sent, 1);
	assert_int_equal(chan_replay_bytes(gw), 300);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 2);
	w_stop(gw);
}

/* A lost link: the channel waits for a link, then resends above last_seq. */
static void
t_ring_resent_after_lost_link(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct chan *ch;
	unsigned before;

	(void)state;
	w_link_up(0);
	w_link_up(1);
	a = open_agent(gw, 0, 0);
	ch = ch_of(gw, a);
	w_agent_data(a, 1, 10);
	w_agent_data(a, 2, 20);
	w_agent_data(a, 3, 30);
	fake_conn_eof(w_link(0));
	conn_reap();
	/* Server 0 failed: every link moves to server 1. */
	assert_int_equal(conn_state(a), CONN_OPEN);
	assert_null(ch->up);
	assert_true(ch->state == CHAN_NO_LINK);
	assert_ptr_equal(TAILQ_FIRST(&gw->chans->no_link), ch);
	assert_int_equal(ch->ring_len, 3);
	assert_int_equal(ch->ring_sent, 0);
	assert_true(w_links_up() >= 1);
	assert_int_equal(ch->state, CHAN_OPENING);
	assert_true(TAILQ_EMPTY(&gw->chans->no_link));
	assert_non_null(l = w_link_of(ch));
	before = w_data(l)->n;
	w_link_ack(l, GW_T_OPEN_ACK, ch->id, 1);	/* 1 is durable */
	assert_int_equal(ch->state, CHAN_OPEN);
	assert_int_equal(ch->ring_len, 2);
	assert_int_equal(ch->ring_sent, 2);
	assert_int_equal(w_data(l)->n, before + 2);	/* 2 and 3 again */
	assert_int_equal(w_last(l, GW_T_DATA)->seq, 3);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 1);
	assert_int_equal(ch->opens, 2);
	w_stop(gw);
}

/* No room on the link: channels wait on its FIFO and go in order. */
static void
t_fifo_in_order(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *b, *l;
	struct chan *ca, *cb;
	unsigned n;

	(void)state;
	l = w_link_up(0);
	a = open_agent(gw, 0, 0);
	b = open_agent(gw, 1, 0);	/* link 1 is not up: both on 0 */
	ca = ch_of(gw, a);
	cb = ch_of(gw, b);
	fake_conn_full(l, 0);
	w_agent_data(b, 1, 10);
	w_agent_data(a, 1, 10);
	assert_int_equal(cb->state, CHAN_WAITING);
	assert_int_equal(ca->state, CHAN_WAITING);
	assert_ptr_equal(cb->wait_tab, ca->wait_tab);
	assert_int_equal(ca->ring_sent, 0);
	n = w_data(l)->n;
	fake_conn_full(l, SIZE_MAX);
	conn_reap();
	assert_int_equal(ca->state, CHAN_OPEN);
	assert_int_equal(cb->state, CHAN_OPEN);
	assert_null(ca->wait_tab);
	assert_int_equal(w_data(l)->n, n + 2);
	/* b waited first, so it went first. */
	assert_int_equal(w_data(l)->f[n % W_FRAMES].channel, cb->id);
	assert_int_equal(w_data(l)->f[(n + 1) % W_FRAMES].channel, ca->id);
	w_stop(gw);
}

/* No room to OPEN: NO_ROOM, on the FIFO and on gw->chans->no_link. */
static void
t_no_room_to_open(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct chan *ch;

	(void)state;
	l = w_link_up(0);
	fake_conn_full(l, 0);
	a = w_agent(gw, 0);
	ch = ch_of(gw, a);
	assert_int_equal(ch->state, CHAN_NO_ROOM);
	assert_non_null(ch->wait_tab);
	assert_ptr_equal(TAILQ_FIRST(&gw->chans->no_link), ch);
	assert_null(ch->up);
	fake_conn_full(l, SIZE_MAX);
	conn_reap();
	assert_int_equal(ch->state, CHAN_OPENING);
	assert_null(ch->wait_tab);
	assert_true(TAILQ_EMPTY(&gw->chans->no_link));
	assert_int_equal(w_last(l, GW_T_OPEN)->channel, ch->id);
	w_stop(gw);
}

/* A draining link: the channel moves once what it sent there is ACKed. */
static void
t_move_off_draining_link(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;
	struct chan *ch;
	uint32_t old;

	(void)state;
	w_link_up(0);
	w_link_up(1);
	a = open_agent(gw, 0, 0);
	ch = ch_of(gw, a);
	old = ch->id;
	w_agent_data(a, 1, 10);
	upstream_drain(gw->up[0], "test");
	assert_true(upstream_draining(gw->up[0]));
	assert_int_equal(ch->state, CHAN_DRAINING);
	assert_ptr_equal(ch->up, gw->up[0]);
	assert_int_equal(w_last(w_link(0), GW_T_GOAWAY)->code, GW_R_SHUTDOWN);
	assert_null(w_last(w_link(0), GW_T_CLOSE));
	/* New DATA waits in the ring: nothing new on a draining link. */
	w_agent_data(a, 2, 10);
	assert_int_equal(ch->ring_sent, 1);
	w_link_ack(w_link(0), GW_T_ACK, old, 1);
	assert_int_equal(w_last(w_link(0), GW_T_CLOSE)->channel, old);
	assert_int_equal(w_last(w_link(0), GW_T_CLOSE)->code, GW_R_NORMAL);
	assert_ptr_equal(ch->up, gw->up[1]);
	assert_int_equal(ch->state, CHAN_OPENING);
	assert_int_equal(chan_count(gw->up[0]), 0);
	assert_int_equal(chan_count(gw->up[1]), 1);
	w_link_ack(w_link(1), GW_T_OPEN_ACK, ch->id, 1);
	assert_int_equal(ch->state, CHAN_OPEN);
	assert_int_equal(w_last(w_link(1), GW_T_DATA)->seq, 2);
	w_stop(gw);
}

/* Drive agent ${name}'s channel to state ${s} (links as needed). */
static struct conn *
to_state(struct gw *gw, enum chan_state s)
{
	struct conn *a, *l = NULL;

	if (s != CHAN_NO_LINK && s != CHAN_NEW)
		l = w_link_up(0);
	if (s == CHAN_NEW) {
		agent_accept(gw, -1);
		a = fake_conn_accepted(0);
		fake_conn_open(a, &w_crt[0]);
		return a;
	}
	if (s == CHAN_NO_ROOM)
		fake_conn_full(l, 0);
	a = w_agent(gw, 0);
	if (s == CHAN_NO_LINK || s == CHAN_NO_ROOM || s == CHAN_OPENING)
		return a;
	w_link_ack(l, GW_T_OPEN_ACK, ch_of(gw, a)->id, 0);
	if (s == CHAN_WAITING) {
		fake_conn_full(l, 0);
		w_agent_data(a, 1, 10);
	} else if (s == CHAN_DRAINING) {
		w_link_up(1);
		w_agent_data(a, 1, 10);
		upstream_drain(gw->up[0], "test");
	}
	return a;
}

/* Closing the session closes its channel in any state, and cleanly. */
static void
t_close_every_state(void **state)
{
	static const enum chan_state states[] = { CHAN_NEW, CHAN_NO_LINK,
	    CHAN_NO_ROOM, CHAN_OPENING, CHAN_OPEN, CHAN_WAITING,
	    CHAN_DRAINING };

	(void)state;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		struct gw *gw = w_start();
		struct conn *a = to_state(gw, states[i]), *l = w_link(0);
		struct chan *ch = ch_of(gw, a);
		uint32_t id = ch->id;
		int had = ch->up != NULL;
		unsigned closes = l != NULL ? w_count(l, GW_T_CLOSE) : 0;

		assert_int_equal(ch->state, states[i]);
		fake_conn_eof(a);
		/* Before the reap: the channel is closed, off every list. */
		assert_int_equal(ch->state, CHAN_CLOSED);
		assert_null(ch->up);
		assert_null(ch->wait_tab);
		assert_int_equal(ch->on_no_link, 0);
		assert_null(ch->ring);
		assert_true(TAILQ_EMPTY(&gw->chans->no_link));
		conn_reap();
		assert_int_equal(chan_replay_bytes(gw), 0);
		assert_int_equal(chan_count(gw->up[0]), 0);
		if (states[i] == CHAN_WAITING)	/* the CLOSE was owed */
			fake_conn_full(l, SIZE_MAX);
		if (had) {
			assert_int_equal(w_count(l, GW_T_CLOSE), closes + 1);
			assert_int_equal(w_last(l, GW_T_CLOSE)->channel, id);
		} else if (l != NULL)
			assert_int_equal(w_count(l, GW_T_CLOSE), closes);
		w_stop(gw);
	}
}

/* The server's CLOSE ends the channel, and the session with its reason. */
static void
t_server_close(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	w_link_close(w_link(0), ch_of(gw, a)->id, GW_R_REVOKED);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_REVOKED);
	assert_int_equal(chan_count(gw->up[0]), 0);
	conn_reap();
	assert_int_equal(agent_counts(gw)->agents, 0);
	w_stop(gw);
}

/*
 * The server's CLOSE with the code upstream-lost is final too: the session
 * ends (the agent reconnects), it does not wait for a link while its own
 * link is up (nothing would wake it).
 */
static void
t_server_close_upstream_lost(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	w_link_close(w_link(0), ch_of(gw, a)->id, GW_R_UPSTREAM_LOST);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_UPSTREAM_LOST);
	conn_reap();
	assert_int_equal(agent_counts(gw)->agents, 0);
	w_stop(gw);
}

/* A second OPEN_ACK is the server's protocol error: the session ends. */
static void
t_second_open_ack(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	w_link_ack(w_link(0), GW_T_OPEN_ACK, ch_of(gw, a)->id, 0);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_PROTOCOL);
	assert_int_equal(w_last(w_link(0), GW_T_CLOSE)->code, GW_R_PROTOCOL);
	w_stop(gw);
}


/*
 * The server ACKs a seq beyond the newest DATA sent (found by
 * fuzz_session): its store disagrees with the session.  Before, the ring
 * was freed and the agent told seq 17 was durable, while the credit of the
 * freed slots was lost for good.  Now the session ends with ERROR
 * sequence and its memory comes back.
 */
static void
t_ack_beyond_sent(void **state)
{
	struct gw *gw = w_start();
	struct conn *a;
	struct chan *ch;

	(void)state;
	w_link_up(0);
	a = open_agent(gw, 0, 0);
	ch = ch_of(gw, a);
	w_agent_data(a, 1, 10);
	w_agent_data(a, 2, 20);
	w_link_ack(w_link(0), GW_T_ACK, ch->id, 1);	/* good */
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 1);
	w_link_ack(w_link(0), GW_T_ACK, ch->id, 2);	/* good: the newest */
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 2);
	w_link_ack(w_link(0), GW_T_ACK, ch->id, 17);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ACK)->seq, 2);	/* not relayed */
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_SEQUENCE);
	assert_int_equal(w_last(w_link(0), GW_T_CLOSE)->code, GW_R_SEQUENCE);
	assert_int_equal(conn_state(w_link(0)), CONN_OPEN);	/* the link stays */
	conn_reap();
	assert_int_equal(agent_counts(gw)->agents, 0);
	assert_int_equal(chan_replay_bytes(gw), 0);
	w_stop(gw);
}

/*
 * After a move, the new channel's OPEN_ACK may not claim more than this
 * session sent; the first OPEN_ACK says where the numbering stands.
 */
static void
t_reopen_beyond_sent(void **state)
{
	struct gw *gw = w_start();
	struct conn *a, *l;
	struct chan *ch;

	(void)state;
	w_link_up(0);
	w_link_up(1);
	a = w_agent(gw, 0);
	ch = ch_of(gw, a);
	w_link_ack(w_link(0), GW_T_OPEN_ACK, ch->id, 40);	/* any */
	assert_int_equal(w_last(a, GW_T_HELLO_ACK)->seq, 40);
	w_agent_data(a, 41, 10);
	w_agent_data(a, 42, 10);
	fake_conn_eof(w_link(0));
	conn_reap();
	assert_true(w_links_up() >= 1);
	assert_int_equal(ch->state, CHAN_OPENING);
	assert_non_null(l = w_link_of(ch));
	w_link_ack(l, GW_T_OPEN_ACK, ch->id, 43);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_SEQUENCE);
	conn_reap();
	assert_int_equal(chan_replay_bytes(gw), 0);
	w_stop(gw);
}


/*
 * Fair sharing of a link: one agent sending 16 KiB DATA beside eight
 * sending 200 bytes, on one link whose output is a buffer of bytes that
 * the socket drains by a fixed F_DRAIN a step, in writes of F_WRITE (each
 * one on_writable, as conn.c); the server ACKs at the end of each step
 * what reached it.  A step's end, each small agent sends one DATA and the
 * big one as many as its credit allows.  Send-to-ACK is in steps (a DATA
 * sent at the end of step t and ACKed in step t + 1 took one), so no
 * clock is read; it is measured for the DATA sent after F_WARM steps and
 * F_WARM steps before the end.  Before the round held DATA back, the link's
 * 512 KiB output filled with 16 KiB DATA and a small one queued behind
 * them took 4 steps (F_DRAIN: 128 KiB a step) rather than 1.
 */
#define F_SMALL		8
#define F_STEPS		400
#define F_WARM		40		/* steps before measuring */
#define F_DRAIN		(128u * 1024)	/* the link takes a step */
#define F_WRITE		(16u * 1024)	/* ... a write */
#define F_BIG_LEN	16384u
#define F_SMALL_LEN	200u
#define F_Q		8192		/* frames in the link's output */

static struct gw_config f_cfg;

/* The link's output, as the server will see it: frames in order. */
static struct {
	struct conn	*link;
	struct {
		uint32_t	 channel;
		uint64_t	 seq;
		size_t		 left;		/* bytes not drained */
		int		 data;
	}		 q[F_Q];
	size_t		 head, len;
} f_out;

static void
f_tap(struct conn *c, const struct gw_frame *f)
{
	static uint8_t buf[GW_HDR_LEN + 70000];
	size_t i = (f_out.head + f_out.len) % F_Q;
	int n;

	if (c != f_out.link)
		return;
	assert_true(f_out.len < F_Q);
	assert_true((n = gw_frame_encode(buf, sizeof(buf), f)) > 0);
	f_out.q[i].channel = f->channel;
	f_out.q[i].seq = f->type == GW_T_DATA ? f->u.data.seq : 0;
	f_out.q[i].left = (size_t)n;
	f_out.q[i].data = f->type == GW_T_DATA;
	f_out.len++;
}

struct f_run {
	unsigned	 p99;		/* small DATA: send-to-ACK */
	unsigned	 max;
	unsigned	 n;		/* small DATA measured */
	uint64_t	 big_bytes;	/* big DATA ACKed while measuring */
};

/* One agent's DATA: when each was sent (by seq), what was ACKed. */
struct f_agent {
	struct conn	*c;
	struct agent	*a;
	uint32_t	 channel;
	uint32_t	 len;
	uint64_t	 seq;		/* last sent */
	unsigned	 sent_at[4096];	/* by seq % 4096 */
};

static int
f_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* Drain one step's bytes; ACK each DATA that reached the server. */
static void
f_drain_step(struct f_agent *ag, unsigned nag, unsigned t, unsigned *lat,
    struct f_run *r)
{
	for (size_t w = 0; w < F_DRAIN; w += F_WRITE) {
		size_t n = fake_conn_drain(f_out.link, F_WRITE);

		while (n > 0) {
			size_t k, h = f_out.head;

			assert_true(f_out.len > 0);
			k = n < f_out.q[h].left ? n : f_out.q[h].left;
			f_out.q[h].left -= k;
			n -= k;
			if (f_out.q[h].left > 0)
				break;
			f_out.head = (h + 1) % F_Q;
			f_out.len--;
			if (!f_out.q[h].data)
				continue;
			for (unsigned i = 0; i < nag; i++) {
				struct f_agent *g = &ag[i];
				unsigned s;

				if (g->channel != f_out.q[h].channel)
					continue;
				s = g->sent_at[f_out.q[h].seq % 4096];
				if (g->len == F_SMALL_LEN && s >= F_WARM &&
				    s < F_STEPS - F_WARM)
					lat[r->n++] = t - s;
				else if (g->len == F_BIG_LEN && t >= F_WARM &&
				    t < F_STEPS - F_WARM)
					r->big_bytes += g->len;
				w_link_ack(f_out.link, GW_T_ACK, g->channel,
				    f_out.q[h].seq);
			}
		}
	}
}

/* The run: ${big} 1 with the big agent, 0 without it. */
static void
f_run(int big, struct f_run *r)
{
	static struct f_agent ag[F_SMALL + 1];
	static unsigned lat[F_SMALL * F_STEPS];
	struct gw *gw = w_start_cfg(&f_cfg);
	unsigned nag = 0;

	memset(r, 0, sizeof(*r));
	memset(&f_out, 0, sizeof(f_out));
	memset(ag, 0, sizeof(ag));
	f_out.link = w_link_up(0);
	for (unsigned i = 0; i < F_SMALL + 1; i++) {
		struct f_agent *g = &ag[nag];

		if (i == F_SMALL && !big)
			break;
		g->c = open_agent(gw, i, 0);
		g->a = w_agent_of(gw, g->c);
		g->channel = g->a->ch.id;
		g->len = i == F_SMALL ? F_BIG_LEN : F_SMALL_LEN;
		nag++;
	}
	fake_conn_bounded(f_out.link);
	w_tap = f_tap;
	for (unsigned t = 0; t < F_STEPS; t++) {
		f_drain_step(ag, nag, t, lat, r);
		for (unsigned i = 0; i < nag; i++) {
			struct f_agent *g = &ag[i];

			do {
				if (g->a->credit == 0)
					break;
				g->seq++;
				g->sent_at[g->seq % 4096] = t;
				w_agent_data(g->c, g->seq, g->len);
			} while (g->len == F_BIG_LEN);
		}
	}
	w_tap = NULL;
	for (unsigned i = 0; i < nag; i++)
		assert_int_equal(conn_state(ag[i].c), CONN_OPEN);
	qsort(lat, r->n, sizeof(lat[0]), f_cmp);
	r->p99 = r->n > 0 ? lat[(r->n * 99) / 100] : F_STEPS;	/* none */
	r->max = r->n > 0 ? lat[r->n - 1] : F_STEPS;
	w_stop(gw);
}

static void
t_fair_share(void **state)
{
	struct f_run alone, beside;
	unsigned steps = F_STEPS - 2 * F_WARM;
	uint64_t room = (uint64_t)steps * F_DRAIN;

	(void)state;
	f_run(0, &alone);
	f_run(1, &beside);
	print_message("small DATA send-to-ACK p99 (max), steps: alone %u (%u),"
	    " beside 16 KiB DATA %u (%u), %u of %u ACKed; big: %llu of %llu"
	    " bytes\n", alone.p99, alone.max, beside.p99, beside.max,
	    beside.n, alone.n,
	    (unsigned long long)beside.big_bytes, (unsigned long long)room);
	/* The small ones are not delayed behind the big one ... */
	assert_true(2 * beside.p99 <= 3 * alone.p99);
	assert_int_equal(alone.n, beside.n);	/* all of them ACKed */
	assert_int_equal(alone.n, F_SMALL * (F_STEPS - 2 * F_WARM));
	/* ... which still has the rest of the link (it is kept busy). */
	assert_true(beside.big_bytes * 10 >= room * 9 -
	    (uint64_t)steps * F_SMALL * (F_SMALL_LEN + GW_HDR_LEN + 8) * 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ring_until_ack),
		cmocka_unit_test(t_ring_resent_after_lost_link),
		cmocka_unit_test(t_fifo_in_order),
		cmocka_unit_test(t_no_room_to_open),
		cmocka_unit_test(t_move_off_draining_link),
		cmocka_unit_test(t_close_every_state),
		cmocka_unit_test(t_server_close),
		cmocka_unit_test(t_server_close_upstream_lost),
		cmocka_unit_test(t_second_open_ack),
		cmocka_unit_test(t_ack_beyond_sent),
		cmocka_unit_test(t_reopen_beyond_sent),
		cmocka_unit_test(t_fair_share),
	};

	w_init(NULL);
	w_config(&f_cfg, F_BIG_LEN + 8, 64, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
