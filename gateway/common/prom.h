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

/**
 * prom_label(b, s): append ${s} as a label value (without its quotes):
 * backslash, double quote and newline escaped, other control bytes as '?'.
 */
void prom_label(struct prom_buf *b, const char *s);

#endif /* GW_PROM_H */
