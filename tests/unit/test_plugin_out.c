/*
 * test_plugin_out.c: the monitoring plugins' interface (plugin_out.c):
 * outputs of the real check_load, check_disk and check_procs of the
 * monitoring-plugins package (collected from /usr/lib/nagios/plugins on
 * Debian), the multi-line example of the Nagios plugin API, quoted labels,
 * units, ranges, U, items that are skipped and counted, the bounds; and
 * command lines split into words.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plugin_out.h"

static struct plugin_out po;

static void
parse(const char *s)
{
	memset(&po, 0xa5, sizeof(po));	/* nothing is left unset */
	plugin_out_parse(&po, s, strlen(s));
}

static void
assert_text(const char *p, size_t len, const char *want)
{
	assert_int_equal(len, strlen(want));
	assert_memory_equal(p, want, len);
}

/* Item ${i}: label, value (NAN: U), unit, thresholds, min, max. */
static void
assert_perf(size_t i, const char *label, double value, const char *uom,
    const char *warn, const char *crit, double min, double max)
{
	const struct plugin_perf *pf = &po.perf[i];

	assert_true(i < po.nperf);
	assert_string_equal(pf->label, label);
	assert_int_equal(pf->label_len, strlen(label));
	if (isnan(value))
		assert_true(isnan(pf->value));
	else
		assert_true(pf->value == value);
	assert_string_equal(pf->uom, uom);
	assert_string_equal(pf->warn, warn);
	assert_string_equal(pf->crit, crit);
	if (isnan(min))
		assert_true(isnan(pf->min));
	else
		assert_true(pf->min == min);
	if (isnan(max))
		assert_true(isnan(pf->max));
	else
		assert_true(pf->max == max);
}

/* check_load -w 5,4,3 -c 10,8,6 (monitoring-plugins 2.3). */
static void
test_check_load(void **state)
{
	(void)state;
	parse("LOAD OK - total load average: 2.20, 0.89, 0.37|load1=2.200;"
	    "5.000;10.000;0; load5=0.890;4.000;8.000;0; load15=0.370;3.000;"
	    "6.000;0; \n");
	assert_text(po.text, po.text_len,
	    "LOAD OK - total load average: 2.20, 0.89, 0.37");
	assert_int_equal(po.long_len, 0);
	assert_int_equal(po.nperf, 3);
	assert_int_equal(po.perf_bad, 0);
	assert_int_equal(po.perf_over, 0);
	assert_perf(0, "load1", 2.2, "", "5.000", "10.000", 0, NAN);
	assert_perf(1, "load5", 0.89, "", "4.000", "8.000", 0, NAN);
	assert_perf(2, "load15", 0.37, "", "3.000", "6.000", 0, NAN);
	/* check_load -r: scaled loads, some thresholds empty. */
	parse("LOAD WARNING - scaled load average: 1.10, 0.45, 0.18 - total "
	    "load average: 2.20, 0.89, 0.37|load1=2.200;;;0; scaled_load1="
	    "1.100;0.010;100.000;0; load5=0.890;;;0; scaled_load5=0.445;"
	    "0.010;100.000;0; load15=0.370;;;0; scaled_load15=0.185;0.010;"
	    "100.000;0; \n");
	assert_int_equal(po.nperf, 6);
	assert_perf(0, "load1", 2.2, "", "", "", 0, NAN);
	assert_perf(5, "scaled_load15", 0.185, "", "0.010", "100.000", 0,
	    NAN);
}

