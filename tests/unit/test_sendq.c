/*
 * test_sendq.c: a client session's send queue of unacknowledged lines: lazy
 * numbering, cumulative ACKs, HELLO_ACK's last_seq, the resend cursor after
 * a reconnect, the capacity limit, the byte cap and ring wraparound; a
 * replay's lines taken past the caps (sendq_push_over).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sendq.h"

static void
push_str(struct sendq *q, const char *s)
{
	assert_int_equal(sendq_push(q, s, strlen(s)), 0);
}

/* Hand out the next line, check it, mark it sent. */
static void
send_expect(struct sendq *q, uint64_t seq, const char *body)
{
	const struct sendq_ent *e = sendq_next(q);

	assert_non_null(e);
	assert_int_equal(e->seq, seq);
	assert_int_equal(e->len, strlen(body));
	assert_memory_equal(e->body, body, e->len);
	sendq_advance(q);
}

static void
test_push_and_send(void **state)
{
	struct sendq *q = sendq_new(4);

	(void)state;
	assert_non_null(q);
	assert_null(sendq_next(q));
	push_str(q, "a");
	push_str(q, "");
	push_str(q, "ccc");
	assert_int_equal(sendq_len(q), 3);
	assert_int_equal(sendq_unsent(q), 3);
	send_expect(q, 1, "a");
	send_expect(q, 2, "");
	send_expect(q, 3, "ccc");
	assert_null(sendq_next(q));
	assert_int_equal(sendq_unsent(q), 0);
	assert_int_equal(sendq_len(q), 3);
	assert_int_equal(sendq_next_seq(q), 4);
	sendq_free(q);
	sendq_free(NULL);
}

static void
test_ack_cumulative(void **state)
{
	struct sendq *q = sendq_new(8);

	(void)state;
	for (int i = 0; i < 5; i++)
		push_str(q, "x");
	send_expect(q, 1, "x");
	send_expect(q, 2, "x");
	send_expect(q, 3, "x");
	assert_int_equal(sendq_ack(q, 2), 2);
	assert_int_equal(sendq_len(q), 3);
	/* An old or repeated ACK drops nothing. */
	assert_int_equal(sendq_ack(q, 1), 0);
	assert_int_equal(sendq_ack(q, 2), 0);
	/* Unnumbered lines are never dropped by an ACK. */
	assert_int_equal(sendq_ack(q, 100), 1);
	assert_int_equal(sendq_len(q), 2);
	assert_int_equal(sendq_unsent(q), 2);
	send_expect(q, 4, "x");
	sendq_free(q);
}

static void
test_rewind_resends_original_seq(void **state)
{
	struct sendq *q = sendq_new(8);

	(void)state;
	push_str(q, "one");
	push_str(q, "two");
	push_str(q, "three");
	send_expect(q, 1, "one");
	send_expect(q, 2, "two");
	assert_int_equal(sendq_ack(q, 1), 1);
	/* Disconnect: "two" must go again with seq 2, then "three". */
	sendq_rewind(q);
	assert_int_equal(sendq_unsent(q), 2);
	/* The new session's last_seq is lower than what we sent. */
	assert_int_equal(sendq_hello(q, 1), 0);
	send_expect(q, 2, "two");
	send_expect(q, 3, "three");
	assert_null(sendq_next(q));
	sendq_free(q);
}

static void
test_hello_last_seq(void **state)
{
	struct sendq *q = sendq_new(8);

	(void)state;
	push_str(q, "a");
	push_str(q, "b");
	/* A first start: the store has 500 from an earlier run. */
	assert_int_equal(sendq_foreign(q, 500), 0);
	assert_int_equal(sendq_hello(q, 500), 0);
	assert_int_equal(sendq_next_seq(q), 501);
	send_expect(q, 501, "a");
	sendq_rewind(q);
	/* The store already has seq 501. */
	assert_int_equal(sendq_foreign(q, 501), 0);
	assert_int_equal(sendq_hello(q, 501), 1);
	assert_int_equal(sendq_len(q), 1);
	send_expect(q, 502, "b");
	/* A lower last_seq never lowers the numbering. */
	assert_int_equal(sendq_foreign(q, 3), 0);
	assert_int_equal(sendq_hello(q, 3), 0);
	assert_int_equal(sendq_next_seq(q), 503);
	sendq_free(q);
}

