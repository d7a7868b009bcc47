/*
 * fuzz_plugin.c: the monitoring plugins' interface (plugin_out.c), what a
 * check's plugin prints and what an operator writes as its command line.
 * First byte even: the rest is a plugin's output, read by
 * plugin_out_parse() and made into a check's event (check_event.c, as
 * after a run).  Odd: the rest (to its first NUL) is a command line, split
 * by plugin_argv().  Invariants: the text and long text lie inside the
 * input; every item kept has a label of 1 to PLUGIN_LABEL_MAX bytes
 * without control bytes, a unit of letters or %, thresholds that are
 * ranges, numbers finite (or none); the items kept and skipped are no
 * more than the input's words; the event is one JSON object within
 * SINK_EVENT_MAX; the words of a command line are no more than
 * PLUGIN_ARGV_MAX and no longer than the line; nothing leaks.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "event.h"
#include "fuzz.h"
#include "plugin_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct plugin_out po;
static struct event ev;

static void
check_item(const struct plugin_perf *pf)
{
	size_t i;

	FUZZ_CHECK(pf->label_len >= 1 && pf->label_len <= PLUGIN_LABEL_MAX);
	FUZZ_CHECK(strlen(pf->label) == pf->label_len);
	for (i = 0; i < pf->label_len; i++)
		FUZZ_CHECK((unsigned char)pf->label[i] >= 0x20 &&
		    pf->label[i] != 0x7f);
	FUZZ_CHECK(strlen(pf->uom) <= PLUGIN_UOM_MAX);
	for (i = 0; pf->uom[i] != '\0'; i++)
		FUZZ_CHECK((pf->uom[i] >= 'a' && pf->uom[i] <= 'z') ||
		    (pf->uom[i] >= 'A' && pf->uom[i] <= 'Z') ||
		    pf->uom[i] == '%');
	FUZZ_CHECK(plugin_range_ok(pf->warn, strlen(pf->warn)));
	FUZZ_CHECK(plugin_range_ok(pf->crit, strlen(pf->crit)));
	FUZZ_CHECK(isfinite(pf->value) || isnan(pf->value));
	FUZZ_CHECK(isfinite(pf->min) || isnan(pf->min));
	FUZZ_CHECK(isfinite(pf->max) || isnan(pf->max));
}

/*
 * The words of the input (whitespace between them): items are too, and
 * the perfdata after a "|" begins inside a word ("X|a=1": one word, one
 * item), so there are at most as many items as words.
 */
static size_t
words(const char *p, size_t len)
{
	size_t i, n = 0;
	int in = 0;

	for (i = 0; i < len; i++) {
		int sp = p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n' || p[i] == '\v' || p[i] == '\f';

		n += !sp && !in;
		in = !sp;
	}
	return n;
}

static void
output(const char *p, size_t len)
{
	struct check_result r = { .state = (int)(len % 4), .exited = 1,
	    .status = (int)(len % 4), .duration = 0.5 };
	size_t i, n;

	plugin_out_parse(&po, p, len);
	FUZZ_CHECK(po.text == p && po.text_len <= len);
	FUZZ_CHECK(po.long_text >= p &&
	    po.long_len <= len - (size_t)(po.long_text - p));
	FUZZ_CHECK(po.nperf <= PLUGIN_PERF_MAX);
	FUZZ_CHECK(po.perf_over == 0 || po.nperf == PLUGIN_PERF_MAX);
	FUZZ_CHECK(po.nperf + po.perf_bad + po.perf_over <= words(p, len));
	for (i = 0; i < po.nperf; i++)
		check_item(&po.perf[i]);
	if (len % 3 == 0)
		r = (struct check_result){ .state = 3, .timed_out = 1,
		    .reason = "timed out after 10s" };
	n = check_event(&ev, "fuzz", &r, &po, 1796676082.5);
	FUZZ_CHECK(n == ev.len && n <= SINK_EVENT_MAX && n >= 2);
	FUZZ_CHECK(ev.buf[0] == '{' && ev.buf[n - 1] == '}');
}

static void
command_line(const char *s)
{
	char why[128] = "", **av;
	size_t n, bytes = 0;

	if ((av = plugin_argv(s, why, sizeof(why))) == NULL) {
		FUZZ_CHECK(why[0] != '\0');
		return;
	}
	for (n = 0; av[n] != NULL; n++)
		bytes += strlen(av[n]);
	FUZZ_CHECK(n >= 1 && n <= PLUGIN_ARGV_MAX);
	FUZZ_CHECK(bytes <= strlen(s));
	free(av);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size < 1 || size > 65536)
		return 0;
	FUZZ_CHECK((copy = malloc(size)) != NULL);
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	if (data[0] & 1)
		command_line(copy);
	else
		output(copy, size - 1);
	free(copy);
	return 0;
}
