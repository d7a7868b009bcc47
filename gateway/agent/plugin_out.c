/*
 * plugin_out.c: the monitoring plugins' interface without I/O: command
 * lines split into words, outputs read into text, long text and
 * performance data (plugin_out.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_out.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ${len} without the whitespace ending the ${len} bytes of ${p}. */
static size_t
rtrim(const char *p, size_t len)
{
	while (len > 0 && is_space(p[len - 1]))
		len--;
	return len;
}

/*
 * The length of the number ([-+]digits[.digits][e[-+]digits], digits on
 * at least one side of the point) at the start of the ${len} bytes of
 * ${p}, or 0.
 */
static size_t
num_len(const char *p, size_t len)
{
	size_t i = 0, digits = 0, e;

	if (i < len && (p[i] == '-' || p[i] == '+'))
		i++;
	for (; i < len && is_digit(p[i]); i++)
		digits++;
	if (i < len && p[i] == '.')
		for (i++; i < len && is_digit(p[i]); i++)
			digits++;
	if (digits == 0)
		return 0;
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		e = i + 1;
		if (e < len && (p[e] == '-' || p[e] == '+'))
			e++;
		if (e < len && is_digit(p[e])) {
			while (e < len && is_digit(p[e]))
				e++;
			i = e;
		}
	}
	return i;
}

/* The number that is exactly the ${len} bytes of ${p}: 0, else -1. */
static int
num_parse(const char *p, size_t len, double *out)
{
	char b[PLUGIN_NUM_MAX + 1];

	if (len == 0 || len > PLUGIN_NUM_MAX || num_len(p, len) != len)
		return -1;
	memcpy(b, p, len);
	b[len] = '\0';
	*out = strtod(b, NULL);		/* the C locale: gw-agent sets none */
	return isfinite(*out) ? 0 : -1;
}

/* min or max: a number, or nothing (NAN). */
static int
bound_parse(const char *p, size_t len, double *out)
{
	*out = NAN;
	return len == 0 ? 0 : num_parse(p, len, out);
}

/**
 * plugin_range_ok(s, len): 1 if the ${len} bytes of ${s} are a threshold
 * range of the guidelines ([@][start:][end], start a number or ~), or
 * empty.
 */
int
plugin_range_ok(const char *s, size_t len)
{
	const char *colon;
	size_t n;

	if (len == 0)
		return 1;
	if (s[0] == '@') {
		s++;
		len--;
		if (len == 0)
			return 0;
	}
	if ((colon = memchr(s, ':', len)) != NULL) {
		n = (size_t)(colon - s);
		if (!(n == 1 && s[0] == '~') && num_len(s, n) != n)
			return 0;	/* "" (0:) is a number: num_len 0 */
		if (n == 0)
			return 0;
		s = colon + 1;
		len -= n + 1;
		if (len == 0)
			return 1;	/* "10:": 10 to infinity */
	}
	return num_len(s, len) == len && len > 0;
}

/* A threshold into ${out}: 0, or -1 (not a range, or too long). */
static int
range_copy(char *out, const char *p, size_t len)
{
	if (len > PLUGIN_RANGE_MAX || !plugin_range_ok(p, len))
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

/* value[UOM]: 0, or -1. */
static int
value_parse(struct plugin_perf *pf, const char *p, size_t len)
{
	size_t n, i;

	if (len == 1 && p[0] == 'U') {
		pf->value = NAN;
		return 0;
	}
	if ((n = num_len(p, len)) == 0 || num_parse(p, n, &pf->value) != 0)
		return -1;
	if (len - n > PLUGIN_UOM_MAX)
		return -1;
	for (i = n; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '%'))
			return -1;
	memcpy(pf->uom, p + n, len - n);
	pf->uom[len - n] = '\0';
	return 0;
}

/*
 * The ${len} bytes after "label=": value[UOM];warn;crit;min;max, trailing
 * fields optional (empty ones past max allowed).  0, or -1.
 */
