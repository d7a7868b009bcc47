/*
 * test_config.c: gatewayd's and gw-mgmt's configurations and the conf_util
 * parsers: the shipped files load cleanly; every error names file, line
 * and key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "conf_util.h"
#include "config.h"
#include "mgmt_config.h"

static const char minimal[] =
    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
    "[upstream]\nserver = 127.0.0.1:7444\nca = ca.crt\n";

static void
test_embedded_default(void **state)
{
	struct gw_config c;
	char err[4096];

	(void)state;
	assert_int_equal(gw_config_load_string(gw_config_default_text,
	    "gateway.ini", ".", &c, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.listen, "127.0.0.1:7443");
	assert_string_equal(c.cert, "pki/gateway.crt");
	assert_int_equal(c.connections, 2);
	gw_config_free(&c);
}

static void
test_defaults_and_paths(void **state)
{
	struct gw_config c;
	char err[4096];

	(void)state;
	assert_int_equal(gw_config_load_string(minimal, "m.ini", "/etc/gw",
	    &c, err, sizeof(err)), 0);
	assert_string_equal(c.cert, "/etc/gw/g.crt");
	assert_string_equal(c.agent_names, "*");
	assert_int_equal(c.max_agents, 20000);
	assert_int_equal(c.max_payload, 16384);
	assert_int_equal(c.agent_output_buffer, 4096);
	assert_true(c.handshake_timeout == 10.0);
	assert_true(c.idle_timeout == 300.0);
	assert_int_equal(c.tls12, 1);
	assert_null(c.crl);
	assert_null(c.up_cert);
	gw_config_free(&c);
}

static void
test_errors_name_file_line_key(void **state)
{
	static const char text[] =
	    "[gateway]\n"
	    "cert = g.crt\n"
	    "key = g.key\n"
	    "agent_ca = ca.crt\n"
	    "max_payload = 12\n"		/* line 5 */
	    "bogus = 1\n"			/* line 6 */
	    "cert = again.crt\n"		/* line 7 */
	    "hello_timeout = soon\n"		/* line 8 */
	    "[upstream]\n"
	    "connections = 0\n"			/* line 10 */
	    "server = mgmt_1.example:7444\n"	/* line 11 */
	    "[nowhere]\n"
	    "x = 1\n"				/* line 13 */
	    "this line is not ini\n"		/* line 14 */
	    "[gateway]\n"
	    "log = journal\n"			/* line 16 */
	    "[enroll]\n"
	    "mode = local\n";			/* line 18: no ca_dir */
	struct gw_config c;
	char err[4096];
	int n;

	(void)state;
	n = gw_config_load_string(text, "t.ini", ".", &c, err, sizeof(err));
	assert_non_null(strstr(err, "t.ini:5: [gateway] max_payload: 12 is out of range"));
	assert_non_null(strstr(err, "t.ini:6: [gateway] bogus: unknown key"));
	assert_non_null(strstr(err, "t.ini:7: [gateway] cert: set twice (first at line 2)"));
	assert_non_null(strstr(err, "t.ini:8: [gateway] hello_timeout: 'soon' is not a duration"));
	assert_non_null(strstr(err, "t.ini:10: [upstream] connections: 0 is out of range 1..8"));
	assert_non_null(strstr(err, "t.ini:11: [upstream] server: 'mgmt_1.example:7444' is not HOST:PORT"));
	assert_non_null(strstr(err, "t.ini:13: [nowhere] x: unknown key"));
	assert_non_null(strstr(err, "t.ini:14: syntax error"));
	assert_non_null(strstr(err, "t.ini: [upstream] server: required"));
	assert_non_null(strstr(err, "t.ini: [upstream] ca: required"));
	assert_non_null(strstr(err, "t.ini:16: [gateway] log: 'journal' is not stderr or syslog"));
	assert_non_null(strstr(err, "t.ini: [enroll] ca_dir: required with mode = local"));
	assert_int_equal(n, 12);
	gw_config_free(&c);
}

