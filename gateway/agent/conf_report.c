/*
 * conf_report.c: reporting the errors of an input kind's check after the
 * whole configuration file (conf_report.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "conf_report.h"
#include "conf_util.h"

/**
 * conf_reportf(r, section, name, key, fmt, ...): report the error of
 * [${section} ${name}] ${key} formatted from ${fmt} through ${r}.  Return
 * 1 (the kind adds it to its count of errors).
 */
int
conf_reportf(const struct conf_report *r, const char *section,
    const char *name, const char *key, const char *fmt, ...)
{
	char why[CONF_REPORT_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	r->fn(r->arg, section, name, key, why);
	return 1;
}

/**
 * conf_report_line(out, len, section, name, key, why): the error as the
 * text "[section NAME] key: why" (" NAME" only if ${name} is not NULL)
 * into ${out}.
 */
void
conf_report_line(char *out, size_t len, const char *section,
    const char *name, const char *key, const char *why)
{
	snprintf(out, len, "[%s%s%s] %s: %s", section, name != NULL ? " " : "",
	    name != NULL ? name : "", key, why);
}

/* conf_report's fn for conf_report_text: one line appended. */
static void
conf_report_append(void *arg, const char *section, const char *name,
    const char *key, const char *why)
{
	struct conf_report_text *t = arg;
	char line[CONF_REPORT_WHY_MAX + 512];

	conf_report_line(line, sizeof(line), section, name, key, why);
	conf_errf(t->buf, t->len, "%s", line);
}

/**
 * conf_report_text(t, buf, len): ${t} set up to append each error to
 * ${buf} (a string of ${len} bytes) as a "[section NAME] key: why" line,
 * cut if full; its reporter.
 */
const struct conf_report *
conf_report_text(struct conf_report_text *t, char *buf, size_t len)
{
	t->r.fn = conf_report_append;
	t->r.arg = t;
	t->buf = buf;
	t->len = len;
	return &t->r;
}
