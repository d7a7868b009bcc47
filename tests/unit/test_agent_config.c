/*
 * test_agent_config.c: gw-agent's configuration file (agent_config.h): a
 * good file's [agent] keys, defaults and paths made absolute against the
 * file's directory; each bad value, an unknown key and an unknown section
 * named "file:line: [section] key: why"; sections dispatched to fake input
 * kinds with their NAME and the directory; the kinds' conf_check errors
 * named by the line of their key (or their section's first line), a bad
 * value not reported again as missing, whatever a NAME or a reason holds
 * ("]", ":") and however many there are; a reload keeping the keys that
 * need a restart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent_config.h"
#include "agent_opts.h"
#include "checks.h"
#include "conf_util.h"

/* A fake kind: records what it was given. */
struct fake_conf {
	char	dir[256];
	char	seen[16][96];	/* "NAME.key=value" */
	int	n;
	int	freed_check;	/* conf_check: report an error (1), or
				   two with odd text (2) */
};

static int fake_frees;

static void *
fake_new(const char *dir)
{
	struct fake_conf *c = calloc(1, sizeof(*c));

	if (c != NULL)
		snprintf(c->dir, sizeof(c->dir), "%s", dir);
	return c;
}

static int
fake_set(void *conf, const char *name, const char *key, const char *value,
    char *why, size_t whylen)
{
	struct fake_conf *c = conf;

	if (strcmp(key, "bad") == 0) {
		snprintf(why, whylen, "always bad");
		return CONF_SET_BAD;
	}
	if (strcmp(key, "path") != 0 && strcmp(key, "x") != 0)
		return CONF_SET_UNKNOWN;
	if (strcmp(key, "x") == 0 && strcmp(value, "check") == 0)
		c->freed_check = 1;
	if (strcmp(key, "x") == 0 && strcmp(value, "odd") == 0)
		c->freed_check = 2;
	if (c->n < 16)
		snprintf(c->seen[c->n++], sizeof(c->seen[0]), "%s.%s=%s",
		    name != NULL ? name : "-", key, value);
	return CONF_SET_OK;
}

static int
fake_check(void *conf, const struct conf_report *rep)
{
	struct fake_conf *c = conf;
	int n = 0;

	if (c->freed_check == 1)
		n += conf_reportf(rep, "file", "web", "path", "required");
	if (c->freed_check == 2) {
		n += conf_reportf(rep, "file", "a: b", "path", "not [%s]: %s",
		    "found", "here");
		n += conf_reportf(rep, "file", "a", "nokey", "x]: y");
	}
	return n;
}

static void
fake_free(void *conf)
{
	fake_frees++;
	free(conf);
}

static int
fake_any(const void *conf)
{
	return ((const struct fake_conf *)conf)->n > 0;
}

static const struct input_ops fake_file = { .section = "file", .named = 1,
    .conf_new = fake_new, .conf_set = fake_set, .conf_check = fake_check,
    .conf_free = fake_free, .conf_any = fake_any };
static const struct input_ops fake_syslog = { .section = "syslog",
    .named = 0, .conf_new = fake_new, .conf_set = fake_set,
    .conf_check = fake_check, .conf_free = fake_free, .conf_any = fake_any };
static const struct input_ops *const kinds[] = { &fake_file, &fake_syslog };

#define BASE	"[agent]\ngateway = 127.0.0.1:7000|127.0.0.1:7001,[::1]:7002\n" \
		"cert = agent.crt\nkey = /k/agent.key\nca = ca.crt\n"

static int
load(struct agent_config *c, const char *text, char *err, size_t errlen)
{
	return agent_config_load(c, "/etc/gw-agent/agent.ini", text, kinds, 2,
	    err, errlen);
}

/* ${err} holds the line ${want}. */
static void
has_line(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("want \"%s\" in:\n%s", want, err);
}

