/*
 * test_owners.c: the parent's agent -> worker table of workers mode
 * (owners_tab.c) and the owner pipe's messages (owners_msg.c): every rule
 * of owners_tab.h, driven with bytes as a worker sends them, what the
 * parent sends recorded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <unistd.h>
#include <ev.h>

#include "opipe.h"
#include "owners.h"
#include "owners_msg.h"
#include "owners_tab.h"

#define K1	"0123456789abcdef\nagent-1"
#define K2	"0123456789abcdef\nagent-2"
#define K1B	"fedcba9876543210\nagent-1"	/* another CA's agent-1 */

/* What the parent sent: the last few messages. */
static struct sent {
	unsigned	worker, type;
	char		key[OWN_KEY_MAX + 1];
} sent[64];
static unsigned nsent;

static void
rec(void *arg, unsigned worker, unsigned type, const char *key)
{
	(void)arg;
	assert_true(nsent < 64);
	sent[nsent].worker = worker;
	sent[nsent].type = type;
	snprintf(sent[nsent].key, sizeof(sent[nsent].key), "%s", key);
	nsent++;
}

/* Worker ${w} sends ${type} of ${key}; the parent's return. */
static int
msg(struct owners_tab *t, unsigned w, unsigned type, const char *key,
    double now)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n = own_msg_encode(b, type, key);

	assert_true(n > 0);
	return owners_tab_input(t, w, b, n, now);
}

/* The parent sent exactly: ${n} messages, checked in order. */
static void
expect(unsigned i, unsigned worker, unsigned type, const char *key)
{
	assert_true(i < nsent);
	assert_int_equal(sent[i].worker, worker);
	assert_int_equal(sent[i].type, type);
	assert_string_equal(sent[i].key, key);
}

static struct owners_tab *
tab(unsigned n, unsigned share)
{
	struct owners_tab *t = owners_tab_new(n, share, rec, NULL);

	assert_non_null(t);
	nsent = 0;
	return t;
}

static void
test_msg_codec(void **state)
{
	uint8_t b[OWN_MSG_MAX + 8];
	struct own_msg m;
	size_t n;
	char big[OWN_KEY_MAX + 2];

	(void)state;
	n = own_msg_encode(b, OWN_CLAIM, K1);
	assert_int_equal(n, 1 + strlen(K1));
	assert_int_equal(own_msg_decode(b, n, &m), 0);
	assert_int_equal(m.type, OWN_CLAIM);
	assert_string_equal(m.key, K1);
	/* Lengths: nothing, a type alone, a key one byte short of a name. */
	assert_int_equal(own_msg_decode(b, 0, &m), -1);
	assert_int_equal(own_msg_decode(b, 1, &m), -1);
	assert_int_equal(own_msg_decode(b, 1 + OWN_KEY_PREFIX, &m), -1);
	/* Types 0 and 7 */
	b[0] = 0;
	assert_int_equal(own_msg_decode(b, n, &m), -1);
	b[0] = OWN_TYPE_LAST + 1;
	assert_int_equal(own_msg_decode(b, n, &m), -1);
	b[0] = OWN_DROP;
	assert_int_equal(own_msg_decode(b, n, &m), 0);
	/* Uppercase hex, no newline, a NUL in the name. */
	b[1] = 'A';
	assert_int_equal(own_msg_decode(b, n, &m), -1);
	b[1] = '0';
	b[17] = ' ';
	assert_int_equal(own_msg_decode(b, n, &m), -1);
	b[17] = '\n';
	b[20] = '\0';
	assert_int_equal(own_msg_decode(b, n, &m), -1);
	/* The longest name, and one byte more. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "0123456789abcdef\n", OWN_KEY_PREFIX);
	big[OWN_KEY_MAX] = '\0';
	assert_int_equal(own_msg_encode(b, OWN_CLAIM, big), OWN_MSG_MAX);
	assert_int_equal(own_msg_decode(b, OWN_MSG_MAX, &m), 0);
	big[OWN_KEY_MAX] = 'x';
	big[OWN_KEY_MAX + 1] = '\0';
	assert_int_equal(own_msg_encode(b, OWN_CLAIM, big), 0);
	b[OWN_MSG_MAX] = 'x';
	assert_int_equal(own_msg_decode(b, OWN_MSG_MAX + 1, &m), -1);
	assert_int_equal(own_msg_encode(b, 9, K1), 0);
}

static void
test_claim_free_and_own(void **state)
{
	struct owners_tab *t = tab(2, 10);

	(void)state;
	assert_int_equal(msg(t, 0, OWN_CLAIM, K1, 1), 0);
	assert_int_equal(nsent, 1);
	expect(0, 0, OWN_GRANT, K1);
	assert_int_equal(owners_tab_owner(t, K1), 0);
	/* Its own again (a newer session in the same worker): GRANT. */
	assert_int_equal(msg(t, 0, OWN_CLAIM, K1, 1), 0);
	expect(1, 0, OWN_GRANT, K1);
	assert_int_equal(owners_tab_count(t), 1);
	/* Another CA's agent of the same name is another agent. */
	assert_int_equal(msg(t, 1, OWN_CLAIM, K1B, 1), 0);
	expect(2, 1, OWN_GRANT, K1B);
	assert_int_equal(owners_tab_count(t), 2);
	/* DROP: forgotten. */
	assert_int_equal(msg(t, 0, OWN_DROP, K1, 2), 0);
	assert_int_equal(owners_tab_owner(t, K1), -1);
	assert_int_equal(owners_tab_count(t), 1);
	assert_int_equal(owners_tab_held(t, 0), 0);
	owners_tab_free(t);
}

