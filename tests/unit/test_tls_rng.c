/*
 * test_tls_rng.c: the process's DRBG (tls_rng.c) after fork(2): each child
 * draws its own stream, not its parent's nor its sibling's (gatewayd's
 * workers are forked from a parent that seeded it: shared, they would
 * repeat ServerHello randoms and the nonces of tickets sealed under the
 * keys they share).  PSA's generator, which TLS 1.3's key shares use,
 * draws apart in each child too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <psa/crypto.h>

#include "tls_rng.h"

#define DRAW	16

/* A child's two draws: tls_rng's, then PSA's. */
static void
child_draws(uint8_t out[2][DRAW])
{
	int p[2], status;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		uint8_t b[2][DRAW];

		close(p[0]);
		if (tls_rng(NULL, b[0], DRAW) != 0 ||
		    psa_generate_random(b[1], DRAW) != PSA_SUCCESS ||
		    write(p[1], b, sizeof(b)) != (ssize_t)sizeof(b))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], out, 2 * DRAW), 2 * DRAW);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_children_draw_apart(void **state)
{
	uint8_t a[2][DRAW], b[2][DRAW], mine[DRAW];
	char err[256];

	(void)state;
	assert_int_equal(tls_rng_setup(err, sizeof(err)), 0);
	assert_int_equal(tls_rng(NULL, mine, DRAW), 0);
	child_draws(a);
	child_draws(b);
	assert_memory_not_equal(a[0], b[0], DRAW);	/* siblings */
	assert_memory_not_equal(a[1], b[1], DRAW);
	assert_int_equal(tls_rng(NULL, mine, DRAW), 0);	/* the parent's */
	assert_memory_not_equal(mine, a[0], DRAW);
	assert_memory_not_equal(mine, b[0], DRAW);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_children_draw_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