static void
test_good(void **state)
{
	struct agent_config c;
	struct agent_opts o;
	char err[2048];

	(void)state;
	assert_int_equal(load(&c, BASE "queue = 500\nqueue_bytes = 1M\n"
	    "heartbeat = 250ms\nfailback_hold = off\nrenew = 0.5\n"
	    "on_command = bin/handler\nlog_level = debug\nlog = syslog\n"
	    "drain_timeout = 1m\nstate = st/journal\n", err, sizeof(err)), 0);
	assert_string_equal(c.dir, "/etc/gw-agent");
	assert_string_equal(c.cert, "/etc/gw-agent/agent.crt");
	assert_string_equal(c.key, "/k/agent.key");
	assert_string_equal(c.state, "/etc/gw-agent/st/journal");
	assert_string_equal(c.on_command, "/etc/gw-agent/bin/handler");
	assert_int_equal(c.queue, 500);
	assert_int_equal(c.queue_bytes, 1048576);
	assert_true(c.heartbeat == 0.25);
	assert_true(c.failback_hold == -1);
	assert_true(c.renew == 0.5);
	assert_true(c.drain_timeout == 60);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.log_syslog, 1);
	agent_opts_config(&o, &c);
	assert_string_equal(o.gateway, "127.0.0.1:7000|127.0.0.1:7001,"
	    "[::1]:7002");
	assert_int_equal(o.queue_bytes, 1048576);
	assert_ptr_equal(o.cert, c.cert);
	agent_config_free(&c);
}

static void
test_defaults(void **state)
{
	struct agent_config c;
	char err[2048];

	(void)state;
	assert_int_equal(load(&c, BASE, err, sizeof(err)), 0);
	assert_string_equal(c.state, AGENT_STATE_DEFAULT);
	assert_int_equal(c.queue, 10000);
	assert_int_equal(c.queue_bytes, 16u << 20);
	assert_true(c.failback_hold == 10);
	assert_true(c.drain_timeout == 10);
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	assert_int_equal(c.log_syslog, 0);
	assert_null(c.on_command);
	agent_config_free(&c);
}

/* Each bad value: file, line, section and key, and why. */
static void
test_errors(void **state)
{
	struct agent_config c;
	char err[4096];

	(void)state;
	assert_int_equal(load(&c, BASE "queue = 0\n"
	    "queue_bytes = 5G\n"
	    "gateway2 = x\n"
	    "renew = 1\n"
	    "failback_hold = soon\n"
	    "log_level = loud\n"
	    "heartbeat = 1ms\n", err, sizeof(err)), 7);
	has_line(err, "/etc/gw-agent/agent.ini:6: [agent] queue: ");
	has_line(err, "/etc/gw-agent/agent.ini:7: [agent] queue_bytes: ");
	has_line(err, "/etc/gw-agent/agent.ini:8: [agent] gateway2: unknown "
	    "key");
	has_line(err, "/etc/gw-agent/agent.ini:9: [agent] renew: '1' is not");
	has_line(err, "/etc/gw-agent/agent.ini:10: [agent] failback_hold: ");
	has_line(err, "/etc/gw-agent/agent.ini:11: [agent] log_level: 'loud'");
	has_line(err, "/etc/gw-agent/agent.ini:12: [agent] heartbeat: ");
	agent_config_free(&c);
	assert_int_equal(load(&c, "[agent]\ngateway = 127.0.0.1\n", err,
	    sizeof(err)), 4);
	has_line(err, "/etc/gw-agent/agent.ini:2: [agent] gateway: ");
	has_line(err, "/etc/gw-agent/agent.ini: [agent] cert: required");
	has_line(err, "/etc/gw-agent/agent.ini: [agent] ca: required");
	agent_config_free(&c);
	assert_int_equal(load(&c, "[agent]\ncert = a\nkey = b\nca = c\n",
	    err, sizeof(err)), 1);
	has_line(err, "/etc/gw-agent/agent.ini: [agent] gateway: required");
	agent_config_free(&c);
}

static void
test_unknown_section(void **state)
{
	struct agent_config c;
	char err[2048];

	(void)state;
	assert_int_equal(load(&c, BASE "[tail web]\npath = x\n", err,
	    sizeof(err)), 1);
	assert_string_equal(err, "/etc/gw-agent/agent.ini:7: [tail web] path: "
	    "unknown section\n");
	agent_config_free(&c);
	assert_int_equal(load(&c, BASE "[file]\npath = x\n[syslog s]\nx = 1\n",
	    err, sizeof(err)), 2);
	has_line(err, "agent.ini:7: [file] path: a name is needed: [file "
	    "NAME]");
	has_line(err, "agent.ini:9: [syslog s] x: [syslog] takes no name");
	agent_config_free(&c);
}