/*
 * Issue 17: a last_seq above the agent's own numbering is another writer
 * under its name (2^63 - 1 stored by a second holder of the name): taking
 * it would drop lines the store never had.  sendq_foreign() says so, and
 * nothing is dropped until the caller decides.
 */
static void
test_hello_foreign_last_seq(void **state)
{
	struct sendq *q = sendq_new(8);

	(void)state;
	push_str(q, "a");
	push_str(q, "b");
	send_expect(q, 1, "a");
	send_expect(q, 2, "b");
	sendq_rewind(q);
	/* Ours: at most what we numbered. */
	assert_int_equal(sendq_foreign(q, 0), 0);
	assert_int_equal(sendq_foreign(q, 2), 0);
	/* Not ours: above it, or no number left. */
	assert_int_equal(sendq_foreign(q, 3), 1);
	assert_int_equal(sendq_foreign(q, (1ull << 63) - 1), 1);
	assert_int_equal(sendq_foreign(q, UINT64_MAX), 1);
	assert_int_equal(sendq_len(q), 2);
	/* Even on a first start, UINT64_MAX leaves nothing to number. */
	sendq_free(q);
	q = sendq_new(8);
	assert_int_equal(sendq_foreign(q, UINT64_MAX), 1);
	assert_int_equal(sendq_foreign(q, UINT64_MAX - 1), 0);
	sendq_free(q);
}

static void
test_full(void **state)
{
	struct sendq *q = sendq_new(3);

	(void)state;
	assert_null(sendq_new(0));
	push_str(q, "1");
	push_str(q, "2");
	assert_int_equal(sendq_full(q), 0);
	push_str(q, "3");
	assert_int_equal(sendq_full(q), 1);
	assert_int_equal(sendq_push(q, "4", 1), -1);
	assert_int_equal(sendq_len(q), 3);
	send_expect(q, 1, "1");
	assert_int_equal(sendq_ack(q, 1), 1);
	assert_int_equal(sendq_full(q), 0);
	push_str(q, "4");
	assert_int_equal(sendq_full(q), 1);
	sendq_free(q);
}

static void
test_wraparound(void **state)
{
	struct sendq *q = sendq_new(5);
	char buf[32];
	uint64_t seq = 1, acked = 0;

	(void)state;
	/* Many laps around a ring of 5, with ACKs lagging the sends. */
	for (int i = 0; i < 1000; i++) {
		while (!sendq_full(q)) {
			snprintf(buf, sizeof(buf), "line %llu",
			    (unsigned long long)(acked + sendq_len(q) + 1));
			push_str(q, buf);
		}
		while (sendq_next(q) != NULL) {
			snprintf(buf, sizeof(buf), "line %llu",
			    (unsigned long long)seq);
			send_expect(q, seq, buf);
			seq++;
		}
		/* Ack all but the last two, resend those after a rewind. */
		assert_int_equal(sendq_ack(q, seq - 3), 3);
		acked += 3;
		sendq_rewind(q);
		assert_int_equal(sendq_unsent(q), 2);
		snprintf(buf, sizeof(buf), "line %llu",
		    (unsigned long long)(seq - 2));
		send_expect(q, seq - 2, buf);
		snprintf(buf, sizeof(buf), "line %llu",
		    (unsigned long long)(seq - 1));
		send_expect(q, seq - 1, buf);
	}
	assert_int_equal(sendq_ack(q, seq - 1), 2);
	assert_int_equal(sendq_len(q), 0);
	sendq_free(q);
}

