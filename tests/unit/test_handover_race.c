/*
 * test_handover_race.c: a RELEASE that crosses the worker's own DROP.  The
 * worker (the real handover.c on the session core, gwd_world) is worker
 * 0; the parent is the real owners_tab, whose messages to worker 0 are
 * held and delivered one at a time; workers 1 and 2 are played here.
 *
 * Worker 0 owns agent-1; worker 1 claims it (RELEASE#1 to worker 0, not
 * read yet); worker 0's session ends (DROP) and a new one comes (CLAIM);
 * the parent grants worker 1 on the DROP, then asks it back for worker 0
 * and grants worker 0.  Worker 0 then reads RELEASE#1: it must not answer
 * it (the parent took the DROP as the answer).  Were it to, worker 2's
 * CLAIM would send RELEASE#2 and the parent would read that stale
 * RELEASED as its answer: worker 2 granted while worker 0's channel is
 * live.  Instead worker 2 is granted only once worker 0's session closed
 * and gw-mgmt answered the barrier PING behind its OPEN.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "gwd_world.h"
#include "handover.h"
#include "owners_msg.h"
#include "owners_tab.h"

static int parent = -1;		/* the parent's end of worker 0's pipe */
static struct {
	unsigned	 type;
	char		 key[OWN_KEY_MAX + 1];
} to0[16];			/* parent -> worker 0, held */
static unsigned n0, delivered0;
static unsigned last1, last2;	/* the last message to workers 1, 2 */

static void
psend(void *arg, unsigned w, unsigned type, const char *key)
{
	(void)arg;
	if (w == 0) {
		assert_true(n0 < sizeof(to0) / sizeof(to0[0]));
		to0[n0].type = type;
		snprintf(to0[n0].key, sizeof(to0[n0].key), "%s", key);
		n0++;
	} else if (w == 1)
		last1 = type;
	else
		last2 = type;
}

static void
turn(void)
{
	for (int i = 0; i < 4; i++)
		ev_run(w_loop, EVRUN_NOWAIT);
}

/* Worker 0 reads the next message the parent holds for it. */
static void
deliver0(void)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n;

	assert_true(delivered0 < n0);
	n = own_msg_encode(b, to0[delivered0].type, to0[delivered0].key);
	assert_int_equal(send(parent, b, n, 0), (ssize_t)n);
	delivered0++;
	turn();
}

/* The parent reads worker 0's next message, of type ${want}. */
static void
read0(struct owners_tab *t, unsigned want, char *key)
{
	uint8_t b[OWN_MSG_MAX + 1];
	ssize_t n;

	turn();
	n = recv(parent, b, sizeof(b), MSG_DONTWAIT);
	assert_true(n > 1);
	assert_int_equal(b[0], want);
	if (key != NULL) {
		memcpy(key, b + 1, (size_t)n - 1);
		key[n - 1] = '\0';
	}
	assert_int_equal(owners_tab_input(t, 0, b, (size_t)n, 0), 0);
}

/* Worker 0 has sent nothing more. */
static void
nothing0(void)
{
	uint8_t b[OWN_MSG_MAX + 1];

	turn();
	assert_true(recv(parent, b, sizeof(b), MSG_DONTWAIT) < 0);
}

/* Worker ${w} (1 or 2) sends ${type} of ${key}. */
static void
other(struct owners_tab *t, unsigned w, unsigned type, const char *key)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n = own_msg_encode(b, type, key);

	assert_int_equal(owners_tab_input(t, w, b, n, 0), 0);
}

static void
test_release_crossing_drop(void **state)
{
	struct gw *gw = w_start();
	struct owners_tab *t = owners_tab_new(3, 100, psend, NULL);
	struct gw_frame pong = { .type = GW_T_PONG };
	char key[OWN_KEY_MAX + 1];
	struct conn *a1, *a2;
	struct agent *ag;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	parent = sv[1];
	assert_int_equal(handover_start(gw, sv[0]), 0);
	w_link_up(0);
	a1 = w_agent(gw, 0);			/* worker 0 owns agent-1 */
	read0(t, OWN_CLAIM, key);
	deliver0();				/* GRANT */
	ag = w_agent_of(gw, a1);
	w_link_ack(w_link(0), GW_T_OPEN_ACK, ag->ch.id, 0);
	assert_int_equal(ag->state, AGENT_OPEN);
	other(t, 1, OWN_CLAIM, key);		/* RELEASE#1, held */
	assert_int_equal(n0, 2);
	fake_conn_eof(a1);			/* DROP */
	conn_reap();
	a2 = w_agent(gw, 0);			/* CLAIM */
	read0(t, OWN_DROP, NULL);
	assert_int_equal(last1, OWN_GRANT);
	read0(t, OWN_CLAIM, NULL);
	assert_int_equal(last1, OWN_RELEASE);
	other(t, 1, OWN_RELEASED, key);		/* GRANT to worker 0, held */
	assert_int_equal(owners_tab_owner(t, key), 0);
	deliver0();				/* RELEASE#1, late */
	nothing0();				/* not answered */
	deliver0();				/* GRANT */
	assert_int_equal(w_agent_of(gw, a2)->state, AGENT_OPENING);
	other(t, 2, OWN_CLAIM, key);		/* RELEASE#2 */
	assert_int_equal(last2, 0);
	deliver0();				/* a2 closes, its OPEN unanswered */
	assert_int_equal(conn_state(a2), CONN_CLOSED);
	nothing0();				/* the barrier first */
	assert_int_equal(last2, 0);
	pong.u.ping.opaque = (UINT64_C(1) << 63) | 1;
	fake_conn_frame(w_link(0), &pong);	/* gw-mgmt read the OPEN */
	read0(t, OWN_RELEASED, NULL);
	assert_int_equal(last2, OWN_GRANT);
	assert_int_equal(owners_tab_owner(t, key), 2);
	conn_reap();
	w_stop(gw);
	handover_stop(gw);
	owners_tab_free(t);
	close(parent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_crossing_drop),
	};

	w_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
