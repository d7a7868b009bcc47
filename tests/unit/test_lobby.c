/*
 * test_lobby.c: accepted sockets waiting for their first bytes
 * (gateway/gatewayd/lobby.c), on socket pairs and a real libev loop: the
 * per-source and global caps close the oldest silent socket, not one whose
 * bytes came; those that spoke go on in order once there is room; the
 * timeout and a closed peer end the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "limit.h"
#include "lobby.h"

#define MAXS	16

struct fix {
	struct ev_loop	*loop;
	struct limits	 hits;
	int		 room;		/* enter() takes sockets */
	int		 entered[MAXS];	/* fds, in order */
	int		 nentered;
	int		 peer[MAXS];	/* our ends of the pairs */
	int		 fd[MAXS];	/* the lobby's ends */
};

static int
enter(void *arg, int fd)
{
	struct fix *f = arg;

	if (!f->room)
		return -1;
	f->entered[f->nentered++] = fd;
	close(fd);
	return 0;
}

/* A socket pair: the lobby gets fd[i], we keep peer[i]. */
static void
pair(struct fix *f, int i)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	f->fd[i] = sv[0];
	f->peer[i] = sv[1];
}

static struct sockaddr_in
src(uint32_t a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(a);
	return sin;
}

static int
add(struct lobby *lb, struct fix *f, int i, uint32_t a, int spoke)
{
	struct sockaddr_in sin = src(a);

	pair(f, i);
	return lobby_add(lb, f->fd[i], (struct sockaddr *)&sin, spoke);
}

/* Did the lobby close its end of pair ${i}? */
static int
closed(struct fix *f, int i)
{
	char c;

	return read(f->peer[i], &c, 1) == 0;
}

static struct lobby *
setup(struct fix *f, double timeout, unsigned max, unsigned per_source)
{
	struct lobby_limits lim = { timeout, max, per_source };

	memset(f, 0, sizeof(*f));
	f->loop = ev_loop_new(0);
	limits_init(&f->hits, f->loop);
	return lobby_new(f->loop, &lim, 64, &f->hits, enter, f);
}

static void
teardown(struct lobby *lb, struct fix *f)
{
	lobby_free(lb);
	limits_stop(&f->hits);
	for (int i = 0; i < MAXS; i++)
		if (f->peer[i] > 0)
			close(f->peer[i]);
	ev_loop_destroy(f->loop);
}

/* Over silent_per_source, the source's oldest goes; others stay. */
static void
test_per_source(void **state)
{
	struct fix f;
	struct lobby *lb = setup(&f, 10, 100, 2);

	(void)state;
	assert_int_equal(add(lb, &f, 0, 0x0a000001, 0), 0);
	assert_int_equal(add(lb, &f, 1, 0x0a000002, 0), 0);
	assert_int_equal(add(lb, &f, 2, 0x0a000001, 0), 0);
	assert_int_equal(add(lb, &f, 3, 0x0a000001, 0),
	    LOBBY_EVICTED_SOURCE);
	assert_true(closed(&f, 0));		/* the oldest of its source */
	assert_false(closed(&f, 1));
	assert_false(closed(&f, 2));
	assert_int_equal(lobby_silent(lb), 3);
	assert_int_equal(lobby_stats(lb)->evicted_source, 1);
	/* One whose bytes came is not evicted: it goes on. */
	f.room = 1;
	assert_int_equal(write(f.peer[2], "x", 1), 1);
	assert_int_equal(add(lb, &f, 4, 0x0a000001, 0), 0);
	assert_int_equal(f.nentered, 1);
	assert_int_equal(f.entered[0], f.fd[2]);
	assert_false(closed(&f, 3));
	assert_int_equal(lobby_silent(lb), 3);
	teardown(lb, &f);
}

/* Over max, the oldest silent one goes; all ready: the new one. */
static void
test_max(void **state)
{
	struct fix f;
	struct lobby *lb = setup(&f, 10, 3, 0);

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(add(lb, &f, i, 0x0a000001, 0), 0);
	assert_int_equal(add(lb, &f, 3, 0x0a000002, 0), LOBBY_EVICTED_FULL);
	assert_true(closed(&f, 0));
	/* No room: those that spoke wait, ready, and count. */
	assert_int_equal(add(lb, &f, 4, 0x0a000003, 1), LOBBY_EVICTED_FULL);
	assert_int_equal(add(lb, &f, 5, 0x0a000003, 1), LOBBY_EVICTED_FULL);
	assert_int_equal(add(lb, &f, 6, 0x0a000003, 1), LOBBY_EVICTED_FULL);
	assert_int_equal(lobby_ready(lb), 3);
	assert_int_equal(lobby_silent(lb), 0);
	assert_int_equal(add(lb, &f, 7, 0x0a000003, 1), -1);
	assert_true(closed(&f, 7));
	assert_int_equal(lobby_stats(lb)->refused_full, 1);
	/* Room: in the order they spoke. */
	f.room = 1;
	lobby_admit(lb);
	assert_int_equal(f.nentered, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(f.entered[i], f.fd[4 + i]);
	assert_int_equal(lobby_ready(lb), 0);
	teardown(lb, &f);
}

static void
on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
run(struct fix *f, double secs)
{
	ev_timer t;

	ev_timer_init(&t, on_stop, secs, 0.);
	ev_timer_start(f->loop, &t);
	ev_run(f->loop, 0);
	ev_timer_stop(f->loop, &t);
}

/* On the loop: bytes hand a socket on, EOF and the timeout close it. */
static void
test_loop(void **state)
{
	struct fix f;
	struct lobby *lb = setup(&f, 0.1, 100, 0);

	(void)state;
	f.room = 1;
	for (int i = 0; i < 4; i++)
		assert_int_equal(add(lb, &f, i, 0x0a000001, 0), 0);
	assert_int_equal(write(f.peer[1], "x", 1), 1);
	close(f.peer[2]);
	f.peer[2] = -1;
	run(&f, 0.02);
	assert_int_equal(f.nentered, 1);
	assert_int_equal(f.entered[0], f.fd[1]);
	assert_int_equal(lobby_stats(lb)->gave_up, 1);
	assert_int_equal(lobby_silent(lb), 2);
	run(&f, 0.3);
	assert_int_equal(lobby_silent(lb), 0);
	assert_int_equal(lobby_stats(lb)->timed_out, 2);
	assert_int_equal(f.hits.total[LIMIT_FIRST_BYTE_TIMEOUT], 2);
	assert_true(closed(&f, 0));
	assert_true(closed(&f, 3));
	teardown(lb, &f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_source),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