/* Sections to their kind, with NAME and the directory; kinds' errors. */
static void
test_kinds(void **state)
{
	struct agent_config c;
	struct fake_conf *f, *s;
	char err[2048];

	(void)state;
	fake_frees = 0;
	assert_int_equal(load(&c, BASE "[file web]\npath = /var/log/a\n"
	    "[file  auth]\npath = auth.log\n[syslog]\nx = 1\n", err,
	    sizeof(err)), 0);
	f = c.kconf[0];
	s = c.kconf[1];
	assert_string_equal(f->dir, "/etc/gw-agent");
	assert_int_equal(f->n, 2);
	assert_string_equal(f->seen[0], "web.path=/var/log/a");
	assert_string_equal(f->seen[1], "auth.path=auth.log");
	assert_int_equal(s->n, 1);
	assert_string_equal(s->seen[0], "-.x=1");
	agent_config_free(&c);
	assert_int_equal(fake_frees, 2);
	assert_int_equal(load(&c, BASE "[file web]\nbad = 1\nnope = 2\n"
	    "[syslog]\nx = check\n", err, sizeof(err)), 3);
	has_line(err, "agent.ini:7: [file web] bad: always bad");
	has_line(err, "agent.ini:8: [file web] nope: unknown key");
	has_line(err, "/etc/gw-agent/agent.ini:7: [file web] path: required");
	agent_config_free(&c);
}

/*
 * The real [check NAME] kind's errors after the whole file: a cross-key
 * error names its key's line, a missing key its section's first line, a
 * command that did not parse is not reported again as missing.
 */
static void
test_check_lines(void **state)
{
	static const struct input_ops *const ck[] = { &check_input_ops };
	struct agent_config c;
	char err[4096];

	(void)state;
	assert_int_equal(agent_config_load(&c, "a.ini", BASE
	    "[check c1]\ncommand = /bin/true\nevery = 10s\n"
	    "[check c2]\n"
	    "every = 10s\n"
	    "timeout = 20s\n"
	    "command = 'unterminated\n"
	    "[check  c3]\n"
	    "# no command\n"
	    "every = 1m\n", ck, 1, err, sizeof(err)), 3);
	has_line(err, "a.ini:11: [check c2] timeout: 20s must be less than "
	    "every (10s)\n");
	has_line(err, "a.ini:12: [check c2] command: a single "
	    "quote is not closed");
	has_line(err, "a.ini:15: [check c3] command: missing");
	if (strstr(err, "[check c2] command: missing") != NULL)
		fail_msg("a bad command reported again as missing:\n%s", err);
	agent_config_free(&c);
}

/*
 * A NAME with ":" and reasons with "]" and ":" (which reading the error's
 * text back for its section and key would trip on): each error names the
 * line of its key, or of its section's first key.
 */
static void
test_odd_text(void **state)
{
	static const struct input_ops *const ck[] = { &check_input_ops };
	struct agent_config c;
	char err[4096];

	(void)state;
	assert_int_equal(load(&c, BASE "[file x:y]\nx = 1\npath = /p\n"
	    "[file a: b]\nx = odd\npath = q\n"
	    "[file a]\npath = r\n", err, sizeof(err)), 2);
	assert_string_equal(err, "/etc/gw-agent/agent.ini:11: [file a: b] "
	    "path: not [found]: here\n"
	    "/etc/gw-agent/agent.ini:13: [file a] nokey: x]: y\n");
	agent_config_free(&c);
	assert_int_equal(agent_config_load(&c, "a.ini", BASE
	    "[check disk: /var]\ncommand = /bin/true\nevery = 10s\n"
	    "timeout = 20s\n"
	    "[check web]: x]\nevery = 1m\n", ck, 1, err, sizeof(err)), 2);
	assert_string_equal(err, "a.ini:9: [check disk: /var] timeout: 20s "
	    "must be less than every (10s)\n"
	    "a.ini:11: [check web] command: missing (the plugin to run and "
	    "its arguments)\n");
	agent_config_free(&c);
}

/*
 * More errors than a few kilobytes of text: each is written, at its line
 * (the caller's buffer is the only bound).
 */
static void
test_many_errors(void **state)
{
	static const struct input_ops *const ck[] = { &check_input_ops };
	struct agent_config c;
	char text[4096], err[8192], want[128];
	size_t used;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text), "%s", BASE);
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "[check c%02d]\nevery = 10s\n", i);
	assert_true(used < sizeof(text));
	assert_int_equal(agent_config_load(&c, "a.ini", text, ck, 1, err,
	    sizeof(err)), 40);
	for (int i = 0; i < 40; i++) {
		snprintf(want, sizeof(want), "a.ini:%d: [check c%02d] command: "
		    "missing (the plugin to run and its arguments)\n",
		    7 + 2 * i, i);
		has_line(err, want);
	}
	agent_config_free(&c);
}