static void
test_handover(void **state)
{
	struct owners_tab *t = tab(3, 10);
	double when;

	(void)state;
	msg(t, 0, OWN_CLAIM, K1, 1);
	nsent = 0;
	/* Worker 1 claims: worker 0 is asked to release; no GRANT yet. */
	assert_int_equal(msg(t, 1, OWN_CLAIM, K1, 2), 0);
	assert_int_equal(nsent, 1);
	expect(0, 0, OWN_RELEASE, K1);
	assert_int_equal(owners_tab_owner(t, K1), 0);
	assert_int_equal(owners_tab_waiter(t, K1), 1);
	assert_int_equal(owners_tab_overdue(t, 1.9 + OWNERS_RELEASE_WAIT,
	    &when), -1);
	assert_true(when == 2 + OWNERS_RELEASE_WAIT);
	/* A RELEASE goes once, however many claim. */
	assert_int_equal(msg(t, 2, OWN_CLAIM, K1, 2.5), 0);
	assert_int_equal(nsent, 2);
	expect(1, 1, OWN_DENY, K1);	/* the older claim loses */
	assert_int_equal(owners_tab_waiter(t, K1), 2);
	assert_int_equal(owners_tab_held(t, 1), 0);
	/* RELEASED: the waiter owns it. */
	assert_int_equal(msg(t, 0, OWN_RELEASED, K1, 3), 0);
	assert_int_equal(nsent, 3);
	expect(2, 2, OWN_GRANT, K1);
	assert_int_equal(owners_tab_owner(t, K1), 2);
	assert_int_equal(owners_tab_waiter(t, K1), -1);
	assert_int_equal(owners_tab_held(t, 0), 0);
	assert_int_equal(owners_tab_overdue(t, 100, &when), -1);
	assert_true(when == 0);
	owners_tab_free(t);
}