/* check_disk: labels that are paths, bytes, all five fields. */
static void
test_check_disk(void **state)
{
	(void)state;
	parse("DISK OK - free space: / 81552MiB (83% inode=97%);| /="
	    "17231249408B;267847005634;267847005634;0;270552530944\n");
	assert_text(po.text, po.text_len,
	    "DISK OK - free space: / 81552MiB (83% inode=97%);");
	assert_int_equal(po.nperf, 1);
	assert_perf(0, "/", 17231249408.0, "B", "267847005634",
	    "267847005634", 0, 270552530944.0);
	parse("DISK OK - free space: /dev 12046MiB (100% inode=99%); / "
	    "81552MiB (83% inode=97%);| /dev=0B;10104917196;11368031846;0;"
	    "12631146496 /=17231249408B;216442024755;243497277849;0;"
	    "270552530944\n");
	assert_int_equal(po.nperf, 2);
	assert_perf(0, "/dev", 0, "B", "10104917196", "11368031846", 0,
	    12631146496.0);
}

/* check_procs: empty thresholds, then ranges 1:1. */
static void
test_check_procs(void **state)
{
	(void)state;
	parse("PROCS OK: 129 processes | procs=129;;;0;\n");
	assert_text(po.text, po.text_len, "PROCS OK: 129 processes");
	assert_int_equal(po.nperf, 1);
	assert_perf(0, "procs", 129, "", "", "", 0, NAN);
	parse("PROCS CRITICAL: 19 processes with command name 'bash' | procs="
	    "19;1:1;1:1;0;\n");
	assert_text(po.text, po.text_len,
	    "PROCS CRITICAL: 19 processes with command name 'bash'");
	assert_perf(0, "procs", 19, "", "1:1", "1:1", 0, NAN);
	parse("VSZ CRITICAL: 66 crit, 0 warn out of 129 processes | procs=129;"
	    ";;0; procs_warn=0;;;0; procs_crit=66;;;0;\n");
	assert_int_equal(po.nperf, 3);
	assert_perf(2, "procs_crit", 66, "", "", "", 0, NAN);
}

/* The Nagios plugin API's example: long text, perfdata on later lines. */
static void
test_multiline(void **state)
{
	(void)state;
	parse("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;"
	    "5968\n"
	    "/ 15272 MB (77%);\n"
	    "/boot 68 MB (69%);\n"
	    "/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
	    "/home=69357MB;253404;253409;0;253414 \n"
	    "/var/log=818MB;970;975;0;980\n");
	assert_text(po.text, po.text_len,
	    "DISK OK - free space: / 3326 MB (56%);");
	assert_text(po.long_text, po.long_len,
	    "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%);");
	assert_int_equal(po.nperf, 4);
	assert_perf(0, "/", 2643, "MB", "5948", "5958", 0, 5968);
	assert_perf(1, "/boot", 68, "MB", "88", "93", 0, 98);
	assert_perf(2, "/home", 69357, "MB", "253404", "253409", 0, 253414);
	assert_perf(3, "/var/log", 818, "MB", "970", "975", 0, 980);
	/* Long text and no perfdata; CR LF; a second "|" later. */
	parse("OK\r\nline 2\r\nline 3\r\n");
	assert_text(po.text, po.text_len, "OK");
	assert_text(po.long_text, po.long_len, "line 2\r\nline 3");
	assert_int_equal(po.nperf, 0);
	parse("T|a=1\nL1\nL2|b=2\nc=3|d=4");
	assert_text(po.long_text, po.long_len, "L1\nL2");
	assert_int_equal(po.nperf, 2);		/* a, b */
	assert_int_equal(po.perf_bad, 1);	/* c=3|d=4 */
}

