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
