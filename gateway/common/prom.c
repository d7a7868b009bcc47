/*
 * prom.c: the Prometheus text format into a buffer (prom.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "prom.h"

/** prom_printf(b, fmt, ...): append to ${b}, like snprintf. */
void
prom_printf(struct prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->off < b->len ? b->p + b->off : NULL,
	    b->off < b->len ? b->len - b->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n;
}

/** prom_head(b, name, type, help): a metric's HELP and TYPE lines. */
void
prom_head(struct prom_buf *b, const char *name, const char *type,
    const char *help)
{
	prom_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/** prom_one(b, name, type, help, v): a metric of one value ${v}. */
void
prom_one(struct prom_buf *b, const char *name, const char *type,
    const char *help, unsigned long long v)
{
	prom_head(b, name, type, help);
	prom_printf(b, "%s %llu\n", name, v);
}

/**
 * prom_two(b, name, type, help, label, k1, v1, k2, v2): a metric with two
 * values of one label: name{label="k1"} v1, name{label="k2"} v2.
 */
void
prom_two(struct prom_buf *b, const char *name, const char *type,
    const char *help, const char *label, const char *k1, uint64_t v1,
    const char *k2, uint64_t v2)
{
	prom_head(b, name, type, help);
	prom_printf(b, "%s{%s=\"%s\"} %llu\n%s{%s=\"%s\"} %llu\n", name, label,
	    k1, (unsigned long long)v1, name, label, k2,
	    (unsigned long long)v2);
}

/* The latency buckets' upper bounds (s). */
static const double prom_lat_le[PROM_LAT_BUCKETS] = {
	0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002,
	0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
};

/**
 * prom_lat_bound(i): the upper bound (seconds) of latency bucket ${i} <
 * PROM_LAT_BUCKETS, or 0.
 */
double
prom_lat_bound(unsigned i)
{
	return i < PROM_LAT_BUCKETS ? prom_lat_le[i] : 0;
}

/**
 * prom_lat_bucket(v): the latency bucket of ${v} seconds: the first whose
 * bound is at least ${v}, or PROM_LAT_BUCKETS (+Inf only).
 */
unsigned
prom_lat_bucket(double v)
{
	unsigned i = 0;

	while (i < PROM_LAT_BUCKETS && v > prom_lat_le[i])
		i++;
	return i;
}

/**
 * prom_lat_hist(b, name, help, le, count, sum): latency histogram ${name}
 * from counts per bucket ${le} (PROM_LAT_BUCKETS of them, not
 * cumulative), ${count} observations (those above the last bound
 * included) of ${sum} seconds.
 */
void
prom_lat_hist(struct prom_buf *b, const char *name, const char *help,
    const uint64_t *le, uint64_t count, double sum)
{
	uint64_t cum = 0;

	prom_head(b, name, "histogram", help);
	for (unsigned i = 0; i < PROM_LAT_BUCKETS; i++) {
		cum += le[i];
		prom_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
		    prom_lat_le[i], (unsigned long long)cum);
	}
	prom_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count "
	    "%llu\n", name, (unsigned long long)count, name, sum, name,
	    (unsigned long long)count);
}

/**
 * prom_label(b, s): append ${s} as a label value (without its quotes):
 * backslash, double quote and newline escaped, other control bytes as '?'.
 */
void
prom_label(struct prom_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\' || c == '"')
			prom_printf(b, "\\%c", c);
		else if (c == '\n')
			prom_printf(b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			prom_printf(b, "?");
		else
			prom_printf(b, "%c", c);
	}
}
