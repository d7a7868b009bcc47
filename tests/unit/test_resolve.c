/*
 * test_resolve.c: the resolver on a libev loop (resolve.c) and the dial
 * address check (net.c).  A numeric address resolves to itself, from the
 * loop, never from within resolve_start; a cancelled resolve never calls
 * back; "localhost" resolves from /etc/hosts (no name server is asked);
 * a malformed name is refused before any lookup; a name's TLS server name
 * leaves out one final dot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "net.h"
#include "resolve.h"

struct answer {
	int		calls;
	size_t		n;
	char		first[64];
	char		err[128];
};

static void
on_answer(void *arg, const struct resolve_addr *a, size_t n, const char *err)
{
	struct answer *w = arg;

	w->calls++;
	w->n = n;
	if (n > 0)
		net_sa_str((const struct sockaddr *)&a[0].ss, w->first,
		    sizeof(w->first));
	else
		snprintf(w->err, sizeof(w->err), "%s", err);
}

static void
test_numeric(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct answer w4 = { 0 }, w6 = { 0 };

	(void)state;
	assert_non_null(resolve_start(loop, "127.0.0.1", "7443", 5.,
	    on_answer, &w4));
	assert_non_null(resolve_start(loop, "::1", "7444", 5., on_answer,
	    &w6));
	assert_int_equal(w4.calls, 0);	/* never from within the call */
	ev_run(loop, 0);
	assert_int_equal(w4.calls, 1);
	assert_int_equal(w4.n, 1);
	assert_string_equal(w4.first, "127.0.0.1:7443");
	assert_int_equal(w6.calls, 1);
	assert_string_equal(w6.first, "[::1]:7444");
	ev_loop_destroy(loop);
}

static void
test_cancel(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct answer w = { 0 }, wn = { 0 };
	struct resolve *r, *rn;

	(void)state;
	r = resolve_start(loop, "127.0.0.1", "7443", 5., on_answer, &w);
	rn = resolve_start(loop, "localhost", "7443", 5., on_answer, &wn);
	assert_non_null(r);
	assert_non_null(rn);
	resolve_cancel(r);
	resolve_cancel(rn);
	resolve_cancel(NULL);
	ev_run(loop, 0);		/* returns: nothing left to watch */
	assert_int_equal(w.calls, 0);
	assert_int_equal(wn.calls, 0);
	ev_loop_destroy(loop);
}

static void
test_hosts_file(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct answer w = { 0 };

	(void)state;
	assert_non_null(resolve_start(loop, "localhost", "80", 5., on_answer,
	    &w));
	ev_run(loop, 0);
	assert_int_equal(w.calls, 1);
	assert_true(w.n >= 1);
	assert_true(strcmp(w.first, "127.0.0.1:80") == 0 ||
	    strcmp(w.first, "[::1]:80") == 0);
	ev_loop_destroy(loop);
}

/* The TLS server name of a name dialed: one final '.' left out. */
static void
test_server_name(void **state)
{
	char b[16];

	(void)state;
	assert_string_equal(net_server_name("gw.test.", b, sizeof(b)),
	    "gw.test");
	assert_string_equal(net_server_name("gw.test", b, sizeof(b)),
	    "gw.test");
	assert_string_equal(net_server_name("gw.test..", b, sizeof(b)),
	    "gw.test.");
	assert_string_equal(net_server_name(".", b, sizeof(b)), ".");
	assert_string_equal(net_server_name("127.0.0.1", b, sizeof(b)),
	    "127.0.0.1");
	assert_string_equal(net_server_name("a-very-long-name.test.", b,
	    sizeof(b)), "a-very-long-nam");	/* cut, NUL-terminated */
}

static void
test_dial_addr_ok(void **state)
{
	static const char *good[] = {
		"127.0.0.1:7443", "[::1]:7443", "gw1.example:7443",
		"gw-1.dmz.example.:1", "localhost:65535", "a:7443",
		"1a.example:7443",
	};
	static const char *bad[] = {
		"gw1.example", ":7443", "gw1.example:0", "gw1.example:65536",
		"gw1.example:74x3", "gw1.example:", "[gw1.example]:7443",
		"-gw.example:7443", "gw-.example:7443", "gw..example:7443",
		".example:7443", "gw_1.example:7443", "gw 1:7443",
		"gw\n1:7443", "1.2.3:7443", "300.1.1.1:7443",
	};
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(net_dial_addr_ok(good[i], why, sizeof(why)),
		    0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (net_dial_addr_ok(bad[i], why, sizeof(why)) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(why[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_hosts_file),
		cmocka_unit_test(test_dial_addr_ok),
		cmocka_unit_test(test_server_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
