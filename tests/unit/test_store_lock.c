/*
 * test_store_lock.c: two gw-mgmt servers of one PostgreSQL store write
 * their channel events (store_agents_mark) at the same time without a
 * deadlock: a gateway that moves its links from one server to the other
 * has the old one mark its agents offline while the new one marks them
 * online, each in the order its channels went; PostgreSQL once aborted
 * one of the two transactions ("deadlock detected") and that server's
 * events were lost: agents online shown offline (test_fleet found it).
 * Two processes, one ascending and one descending through the same 64
 * agents, 40 rounds each: none may fail.  PostgreSQL only (GW_PG_CONNINFO,
 * which test_postgresql sets); without it the test is skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "store_agents.h"

#define NAGENTS	64
#define ROUNDS	40

static char names[NAGENTS][16];

/* ${n} rounds of the NAGENTS events, descending if ${down}: failures. */
static int
marks(const char *ci, int down, int rounds)
{
	struct store_conf conf = { .type = STORE_POSTGRESQL, .conninfo = ci };
	struct store_agent_ev ev[NAGENTS];
	struct store *s;
	char err[256];
	int bad = 0;

	if ((s = store_open(&conf, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return rounds;
	}
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < NAGENTS; i++) {
			int k = down ? NAGENTS - 1 - i : i;
			int64_t t = 1000 + r * 10;

			ev[i] = (struct store_agent_ev){
				.agent = { .issuer = "CN=CA", .name = names[k],
				    .subject = "CN=x", .san = "", .serial = "01",
				    .fingerprint = "ab", .gateway = "gw",
				    .peer = "127.0.0.1:1" },
				.up = 1, .opened_ms = t + down,
				.closed_ms = down ? 0 : t + 5,
			};
		}
		if (store_agents_mark(s, ev, NAGENTS) != 0) {
			fprintf(stderr, "round %d (%s): %s\n", r,
			    down ? "down" : "up", store_errmsg(s));
			bad++;
		}
	}
	store_close(s);
	return bad;
}

static void
test_two_servers_mark(void **state)
{
	const char *ci = getenv("GW_PG_CONNINFO");
	int status, bad;
	pid_t pid;

	(void)state;
	if (ci == NULL)
		skip();
	for (int i = 0; i < NAGENTS; i++)
		snprintf(names[i], sizeof(names[i]), "agent-%02d", i);
	/* The tables, made by one server first. */
	assert_int_equal(marks(ci, 0, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(marks(ci, 1, ROUNDS) == 0 ? 0 : 1);
	bad = marks(ci, 0, ROUNDS);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_servers_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
