/*
 * test_chanmap.c: the channel table against a reference array under a
 * long random sequence of puts and deletes (backward-shift deletion is the
 * part worth testing), plus iteration and growth.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "chanmap.h"

#define KEYS 5000

static void
test_random_against_reference(void **state)
{
	static void *ref[KEYS + 1];
	struct chanmap *m = chanmap_new();
	size_t live = 0;
	unsigned seed = 12345;

	(void)state;
	assert_non_null(m);
	for (int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t k = 1 + (seed >> 8) % KEYS;
		if ((seed >> 4) % 3 != 0) {
			void *v = (void *)(uintptr_t)(k * 7 + i);
			if (ref[k] == NULL)
				live++;
			ref[k] = v;
			assert_int_equal(chanmap_put(m, k, v), 0);
		} else {
			if (ref[k] != NULL)
				live--;
			ref[k] = NULL;
			chanmap_del(m, k);
		}
		if (i % 1000 == 0)
			for (uint32_t j = 1; j <= KEYS; j++)
				assert_ptr_equal(chanmap_get(m, j), ref[j]);
		assert_int_equal(chanmap_count(m), live);
	}
	chanmap_free(m);
}

static void
test_iterate_and_absent(void **state)
{
	struct chanmap *m = chanmap_new();
	size_t it = 0, seen = 0;
	uint64_t sum = 0;
	uint32_t id;
	void *v;

	(void)state;
	assert_null(chanmap_get(m, 0));
	assert_null(chanmap_get(m, 42));
	chanmap_del(m, 42);		/* absent: no effect */
	for (uint32_t k = 1; k <= 1000; k++)
		assert_int_equal(chanmap_put(m, k * 65536u, (void *)(uintptr_t)k), 0);
	while ((id = chanmap_next(m, &it, &v)) != 0) {
		assert_int_equal(id, (uint32_t)(uintptr_t)v * 65536u);
		sum += (uintptr_t)v;
		seen++;
	}
	assert_int_equal(seen, 1000);
	assert_int_equal(sum, 1000 * 1001 / 2);
	chanmap_free(m);
	chanmap_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_iterate_and_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