/* Quoted labels, '' a quote, every unit of the guidelines, and more. */
static void
test_labels_and_units(void **state)
{
	static const char *const uoms[] = { "s", "ms", "us", "%", "B", "KB",
	    "MB", "TB", "c", "KiB", "degC", "" };
	char buf[128];
	size_t i;

	(void)state;
	parse("X | 'total space'=5GB;;;0;10 'it''s'=1c '='=2 ''''=3");
	assert_int_equal(po.nperf, 4);
	assert_perf(0, "total space", 5, "GB", "", "", 0, 10);
	assert_perf(1, "it's", 1, "c", "", "", NAN, NAN);
	assert_perf(2, "=", 2, "", "", "", NAN, NAN);
	assert_perf(3, "'", 3, "", "", "", NAN, NAN);
	for (i = 0; i < sizeof(uoms) / sizeof(uoms[0]); i++) {
		snprintf(buf, sizeof(buf), "X|v=-1.5e2%s;1;2;-3.5;+4", uoms[i]);
		parse(buf);
		assert_int_equal(po.nperf, 1);
		assert_perf(0, "v", -150, uoms[i], "1", "2", -3.5, 4);
	}
	/* U: no value; fields left out; empty fields after max. */
	parse("X|a=U b=U;1;2 c=.5 d=7.;;;;; e=1;2;3;4;5;;");
	assert_int_equal(po.nperf, 5);
	assert_int_equal(po.perf_bad, 0);
	assert_perf(0, "a", NAN, "", "", "", NAN, NAN);
	assert_perf(1, "b", NAN, "", "1", "2", NAN, NAN);
	assert_perf(2, "c", 0.5, "", "", "", NAN, NAN);
	assert_perf(3, "d", 7, "", "", "", NAN, NAN);
	assert_perf(4, "e", 1, "", "2", "3", 4, 5);
}

