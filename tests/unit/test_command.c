/*
 * test_command.c: gw-agent's handler runner (gateway/agent/command.c) with
 * real handler processes: /bin/cat, and small programs this test writes
 * (a #! line, chmod +x) into a temporary directory.  The body on stdin,
 * the environment, exit statuses, a signal, the timeout, the output bound,
 * a program that does not exist, a handler that never reads a large body,
 * and freeing a running handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "command.h"
#include "proto.h"

static char dir[64];

/* What done got. */
static struct {
	int		 calls;
	uint64_t	 id;
	unsigned	 outcome, flags;
	int32_t		 status;
	char		 out[8192];
	size_t		 len;
} got;

static void
on_done(const struct command_result *r, void *arg)
{
	struct command **cp = arg;

	got.calls++;
	got.id = r->id;
	got.outcome = r->outcome;
	got.flags = r->flags;
	got.status = r->status;
	assert_true(r->len < sizeof(got.out));
	memcpy(got.out, r->out, r->len);
	got.out[r->len] = '\0';
	got.len = r->len;
	command_free(*cp);	/* allowed from done */
	*cp = NULL;
	ev_break(ev_default_loop(0), EVBREAK_ALL);
}

/* A program named ${name} in the test's directory: "#!/bin/sh" ${text}. */
static const char *
script(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", text);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* Run ${program} on ${body} until done; the result is in got. */
static void
run(const char *program, const void *body, size_t len, size_t output_max,
    double timeout)
{
	struct command_params p = { .program = program, .agent = "agent-1",
	    .output_max = output_max, .timeout = timeout };
	struct ev_loop *loop = ev_default_loop(0);
	struct command *c;

	memset(&got, 0, sizeof(got));
	assert_non_null(c = command_start(loop, &p, 42, body, len, on_done,
	    &c));
	assert_int_equal(got.calls, 0);		/* never from start */
	ev_run(loop, 0);
	assert_int_equal(got.calls, 1);
	assert_null(c);
	assert_int_equal(got.id, 42);
}

/* /bin/cat: the body comes back as the output, exit 0. */
static void
test_cat_echoes_body(void **state)
{
	(void)state;
	run("/bin/cat", "hello\nworld\n", 12, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_int_equal(got.status, 0);
	assert_int_equal(got.flags, 0);
	assert_string_equal(got.out, "hello\nworld\n");
}

/* Only GW_COMMAND_ID, GW_AGENT and PATH; no arguments; stderr kept. */
static void
test_environment(void **state)
{
	(void)state;
	run(script("env", "echo \"$GW_COMMAND_ID $GW_AGENT $PATH "
	    "${HOME-nohome} $#\"; echo err >&2"), "", 0, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_string_equal(got.out, "42 agent-1 /usr/bin:/bin nohome 0\n"
	    "err\n");
}

/* An exit status comes back as it is. */
static void
test_exit_status(void **state)
{
	(void)state;
	run(script("three", "exit 3"), "x", 1, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_int_equal(got.status, 3);
}

/* A handler killed by a signal (not ours): killed, with the signal. */
static void
test_killed_by_signal(void **state)
{
	(void)state;
	run(script("term", "kill -TERM $$"), "", 0, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_KILLED);
	assert_int_equal(got.status, SIGTERM);
}

/* At the timeout the handler (and its child, sleep) is killed. */
static void
test_timeout(void **state)
{
	(void)state;
	run(script("sleeper", "echo started; sleep 60; echo late"), "", 0,
	    4096, 0.3);
	assert_int_equal(got.outcome, GW_OUT_TIMEOUT);
	assert_int_equal(got.status, 0);
	assert_string_equal(got.out, "started\n");
}

/* Output over the bound: the first bytes kept, the rest read, flagged. */
static void
test_output_truncated(void **state)
{
	(void)state;
	run(script("chatty", "head -c 200000 /dev/zero | tr '\\0' a"), "", 0,
	    100, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_int_equal(got.status, 0);	/* it could write it all */
	assert_int_equal(got.len, 100);
	assert_int_equal(got.flags, GW_RESULT_TRUNCATED);
	assert_int_equal(got.out[99], 'a');
	run(script("exact", "printf 1234567890"), "", 0, 10, 10);
	assert_int_equal(got.len, 10);
	assert_int_equal(got.flags, 0);
}

/* A program that does not exist: spawn-failed with its errno. */
static void
test_spawn_failed(void **state)
{
	(void)state;
	run("/nonexistent/handler", "x", 1, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_SPAWN);
	assert_int_equal(got.status, ENOENT);
	assert_int_equal(got.len, 0);
}

/* A handler that never reads its 4 MiB body does not hang the agent. */
static void
test_unread_body(void **state)
{
	size_t len = 4 * 1024 * 1024;
	char *body;

	(void)state;
	assert_non_null(body = malloc(len));
	memset(body, 'b', len);
	run(script("deaf", "sleep 0.2; echo bye"), body, len, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_int_equal(got.status, 0);
	assert_string_equal(got.out, "bye\n");
	/* ... nor one that closes it at once. */
	run(script("closer", "exec 0<&-; echo shut"), body, len, 4096, 10);
	assert_int_equal(got.outcome, GW_OUT_EXITED);
	assert_string_equal(got.out, "shut\n");
	/* ... nor one that never reads and never exits: the timeout. */
	run(script("stuck", "sleep 60"), body, len, 4096, 0.3);
	assert_int_equal(got.outcome, GW_OUT_TIMEOUT);
	free(body);
}

/* Freeing a running handler kills it; done is not called. */
static void
test_free_running(void **state)
{
	struct command_params p = { .program = script("long", "sleep 60"),
	    .agent = "a", .output_max = 16, .timeout = 60 };
	struct command *c;

	(void)state;
	memset(&got, 0, sizeof(got));
	assert_non_null(c = command_start(ev_default_loop(0), &p, 1,
	    NULL, 0, on_done, &c));
	command_free(c);
	ev_run(ev_default_loop(0), EVRUN_NOWAIT);
	assert_int_equal(got.calls, 0);
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);	/* as gw-agent does */
	snprintf(dir, sizeof(dir), "/tmp/test_command.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cat_echoes_body),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_output_truncated),
		cmocka_unit_test(test_spawn_failed),
		cmocka_unit_test(test_unread_body),
		cmocka_unit_test(test_free_running),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