/* [upstream] server takes DNS names beside numeric addresses (issue 21). */
static void
test_server_names(void **state)
{
	static const char text[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\n"
	    "server = mgmt1.example:7444, 127.0.0.1:7445, [::1]:7446\n";
	struct gw_config c;
	char err[1024] = "";

	(void)state;
	assert_int_equal(gw_config_load_string(text, "t.ini", ".", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.nservers, 3);
	assert_string_equal(c.servers[0], "mgmt1.example:7444");
	gw_config_free(&c);
}

/*
 * [upstream] mode = accept (issue 21): server lists the certificate names
 * of the servers that dial in, in rank order; listen is where.
 */
static void
test_accept_mode(void **state)
{
	static const char text[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\nmode = accept\n"
	    "listen = 0.0.0.0:7445\nserver = mgmt1.example, mgmt2\n";
	struct gw_config c;
	char err[1024] = "";

	(void)state;
	assert_int_equal(gw_config_load_string(text, "t.ini", ".", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(c.up_accept, 1);
	assert_string_equal(c.up_listen, "0.0.0.0:7445");
	assert_int_equal(c.nservers, 2);
	assert_string_equal(c.servers[1], "mgmt2");
	gw_config_free(&c);
	/* The default is dial, as before. */
	assert_int_equal(gw_config_load_string(minimal, "m.ini", ".", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.up_accept, 0);
	assert_null(c.up_listen);
	gw_config_free(&c);
}

/* Errors of accept mode's keys name the file, the key, and the line. */
static void
test_accept_mode_errors(void **state)
{
	static const char no_listen[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\nserver = mgmt1\nmode = accept\n"
	    "server_name = mgmt\n";
	static const char bad[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\n"
	    "mode = passive\n"				/* line 7 */
	    "listen = mgmt1:7445\n"			/* line 8 */
	    "server = mgmt1, mgmt_2\n";		/* line 9 */
	static const char mixed[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\nmode = accept\n"
	    "listen = 127.0.0.1:7445\nserver = 127.0.0.1:7444\n";
	static const char names_to_dial[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\nlisten = 127.0.0.1:7445\n"
	    "server = mgmt1, mgmt2\n";
	static const char both[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\n"
	    "server = mgmt1, mgmt1.example:7444\n";	/* line 7 */
	static const char twice[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\nmode = accept\n"
	    "listen = 127.0.0.1:7445\nserver = mgmt1, MGMT1\n";
	struct gw_config c;
	char err[2048];

	(void)state;
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(no_listen, "a.ini", ".", &c,
	    err, sizeof(err)), 2);
	assert_non_null(strstr(err, "a.ini: [upstream] listen: required with "
	    "mode = accept"));
	assert_non_null(strstr(err, "a.ini: [upstream] server_name: only with "
	    "mode = dial"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(bad, "b.ini", ".", &c, err,
	    sizeof(err)), 4);
	assert_non_null(strstr(err, "b.ini: [upstream] server: required"));
	assert_non_null(strstr(err, "b.ini:7: [upstream] mode: "));
	assert_non_null(strstr(err, "b.ini:8: [upstream] listen: "));
	assert_non_null(strstr(err, "b.ini:9: [upstream] server: 'mgmt_2' is "
	    "neither HOST:PORT (mode = dial) nor a certificate name"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(mixed, "c.ini", ".", &c, err,
	    sizeof(err)), 1);
	assert_non_null(strstr(err, "c.ini: [upstream] server: with mode = "
	    "accept, the certificate names"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(names_to_dial, "d.ini", ".", &c,
	    err, sizeof(err)), 2);
	assert_non_null(strstr(err, "d.ini: [upstream] server: 'mgmt1' is not "
	    "HOST:PORT (a bare name is a certificate name: mode = accept)"));
	assert_non_null(strstr(err, "d.ini: [upstream] listen: only with "
	    "mode = accept"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(both, "f.ini", ".", &c, err,
	    sizeof(err)), 2);
	assert_non_null(strstr(err, "f.ini:7: [upstream] server: mixes "
	    "addresses (HOST:PORT, mode = dial) and certificate names"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(twice, "e.ini", ".", &c, err,
	    sizeof(err)), 2);
	assert_non_null(strstr(err, "e.ini:9: [upstream] server: MGMT1 listed "
	    "twice"));
	gw_config_free(&c);
}

/* gw-mgmt [gateways]: the gateways it dials, and its errors. */
static void
test_mgmt_gateways(void **state)
{
	static const char good[] =
	    "[mgmt]\ncert = m.crt\nkey = m.key\ngateway_ca = ca.crt\n"
	    "[gateways]\ndial = gw1.example:7445, 127.0.0.1:7446\n"
	    "links = 3\nserver_name = gateway\nbackoff_max = 2s\n";
	static const char bad[] =
	    "[mgmt]\ncert = m.crt\nkey = m.key\ngateway_ca = ca.crt\n"
	    "[gateways]\n"
	    "dial = gw1.example\n"			/* line 6 */
	    "links = 0\n"				/* line 7 */
	    "backoff_min = 10s\nbackoff_max = 1s\n"
	    "listen = 127.0.0.1:1\n";			/* line 10 */
	struct mgmt_config c;
	char err[2048] = "";

	(void)state;
	assert_int_equal(mgmt_config_load_string(good, "m.ini", ".", &c, err,
	    sizeof(err)), 0);
	assert_string_equal(c.dial, "gw1.example:7445, 127.0.0.1:7446");
	assert_int_equal(c.dial_links, 3);
	assert_string_equal(c.dial_server_name, "gateway");
	assert_true(c.dial_backoff_min == 0.1 && c.dial_backoff_max == 2);
	mgmt_config_free(&c);
	assert_int_equal(mgmt_config_load_string(bad, "m.ini", ".", &c, err,
	    sizeof(err)), 4);
	assert_non_null(strstr(err, "m.ini:6: [gateways] dial: 'gw1.example' "
	    "is not HOST:PORT"));
	assert_non_null(strstr(err, "m.ini:7: [gateways] links: 0 is out of "
	    "range 1..8"));
	assert_non_null(strstr(err, "m.ini: [gateways] backoff_min: above "
	    "backoff_max"));
	assert_non_null(strstr(err, "m.ini:10: [gateways] listen: unknown "
	    "key"));
	mgmt_config_free(&c);
}

/* Each frame of credit reserves max_payload of buffer_budget. */
static void
test_budget_below_max_payload(void **state)
{
	static const char text[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "max_payload = 1M\nbuffer_budget = 512k\n"
	    "[upstream]\nserver = 127.0.0.1:7444\nca = ca.crt\n";
	struct gw_config c;
	char err[1024];

	(void)state;
	assert_int_equal(gw_config_load_string(text, "t.ini", ".", &c, err,
	    sizeof(err)), 1);
	assert_non_null(strstr(err, "t.ini: [gateway] buffer_budget: below "
	    "max_payload"));
	gw_config_free(&c);
}

static void
test_missing_file(void **state)
{
	struct gw_config c;
	char err[1024];

	(void)state;
	assert_true(gw_config_load_file("/nonexistent/gw.ini", &c, err,
	    sizeof(err)) > 0);
	assert_non_null(strstr(err, "/nonexistent/gw.ini: No such file"));
	gw_config_free(&c);
}

static void
test_typed_parsers(void **state)
{
	char why[128];
	uint8_t hex[4];
	double d;
	uint64_t u;
	int b;

	(void)state;
	assert_int_equal(conf_duration("250ms", 0, 10, &d, why, sizeof(why)), 0);
	assert_true(d == 0.25);
	assert_int_equal(conf_duration("1.5s", 0, 10, &d, why, sizeof(why)), 0);
	assert_true(d == 1.5);
	assert_int_equal(conf_duration("5m", 0, 1000, &d, why, sizeof(why)), 0);
	assert_true(d == 300);
	assert_int_equal(conf_duration("1h", 0, 3600, &d, why, sizeof(why)), 0);
	assert_int_equal(conf_duration("2h", 0, 3600, &d, why, sizeof(why)), -1);
	assert_int_equal(conf_duration("-1", 0, 10, &d, why, sizeof(why)), -1);
	assert_int_equal(conf_duration("", 0, 10, &d, why, sizeof(why)), -1);
	assert_int_equal(conf_duration("10x", 0, 100, &d, why, sizeof(why)), -1);
	assert_int_equal(conf_size("64k", 0, UINT64_MAX, &u, why, sizeof(why)), 0);
	assert_int_equal(u, 65536);
	assert_int_equal(conf_size("16M", 0, UINT64_MAX, &u, why, sizeof(why)), 0);
	assert_int_equal(u, 16u << 20);
	assert_int_equal(conf_size("99999999999999999999", 0, UINT64_MAX, &u,
	    why, sizeof(why)), -1);
	assert_int_equal(conf_size("k", 0, UINT64_MAX, &u, why, sizeof(why)), -1);
	assert_int_equal(conf_uint("65535", 1, 65535, &u, why, sizeof(why)), 0);
	assert_int_equal(conf_uint("65536", 1, 65535, &u, why, sizeof(why)), -1);
	assert_int_equal(conf_uint("1x", 0, 9, &u, why, sizeof(why)), -1);
	assert_int_equal(conf_bool("on", &b, why, sizeof(why)), 0);
	assert_int_equal(b, 1);
	assert_int_equal(conf_bool("false", &b, why, sizeof(why)), 0);
	assert_int_equal(b, 0);
	assert_int_equal(conf_bool("maybe", &b, why, sizeof(why)), -1);
	assert_int_equal(conf_addr("[::1]:7443", why, sizeof(why)), 0);
	assert_int_equal(conf_addr("127.0.0.1:0", why, sizeof(why)), -1);
	assert_int_equal(conf_addr("127.0.0.1", why, sizeof(why)), -1);
	/* Hex, colons ignored: serials and fingerprints. */
	assert_int_equal(conf_hex("0F:65:bf", hex, sizeof(hex)), 3);
	assert_memory_equal(hex, "\x0f\x65\xbf", 3);
	assert_int_equal(conf_hex("0f65bf01", hex, 3), -1);	/* too long */
	assert_int_equal(conf_hex("0f6", hex, sizeof(hex)), -1);	/* odd */
	assert_int_equal(conf_hex("0g", hex, sizeof(hex)), -1);
	assert_int_equal(conf_hex("", hex, sizeof(hex)), 0);
}

static void
test_server_list(void **state)
{
	static const char good[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\n"
	    "server = 10.0.0.1:7444, [::1]:7444,10.0.0.2:7444\n";
	static const char bad[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "[upstream]\nca = ca.crt\n"
	    "server = 10.0.0.1:7444, 10.0.0.1:7444\n"
	    "backoff_min = 10s\nbackoff_max = 1s\n";
	struct gw_config c;
	char err[4096];

	(void)state;
	assert_int_equal(gw_config_load_string(good, "g.ini", ".", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c.nservers, 3);
	assert_string_equal(c.servers[0], "10.0.0.1:7444");
	assert_string_equal(c.servers[1], "[::1]:7444");
	assert_string_equal(c.servers[2], "10.0.0.2:7444");
	assert_true(c.up_heartbeat * c.up_heartbeat_misses < 3.0);
	assert_int_equal(c.failback, 1);
	gw_config_free(&c);
	assert_int_equal(gw_config_load_string(bad, "g.ini", ".", &c, err,
	    sizeof(err)), 3);
	assert_non_null(strstr(err, "g.ini:7: [upstream] server: "
	    "10.0.0.1:7444 listed twice"));
	assert_non_null(strstr(err, "[upstream] backoff_min: above"));
	assert_non_null(strstr(err, "[upstream] server: required"));
	gw_config_free(&c);
}

/* A reload keeps what needs a restart, takes the rest, names what it kept. */
static void
test_reload_keeps_restart_keys(void **state)
{
	static const char next[] =
	    "[gateway]\ncert = new.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "listen = 127.0.0.1:9999\nmax_agents = 7\nagent_window = 8\n"
	    "[upstream]\nserver = 127.0.0.1:7445, 127.0.0.1:7446\n"
	    "ca = ca.crt\nconnections = 4\n";
	struct gw_config old, c;
	char err[4096], changed[256];

	(void)state;
	assert_int_equal(gw_config_load_string(minimal, "m.ini", "/etc/gw",
	    &old, err, sizeof(err)), 0);
	assert_int_equal(gw_config_load_string(next, "m.ini", "/etc/gw", &c,
	    err, sizeof(err)), 0);
	assert_int_equal(gw_config_keep(&old, &c, changed, sizeof(changed)), 3);
	assert_string_equal(changed, "[gateway] listen, [gateway] "
	    "agent_window, [upstream] connections");
	/* Kept: the running values. */
	assert_string_equal(c.listen, "127.0.0.1:7443");
	assert_int_equal(c.agent_window, 32);
	assert_int_equal(c.connections, 2);
	/* Taken: the new ones. */
	assert_string_equal(c.cert, "/etc/gw/new.crt");
	assert_int_equal(c.max_agents, 7);
	assert_int_equal(c.nservers, 2);
	assert_string_equal(c.servers[1], "127.0.0.1:7446");
	/* The old struct owns the text it was given: both free cleanly. */
	assert_string_equal(old.listen, "127.0.0.1:9999");
	gw_config_free(&old);
	/* Back to the first file: its restart keys are the running ones. */
	assert_int_equal(gw_config_load_string(minimal, "m.ini", "/etc/gw",
	    &old, err, sizeof(err)), 0);
	assert_int_equal(gw_config_keep(&c, &old, changed, sizeof(changed)), 0);
	assert_string_equal(changed, "");
	gw_config_free(&old);
	gw_config_free(&c);
}

static void
test_mgmt_config(void **state)
{
	static const char bad[] =
	    "[mgmt]\n"
	    "cert = m.crt\n"
	    "key = m.key\n"
	    "listen = localhost:7444\n"
	    "[store]\n"
	    "batch_max = 0\n"
	    "batch_delay = forever\n"
	    "journal = wal\n";
	struct mgmt_config c;
	char err[4096];

	(void)state;
	assert_int_equal(mgmt_config_load(GW_SOURCE_DIR "/conf/mgmt.ini", &c,
	    err, sizeof(err)), 0);
	assert_int_equal(c.batch_max, 1024);
	assert_true(c.batch_delay > 0.004 && c.batch_delay < 0.006);
	assert_non_null(strstr(c.database, "/conf/gw-mgmt.db"));
	mgmt_config_free(&c);

	assert_int_equal(mgmt_config_load_string(bad, "mgmt.ini", ".", &c, err,
	    sizeof(err)), 5);
	assert_non_null(strstr(err, "mgmt.ini:4: [mgmt] listen: "));
	assert_non_null(strstr(err, "mgmt.ini:6: [store] batch_max: "));
	assert_non_null(strstr(err, "mgmt.ini:7: [store] batch_delay: "));
	assert_non_null(strstr(err, "mgmt.ini:8: [store] journal: "));
	assert_non_null(strstr(err, "mgmt.ini: [mgmt] gateway_ca: required"));
	mgmt_config_free(&c);
}

/* [scope GATEWAYS] sections: errors name file, line, section and key. */
static void
test_mgmt_scope(void **state)
{
	static const char bad[] =
	    "[mgmt]\n"
	    "cert = m.crt\n"
	    "key = m.key\n"
	    "gateway_ca = ca.crt\n"
	    "[scope gw-dmz1]\n"
	    "agent_ca = /nonexistent/ca.crt\n"
	    "agent_names = agent-dmz1-*\n"
	    "agent_cn = x\n"
	    "[scope gw-dmz2, gw-dmz3]\n"
	    "agent_ca = /nonexistent/ca2.crt\n"
	    "[scopes]\n"
	    "x = y\n";
	struct mgmt_config c;
	char err[4096];

	(void)state;
	assert_int_equal(mgmt_config_load_string(bad, "mgmt.ini", ".", &c, err,
	    sizeof(err)), 5);
	assert_non_null(strstr(err, "mgmt.ini:6: [scope gw-dmz1] agent_ca: "
	    "/nonexistent/ca.crt: no certificate read"));
	assert_non_null(strstr(err, "mgmt.ini:8: [scope gw-dmz1] agent_cn: "
	    "unknown key"));
	assert_non_null(strstr(err, "mgmt.ini:10: [scope gw-dmz2, gw-dmz3] "
	    "agent_ca: "));
	assert_non_null(strstr(err, "mgmt.ini:12: [scopes] x: unknown key"));
	assert_non_null(strstr(err, "mgmt.ini: [scope gw-dmz2, gw-dmz3] "
	    "agent_names: required"));
	assert_int_equal(c.nscopes, 2);
	assert_ptr_equal(mgmt_config_scope(&c, "gw-dmz3"), &c.scopes[1]);
	assert_null(mgmt_config_scope(&c, "gw-dmz4"));
	assert_false(mgmt_scope_allows(&c.scopes[0], "", "agent-dmz1-a"));
	mgmt_config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embedded_default),
		cmocka_unit_test(test_defaults_and_paths),
		cmocka_unit_test(test_errors_name_file_line_key),
		cmocka_unit_test(test_server_names),
		cmocka_unit_test(test_accept_mode),
		cmocka_unit_test(test_accept_mode_errors),
		cmocka_unit_test(test_mgmt_gateways),
		cmocka_unit_test(test_budget_below_max_payload),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_typed_parsers),
		cmocka_unit_test(test_server_list),
		cmocka_unit_test(test_reload_keeps_restart_keys),
		cmocka_unit_test(test_mgmt_config),
		cmocka_unit_test(test_mgmt_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
