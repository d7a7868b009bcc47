/*
 * test_log.c: log_esc, the one function every peer-supplied value goes
 * through before a log line: no CR, LF or other control byte, no bare '"'
 * or '\', nothing above 0x7f survives; outside quotes no ' ' or '=' either;
 * a value too long is cut with a mark, never beyond its buffer.  And the
 * last resort of log_emit: a value that was not escaped still cannot
 * start a line of its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static void
test_escapes(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int flags;
		const char *want;
	} cases[] = {
		{ "agent-1.example", LOG_ESC_STR, 0, "agent-1.example" },
		{ "a b=c", LOG_ESC_STR, 0, "a b=c" },
		{ "a b=c", LOG_ESC_STR, LOG_ESC_BARE, "a\\x20b\\x3dc" },
		{ "bye\n\" event=forged", LOG_ESC_STR, 0,
		    "bye\\x0a\\\" event=forged" },
		{ "cr\rlf\ntab\tdel\x7f", LOG_ESC_STR, 0,
		    "cr\\x0dlf\\x0atab\\x09del\\x7f" },
		{ "back\\slash", LOG_ESC_STR, 0, "back\\\\slash" },
		{ "caf\xc3\xa9 \xff\xfe", LOG_ESC_STR, 0,
		    "caf\\xc3\\xa9 \\xff\\xfe" },
		{ "nul\0after", 9, 0, "nul\\x00after" },
		{ "", LOG_ESC_STR, 0, "" },
		{ NULL, 5, 0, "" },
		{ "\x1b[31mred", LOG_ESC_STR, 0, "\\x1b[31mred" },
	};
	char buf[LOG_ESC_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r = log_esc(buf, sizeof(buf), cases[i].in,
		    cases[i].len, cases[i].flags);

		assert_ptr_equal(r, buf);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, buf,
			    cases[i].want);
	}
}

/* Every byte value, alone and at every buffer size: bounded and safe. */
static void
test_bounded_and_clean(void **state)
{
	unsigned char in[300];
	char buf[64 + 8];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7);
	for (size_t cap = 8; cap <= 64; cap++) {
		memset(buf, 'Z', sizeof(buf));
		log_esc(buf, cap, in, sizeof(in), 0);
		assert_true(strlen(buf) <= cap - 1);
		assert_int_equal(buf[cap], 'Z');	/* not past cap */
		/* Cut: ends with the mark, which nothing else produces. */
		assert_non_null(strstr(buf, "\\..."));
		assert_string_equal(buf + strlen(buf) - 4, "\\...");
		for (const char *p = buf; *p != '\0'; p++) {
			assert_true(*p >= 0x20 && *p < 0x7f);
			assert_true(*p != '"');		/* only escaped */
			if (*p != '\\')
				continue;
			if (p[1] == '"' || p[1] == '\\')
				p++;
			else if (p[1] == 'x')
				p += 3;
			else
				assert_string_equal(p, "\\...");
		}
	}
	/* Fits exactly: no mark. */
	log_esc(buf, 8, "1234567", LOG_ESC_STR, 0);
	assert_string_equal(buf, "1234567");
	log_esc(buf, 8, "12345678", LOG_ESC_STR, 0);
	assert_string_equal(buf, "123\\...");
	log_esc(buf, 8, "\n\n", LOG_ESC_STR, 0);
	assert_string_equal(buf, "\\...");	/* 4 + 4 > 7 */
	log_esc(buf, 9, "\n\n", LOG_ESC_STR, 0);
	assert_string_equal(buf, "\\x0a\\x0a");
}

/* log_emit: a raw newline in a value stays inside its one line. */
static void
test_one_line_whatever_comes(void **state)
{
	char out[4096] = "";
	int fds[2], saved;
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	dup2(fds[1], STDERR_FILENO);
	log_init("test", LOG_LVL_INFO);
	log_warnx("event=test detail=\"%s\"", "a\nlevel=error event=forged");
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "detail=\"a?level=error event=forged\""));
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bounded_and_clean),
		cmocka_unit_test(test_one_line_whatever_comes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
