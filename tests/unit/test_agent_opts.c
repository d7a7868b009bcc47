/*
 * test_agent_opts.c: gw-agent's command line (agent_opts.c): the defaults,
 * every option into its field, the bounds of each number (the last good
 * value and the first bad one on each side), the options that go together
 * or exclude each other, and a message that names what is wrong; -c and
 * --check-config (service mode) alone; --queue-bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent_opts.h"

#define MAX_ARGS	64

static struct agent_opts o;
static char err[256];

/* Parse gw-agent ${first} ... (NULL-terminated) into o and err. */
static int
parse(const char *first, ...)
{
	static char *argv[MAX_ARGS + 2];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = (char *)"gw-agent";
	va_start(ap, first);
	for (a = first; a != NULL; a = va_arg(ap, const char *)) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	return agent_opts_parse(&o, argc, argv, err, sizeof(err));
}

#define BASE	"--gateway", "192.0.2.1:7443", "--cert", "c.crt", \
		"--key", "c.key", "--ca", "ca.crt"

static void
test_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE, NULL), 0);
	assert_false(o.enroll_only);
	assert_string_equal(o.gateway, "192.0.2.1:7443");
	assert_int_equal(o.queue, 10000);
	assert_true(o.heartbeat == 5.0);
	assert_true(o.failback_hold == 10.0);
	assert_true(o.renew == 0.33);
	assert_true(o.timeout == 0 && o.rate == 0 && o.connect_timeout == 0);
	assert_true(o.wait == 0);
	assert_int_equal(o.log_level, LOG_LVL_INFO);
	assert_null(o.file);
	assert_null(o.state);
	assert_null(o.server_name);
	assert_null(o.enroll);
	assert_null(o.token);
	assert_null(o.token_file);
	assert_int_equal(o.rsa, 0);
	assert_int_equal(o.ec, 0);
	assert_null(o.on_command);
	assert_int_equal(o.command_output, 4096);
	assert_true(o.command_timeout == 60);
}

static void
test_every_option(void **state)
{
	(void)state;
	assert_int_equal(parse("--gateway", "192.0.2.1:1,192.0.2.2:2",
	    "--cert", "a.crt", "--key", "a.key", "--ca", "ca.crt",
	    "--server-name", "gw.example", "--file", "in.log",
	    "--queue", "77", "--timeout", "9.5", "--heartbeat", "0.25",
	    "--failback-hold", "3", "--connect-timeout", "2",
	    "--log-level", "debug", "--state", "st", "--rate", "12.5",
	    "--enroll", "192.0.2.3:3", "--ca-fingerprint", "ab:cd",
	    "--name", "agent-1", "--token", "t0k", "--wait", "30",
	    "--rsa", "3072", "--renew", "0.5", "--on-command", "/bin/h",
	    "--command-output", "100", "--command-timeout", "2.5", NULL), 0);
	assert_string_equal(o.gateway, "192.0.2.1:1,192.0.2.2:2");
	assert_string_equal(o.cert, "a.crt");
	assert_string_equal(o.key, "a.key");
	assert_string_equal(o.ca, "ca.crt");
	assert_string_equal(o.server_name, "gw.example");
	assert_string_equal(o.file, "in.log");
	assert_int_equal(o.queue, 77);
	assert_true(o.timeout == 9.5);
	assert_true(o.heartbeat == 0.25);
	assert_true(o.failback_hold == 3);
	assert_true(o.connect_timeout == 2);
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	assert_string_equal(o.state, "st");
	assert_true(o.rate == 12.5);
	assert_string_equal(o.enroll, "192.0.2.3:3");
	assert_string_equal(o.ca_fingerprint, "ab:cd");
	assert_string_equal(o.name, "agent-1");
	assert_string_equal(o.token, "t0k");
	assert_true(o.wait == 30);
	assert_int_equal(o.rsa, 3072);
	assert_true(o.renew == 0.5);
	assert_string_equal(o.on_command, "/bin/h");
	assert_int_equal(o.command_output, 100);
	assert_true(o.command_timeout == 2.5);
	/* --ec (not with --rsa), --failback-hold off, --token-file. */
	assert_int_equal(parse(BASE, "--ec", "p384", "--failback-hold", "off",
	    "--token-file", "tok", NULL), 0);
	assert_int_equal(o.ec, 384);
	assert_true(o.failback_hold == -1);
	assert_string_equal(o.token_file, "tok");
}