static int
data_parse(struct plugin_perf *pf, const char *p, size_t len)
{
	const char *f[5] = { "", "", "", "", "" }, *semi;
	size_t fl[5] = { 0 }, k = 0;

	for (;;) {
		semi = memchr(p, ';', len);
		if (k < 5) {
			f[k] = p;
			fl[k] = semi != NULL ? (size_t)(semi - p) : len;
		} else if ((semi != NULL ? (size_t)(semi - p) : len) != 0)
			return -1;	/* a sixth field that says something */
		k++;
		if (semi == NULL)
			break;
		len -= (size_t)(semi - p) + 1;
		p = semi + 1;
	}
	if (value_parse(pf, f[0], fl[0]) != 0 ||
	    range_copy(pf->warn, f[1], fl[1]) != 0 ||
	    range_copy(pf->crit, f[2], fl[2]) != 0 ||
	    bound_parse(f[3], fl[3], &pf->min) != 0 ||
	    bound_parse(f[4], fl[4], &pf->max) != 0)
		return -1;
	return 0;
}

/* Append a label byte: 0, or -1 (a control byte, too long). */
static int
label_add(struct plugin_perf *pf, char c)
{
	if ((unsigned char)c < 0x20 || c == 0x7f ||
	    pf->label_len >= PLUGIN_LABEL_MAX)
		return -1;
	pf->label[pf->label_len++] = c;
	pf->label[pf->label_len] = '\0';
	return 0;
}

/*
 * The label at ${*ip} into ${pf}, ${*ip} then past its '='.  0, or -1
 * with ${*ip} where a bad item's skipping goes on from.
 */
static int
label_parse(struct plugin_perf *pf, const char *p, size_t len, size_t *ip)
{
	size_t i = *ip;
	int bad = 0;

	if (p[i] == '\'') {		/* 'a label', '' a quote */
		for (i++; ; i++) {
			if (i >= len || p[i] == '\n') {
				*ip = i;	/* unclosed on its line */
				return -1;
			}
			if (p[i] == '\'' && (i + 1 >= len || p[i + 1] != '\''))
				break;
			if (p[i] == '\'')
				i++;
			if (label_add(pf, p[i]) != 0)
				bad = 1;
		}
		i++;
	} else {
		for (; i < len && p[i] != '=' && !is_space(p[i]); i++)
			if (p[i] == '\'' || label_add(pf, p[i]) != 0)
				bad = 1;
	}
	*ip = i;
	if (bad || pf->label_len == 0 || i >= len || p[i] != '=')
		return -1;
	*ip = i + 1;
	return 0;
}

/* One item at ${*ip} (not a space); ${*ip} then past it. */
static void
item_parse(struct plugin_out *o, const char *p, size_t len, size_t *ip)
{
	struct plugin_perf tmp, *pf;
	size_t i, start;

	pf = o->nperf < PLUGIN_PERF_MAX ? &o->perf[o->nperf] : &tmp;
	memset(pf, 0, sizeof(*pf));
	i = *ip;
	if (label_parse(pf, p, len, &i) != 0) {
		while (i < len && !is_space(p[i]))
			i++;
		*ip = i;
		o->perf_bad++;
		return;
	}
	for (start = i; i < len && !is_space(p[i]); i++)
		;
	*ip = i;
	if (data_parse(pf, p + start, i - start) != 0)
		o->perf_bad++;
	else if (pf == &tmp)
		o->perf_over++;
	else
		o->nperf++;
}

/**
 * plugin_perf_parse(o, p, len): add the performance data items of the
 * ${len} bytes of ${p} (items separated by spaces, tabs or newlines) to
 * ${o}, counting those skipped.
 */
void
plugin_perf_parse(struct plugin_out *o, const char *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		while (i < len && is_space(p[i]))
			i++;
		if (i >= len)
			return;
		item_parse(o, p, len, &i);
	}
}

/**
 * plugin_out_parse(o, p, len): read the ${len} bytes of a plugin's output
 * ${p} (any bytes: NUL, no newline, CR LF) into ${o}.  ${o}->text and
 * long_text point into ${p}, without the whitespace that ends them.
 */