/* The byte cap: bytes counted, full at the cap, room back on ACK. */
static void
test_byte_cap(void **state)
{
	struct sendq *q = sendq_new(100);
	char big[40];

	(void)state;
	memset(big, 'x', sizeof(big));
	sendq_set_bytes(q, 100);
	assert_int_equal(sendq_push(q, big, 40), 0);
	assert_int_equal(sendq_push(q, big, 40), 0);
	assert_int_equal(sendq_bytes(q), 80);
	assert_int_equal(sendq_full(q), 0);
	assert_int_equal(sendq_room(q, 20), 1);
	assert_int_equal(sendq_room(q, 21), 0);
	/* 40 more would pass the cap: refused, nothing changes. */
	assert_int_equal(sendq_push(q, big, 40), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(sendq_len(q), 2);
	assert_int_equal(sendq_push(q, big, 20), 0);
	assert_int_equal(sendq_bytes(q), 100);
	assert_int_equal(sendq_full(q), 1);
	assert_int_equal(sendq_room(q, 0), 0);
	send_expect(q, 1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(sendq_ack(q, 1), 1);
	assert_int_equal(sendq_bytes(q), 60);
	assert_int_equal(sendq_full(q), 0);
	assert_int_equal(sendq_room(q, 40), 1);
	sendq_free(q);
}

/* A line over the byte cap still goes into an empty queue, alone. */
static void
test_byte_cap_big_line(void **state)
{
	struct sendq *q = sendq_new(10);
	char big[300];

	(void)state;
	memset(big, 'y', sizeof(big));
	sendq_set_bytes(q, 100);
	assert_int_equal(sendq_room(q, sizeof(big)), 1);
	assert_int_equal(sendq_push(q, big, sizeof(big)), 0);
	assert_int_equal(sendq_full(q), 1);
	assert_int_equal(sendq_push(q, "a", 1), -1);
	/* No byte cap: only the line cap counts. */
	sendq_set_bytes(q, 0);
	assert_int_equal(sendq_full(q), 0);
	assert_int_equal(sendq_push(q, "a", 1), 0);
	assert_int_equal(sendq_bytes(q), 301);
	sendq_free(q);
}

/*
 * sendq_push_over takes lines past the caps, a wrapped ring growing with
 * its lines kept in order and their numbers; sendq_push takes nothing
 * until acks bring it back under the cap.
 */
static void
test_push_over(void **state)
{
	struct sendq *q;
	const struct sendq_ent *e;
	char s[8];

	(void)state;
	assert_non_null(q = sendq_new(3));
	push_str(q, "a");
	push_str(q, "b");
	assert_non_null(e = sendq_next(q));
	sendq_advance(q);
	assert_int_equal(sendq_ack(q, 1), 1);		/* head moved: wraps */
	push_str(q, "c");
	push_str(q, "d");
	for (int i = 0; i < 5; i++) {
		snprintf(s, sizeof(s), "o%d", i);
		assert_int_equal(sendq_push_over(q, s, 2), 0);
	}
	assert_int_equal(sendq_len(q), 8);
	assert_true(sendq_over(q));
	assert_true(sendq_full(q));
	assert_int_equal(sendq_push(q, "x", 1), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_memory_equal(sendq_get(q, 0)->body, "b", 1);
	assert_memory_equal(sendq_get(q, 2)->body, "d", 1);
	assert_memory_equal(sendq_get(q, 7)->body, "o4", 2);
	assert_int_equal(sendq_bytes(q), 3 + 10);
	assert_int_equal(sendq_number(q, 8), 8);
	assert_int_equal(sendq_get(q, 0)->seq, 2);
	assert_int_equal(sendq_get(q, 6)->seq, 8);
	assert_int_equal(sendq_ack(q, 6), 5);
	assert_false(sendq_over(q));
	assert_true(sendq_full(q));
	assert_int_equal(sendq_ack(q, 7), 1);
	push_str(q, "x");
	assert_int_equal(sendq_push(q, "y", 1), -1);
	assert_memory_equal(sendq_get(q, 2)->body, "x", 1);
	sendq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_and_send),
		cmocka_unit_test(test_ack_cumulative),
		cmocka_unit_test(test_rewind_resends_original_seq),
		cmocka_unit_test(test_hello_last_seq),
		cmocka_unit_test(test_hello_foreign_last_seq),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_byte_cap),
		cmocka_unit_test(test_byte_cap_big_line),
		cmocka_unit_test(test_push_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
