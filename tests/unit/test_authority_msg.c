/*
 * test_authority_msg.c: the request a signing authority is asked, made
 * from an ENROLL frame (certs/pki/authority_msg.c), as gw-signer and
 * gw-mgmt's signer.c make it: views of the frame's bytes, its strings
 * copied and NUL-terminated, and a hostile frame refused whole; its
 * result, made or read from the signer's (untrusted) ENROLL_RESULT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "authority_msg.h"
#include "frame.h"

/* ${s} as a view (no NUL). */
static struct gw_str
str(const char *s)
{
	return (struct gw_str){ .p = (const uint8_t *)s,
	    .len = (uint16_t)strlen(s) };
}

/* A view of ${n} bytes of ${c}. */
static struct gw_str
fill(uint8_t *buf, int c, size_t n)
{
	memset(buf, c, n);
	return (struct gw_str){ .p = buf, .len = (uint16_t)n };
}

/* An ENROLL from the wire: encoded, then decoded as a peer would. */
static void
test_from_wire(void **state)
{
	static const uint8_t csr[] = { 0x30, 0x82, 0x01, 0x00, 0x42 };
	static const uint8_t crt[] = { 0x30, 0x03, 0x02, 0x01, 0x07 };
	struct gw_frame in = { .type = GW_T_ENROLL }, out;
	struct authority_req_buf rb;
	struct authority_req r;
	uint8_t wire[512];
	size_t used;
	int n;

	(void)state;
	in.u.enroll.ref = 9;
	in.u.enroll.token = str("tok.en");
	in.u.enroll.source = str("192.0.2.7:4711");
	in.u.enroll.csr = (struct gw_str){ .p = csr, .len = sizeof(csr) };
	in.u.enroll.client_cert = (struct gw_str){ .p = crt,
	    .len = sizeof(crt) };
	assert_true((n = gw_frame_encode(wire, sizeof(wire), &in)) > 0);
	assert_int_equal(gw_frame_decode(wire, (size_t)n, sizeof(wire), &out,
	    &used), GW_OK);
	assert_int_equal(authority_req_from_enroll(&out.u.enroll, "gw-1", &rb,
	    &r), 0);
	/* Views of the frame's bytes, not copies. */
	assert_ptr_equal(r.csr, out.u.enroll.csr.p);
	assert_true(r.csr >= wire && r.csr < wire + n);
	assert_int_equal(r.csr_len, sizeof(csr));
	assert_memory_equal(r.csr, csr, sizeof(csr));
	assert_ptr_equal(r.client_cert, out.u.enroll.client_cert.p);
	assert_int_equal(r.client_cert_len, sizeof(crt));
	/* The strings, copies in ${rb}, terminated. */
	assert_ptr_equal(r.token, rb.token);
	assert_string_equal(r.token, "tok.en");
	assert_ptr_equal(r.source, rb.source);
	assert_string_equal(r.source, "192.0.2.7:4711");
	assert_ptr_equal(r.request_id, rb.request_id);
	assert_string_equal(r.request_id, "");
	assert_string_equal(r.via, "gw-1");
}

/* A poll: no CSR, no certificate (NULL, not an empty view), its id. */
static void
test_poll(void **state)
{
	struct gw_enroll e = { .ref = 1 };
	struct authority_req_buf rb;
	struct authority_req r;

	(void)state;
	e.request_id = str("0123456789abcdef0123456789abcdef");
	e.csr = (struct gw_str){ .p = (const uint8_t *)"x", .len = 0 };
	e.client_cert = (struct gw_str){ .p = (const uint8_t *)"y", .len = 0 };
	assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r), 0);
	assert_null(r.csr);
	assert_int_equal(r.csr_len, 0);
	assert_null(r.client_cert);
	assert_int_equal(r.client_cert_len, 0);
	assert_string_equal(r.request_id, "0123456789abcdef0123456789abcdef");
	assert_string_equal(r.token, "");
	assert_string_equal(r.source, "");
	assert_string_equal(r.via, "");
}

/* Every field missing: a request of empty strings (the authority refuses). */
static void
test_all_missing(void **state)
{
	struct gw_enroll e;
	struct authority_req_buf rb;
	struct authority_req r;

	(void)state;
	memset(&e, 0, sizeof(e));
	memset(&rb, 'X', sizeof(rb));
	assert_int_equal(authority_req_from_enroll(&e, "gw", &rb, &r), 0);
	assert_null(r.csr);
	assert_null(r.client_cert);
	assert_string_equal(r.token, "");
	assert_string_equal(r.request_id, "");
	assert_string_equal(r.source, "");
}

/*
 * Hostile lengths and bytes: each string at its largest that fits, one
 * byte more, and with a NUL inside; a refused frame leaves ${r} as it was.
 */
