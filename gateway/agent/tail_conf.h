/*
 * tail_conf.h: the configuration of followed files, [file NAME] sections
 * (gw-agent.ini(5)): one object for all of them, checked key by key and
 * as a whole.  Pure: no I/O, no logging.
 */
#ifndef GW_TAIL_CONF_H
#define GW_TAIL_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "conf_report.h"

#define TAIL_FROM_BEGINNING	0	/* read_from */
#define TAIL_FROM_END		1
#define TAIL_LONG_SPLIT		0	/* long_lines */
#define TAIL_LONG_DROP		1
#define TAIL_LINE_MIN		256	/* max_line's bounds (a line whose */
#define TAIL_LINE_MAX		32768	/* escaped form does not fit in one
					   event is sent in pieces) */
#define TAIL_FILES_MAX		1024	/* max_files's bound */
#define TAIL_INPUTS_MAX		256	/* [file NAME] sections */
#define TAIL_NAME_MAX		64

struct tail_in_conf {
	char		*name;		/* NAME of [file NAME] */
	char		*path;		/* a path or glob(3) pattern, absolute */
	char		*exclude;	/* fnmatch(3) patterns of base names,
					   comma-separated; NULL: none */
	int		 read_from;	/* TAIL_FROM_* */
	uint32_t	 max_line;	/* bytes */
	int		 long_lines;	/* TAIL_LONG_* */
	double		 partial_wait;	/* seconds */
	double		 poll;		/* seconds */
	double		 ignore_older;	/* seconds; 0: off */
	uint32_t	 max_files;
	int		 follow_symlinks; /* 0: a symlink is not read */
};

struct tail_conf {
	char		*dir;		/* the configuration file's directory */
	struct tail_in_conf *in;
	size_t		 n;
};

/** tail_conf_new(dir): an empty configuration, or NULL (errno). */
void *tail_conf_new(const char *dir);

/**
 * tail_conf_set(conf, name, key, value, why, whylen): one key of
 * [file ${name}]: CONF_SET_OK, CONF_SET_BAD or CONF_SET_UNKNOWN.
 */
int tail_conf_set(void *conf, const char *name, const char *key,
    const char *value, char *why, size_t whylen);

/**
 * tail_conf_check(conf, rep): after the whole file: a path missing, more
 * files in all than the journal keeps.  The number of errors (each
 * reported to ${rep}).
 */
int tail_conf_check(void *conf, const struct conf_report *rep);

/** tail_conf_free(conf): NULL-safe. */
void tail_conf_free(void *conf);

/** tail_conf_any(conf): 1 if a [file NAME] section was given. */
int tail_conf_any(const void *conf);

/**
 * tail_conf_excluded(c, path): 1 if the base name of ${path} matches one
 * of ${c}'s exclude patterns.
 */
int tail_conf_excluded(const struct tail_in_conf *c, const char *path);

#endif /* GW_TAIL_CONF_H */
