/*
 * check_conf.h: the configuration of gw-agent's scheduled checks, the
 * [check NAME] sections (gw-agent.ini(5)): each key checked where it is
 * read, the command line split into the program and its arguments (no
 * shell), the program's path resolved against the configuration file's
 * directory, and the defaults that depend on other keys applied once the
 * whole file is read.  No I/O.
 */
#ifndef GW_CHECK_CONF_H
#define GW_CHECK_CONF_H

#include <stddef.h>

#include "conf_report.h"

#define CHECK_MAX		256	/* [check NAME] sections */
#define CHECK_NAME_MAX		128	/* a name's bytes */
#define CHECK_EVERY_MIN		1.0	/* seconds */
#define CHECK_EVERY_MAX		86400.0
#define CHECK_EVERY_DEFAULT	60.0
#define CHECK_TIMEOUT_MIN	0.1
#define CHECK_TIMEOUT_DEFAULT	10.0	/* or half of every, if less */
#define CHECK_OUTPUT_MIN	256	/* max_output, bytes */
#define CHECK_OUTPUT_MAX	49152
#define CHECK_OUTPUT_DEFAULT	16384

/* One [check NAME]. */
struct check_def {
	char		*name;
	char		*command;	/* as written */
	char		**argv;		/* its words (plugin_argv), argv[0]
					   the program's resolved path */
	char		*program;	/* argv[0]'s text */
	double		 every;
	double		 timeout;	/* < every (after conf_check) */
	double		 splay;		/* first run within [0, splay) */
	int		 timeout_set, splay_set;
	size_t		 max_output;
	struct check_def *next;		/* in the file's order */
};

/* Every [check NAME] of one file. */
struct check_conf {
	char		*dir;		/* the configuration file's */
	struct check_def *defs;
	unsigned	 n;
};

/** check_conf_new(dir): no check yet, paths against ${dir}; NULL: errno. */
void *check_conf_new(const char *dir);

/**
 * check_conf_set(conf, name, key, value, why, whylen): key ${key} of
 * [check ${name}]: CONF_SET_OK, CONF_SET_BAD (${why}) or CONF_SET_UNKNOWN.
 */
int check_conf_set(void *conf, const char *name, const char *key,
    const char *value, char *why, size_t whylen);

/**
 * check_conf_check(conf, rep): after the whole file: a command missing, a
 * timeout not below every, a splay over every; the defaults of timeout
 * and splay applied.  The number of errors (each reported to ${rep}).
 */
int check_conf_check(void *conf, const struct conf_report *rep);

/** check_conf_free(conf): NULL-safe. */
void check_conf_free(void *conf);

/** check_conf_any(conf): 1 if it has a check. */
int check_conf_any(const void *conf);

/** check_conf_find(c, name): the check named ${name}, or NULL. */
struct check_def *check_conf_find(const struct check_conf *c,
    const char *name);

#endif /* GW_CHECK_CONF_H */
