/*
 * test_namemap.c: the name index (gatewayd's one session per agent name,
 * gw-mgmt's one channel per agent) against a reference array under a long
 * random sequence of puts and deletes, with a deliberately small set of
 * names so that probe chains cross the table's end; growth to 15,000
 * names; a delete of another value under the same name is a no-op.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "namemap.h"

#define NAMES 3000

struct owner {
	char	name[24];
};

static const char *
key(const void *v)
{
	return ((const struct owner *)v)->name;
}

static void
test_random_against_reference(void **state)
{
	static struct owner o[NAMES];
	static int in[NAMES];
	struct namemap *m = namemap_new(key);
	size_t live = 0;
	unsigned seed = 4242;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < NAMES; i++)
		snprintf(o[i].name, sizeof(o[i].name), "agent-%d", i);
	for (int i = 0; i < 300000; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % NAMES;

		if ((seed >> 4) % 3 != 0) {
			if (!in[k]) {
				assert_int_equal(namemap_put(m, &o[k]), 0);
				in[k] = 1;
				live++;
			}
		} else {
			namemap_del(m, &o[k]);
			if (in[k])
				live--;
			in[k] = 0;
		}
		if (i % 9973 == 0)
			for (unsigned j = 0; j < NAMES; j++)
				assert_ptr_equal(namemap_get(m, o[j].name),
				    in[j] ? &o[j] : NULL);
	}
	assert_int_equal(namemap_count(m), live);
	for (unsigned j = 0; j < NAMES; j++)
		assert_ptr_equal(namemap_get(m, o[j].name), in[j] ? &o[j] :
		    NULL);
	namemap_free(m);
}

static void
test_many_and_same_name(void **state)
{
	static struct owner o[15000];
	struct owner twin = { "agent-7" };
	struct namemap *m = namemap_new(key);

	(void)state;
	for (int i = 0; i < 15000; i++) {
		snprintf(o[i].name, sizeof(o[i].name), "agent-%d", i);
		assert_int_equal(namemap_put(m, &o[i]), 0);
	}
	assert_int_equal(namemap_count(m), 15000);
	assert_null(namemap_get(m, "agent-15000"));
	assert_ptr_equal(namemap_get(m, "agent-14999"), &o[14999]);
	/* Another holder of the name is not the one indexed: no-op. */
	namemap_del(m, &twin);
	assert_ptr_equal(namemap_get(m, "agent-7"), &o[7]);
	namemap_del(m, &o[7]);
	assert_null(namemap_get(m, "agent-7"));
	assert_int_equal(namemap_put(m, &twin), 0);
	assert_ptr_equal(namemap_get(m, "agent-7"), &twin);
	assert_int_equal(namemap_count(m), 15000);
	namemap_free(m);
	namemap_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_many_and_same_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
