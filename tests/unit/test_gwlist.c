/*
 * test_gwlist.c: the agent's gateway list with groups (gwlist.c): the
 * plain list as before, a group in each agent's own order, the spread of
 * a fleet over a group, and the errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gwlist.h"

static int
parse(const char *spec, const char *name, const char **out, char *buf,
    char *err)
{
	snprintf(buf, 256, "%s", spec);
	return gwlist_parse(buf, name, out, 16, err, 128);
}

/* Without '|', the order written, spaces and empty items as before. */
static void
test_plain_list_unchanged(void **state)
{
	const char *out[16];
	char buf[256], err[128];

	(void)state;
	assert_int_equal(parse("a:1,b:2, c:3 d:4,,", "x", out, buf, err), 4);
	assert_string_equal(out[0], "a:1");
	assert_string_equal(out[1], "b:2");
	assert_string_equal(out[2], "c:3");
	assert_string_equal(out[3], "d:4");
	assert_int_equal(parse("a:1", "anything", out, buf, err), 1);
	assert_string_equal(out[0], "a:1");
}

/* A group starts at hash(name) mod size; the rest follows. */
static void
test_group_rotated_by_name(void **state)
{
	const char *out[16];
	char buf[256], err[128];
	const char *g[3] = { "g1:1", "g2:2", "g3:3" };
	uint32_t h = gwlist_hash("agent-0007") % 3;

	(void)state;
	assert_int_equal(parse("g1:1 | g2:2|g3:3, g4:4", "agent-0007", out,
	    buf, err), 4);
	assert_string_equal(out[0], g[h]);
	/* The other two follow, each once. */
	assert_string_not_equal(out[1], g[h]);
	assert_string_not_equal(out[2], g[h]);
	assert_string_not_equal(out[1], out[2]);
	assert_string_equal(out[3], "g4:4");
	/* Stable: the same name, the same order. */
	assert_int_equal(parse("g1:1|g2:2|g3:3,g4:4", "agent-0007", out, buf,
	    err), 4);
	assert_string_equal(out[0], g[h]);
	/* FNV-1a's published values. */
	assert_int_equal(gwlist_hash(""), 0x811c9dc5u);
	assert_int_equal(gwlist_hash("a"), 0xe40c292cu);
}

/* 200 agents named as gw-cert issue-many names them: within 20 % of even. */
static void
test_fleet_spreads_evenly(void **state)
{
	unsigned count[3] = { 0, 0, 0 };
	char name[32];

	(void)state;
	for (int i = 1; i <= 200; i++) {
		snprintf(name, sizeof(name), "agent-%04d", i);
		count[gwlist_hash(name) % 3]++;
	}
	for (int k = 0; k < 3; k++) {
		print_message("gateway %d: %u agents\n", k, count[k]);
		assert_true(count[k] >= 200 / 3 * 8 / 10);
		assert_true(count[k] <= 200 / 3 * 12 / 10 + 1);
	}
}

/*
 * The agents of a gateway that fails spread evenly over the rest of its
 * group (each one's second choice), within 15 % of even, for groups of
 * three and four; and each agent's order is a permutation of the group.
 */
static void
test_failed_member_spreads(void **state)
{
	static const char *const specs[] = { "g1:1|g2:2|g3:3",
	    "g1:1|g2:2|g3:3|g4:4" };
	const char *out[16];
	char buf[256], err[128], name[32];

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		unsigned k = 3 + (unsigned)s, second[4] = { 0 }, moved = 0;

		for (int i = 1; i <= 3000; i++) {
			snprintf(name, sizeof(name), "agent-%04d", i);
			assert_int_equal(parse(specs[s], name, out, buf, err),
			    (int)k);
			if (strcmp(out[0], "g1:1") != 0)
				continue;
			moved++;
			second[out[1][1] - '1']++;
		}
		for (unsigned g = 1; g < k; g++) {
			print_message("%u gateways: g%u takes %u of g1's %u\n",
			    k, g + 1, second[g], moved);
			assert_true(second[g] * (k - 1) * 100 >= moved * 85);
			assert_true(second[g] * (k - 1) * 100 <= moved * 115);
		}
		assert_int_equal(second[0], 0);
	}
}

static void
test_errors(void **state)
{
	const char *out[16];
	char buf[256], err[128];

	(void)state;
	assert_int_equal(parse("", "x", out, buf, err), -1);
	assert_string_equal(err, "no address");
	assert_int_equal(parse(" , ,", "x", out, buf, err), -1);
	assert_int_equal(parse("a:1||b:2", "x", out, buf, err), -1);
	assert_int_equal(parse("a:1|", "x", out, buf, err), -1);
	assert_int_equal(parse("|a:1", "x", out, buf, err), -1);
	assert_int_equal(parse("a:1| |b:2", "x", out, buf, err), -1);
	assert_int_equal(parse("a:1|b:2 c:3", "x", out, buf, err), -1);
	snprintf(buf, sizeof(buf), "a,b,c,d,e");
	assert_int_equal(gwlist_parse(buf, "x", out, 4, err, sizeof(err)), -1);
	assert_string_equal(err, "at most 4 gateways");
	snprintf(buf, sizeof(buf), "a|b|c|d|e");
	assert_int_equal(gwlist_parse(buf, "x", out, 4, err, sizeof(err)), -1);
	snprintf(buf, sizeof(buf), "a|b,c|d");
	assert_int_equal(gwlist_parse(buf, "x", out, 4, err, sizeof(err)), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_list_unchanged),
		cmocka_unit_test(test_group_rotated_by_name),
		cmocka_unit_test(test_failed_member_spreads),
		cmocka_unit_test(test_fleet_spreads_evenly),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
