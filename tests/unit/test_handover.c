/*
 * test_handover.c: a worker's side of agent ownership (handover.c) in
 * workers mode, on the real session core over fake conns (gwd_world.h)
 * and a real owner pipe (a SOCK_SEQPACKET socketpair whose other end the
 * test plays as the parent): a session CLAIMs after HELLO and OPENs
 * nothing before GRANT; DENY or hello_timeout sends it away retryably;
 * RELEASE closes it as superseded and RELEASED waits until the server has
 * read its OPEN (the barrier PING's PONG) or its link is gone; a session
 * that ends sends DROP; what the parent sends that makes no sense is
 * dropped.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "gwd_world.h"
#include "handover.h"
#include "owners_msg.h"

#define BARRIER_1	((UINT64_C(1) << 63) | 1)	/* chan_pend.c's */

static int parent = -1;		/* the parent's end */

static struct gw *
h_start(void)
{
	struct gw *gw = w_start();
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	parent = sv[1];
	assert_int_equal(handover_start(gw, sv[0]), 0);
	assert_non_null(gw->handover);
	return gw;
}

static void
h_stop(struct gw *gw)
{
	w_stop(gw);
	handover_stop(gw);
	assert_null(gw->handover);
	close(parent);
	parent = -1;
}

/* Let the loop read the pipe. */
static void
h_run(void)
{
	for (int i = 0; i < 4; i++)
		ev_run(w_loop, EVRUN_NOWAIT);
}

/* The parent reads the next message: its type, its name; 0: none. */
static unsigned
h_read(char *name, size_t len)
{
	uint8_t b[OWN_MSG_MAX + 1];
	struct own_msg m;
	ssize_t n;

	h_run();
	if ((n = recv(parent, b, sizeof(b), MSG_DONTWAIT)) <= 0)
		return 0;
	assert_int_equal(own_msg_decode(b, (size_t)n, &m), 0);
	snprintf(name, len, "%s", m.key + OWN_KEY_PREFIX);
	return m.type;
}

/* The parent reads a CLAIM of agent-${i + 1}; its key in ${key}. */
static void
h_claimed(unsigned i, char *key)
{
	uint8_t b[OWN_MSG_MAX + 1];
	char want[32];
	ssize_t n;

	h_run();
	n = recv(parent, b, sizeof(b), MSG_DONTWAIT);
	assert_true(n > 1 + OWN_KEY_PREFIX);
	assert_int_equal(b[0], OWN_CLAIM);
	memcpy(key, b + 1, (size_t)n - 1);
	key[n - 1] = '\0';
	snprintf(want, sizeof(want), "agent-%u", i + 1);
	assert_string_equal(key + OWN_KEY_PREFIX, want);
}

/* The parent sends ${type} of ${key}. */
static void
h_send(unsigned type, const char *key)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n = own_msg_encode(b, type, key);

	assert_true(n > 0);
	assert_int_equal(send(parent, b, n, 0), (ssize_t)n);
	h_run();
}

/* agent-1, granted: OPENING, its OPEN on link 0 (none before GRANT). */
static struct conn *
h_granted(struct gw *gw, char *key)
{
	unsigned opens = w_count(w_link(0), GW_T_OPEN);
	struct conn *a = w_agent(gw, 0);

	assert_int_equal(w_agent_of(gw, a)->state, AGENT_CLAIMING);
	assert_int_equal(w_count(w_link(0), GW_T_OPEN), opens);
	h_claimed(0, key);
	h_send(OWN_GRANT, key);
	assert_int_equal(w_agent_of(gw, a)->state, AGENT_OPENING);
	assert_int_equal(w_count(w_link(0), GW_T_OPEN), opens + 1);
	return a;
}

/* GRANT: the session goes on as always; its end: DROP. */
static void
t_grant_then_drop(void **state)
{
	struct gw *gw = h_start();
	struct conn *a;
	struct agent *ag;
	char key[OWN_KEY_MAX + 1], name[OWN_KEY_MAX];

	(void)state;
	w_link_up(0);
	a = h_granted(gw, key);
	ag = w_agent_of(gw, a);
	w_link_ack(w_link(0), GW_T_OPEN_ACK, ag->ch.id, 5);
	assert_int_equal(ag->state, AGENT_OPEN);
	assert_int_equal(w_last(a, GW_T_HELLO_ACK)->seq, 5);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	fake_conn_eof(a);
	conn_reap();
	assert_int_equal(h_read(name, sizeof(name)), OWN_DROP);
	assert_string_equal(name, "agent-1");
	h_stop(gw);
}

