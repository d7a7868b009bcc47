/*
 * prom.h: writing the Prometheus text format (version 0.0.4) into a
 * caller's buffer, as snprintf does: what does not fit is counted, so a
 * first pass with no buffer sizes the second.  No I/O, no allocation.
 */
#ifndef GW_PROM_H
#define GW_PROM_H

#include <stddef.h>
#include <stdint.h>

/* An appender: ${p} (or NULL), ${len} bytes; ${off} counts what it needs. */
struct prom_buf {
	char	*p;
	size_t	 len, off;
};

/** prom_printf(b, fmt, ...): append to ${b}, like snprintf. */
void prom_printf(struct prom_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** prom_head(b, name, type, help): a metric's HELP and TYPE lines. */
void prom_head(struct prom_buf *b, const char *name, const char *type,
    const char *help);

/** prom_one(b, name, type, help, v): a metric of one value ${v}. */
void prom_one(struct prom_buf *b, const char *name, const char *type,
    const char *help, unsigned long long v);

/**
 * prom_two(b, name, type, help, label, k1, v1, k2, v2): a metric with two
 * values of one label: name{label="k1"} v1, name{label="k2"} v2.
 */
void prom_two(struct prom_buf *b, const char *name, const char *type,
    const char *help, const char *label, const char *k1, uint64_t v1,
    const char *k2, uint64_t v2);

/*
 * The buckets of the latency histograms (prom_lat_bound): 10 us .. 5 s,
 * fine at the low end, with 2 ms and 20 ms among them.
 */
#define PROM_LAT_BUCKETS	18

/**
 * prom_lat_bound(i): the upper bound (seconds) of latency bucket ${i} <
 * PROM_LAT_BUCKETS, or 0.
 */
double prom_lat_bound(unsigned i);

/**
 * prom_lat_bucket(v): the latency bucket of ${v} seconds: the first whose
 * bound is at least ${v}, or PROM_LAT_BUCKETS (+Inf only).
 */
unsigned prom_lat_bucket(double v);

/**
 * prom_lat_hist(b, name, help, le, count, sum): latency histogram ${name}
 * from counts per bucket ${le} (PROM_LAT_BUCKETS of them, not
 * cumulative), ${count} observations (those above the last bound
 * included) of ${sum} seconds.
 */
void prom_lat_hist(struct prom_buf *b, const char *name, const char *help,
    const uint64_t *le, uint64_t count, double sum);

/**
 * prom_label(b, s): append ${s} as a label value (without its quotes):
 * backslash, double quote and newline escaped, other control bytes as '?'.
 */
void prom_label(struct prom_buf *b, const char *s);

#endif /* GW_PROM_H */
