/*
 * test_mmetrics.c: gw-mgmt's metrics rendering (mmetrics_render, from a
 * view as mmetrics_view fills it, no socket): links grouped by gateway CN,
 * a CN's quote, backslash and newline escaped as a label value (a CN is
 * the peer's text), histograms cumulative with sums as integers, every
 * command state present, the view's age shown, and a render that is the
 * same when sized and when written; the DATA-to-commit histogram on the
 * latency buckets.  store_cmd_counts, the cache's read,
 * on a real SQLite store: agents by online state, targets by state.
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

#include "commit.h"
#include "mmetrics.h"
#include "prom.h"
#include "store.h"

static void
test_label_escaped(void **state)
{
	char buf[64];
	struct prom_buf b = { buf, sizeof(buf), 0 };

	(void)state;
	prom_label(&b, "a\"b\\c\nd\x01" "e");
	assert_int_equal(b.off, strlen("a\\\"b\\\\c\\nd?e"));
	assert_string_equal(buf, "a\\\"b\\\\c\\nd?e");
}

static void
test_render(void **state)
{
	const char *gw[] = { "evil\"} 1\ngw_mgmt_x{a=\"", "gw-a", "gw-a" };
	struct commit_stats st;
	struct mmetrics_view v;
	char *out;
	size_t n;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.lat_le[0] = 2;
	st.lat_le[3] = 1;
	st.lat_count = 3;
	st.rows_le[1] = 3;
	st.rows_count = 3;
	st.rows_sum = 10;
	st.data_le[prom_lat_bucket(0.004)] = 5;
	st.data_le[PROM_LAT_BUCKETS - 1] = 1;
	st.data_count = 7;
	st.data_sum = 12.25;
	memset(&v, 0, sizeof(v));
	v.st = &st;
	v.stored = 10;
	v.links = 3;
	v.gw = gw;
	v.ngw = 3;
	v.store_ok = 1;
	v.online = 2;
	v.cmds[STORE_CMD_DONE] = 4;
	v.store_age = 2.5;
	n = mmetrics_render(&v, NULL, 0);
	out = malloc(n + 1);
	assert_non_null(out);
	assert_int_equal(mmetrics_render(&v, out, n + 1), n);
	assert_int_equal(strlen(out), n);
	assert_non_null(strstr(out, "\ngw_mgmt_links{gateway=\"gw-a\"} 2\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_links{gateway=\"evil\\\"} 1"
	    "\\ngw_mgmt_x{a=\\\"\"} 1\n"));
	assert_null(strstr(out, "\ngw_mgmt_x"));
	assert_non_null(strstr(out, "\ngw_mgmt_commit_seconds_bucket{le="
	    "\"0.005\"} 3\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_commit_seconds_count 3\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_batch_rows_sum 10\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_data_commit_seconds_bucket{le="
	    "\"0.002\"} 0\ngw_mgmt_data_commit_seconds_bucket{le=\"0.005\"} "
	    "5\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_data_commit_seconds_bucket{le="
	    "\"5\"} 6\ngw_mgmt_data_commit_seconds_bucket{le=\"+Inf\"} 7\n"
	    "gw_mgmt_data_commit_seconds_sum 12.250000\n"
	    "gw_mgmt_data_commit_seconds_count 7\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_rows_stored_total 10\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_agents{state=\"online\"} 2\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_commands{state=\"done\"} 4\n"));
	assert_non_null(strstr(out,
	    "\ngw_mgmt_commands{state=\"expired\"} 0\n"));
	assert_non_null(strstr(out,
	    "\ngw_mgmt_enroll_answers_total{status=\"refused\"} 0\n"));
	assert_non_null(strstr(out,
	    "\ngw_mgmt_store_view_age_seconds 2.500\n"));
	free(out);
}

#define T0	1764064800000LL		/* ms */

/* Agent ${name} (issuer "CA") opens at ${now}. */
static void
agent_up(struct store *s, const char *name, int64_t now)
{
	const struct store_agent a = { .issuer = "CA", .name = name,
	    .subject = "CN=x", .san = "", .serial = "01", .fingerprint = "ab",
	    .gateway = "gw1", .peer = "127.0.0.1:5000" };

	assert_int_equal(store_agent_up(s, &a, now), 0);
}

static void
test_counts(void **state)
{
	struct store_conf conf = { .type = STORE_SQLITE };
	struct store_cmd c = { .target = "a*", .body = "hi", .len = 2,
	    .created_ms = T0, .expires_ms = T0 + 60000 };
	struct store_counts n;
	enum store_cmd_hit hit;
	char dir[64], path[96], err[256], cmd[128];
	struct store *s;
	long nt;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gwmm.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	conf.path = path;
	if ((s = store_open(&conf, 0, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_cmd_counts(s, &n), 0);
	assert_int_equal(n.online + n.offline, 0);
	agent_up(s, "a1", T0);
	agent_up(s, "a2", T0);
	agent_up(s, "a3", T0);
	assert_int_equal(store_agent_down(s, "CA", "a3", T0, T0 + 1), 0);
	assert_int_equal(store_cmd_create(s, &c, STORE_MATCH_GLOB, "a*", &nt),
	    0);
	assert_int_equal(nt, 3);
	assert_int_equal(store_cmd_ack(s, c.id, "CA", "a1", T0 + 2, &hit), 0);
	assert_int_equal(store_cmd_counts(s, &n), 0);
	assert_int_equal(n.online, 2);
	assert_int_equal(n.offline, 1);
	assert_int_equal(n.cmds[STORE_CMD_QUEUED], 2);
	assert_int_equal(n.cmds[STORE_CMD_DELIVERED], 1);
	assert_int_equal(n.cmds[STORE_CMD_DONE], 0);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaped),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
