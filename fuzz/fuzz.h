/*
 * fuzz.h: what the harnesses share: an invariant check that aborts (the
 * build may define NDEBUG, so not assert(); tests/support/support_check.h),
 * and the fixed token key the
 * enrollment harness and its seed generator agree on.
 */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include "support_check.h"

#define FUZZ_CHECK(c) SUPPORT_CHECK(c)

/* Selector byte values of the enrollment harness. */
#define FUZZ_ENROLL_CSR		0	/* rest: a CSR, DER */
#define FUZZ_ENROLL_TOKEN	1	/* rest: a token string */
#define FUZZ_ENROLL_FRAME	2	/* rest: frames (ENROLL, ...) */
#define FUZZ_ENROLL_SESSION	3	/* rest: a script (enroll_env.h) */

static const unsigned char fuzz_token_key[32] = "gatewayd fuzz token key 32 bytes";

#endif /* GW_FUZZ_H */