/* Ranges kept as written; what is not a range is a bad item. */
static void
test_ranges(void **state)
{
	static const char *const good[] = { "", "10", "10:", "~:10", "10:20",
	    "@10:20", "@~:5", "-5:5", "1.5e3:", "~:", "@0" };
	static const char *const bad[] = { ":5", "@", "a", "10:a", "~",
	    "1:2:3", "@@1", "1 ", "0x10", "inf" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(plugin_range_ok(good[i], strlen(good[i])), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(plugin_range_ok(bad[i], strlen(bad[i])), 0);
	parse("X|a=1;10:20;@10:20 b=2;~:5;10: c=3;:5");
	assert_int_equal(po.nperf, 2);
	assert_int_equal(po.perf_bad, 1);
	assert_perf(0, "a", 1, "", "10:20", "@10:20", NAN, NAN);
	assert_perf(1, "b", 2, "", "~:5", "10:", NAN, NAN);
}

/* Bad items are skipped and counted; the good ones around them kept. */
static void
test_bad_items(void **state)
{
	char label[PLUGIN_LABEL_MAX + 8];

	(void)state;
	parse("X | ok1=1 =1 noeq x=abc y=1,5 z=1;5;6;7;8;9 w=1;;;min "
	    "lab'el=1 q='1' u=1abcdefghijklmnopq big=1e999 ok2=2s "
	    "'open=3 ok3=3\nL|ok4=4 'line\nok5=5");
	assert_int_equal(po.nperf, 4);
	assert_int_equal(po.perf_bad, 12);
	assert_perf(0, "ok1", 1, "", "", "", NAN, NAN);
	assert_perf(1, "ok2", 2, "s", "", "", NAN, NAN);
	/* 'open=3 ok3=3: an unclosed quote takes the rest of its line. */
	assert_perf(2, "ok4", 4, "", "", "", NAN, NAN);
	assert_perf(3, "ok5", 5, "", "", "", NAN, NAN);
	/* A label of PLUGIN_LABEL_MAX bytes is kept, one more is not. */
	memcpy(label, "X|", 2);
	memset(label + 2, 'l', PLUGIN_LABEL_MAX);
	strcpy(label + 2 + PLUGIN_LABEL_MAX, "=1");
	parse(label);
	assert_int_equal(po.nperf, 1);
	assert_int_equal(po.perf[0].label_len, PLUGIN_LABEL_MAX);
	memset(label + 2, 'l', PLUGIN_LABEL_MAX + 1);
	strcpy(label + 3 + PLUGIN_LABEL_MAX, "=1");
	parse(label);
	assert_int_equal(po.nperf, 0);
	assert_int_equal(po.perf_bad, 1);
	/* A control byte in a label. */
	parse("X|'a\tb'=1 c\x01=2 d=3");
	assert_int_equal(po.nperf, 1);
	assert_int_equal(po.perf_bad, 2);
}

/* At most PLUGIN_PERF_MAX items; the others counted. */
static void
test_bounds(void **state)
{
	char *s, *p;
	int i;

	(void)state;
	assert_non_null(s = malloc(200 * 16 + 8));
	p = s + sprintf(s, "X|");
	for (i = 0; i < 200; i++)
		p += sprintf(p, "m%d=%d ", i, i);
	parse(s);
	assert_int_equal(po.nperf, PLUGIN_PERF_MAX);
	assert_int_equal(po.perf_over, 200 - PLUGIN_PERF_MAX);
	assert_perf(PLUGIN_PERF_MAX - 1, "m127", 127, "", "", "", NAN, NAN);
	free(s);
	/* Nothing at all; a NUL inside the text; only a "|". */
	plugin_out_parse(&po, "", 0);
	assert_int_equal(po.text_len, 0);
	assert_int_equal(po.long_len, 0);
	assert_int_equal(po.nperf, 0);
	plugin_out_parse(&po, "A\0B|x=1", 7);
	assert_int_equal(po.text_len, 3);
	assert_int_equal(po.nperf, 1);
	parse("|");
	assert_int_equal(po.text_len, 0);
	assert_int_equal(po.nperf + po.perf_bad, 0);
	parse("\n\n|");		/* long text: only whitespace */
	assert_int_equal(po.long_len, 0);
	parse("\n x\n|");
	assert_text(po.long_text, po.long_len, " x");
}

/* Command lines: words, quotes, backslashes; and what is refused. */
static void
test_argv(void **state)
{
	static const char *const bad[] = { "", "   ", "'abc", "\"abc",
	    "abc\\", "a \"b\\\"" };
	char why[128], **av, *many;
	size_t i;

	(void)state;
	assert_non_null(av = plugin_argv("/usr/lib/nagios/plugins/check_disk"
	    "  -w 1%\t-c 1% -p /", why, sizeof(why)));
	assert_string_equal(av[0], "/usr/lib/nagios/plugins/check_disk");
	assert_string_equal(av[2], "1%");
	assert_string_equal(av[6], "/");
	assert_null(av[7]);
	free(av);
	assert_non_null(av = plugin_argv("a 'b c' \"d \\\"e\\\" \\\\f \\g\" "
	    "h\\ i '' x\"\"y '$HOME' \"*\" 'it'\\''s'", why, sizeof(why)));
	assert_string_equal(av[0], "a");
	assert_string_equal(av[1], "b c");
	assert_string_equal(av[2], "d \"e\" \\f \\g");
	assert_string_equal(av[3], "h i");
	assert_string_equal(av[4], "");
	assert_string_equal(av[5], "xy");
	assert_string_equal(av[6], "$HOME");	/* no expansion */
	assert_string_equal(av[7], "*");
	assert_string_equal(av[8], "it's");
	assert_null(av[9]);
	free(av);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		errno = 0;
		assert_null(plugin_argv(bad[i], why, sizeof(why)));
		assert_int_equal(errno, EINVAL);
		assert_true(why[0] != '\0');
	}
	/* PLUGIN_ARGV_MAX words, not one more. */
	assert_non_null(many = malloc(2 * PLUGIN_ARGV_MAX + 3));
	for (i = 0; i < PLUGIN_ARGV_MAX; i++)
		memcpy(many + 2 * i, "x ", 2);
	many[2 * PLUGIN_ARGV_MAX] = '\0';
	assert_non_null(av = plugin_argv(many, why, sizeof(why)));
	assert_null(av[PLUGIN_ARGV_MAX]);
	free(av);
	strcat(many, "y");
	assert_null(plugin_argv(many, why, sizeof(why)));
	assert_string_equal(why, "more than 128 words");
	free(many);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_load),
		cmocka_unit_test(test_check_disk),
		cmocka_unit_test(test_check_procs),
		cmocka_unit_test(test_multiline),
		cmocka_unit_test(test_labels_and_units),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_bad_items),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
