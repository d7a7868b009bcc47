/*
 * support_check.h: the invariant check of the test doubles in
 * tests/support/, shared by the fuzz harnesses (fuzz.h's FUZZ_CHECK) and
 * the unit tests that link a double: it aborts, whatever the build's
 * NDEBUG, so a broken contract is a crash in either.
 */
#ifndef GW_SUPPORT_CHECK_H
#define GW_SUPPORT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define SUPPORT_CHECK(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#endif /* GW_SUPPORT_CHECK_H */