void
plugin_out_parse(struct plugin_out *o, const void *p, size_t len)
{
	const char *s = p, *end = s + len, *nl, *eol, *bar;

	o->nperf = 0;
	o->perf_bad = o->perf_over = 0;
	o->text = o->long_text = s;
	o->long_len = 0;
	nl = len > 0 ? memchr(s, '\n', len) : NULL;
	eol = nl != NULL ? nl : end;
	bar = eol > s ? memchr(s, '|', (size_t)(eol - s)) : NULL;
	o->text_len = rtrim(s, (size_t)((bar != NULL ? bar : eol) - s));
	if (bar != NULL)
		plugin_perf_parse(o, bar + 1, (size_t)(eol - bar - 1));
	if (nl == NULL)
		return;
	o->long_text = nl + 1;
	bar = end > nl + 1 ? memchr(nl + 1, '|', (size_t)(end - nl - 1)) :
	    NULL;
	o->long_len = rtrim(nl + 1,
	    (size_t)((bar != NULL ? bar : end) - (nl + 1)));
	if (bar != NULL)
		plugin_perf_parse(o, bar + 1, (size_t)(end - bar - 1));
}

/*
 * Split ${s} into words: count them (${argv} NULL) or write them into
 * ${argv} and ${buf}.  The number of words, or -1 with ${why}.
 */
static int
argv_split(const char *s, char **argv, char *buf, char *why, size_t whylen)
{
	int n = 0, inword = 0;
	char q = 0;

	for (;; s++) {
		if (q == 0 && (*s == '\0' || *s == ' ' || *s == '\t')) {
			if (inword && buf != NULL)
				*buf++ = '\0';
			n += inword;
			inword = 0;
			if (*s == '\0')
				break;
			continue;
		}
		if (*s == '\0') {
			snprintf(why, whylen, "a %s quote is not closed",
			    q == '\'' ? "single" : "double");
			return -1;
		}
		if (!inword && n >= PLUGIN_ARGV_MAX) {
			snprintf(why, whylen, "more than %d words",
			    PLUGIN_ARGV_MAX);
			return -1;
		}
		if (!inword && argv != NULL)
			argv[n] = buf;
		inword = 1;
		if (q == 0 && (*s == '\'' || *s == '"')) {
			q = *s;
			continue;
		}
		if (q != 0 && *s == q) {
			q = 0;
			continue;
		}
		if ((q == 0 && *s == '\\') ||
		    (q == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\'))) {
			if (*++s == '\0') {
				snprintf(why, whylen, "a backslash ends it");
				return -1;
			}
		}
		if (buf != NULL)
			*buf++ = *s;
	}
	if (n == 0)
		snprintf(why, whylen, "no program");
	return n == 0 ? -1 : n;
}

/**
 * plugin_argv(s, why, whylen): the words of command line ${s}: split on
 * spaces and tabs; '...' keeps its text as it is, "..." too except that
 * \" and \\ are a quote and a backslash; outside quotes a backslash keeps
 * the next character; quoted and unquoted parts of one word join ('' is
 * an empty word).  No variable, glob or other expansion.  A NULL-ended
 * array in one allocation (free() it), or NULL with the reason in ${why}
 * (no word, an unclosed quote, a trailing backslash, over
 * PLUGIN_ARGV_MAX words; errno ENOMEM: no memory, else EINVAL).
 */
char **
plugin_argv(const char *s, char *why, size_t whylen)
{
	char **argv;
	int n;

	if ((n = argv_split(s, NULL, NULL, why, whylen)) < 0) {
		errno = EINVAL;
		return NULL;
	}
	/* The words are at most the text, and a NUL each. */
	argv = malloc(((size_t)n + 1) * sizeof(*argv) + strlen(s) + 1 +
	    (size_t)n);
	if (argv == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	(void)argv_split(s, argv, (char *)(argv + n + 1), why, whylen);
	argv[n] = NULL;
	return argv;
}