static void
test_overdue_and_gone(void **state)
{
	struct owners_tab *t = tab(2, 10);

	(void)state;
	msg(t, 0, OWN_CLAIM, K1, 1);
	msg(t, 0, OWN_CLAIM, K2, 1);
	msg(t, 1, OWN_CLAIM, K1, 5);
	assert_int_equal(owners_tab_overdue(t, 4.9 + OWNERS_RELEASE_WAIT,
	    NULL), -1);
	assert_int_equal(owners_tab_overdue(t, 5 + OWNERS_RELEASE_WAIT, NULL),
	    0);
	nsent = 0;
	/* Killed: what it owned goes to the waiter, the rest forgotten. */
	owners_tab_gone(t, 0);
	assert_int_equal(nsent, 1);
	expect(0, 1, OWN_GRANT, K1);
	assert_int_equal(owners_tab_owner(t, K1), 1);
	assert_int_equal(owners_tab_owner(t, K2), -1);
	assert_int_equal(owners_tab_count(t), 1);
	assert_int_equal(owners_tab_overdue(t, 100, NULL), -1);
	/* A waiter gone: forgotten, the owner still asked (and answers). */
	msg(t, 0, OWN_CLAIM, K1, 10);
	owners_tab_gone(t, 0);
	assert_int_equal(owners_tab_waiter(t, K1), -1);
	nsent = 0;
	assert_int_equal(msg(t, 1, OWN_RELEASED, K1, 11), 0);
	assert_int_equal(nsent, 0);
	assert_int_equal(owners_tab_count(t), 0);
	owners_tab_free(t);
}

static void
test_drop_while_released_and_reclaim(void **state)
{
	struct owners_tab *t = tab(2, 10);

	(void)state;
	msg(t, 0, OWN_CLAIM, K1, 1);
	msg(t, 1, OWN_CLAIM, K1, 1);
	nsent = 0;
	/* Its session ended as the RELEASE crossed: DROP counts as RELEASED. */
	assert_int_equal(msg(t, 0, OWN_DROP, K1, 1.5), 0);
	expect(0, 1, OWN_GRANT, K1);
	/* The owner asked to release claims again: it waits its turn. */
	msg(t, 0, OWN_CLAIM, K1, 2);	/* RELEASE to 1 */
	nsent = 0;
	assert_int_equal(msg(t, 1, OWN_CLAIM, K1, 2), 0);	/* 1 again */
	expect(0, 0, OWN_DENY, K1);
	assert_int_equal(owners_tab_waiter(t, K1), 1);
	nsent = 0;
	assert_int_equal(msg(t, 1, OWN_RELEASED, K1, 2.1), 0);
	expect(0, 1, OWN_GRANT, K1);
	assert_int_equal(owners_tab_owner(t, K1), 1);
	assert_int_equal(owners_tab_held(t, 1), 1);
	owners_tab_free(t);
}

static void
test_not_its_business(void **state)
{
	struct owners_tab *t = tab(2, 10);
	uint8_t junk[300];

	(void)state;
	msg(t, 0, OWN_CLAIM, K1, 1);
	nsent = 0;
	/* Another's agent: neither DROP nor RELEASED takes it. */
	assert_int_equal(msg(t, 1, OWN_DROP, K1, 1), -1);
	assert_int_equal(msg(t, 1, OWN_RELEASED, K1, 1), -1);
	/* RELEASED not asked for, of its own. */
	assert_int_equal(msg(t, 0, OWN_RELEASED, K1, 1), -1);
	assert_int_equal(owners_tab_owner(t, K1), 0);
	/* Unknown keys, a parent's types, a worker out of range. */
	assert_int_equal(msg(t, 0, OWN_DROP, K2, 1), -1);
	assert_int_equal(msg(t, 0, OWN_GRANT, K1, 1), -1);
	assert_int_equal(msg(t, 0, OWN_RELEASE, K1, 1), -1);
	assert_int_equal(msg(t, 2, OWN_CLAIM, K2, 1), -1);
	/* Malformed: any length up to beyond the largest. */
	memset(junk, 0xff, sizeof(junk));
	for (size_t n = 0; n <= sizeof(junk); n++)
		assert_int_equal(owners_tab_input(t, 1, junk, n, 1), -1);
	assert_int_equal(nsent, 0);
	assert_int_equal(owners_tab_owner(t, K1), 0);
	assert_int_equal(owners_tab_count(t), 1);
	assert_int_equal(owners_tab_dropped(t), 7 + sizeof(junk) + 1);
	owners_tab_free(t);
}