/*
 * The loader's own bounds are real bounds: a key set twice is refused
 * however many keys come before it (the first 64 only were remembered),
 * and a section name inih would cut (at 49 bytes) is refused, not merged
 * with another that starts alike.
 */
static void
test_loader_bounds(void **state)
{
	static const struct input_ops *const ck[] = { &check_input_ops };
	struct agent_config c;
	char text[8192], err[8192], want[160], name[64];
	size_t used;

	(void)state;
	used = (size_t)snprintf(text, sizeof(text), "%s", BASE);
	for (int i = 0; i < 40; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "[check c%02d]\ncommand = /bin/true\nevery = 10s\n", i);
	used += (size_t)snprintf(text + used, sizeof(text) - used,
	    "[check c39]\nevery = 20s\n");
	memset(name, 'n', 50);
	name[50] = '\0';
	/* inih skips any blank before a bracket (\f, \v, \r too) */
	used += (size_t)snprintf(text + used, sizeof(text) - used,
	    "[check %s1]\ncommand = /bin/true\n\v\f[check %s2]\n"
	    "command = /bin/false\n", name, name);
	assert_true(used < sizeof(text));
	assert_true(agent_config_load(&c, "a.ini", text, ck, 1, err,
	    sizeof(err)) >= 3);
	/* BASE is 5 lines: [check cI] at 6 + 3 I, its every at 8 + 3 I. */
	snprintf(want, sizeof(want), "a.ini:%d: [check c39] every: set twice "
	    "(first at line %d)\n", 6 + 3 * 40 + 1, 8 + 3 * 39);
	has_line(err, want);
	for (int l = 6 + 3 * 40 + 2; l <= 6 + 3 * 40 + 4; l += 2) {
		snprintf(want, sizeof(want), "a.ini:%d: [check nnnnnnnnnnnnnnn"
		    "nnnnnnnnnnn...]: a section name longer than 49 bytes\n",
		    l);
		has_line(err, want);
	}
	agent_config_free(&c);
	/* After a UTF-8 BOM on line 1 (inih skips it) as well. */
	snprintf(text, sizeof(text), "\xEF\xBB\xBF[check %s1]\ncommand = "
	    "/bin/true\n%s", name, BASE);
	assert_true(agent_config_load(&c, "a.ini", text, ck, 1, err,
	    sizeof(err)) >= 1);
	has_line(err, "a.ini:1: [check nnnnnnnnnnnnnnnnnnnnnnnnnn...]: a "
	    "section name longer than 49 bytes\n");
	agent_config_free(&c);
}

/* A relative file name: its directory made absolute from the cwd. */
static void
test_relative_file(void **state)
{
	struct agent_config c;
	char err[2048], cwd[1024], want[1100];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(agent_config_load(&c, "conf/agent.ini", BASE, kinds,
	    2, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/conf/agent.crt", cwd);
	assert_string_equal(c.cert, want);
	agent_config_free(&c);
}

/* A reload keeps the keys that need a restart, and names them. */
static void
test_keep(void **state)
{
	struct agent_config old, nc;
	char err[2048], changed[256];
	char *cert;

	(void)state;
	assert_int_equal(load(&old, BASE, err, sizeof(err)), 0);
	assert_int_equal(load(&nc, "[agent]\ngateway = 127.0.0.1:9\n"
	    "cert = other.crt\nkey = /k/agent.key\nca = ca.crt\n"
	    "log_level = warn\n", err, sizeof(err)), 0);
	cert = old.cert;
	assert_int_equal(agent_config_keep(&old, &nc, changed,
	    sizeof(changed)), 2);
	has_line(changed, "[agent] cert");
	has_line(changed, "[agent] gateway");
	assert_ptr_equal(nc.cert, cert);
	assert_string_equal(nc.gateway, "127.0.0.1:7000|127.0.0.1:7001,"
	    "[::1]:7002");
	assert_int_equal(nc.log_level, LOG_LVL_WARN);
	agent_config_free(&old);
	agent_config_free(&nc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_loader_bounds),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_check_lines),
		cmocka_unit_test(test_odd_text),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_relative_file),
		cmocka_unit_test(test_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