/* The last of --token and --token-file counts, as they come. */
static void
test_token_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE, "--token", "a", "--token-file", "f",
	    NULL), 0);
	assert_null(o.token);
	assert_string_equal(o.token_file, "f");
	assert_int_equal(parse(BASE, "--token-file", "f", "--token", "a",
	    NULL), 0);
	assert_string_equal(o.token, "a");
	assert_null(o.token_file);
}

/* Values at the bounds, accepted. */
static void
test_bounds_accepted(void **state)
{
	static const char *const good[][2] = {
		{ "--queue", "1" }, { "--queue", "100000000" },
		{ "--timeout", "0" }, { "--heartbeat", "0.05" },
		{ "--failback-hold", "0" }, { "--connect-timeout", "0.1" },
		{ "--connect-timeout", "3600" }, { "--rate", "0.001" },
		{ "--wait", "0" }, { "--rsa", "2048" }, { "--rsa", "4096" },
		{ "--renew", "0" }, { "--renew", "0.999" },
		{ "--ec", "p256" }, { "--log-level", "error" },
		{ "--command-output", "0" }, { "--command-output", "65522" },
		{ "--command-timeout", "0.001" },
		{ "--command-timeout", "31536000" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (parse(BASE, good[i][0], good[i][1], NULL) != 0)
			fail_msg("%s %s: %s", good[i][0], good[i][1], err);
	}
}

/* Bad values, each refused with a message that names it. */
static void
test_bad_values_named(void **state)
{
	static const char *const bad[][2] = {
		{ "--queue", "0" }, { "--queue", "100000001" },
		{ "--queue", "-1" }, { "--queue", "5x" }, { "--queue", "1.5" },
		{ "--timeout", "-0.1" }, { "--timeout", "nan" },
		{ "--timeout", "1e999" },
		{ "--heartbeat", "0.049" }, { "--heartbeat", "x" },
		{ "--failback-hold", "-1" }, { "--failback-hold", "of" },
		{ "--connect-timeout", "0.09" },
		{ "--connect-timeout", "3600.5" },
		{ "--rate", "0" }, { "--rate", "-3" },
		{ "--wait", "-1" }, { "--wait", "1s" },
		{ "--rsa", "2047" }, { "--rsa", "4097" }, { "--rsa", "big" },
		{ "--ec", "p521" }, { "--ec", "" },
		{ "--renew", "1" }, { "--renew", "-0.1" },
		{ "--log-level", "loud" },
		{ "--command-output", "65523" }, { "--command-output", "-1" },
		{ "--command-timeout", "0" },
		{ "--command-timeout", "31536001" },
	};
	char want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(BASE, bad[i][0], bad[i][1], NULL) != -1)
			fail_msg("%s %s: accepted", bad[i][0], bad[i][1]);
		snprintf(want, sizeof(want), "%s: bad value \"%s\"",
		    bad[i][0], bad[i][1]);
		assert_string_equal(err, want);
	}
}