static void
test_share_bounds(void **state)
{
	struct owners_tab *t = tab(2, 3);
	char k[OWN_KEY_MAX + 1];

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(k, sizeof(k), "0123456789abcdef\nflood-%d", i);
		msg(t, 1, OWN_CLAIM, k, 1);
		expect(nsent - 1, 1, i < 3 ? OWN_GRANT : OWN_DENY, k);
	}
	assert_int_equal(owners_tab_count(t), 3);
	assert_int_equal(owners_tab_held(t, 1), 3);
	/* Waiting counts too: worker 0 over its share waits for none. */
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "0123456789abcdef\nown-%d", i);
		msg(t, 0, OWN_CLAIM, k, 1);
	}
	nsent = 0;
	snprintf(k, sizeof(k), "0123456789abcdef\nflood-%d", 0);
	msg(t, 0, OWN_CLAIM, k, 1);
	assert_int_equal(nsent, 1);
	expect(0, 0, OWN_DENY, k);
	assert_int_equal(owners_tab_waiter(t, k), -1);
	assert_int_equal(owners_tab_count(t), 6);
	/* Bad arguments. */
	assert_null(owners_tab_new(0, 1, rec, NULL));
	assert_null(owners_tab_new(1, 0, rec, NULL));
	assert_null(owners_tab_new(1, 1, NULL, NULL));
	owners_tab_free(t);
	owners_tab_free(NULL);
}

/* The fake worker on ${fd} reads one message: its type (0: none). */
static unsigned
shim_read(struct ev_loop *loop, int fd, const char *key)
{
	uint8_t b[OWN_MSG_MAX + 1];
	struct own_msg m;
	ssize_t n;

	for (int i = 0; i < 4; i++)
		ev_run(loop, EVRUN_NOWAIT);
	if ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) <= 0)
		return 0;
	assert_int_equal(own_msg_decode(b, (size_t)n, &m), 0);
	assert_string_equal(m.key, key);
	return m.type;
}

static void
shim_send(int fd, unsigned type, const char *key)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n = own_msg_encode(b, type, key);

	assert_int_equal(send(fd, b, n, 0), (ssize_t)n);
}

static int overdue_worker = -1;

static void
on_overdue(void *arg, unsigned worker)
{
	overdue_worker = (int)worker;
	ev_break(arg, EVBREAK_ALL);
}

/* The test waited too long: stop. */
static void
on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* owners.c on real socketpairs and a real loop: the 2 s RELEASE wait. */
static void
test_shim(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct owners *o;
	int w0[2], w1[2];
	ev_timer guard;
	char b[8];

	(void)state;
	assert_non_null(loop);
	assert_non_null(o = owners_new(loop, 2, 5));
	assert_null(owners_new(loop, 0, 5));
	owners_on_overdue(o, on_overdue, loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, w0), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, w1), 0);
	owners_worker_up(o, 0, w0[0]);
	owners_worker_up(o, 1, w1[0]);
	shim_send(w0[1], OWN_CLAIM, K1);
	assert_int_equal(shim_read(loop, w0[1], K1), OWN_GRANT);
	assert_int_equal(send(w1[1], b, 0, 0), 0);	/* empty: dropped */
	shim_send(w1[1], OWN_CLAIM, K1);
	assert_int_equal(shim_read(loop, w0[1], K1), OWN_RELEASE);
	assert_int_equal(shim_read(loop, w1[1], K1), 0);
	/* Worker 0 does not answer: overdue after OWNERS_RELEASE_WAIT. */
	ev_timer_init(&guard, on_guard, OWNERS_RELEASE_WAIT + 3, 0);
	ev_timer_start(loop, &guard);
	ev_run(loop, 0);
	ev_timer_stop(loop, &guard);
	assert_int_equal(overdue_worker, 0);
	assert_int_equal(owners_overdue(o, ev_now(loop)), 0);
	/* Killed: its agent goes to worker 1; its pipe is closed. */
	owners_worker_gone(o, 0);
	assert_int_equal(shim_read(loop, w1[1], K1), OWN_GRANT);
	assert_int_equal(recv(w0[1], b, sizeof(b), MSG_DONTWAIT), 0);
	assert_int_equal(owners_overdue(o, ev_now(loop) + 10), -1);
	owners_free(o);
	close(w0[1]);
	close(w1[1]);
	ev_loop_destroy(loop);
}

