/*
 * check_conf.c: the [check NAME] sections (check_conf.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_conf.h"
#include "conf_util.h"
#include "plugin_out.h"

/**
 * check_conf_new(dir): no check yet, paths against ${dir}; NULL: errno.
 */
void *
check_conf_new(const char *dir)
{
	struct check_conf *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->dir = strdup(dir != NULL ? dir : ".")) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/** check_conf_find(c, name): the check named ${name}, or NULL. */
struct check_def *
check_conf_find(const struct check_conf *c, const char *name)
{
	struct check_def *d;

	for (d = c->defs; d != NULL; d = d->next)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* A name: 1 to CHECK_NAME_MAX printable ASCII bytes.  0, or -1. */
static int
name_ok(const char *name, char *why, size_t whylen)
{
	size_t i, n;

	if (name == NULL || (n = strlen(name)) == 0) {
		snprintf(why, whylen, "a check needs a name: [check NAME]");
		return -1;
	}
	if (n > CHECK_NAME_MAX) {
		snprintf(why, whylen, "a check's name is at most %d bytes",
		    CHECK_NAME_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (name[i] < 0x20 || name[i] > 0x7e) {
			snprintf(why, whylen, "a check's name is printable "
			    "ASCII");
			return -1;
		}
	return 0;
}

/* The check ${name}, added (with the defaults) if new; NULL: ${why}. */
static struct check_def *
def_get(struct check_conf *c, const char *name, char *why, size_t whylen)
{
	struct check_def *d, **tail;

	if (name_ok(name, why, whylen) != 0)
		return NULL;
	if ((d = check_conf_find(c, name)) != NULL)
		return d;
	if (c->n >= CHECK_MAX) {
		snprintf(why, whylen, "more than %d checks", CHECK_MAX);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->name = strdup(name)) == NULL) {
		free(d);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	d->every = CHECK_EVERY_DEFAULT;
	d->max_output = CHECK_OUTPUT_DEFAULT;
	for (tail = &c->defs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = d;
	c->n++;
	return d;
}

/* command: its words, the program resolved.  0, or -1 with ${why}. */
static int
command_set(struct check_conf *c, struct check_def *d, const char *value,
    char *why, size_t whylen)
{
	char **argv, *cmd, *prog;

	if ((argv = plugin_argv(value, why, whylen)) == NULL)
		return -1;
	if (argv[0][0] == '\0') {
		snprintf(why, whylen, "the program is an empty word");
		free(argv);
		return -1;
	}
	prog = conf_path(c->dir, argv[0]);
	cmd = strdup(value);
	if (prog == NULL || cmd == NULL) {
		snprintf(why, whylen, "out of memory");
		free(prog);
		free(cmd);
		free(argv);
		return -1;
	}
	free(d->argv);
	free(d->program);
	free(d->command);
	argv[0] = prog;
	d->argv = argv;
	d->program = prog;
	d->command = cmd;
	return 0;
}

/**
 * check_conf_set(conf, name, key, value, why, whylen): key ${key} of
 * [check ${name}]: CONF_SET_OK, CONF_SET_BAD (${why}) or CONF_SET_UNKNOWN.
 */
int
check_conf_set(void *conf, const char *name, const char *key,
    const char *value, char *why, size_t whylen)
{
	struct check_conf *c = conf;
	struct check_def *d;
	uint64_t u;
	int rc = -1;

	if (strcmp(key, "command") != 0 && strcmp(key, "every") != 0 &&
	    strcmp(key, "timeout") != 0 && strcmp(key, "splay") != 0 &&
	    strcmp(key, "max_output") != 0)
		return CONF_SET_UNKNOWN;
	if ((d = def_get(c, name, why, whylen)) == NULL)
		return CONF_SET_BAD;
	if (strcmp(key, "command") == 0)
		rc = command_set(c, d, value, why, whylen);
	else if (strcmp(key, "every") == 0)
		rc = conf_duration(value, CHECK_EVERY_MIN, CHECK_EVERY_MAX,
		    &d->every, why, whylen);
	else if (strcmp(key, "timeout") == 0 && (rc = conf_duration(value,
	    CHECK_TIMEOUT_MIN, CHECK_EVERY_MAX, &d->timeout, why,
	    whylen)) == 0)
		d->timeout_set = 1;
	else if (strcmp(key, "splay") == 0 && (rc = conf_duration(value, 0,
	    CHECK_EVERY_MAX, &d->splay, why, whylen)) == 0)
		d->splay_set = 1;
	else if (strcmp(key, "max_output") == 0 && (rc = conf_size(value,
	    CHECK_OUTPUT_MIN, CHECK_OUTPUT_MAX, &u, why, whylen)) == 0)
		d->max_output = (size_t)u;
	return rc == 0 ? CONF_SET_OK : CONF_SET_BAD;
}

/* One check's defaults and cross-key rules: the number of errors. */
static int
def_check(struct check_def *d, const struct conf_report *rep)
{
	int n = 0;

	if (!d->timeout_set)
		d->timeout = d->every / 2 < CHECK_TIMEOUT_DEFAULT ?
		    d->every / 2 : CHECK_TIMEOUT_DEFAULT;
	if (!d->splay_set)
		d->splay = d->every;
	if (d->command == NULL)
		n += conf_reportf(rep, "check", d->name, "command", "missing "
		    "(the plugin to run and its arguments)");
	if (d->timeout >= d->every)
		n += conf_reportf(rep, "check", d->name, "timeout", "%gs must "
		    "be less than every (%gs)", d->timeout, d->every);
	if (d->splay > d->every)
		n += conf_reportf(rep, "check", d->name, "splay", "%gs is more "
		    "than every (%gs)", d->splay, d->every);
	return n;
}

/**
 * check_conf_check(conf, rep): after the whole file: a command missing, a
 * timeout not below every, a splay over every; the defaults of timeout
 * and splay applied.  The number of errors (each reported to ${rep}).
 */
int
check_conf_check(void *conf, const struct conf_report *rep)
{
	struct check_conf *c = conf;
	struct check_def *d;
	int n = 0;

	for (d = c->defs; d != NULL; d = d->next)
		n += def_check(d, rep);
	return n;
}

/** check_conf_free(conf): NULL-safe. */
void
check_conf_free(void *conf)
{
	struct check_conf *c = conf;
	struct check_def *d, *next;

	if (c == NULL)
		return;
	for (d = c->defs; d != NULL; d = next) {
		next = d->next;
		free(d->name);
		free(d->command);
		free(d->argv);
		free(d->program);
		free(d);
	}
	free(c->dir);
	free(c);
}

/** check_conf_any(conf): 1 if it has a check. */
int
check_conf_any(const void *conf)
{
	const struct check_conf *c = conf;

	return c != NULL && c->n > 0;
}
