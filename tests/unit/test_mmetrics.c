/*
 * test_mmetrics.c: gw-mgmt's metrics rendering (mmetrics_render, from a
 * view as mmetrics_view fills it, no socket): links grouped by gateway CN,
 * a CN's quote, backslash and newline escaped as a label value (a CN is
 * the peer's text), histograms cumulative with sums as integers, every
 * command state present, and a render that is the same when sized and
 * when written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "commit.h"
#include "mmetrics.h"
#include "prom.h"

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
	memset(&v, 0, sizeof(v));
	v.st = &st;
	v.stored = 10;
	v.links = 3;
	v.gw = gw;
	v.ngw = 3;
	v.store_ok = 1;
	v.online = 2;
	v.cmds[STORE_CMD_DONE] = 4;
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
	assert_non_null(strstr(out, "\ngw_mgmt_rows_stored_total 10\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_agents{state=\"online\"} 2\n"));
	assert_non_null(strstr(out, "\ngw_mgmt_commands{state=\"done\"} 4\n"));
	assert_non_null(strstr(out,
	    "\ngw_mgmt_commands{state=\"expired\"} 0\n"));
	assert_non_null(strstr(out,
	    "\ngw_mgmt_enroll_answers_total{status=\"refused\"} 0\n"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaped),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