/*
 * The worker that claimed dies while the owner has not answered its
 * RELEASE: nobody waits, so the owner is not overdue (it would be killed
 * for a hand-over none needs); a new claimant's wait counts from its CLAIM.
 */
static void
test_overdue_only_while_waited_for(void **state)
{
	struct owners_tab *t = tab(3, 10);

	(void)state;
	msg(t, 0, OWN_CLAIM, K1, 0);
	msg(t, 1, OWN_CLAIM, K1, 0);		/* RELEASE to worker 0 */
	owners_tab_gone(t, 1);
	assert_int_equal(owners_tab_waiter(t, K1), -1);
	assert_int_equal(owners_tab_overdue(t, 100, NULL), -1);
	nsent = 0;
	msg(t, 2, OWN_CLAIM, K1, 100);		/* no second RELEASE */
	assert_int_equal(nsent, 0);
	assert_int_equal(owners_tab_overdue(t, 99.9 + OWNERS_RELEASE_WAIT,
	    NULL), -1);
	assert_int_equal(owners_tab_overdue(t, 100 + OWNERS_RELEASE_WAIT,
	    NULL), 0);
	assert_int_equal(msg(t, 0, OWN_RELEASED, K1, 101), 0);
	expect(0, 2, OWN_GRANT, K1);
	assert_int_equal(owners_tab_overdue(t, 1000, NULL), -1);
	owners_tab_free(t);
}

static struct opipe ow, op;		/* a worker's end, the parent's */
static unsigned answers, claims_read;

static void
ow_msg(void *arg, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)p;
	(void)len;
	answers++;
}

static void
op_msg(void *arg, const uint8_t *p, size_t len)
{
	struct own_msg m;

	(void)arg;
	assert_int_equal(own_msg_decode(p, len, &m), 0);
	claims_read++;
	(void)opipe_send(&op, OWN_GRANT, m.key);
}

/*
 * A worker that claims faster than the parent reads (200 a loop turn,
 * OPIPE_BATCH 64 read a turn): the parent's queue to it passes
 * OPIPE_PAUSE and the parent stops reading it; the worker's end reads on
 * (never_pause, as handover.c sets it), so the pipe drains and every
 * CLAIM is answered.  Were both ends to pause, both would stop for good.
 */
static void
test_pipe_never_stalls(void **state)
{
	struct ev_loop *loop = ev_loop_new(0);
	unsigned sent = 0;
	char key[64];
	int sv[2];

	(void)state;
	answers = claims_read = 0;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	opipe_init(&ow, loop, sv[0], ow_msg, NULL, NULL);
	opipe_never_pause(&ow);
	opipe_init(&op, loop, sv[1], op_msg, NULL, NULL);
	for (unsigned t = 0; t < 20000 && answers < 12000; t++) {
		for (unsigned i = 0; t < 60 && i < 200; i++, sent++) {
			snprintf(key, sizeof(key),
			    "0123456789abcdef\nagent-%u", sent);
			assert_int_equal(opipe_send(&ow, OWN_CLAIM, key), 0);
		}
		ev_run(loop, EVRUN_NOWAIT);
	}
	assert_int_equal(sent, 12000);
	assert_int_equal(claims_read, sent);
	assert_int_equal(answers, sent);
	assert_int_equal(ow.queued, 0);
	assert_int_equal(op.queued, 0);
	opipe_close(&ow);
	opipe_close(&op);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_codec),
		cmocka_unit_test(test_claim_free_and_own),
		cmocka_unit_test(test_handover),
		cmocka_unit_test(test_overdue_and_gone),
		cmocka_unit_test(test_overdue_only_while_waited_for),
		cmocka_unit_test(test_pipe_never_stalls),
		cmocka_unit_test(test_drop_while_released_and_reclaim),
		cmocka_unit_test(test_not_its_business),
		cmocka_unit_test(test_share_bounds),
		cmocka_unit_test(test_shim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