/* What the options must be together. */
static void
test_together(void **state)
{
	(void)state;
	assert_int_equal(parse("--cert", "c", "--key", "k", "--ca", "a",
	    NULL), -1);
	assert_string_equal(err, "--gateway is required");
	assert_int_equal(parse("--gateway", "g", "--key", "k", "--ca", "a",
	    NULL), -1);
	assert_string_equal(err, "--cert, --key and --ca are required");
	assert_int_equal(parse(BASE, "--enroll", "e", "--name", "n", NULL),
	    -1);
	assert_string_equal(err,
	    "--enroll, --ca-fingerprint and --name go together");
	assert_int_equal(parse(BASE, "--ca-fingerprint", "p", NULL), -1);
	assert_int_equal(parse(BASE, "--rsa", "2048", "--ec", "p256", NULL),
	    -1);
	assert_string_equal(err, "--rsa and --ec exclude each other");
	assert_int_equal(parse(BASE, "--on-command", "handler", NULL), -1);
	assert_string_equal(err, "--on-command needs an absolute path (no "
	    "shell, no PATH search)");
	assert_int_equal(parse(BASE, "stray", NULL), -1);
	assert_string_equal(err, "unexpected argument stray");
	assert_int_equal(parse(BASE, "--help", NULL), -1);
	assert_string_equal(err, "");
	assert_int_equal(parse(BASE, "--no-such", NULL), -1);
	assert_string_equal(err, "bad option --no-such");
}

/* gw-agent enroll: no --gateway, and --enroll is needed. */
static void
test_enroll_only(void **state)
{
	(void)state;
	assert_int_equal(parse("enroll", "--enroll", "e",
	    "--ca-fingerprint", "p", "--name", "n", "--cert", "c", "--key",
	    "k", "--ca", "a", NULL), 0);
	assert_true(o.enroll_only);
	assert_int_equal(parse("enroll", "--cert", "c", "--key", "k", "--ca",
	    "a", NULL), -1);
	assert_string_equal(err, "enroll needs --enroll");
	assert_int_equal(parse("enroll", BASE, NULL), -1);
	assert_string_equal(err, "enroll takes no --gateway");
}

/* -c FILE, --config FILE, --check-config FILE: nothing else with them. */
static void
test_config(void **state)
{
	(void)state;
	assert_int_equal(parse("-c", "/etc/gw-agent/agent.ini", NULL), 0);
	assert_string_equal(o.config, "/etc/gw-agent/agent.ini");
	assert_null(o.check_config);
	assert_int_equal(parse("--config", "a.ini", NULL), 0);
	assert_string_equal(o.config, "a.ini");
	assert_int_equal(parse("--check-config", "b.ini", NULL), 0);
	assert_string_equal(o.check_config, "b.ini");
	assert_null(o.config);
	assert_int_equal(parse("-c", "a.ini", "--check-config", "b.ini",
	    NULL), -1);
	assert_string_equal(err, "-c and --check-config exclude each other");
	assert_int_equal(parse("-c", "a.ini", "--queue", "5", NULL), -1);
	assert_string_equal(err, "-c and --check-config take no other option "
	    "(the file has them)");
	assert_int_equal(parse(BASE, "--check-config", "b.ini", NULL), -1);
	assert_int_equal(parse("enroll", "-c", "a.ini", NULL), -1);
	assert_string_equal(err, "enroll takes no -c or --check-config");
	assert_int_equal(parse("-c", NULL), -1);
}

/* --queue-bytes: 0 (no cap) to 1G. */
static void
test_queue_bytes(void **state)
{
	(void)state;
	assert_int_equal(parse(BASE, NULL), 0);
	assert_int_equal(o.queue_bytes, 0);
	assert_int_equal(parse(BASE, "--queue-bytes", "1048576", NULL), 0);
	assert_int_equal(o.queue_bytes, 1048576);
	assert_int_equal(parse(BASE, "--queue-bytes", "1073741824", NULL), 0);
	assert_int_equal(parse(BASE, "--queue-bytes", "1073741825", NULL), -1);
	assert_string_equal(err, "--queue-bytes: bad value \"1073741825\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_token_last_wins),
		cmocka_unit_test(test_bounds_accepted),
		cmocka_unit_test(test_bad_values_named),
		cmocka_unit_test(test_together),
		cmocka_unit_test(test_enroll_only),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_queue_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
