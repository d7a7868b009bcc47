/*
 * fuzz_enroll.c: what an untrusted agent's enrollment request reaches
 * before anyone trusts it: the CSR checks (csr_check: PKCS#10 parsing,
 * signature, key and name rules), bootstrap token verification and the
 * ENROLL frame itself.  The first byte selects (fuzz.h).  Invariants: a
 * CSR accepted has a name the CN rules allow and a 64-digit key
 * fingerprint; a token accepted re-mints to the same string.
 *
 * FUZZ_ENROLL_SESSION runs a script on the enrollment port as a whole:
 * gatewayd's enroll_conn.c and enroll.c, the real authority deciding, a
 * clock that moves (enroll_env.h, enroll_session.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"
#include "enroll_dir.h"
#include "enroll_env.h"
#include "frame.h"
#include "fuzz.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_csr(const uint8_t *p, size_t n)
{
	struct csr_info ci;
	char err[256];

	if (csr_check(p, n, &ci, err, sizeof(err)) != 0)
		return;
	FUZZ_CHECK(ci.name[0] != '\0' && strlen(ci.name) <= 64);
	FUZZ_CHECK(strspn(ci.name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen(ci.name));
	FUZZ_CHECK(strlen(ci.key_fp) == 64);
}

static void
one_token(const uint8_t *p, size_t n)
{
	struct token_terms t;
	char s[TOKEN_STR_MAX + 2], again[TOKEN_STR_MAX];

	if (n > TOKEN_STR_MAX)
		n = TOKEN_STR_MAX + 1;
	memcpy(s, p, n);
	s[n] = '\0';
	if (token_verify(fuzz_token_key, s, 0, &t) != 0)
		return;
	FUZZ_CHECK(token_mint(fuzz_token_key, &t, again, sizeof(again)) == 0);
	FUZZ_CHECK(strcmp(again, s) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_frame f;
	size_t off = 1, used;
	char rid[ED_RID_LEN + 8];

	if (size < 1)
		return 0;
	switch (data[0]) {
	case FUZZ_ENROLL_CSR:
		one_csr(data + 1, size - 1);
		return 0;
	case FUZZ_ENROLL_TOKEN:
		one_token(data + 1, size - 1);
		return 0;
	case FUZZ_ENROLL_SESSION:
		enr_session(data + 1, size - 1);
		return 0;
	default:
		break;
	}
	while (off < size && gw_frame_decode(data + off, size - off, 16384,
	    &f, &used) == GW_OK) {
		off += used;
		if (f.type != GW_T_ENROLL)
			continue;
		one_csr(f.u.enroll.csr.p, f.u.enroll.csr.len);
		one_token(f.u.enroll.token.p, f.u.enroll.token.len);
		if (f.u.enroll.request_id.len < sizeof(rid)) {
			memcpy(rid, f.u.enroll.request_id.p,
			    f.u.enroll.request_id.len);
			rid[f.u.enroll.request_id.len] = '\0';
			(void)ed_rid_valid(rid);
		}
	}
	return 0;
}