/* DENY, or no answer in hello_timeout: GOAWAY, no OPEN, no DROP. */
static void
t_deny_and_timeout(void **state)
{
	struct gw *gw = h_start();
	struct conn *a, *b;
	char key[OWN_KEY_MAX + 1], name[OWN_KEY_MAX];

	(void)state;
	w_link_up(0);
	a = w_agent(gw, 0);
	h_claimed(0, key);
	h_send(OWN_DENY, key);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_GOAWAY)->code, GW_R_OVERLOAD);
	assert_null(w_last(a, GW_T_HELLO_ACK));
	b = w_agent(gw, 1);
	h_claimed(1, key);
	fake_conn_timer(b);
	assert_int_equal(conn_state(b), CONN_CLOSED);
	assert_int_equal(w_last(b, GW_T_GOAWAY)->code, GW_R_OVERLOAD);
	conn_reap();
	assert_int_equal(w_count(w_link(0), GW_T_OPEN), 0);
	/* The late GRANT: owned, no session: DROP at once. */
	h_send(OWN_GRANT, key);
	assert_int_equal(h_read(name, sizeof(name)), OWN_DROP);
	assert_string_equal(name, "agent-2");
	assert_int_equal(h_read(name, sizeof(name)), 0);
	h_stop(gw);
}

/* RELEASE of an open session: superseded, RELEASED at once. */
static void
t_release_open(void **state)
{
	struct gw *gw = h_start();
	struct conn *a;
	char key[OWN_KEY_MAX + 1], name[OWN_KEY_MAX];

	(void)state;
	w_link_up(0);
	a = h_granted(gw, key);
	w_link_ack(w_link(0), GW_T_OPEN_ACK, w_agent_of(gw, a)->ch.id, 0);
	h_send(OWN_RELEASE, key);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_SUPERSEDED);
	assert_int_equal(w_last(w_link(0), GW_T_CLOSE)->code, GW_R_SUPERSEDED);
	assert_int_equal(h_read(name, sizeof(name)), OWN_RELEASED);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	conn_reap();
	/*
	 * A RELEASE of an agent it has nothing of crossed its RELEASED or
	 * DROP: no second answer (test_handover_race).
	 */
	h_send(OWN_RELEASE, key);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	h_stop(gw);
}

/*
 * RELEASE while its OPEN is unanswered: RELEASED only once the server
 * answered the barrier PING sent after it (a late OPEN_ACK of the closed
 * channel is not waited for: gw-mgmt may never send it); or its link goes.
 */
static void
t_release_opening(void **state)
{
	struct gw *gw = h_start();
	struct conn *a;
	struct gw_frame pong = { .type = GW_T_PONG };
	char key[OWN_KEY_MAX + 1], name[OWN_KEY_MAX];

	(void)state;
	w_link_up(0);
	a = h_granted(gw, key);
	h_send(OWN_RELEASE, key);
	assert_int_equal(conn_state(a), CONN_CLOSED);
	assert_int_equal(w_last(a, GW_T_ERROR)->code, GW_R_SUPERSEDED);
	assert_int_equal(w_count(w_link(0), GW_T_PING), 1);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	conn_reap();
	pong.u.ping.opaque = 12345;	/* a heartbeat's */
	fake_conn_frame(w_link(0), &pong);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	pong.u.ping.opaque = BARRIER_1;
	fake_conn_frame(w_link(0), &pong);
	assert_int_equal(h_read(name, sizeof(name)), OWN_RELEASED);
	/* Again, and the link is lost instead. */
	a = h_granted(gw, key);
	h_send(OWN_RELEASE, key);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	fake_conn_eof(w_link(0));
	conn_reap();
	assert_int_equal(h_read(name, sizeof(name)), OWN_RELEASED);
	h_stop(gw);
}

/* What the parent sends that makes no sense changes nothing. */
static void
t_parent_nonsense(void **state)
{
	struct gw *gw = h_start();
	struct conn *a;
	uint8_t junk[OWN_MSG_MAX + 10];
	char key[OWN_KEY_MAX + 1], name[OWN_KEY_MAX];

	(void)state;
	w_link_up(0);
	a = w_agent(gw, 0);
	h_claimed(0, key);
	memset(junk, 'x', sizeof(junk));
	for (size_t n = 1; n <= sizeof(junk); n += 7)
		assert_true(send(parent, junk, n, 0) == (ssize_t)n);
	h_run();
	h_send(OWN_CLAIM, key);		/* a worker's type */
	h_send(OWN_GRANT, "0123456789abcdef\nagent-9");	/* not asked */
	assert_int_equal(w_agent_of(gw, a)->state, AGENT_CLAIMING);
	assert_int_equal(h_read(name, sizeof(name)), 0);
	h_send(OWN_GRANT, key);
	assert_int_equal(w_agent_of(gw, a)->state, AGENT_OPENING);
	h_send(OWN_GRANT, key);		/* one answer too many */
	assert_int_equal(w_agent_of(gw, a)->state, AGENT_OPENING);
	h_stop(gw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_grant_then_drop),
		cmocka_unit_test(t_deny_and_timeout),
		cmocka_unit_test(t_release_open),
		cmocka_unit_test(t_release_opening),
		cmocka_unit_test(t_parent_nonsense),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
