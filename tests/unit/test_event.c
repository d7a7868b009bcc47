/*
 * test_event.c: gw-agent's events as JSON (event.h): the envelope, UTF-8
 * kept and other bytes as base64, escapes, nesting, and members cut at
 * the size bound without ever leaving broken JSON (strings closed,
 * brackets balanced); event_bytes says how many input bytes went in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event.h"

static struct event ev;

static char *
done(struct event *e)
{
	static char out[SINK_EVENT_MAX + 1];
	size_t n = event_end(e);

	assert_true(n <= SINK_EVENT_MAX);
	memcpy(out, e->buf, n);
	out[n] = '\0';
	return out;
}

static void
test_envelope(void **state)
{
	(void)state;
	/* 2026-12-07T20:41:22.5Z */
	event_begin(&ev, "log", "/var/log/app.log", 1796676082.5);
	event_bytes(&ev, "line", "hello \"x\"\t\\", 11);
	assert_string_equal(done(&ev),
	    "{\"v\":1,\"kind\":\"log\",\"source\":\"/var/log/app.log\","
	    "\"ts\":\"2026-12-07T20:41:22.500000Z\","
	    "\"line\":\"hello \\\"x\\\"\\t\\\\\"}");
}

static void
test_types_and_nesting(void **state)
{
	(void)state;
	event_begin(&ev, "check", "load", 0);
	event_open(&ev, "check", 0);
	event_str(&ev, "state", "OK");
	event_int(&ev, "status", -3);
	event_num(&ev, "x", 0.25);
	event_num(&ev, "nan", 0.0 / 0.0);
	event_bool(&ev, "b", 1);
	event_str(&ev, "none", NULL);
	event_open(&ev, "perf", 1);
	event_str(&ev, NULL, "a");
	event_bytes(&ev, NULL, "\xff", 1);
	/* left open: event_end closes */
	assert_string_equal(done(&ev),
	    "{\"v\":1,\"kind\":\"check\",\"source\":\"load\","
	    "\"ts\":\"1970-01-01T00:00:00.000000Z\",\"check\":{\"state\":\"OK\","
	    "\"status\":-3,\"x\":0.25,\"nan\":null,\"b\":true,\"none\":null,"
	    "\"perf\":[\"a\",{\"b64\":\"/w==\"}]}}");
}

static void
test_not_utf8_is_base64(void **state)
{
	(void)state;
	event_begin(&ev, "log", "f", 0);
	event_bytes(&ev, "line", "ab\xc0\xaf", 4);
	assert_non_null(strstr(done(&ev), ",\"line_b64\":\"YWLArw==\"}"));
	event_begin(&ev, "log", "f", 0);
	event_bytes(&ev, "line", "\x01\x7f\xe2\x82\xac", 5);
	assert_non_null(strstr(done(&ev),
	    ",\"line\":\"\\u0001\\u007f\xe2\x82\xac\"}"));
}

/* The event ends whole: balanced and closed, whatever was cut. */
static void
assert_whole(const char *s)
{
	size_t n = strlen(s);
	int depth = 0, instr = 0;

	for (size_t i = 0; i < n; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		if (s[i] == '"')
			instr = 1;
		else if (s[i] == '{' || s[i] == '[')
			depth++;
		else if (s[i] == '}' || s[i] == ']')
			depth--;
		assert_true(depth >= 0);
	}
	assert_int_equal(instr, 0);
	assert_int_equal(depth, 0);
	assert_int_equal(s[n - 1], '}');
}

static void
test_cut_at_the_bound(void **state)
{
	static char big[3 * SINK_EVENT_MAX];
	const char *s;

	(void)state;
	/* Control characters: six bytes each once escaped. */
	memset(big, '\x01', sizeof(big));
	event_begin(&ev, "log", "f", 0);
	event_bytes(&ev, "line", big, sizeof(big));
	event_str(&ev, "after", "x");		/* does not fit either */
	s = done(&ev);
	assert_whole(s);
	assert_non_null(strstr(s, ",\"truncated\":true}"));
	assert_null(strstr(s, "after"));
	/* Three-byte characters are never split. */
	for (size_t i = 0; i + 3 <= sizeof(big); i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);
	event_begin(&ev, "log", "f", 0);
	event_open(&ev, "a", 0);
	event_open(&ev, "b", 1);
	event_bytes(&ev, NULL, big, sizeof(big) / 3 * 3);
	event_close(&ev);
	event_open(&ev, "c", 0);		/* no room: skipped */
	event_str(&ev, "d", "x");
	event_close(&ev);
	event_close(&ev);
	s = done(&ev);
	assert_whole(s);
	assert_non_null(strstr(s, "\xe2\x82\xac\"]},\"truncated\":true}"));
	/* Base64 of bytes that are not UTF-8, cut to whole groups. */
	memset(big, '\xff', sizeof(big));
	event_begin(&ev, "log", "f", 0);
	event_bytes(&ev, "line", big, sizeof(big));
	s = done(&ev);
	assert_whole(s);
	assert_non_null(strstr(s, "\"line_b64\":\"////"));
	assert_non_null(strstr(s, "//\",\"truncated\":true}"));
}

/* The count event_bytes returns: what the member holds, no more. */
static void
test_bytes_count(void **state)
{
	static char big[SINK_EVENT_MAX];
	size_t n, len;

	(void)state;
	event_begin(&ev, "log", "f", 0);
	assert_int_equal(event_bytes(&ev, "line", "a\"b", 3), 3);
	/* Control bytes: 6 each, escaped; a whole number of them fit. */
	memset(big, '\x01', sizeof(big));
	event_begin(&ev, "log", "f", 0);
	n = event_bytes(&ev, "line", big, 16384);
	assert_true(n > 0 && n < 16384);
	len = strlen(done(&ev));
	assert_true(len > 6 * n && len < 6 * n + 200);
	/* What was counted fits whole in an event with as much room. */
	event_begin(&ev, "log", "f", 0);
	assert_int_equal(event_bytes(&ev, "line", big, n), n);
	assert_null(strstr(done(&ev), "truncated"));
	/* Base64: a whole number of 3-byte groups. */
	memset(big, '\xff', sizeof(big));
	event_begin(&ev, "log", "f", 0);
	n = event_bytes(&ev, "line", big, sizeof(big));
	assert_true(n > 0 && n < sizeof(big) && n % 3 == 0);
	event_begin(&ev, "log", "f", 0);
	assert_int_equal(event_bytes(&ev, "line", big, n), n);
	assert_null(strstr(done(&ev), "truncated"));
	/* No room left for the member at all: 0. */
	event_begin(&ev, "log", "f", 0);
	(void)event_bytes(&ev, "line", big, sizeof(big));
	assert_int_equal(event_bytes(&ev, "more", "x", 1), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_types_and_nesting),
		cmocka_unit_test(test_not_utf8_is_base64),
		cmocka_unit_test(test_cut_at_the_bound),
		cmocka_unit_test(test_bytes_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
