/*
 * conf_report.h: how an input kind's check after the whole configuration
 * file (input.h's conf_check) reports an error: by its section, NAME and
 * key, through a callback.  The loader (agent_config.c) maps the section
 * and key to the line it read them on and writes the one error line
 * "file:line: [section NAME] key: why"; conf_report_text() writes
 * "[section NAME] key: why" lines to a buffer, for callers that have no
 * file (the kinds' own tests).  No I/O.
 */
#ifndef GW_CONF_REPORT_H
#define GW_CONF_REPORT_H

#include <stddef.h>

#define CONF_REPORT_WHY_MAX	512	/* a reason's bytes (longer: cut) */

struct conf_report {
	/*
	 * One error of [${section} ${name}] ${key} (${name} NULL: a section
	 * without a NAME, or a rule over all the kind's sections): ${why}.
	 */
	void	(*fn)(void *arg, const char *section, const char *name,
		    const char *key, const char *why);
	void	*arg;
};

/**
 * conf_reportf(r, section, name, key, fmt, ...): report the error of
 * [${section} ${name}] ${key} formatted from ${fmt} through ${r}.  Return
 * 1 (the kind adds it to its count of errors).
 */
int conf_reportf(const struct conf_report *r, const char *section,
    const char *name, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/**
 * conf_report_line(out, len, section, name, key, why): the error as the
 * text "[section NAME] key: why" (" NAME" only if ${name} is not NULL)
 * into ${out}.
 */
void conf_report_line(char *out, size_t len, const char *section,
    const char *name, const char *key, const char *why);

/* A reporter appending conf_report_line()s to a buffer. */
struct conf_report_text {
	struct conf_report	 r;
	char			*buf;
	size_t			 len;
};

/**
 * conf_report_text(t, buf, len): ${t} set up to append each error to
 * ${buf} (a string of ${len} bytes) as a "[section NAME] key: why" line,
 * cut if full; its reporter.
 */
const struct conf_report *conf_report_text(struct conf_report_text *t,
    char *buf, size_t len);

/* conf_report_text() on a reporter that lives until the block's end. */
#define CONF_REPORT_TEXT(b, n) \
	conf_report_text(&(struct conf_report_text){ .len = 0 }, (b), (n))

#endif /* GW_CONF_REPORT_H */