static void
test_hostile(void **state)
{
	static uint8_t big[2048];
	struct gw_enroll e, ok;
	struct authority_req_buf rb;
	struct authority_req r, before;
	struct {
		struct gw_str	*f;
		size_t		 cap;
	} cases[] = {
		{ &e.token, sizeof(rb.token) },
		{ &e.request_id, sizeof(rb.request_id) },
		{ &e.source, sizeof(rb.source) },
	};

	(void)state;
	memset(&ok, 0, sizeof(ok));
	ok.token = str("t");
	ok.request_id = str("r");
	ok.source = str("s");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* The largest that fits, with its NUL. */
		e = ok;
		*cases[i].f = fill(big, 'a', cases[i].cap - 1);
		assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r),
		    0);
		/* One byte more: refused, ${r} untouched. */
		memset(&r, 0x5a, sizeof(r));
		before = r;
		*cases[i].f = fill(big, 'a', cases[i].cap);
		assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r),
		    -1);
		assert_memory_equal(&r, &before, sizeof(r));
		/* Far more than fits (what a codec bound would allow). */
		*cases[i].f = fill(big, 'a', sizeof(big));
		assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r),
		    -1);
		/* A NUL inside: "t\0admin" is not "t". */
		*cases[i].f = (struct gw_str){ .p = (const uint8_t *)"t\0admin",
		    .len = 7 };
		assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r),
		    -1);
		assert_memory_equal(&r, &before, sizeof(r));
		/* A NUL last. */
		*cases[i].f = (struct gw_str){ .p = (const uint8_t *)"t\0",
		    .len = 2 };
		assert_int_equal(authority_req_from_enroll(&e, "", &rb, &r),
		    -1);
	}
}

/* A result made here: every field, the message cut to fit. */
static void
test_result_make(void **state)
{
	struct authority_result res;
	char big[400];

	(void)state;
	memset(&res, 0x5a, sizeof(res));
	authority_result_make(&res, GW_ENROLL_PENDING, 0, 30, "abc", NULL,
	    "wait %s", "here");
	assert_int_equal(res.status, GW_ENROLL_PENDING);
	assert_int_equal(res.reason, 0);
	assert_int_equal(res.retry_after, 30);
	assert_string_equal(res.request_id, "abc");
	assert_null(res.chain);
	assert_string_equal(res.message, "wait here");
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	authority_result_make(&res, GW_ENROLL_REFUSED, GW_R_POLICY, 0, NULL,
	    "chain", "%s", big);
	assert_int_equal(res.reason, GW_R_POLICY);
	assert_string_equal(res.request_id, "");
	assert_string_equal(res.chain, "chain");
	assert_int_equal(strlen(res.message), sizeof(res.message) - 1);
}

/*
 * A result from the signer's bytes (untrusted): a request id with a NUL
 * becomes "", a message stops at its NUL and is cut to fit; the view of
 * the result gives the same fields back.
 */
static void
test_result_from_view(void **state)
{
	static uint8_t big[1000];
	struct gw_enroll_result v, back;
	struct authority_result res;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.ref = 5;
	v.status = GW_ENROLL_ISSUED;
	v.retry_after = 7;
	v.request_id = str("0123456789abcdef0123456789abcdef");
	v.message = str("issued");
	authority_result_from_view(&res, &v, "PEM");
	assert_int_equal(res.status, GW_ENROLL_ISSUED);
	assert_int_equal(res.retry_after, 7);
	assert_string_equal(res.request_id,
	    "0123456789abcdef0123456789abcdef");
	assert_string_equal(res.message, "issued");
	assert_string_equal(res.chain, "PEM");
	authority_result_view(&res, 5, &back);
	assert_int_equal(back.ref, 5);
	assert_int_equal(back.status, GW_ENROLL_ISSUED);
	assert_int_equal(back.request_id.len, 32);
	assert_int_equal(back.chain.len, 3);
	/* Hostile: an id with a NUL, one too long; a message with a NUL. */
	v.status = GW_ENROLL_REFUSED;
	v.reason = GW_R_DENIED;
	v.request_id = (struct gw_str){ .p = (const uint8_t *)"ab\0cd",
	    .len = 5 };
	v.message = (struct gw_str){ .p = (const uint8_t *)"no\0secret",
	    .len = 9 };
	authority_result_from_view(&res, &v, NULL);
	assert_int_equal(res.reason, GW_R_DENIED);
	assert_string_equal(res.request_id, "");
	assert_string_equal(res.message, "no");
	assert_null(res.chain);
	v.request_id = fill(big, 'f', sizeof(res.request_id));
	v.message = fill(big, 'm', sizeof(big));
	authority_result_from_view(&res, &v, NULL);
	assert_string_equal(res.request_id, "");
	assert_int_equal(strlen(res.message), sizeof(res.message) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_wire),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_all_missing),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_result_make),
		cmocka_unit_test(test_result_from_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
