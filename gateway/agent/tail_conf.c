/*
 * tail_conf.c: the configuration of followed files (tail_conf.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf_util.h"
#include "posmap.h"
#include "tail_conf.h"

/** tail_conf_new(dir): an empty configuration, or NULL (errno). */
void *
tail_conf_new(const char *dir)
{
	struct tail_conf *c;
	char cwd[4096];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (dir == NULL)
		dir = ".";
	/* Paths followed are kept absolute: they are the journal's keys. */
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		c->dir = strcmp(dir, ".") == 0 ? strdup(cwd) :
		    conf_path(cwd, dir);
	else
		c->dir = strdup(dir);
	if (c->dir == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

/* The input [file ${name}], added with its defaults if new; NULL if none
 * can be added (${why} says why). */
static struct tail_in_conf *
tail_conf_input(struct tail_conf *c, const char *name, char *why,
    size_t whylen)
{
	struct tail_in_conf *in;

	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->in[i].name, name) == 0)
			return &c->in[i];
	if (name[0] == '\0' || strlen(name) > TAIL_NAME_MAX) {
		snprintf(why, whylen, "a name of 1 to %d bytes is needed",
		    TAIL_NAME_MAX);
		return NULL;
	}
	if (c->n >= TAIL_INPUTS_MAX) {
		snprintf(why, whylen, "more than %d [file] sections",
		    TAIL_INPUTS_MAX);
		return NULL;
	}
	if ((in = reallocarray(c->in, c->n + 1, sizeof(*in))) == NULL)
		goto nomem;
	c->in = in;
	in = &c->in[c->n];
	*in = (struct tail_in_conf){ .read_from = TAIL_FROM_END,
	    .max_line = 16384, .long_lines = TAIL_LONG_SPLIT,
	    .partial_wait = 5.0, .poll = 0.25, .max_files = 64 };
	if ((in->name = strdup(name)) == NULL)
		goto nomem;
	c->n++;
	return in;
nomem:
	snprintf(why, whylen, "out of memory");
	return NULL;
}

/* Replace the string ${*dst} by ${s} (taken); -1 if ${s} is NULL. */
static int
tail_conf_str(char **dst, char *s, char *why, size_t whylen)
{
	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return CONF_SET_BAD;
	}
	free(*dst);
	*dst = s;
	return CONF_SET_OK;
}

/* One of the words of ${words} ("a|b"): its index into ${out}. */
static int
tail_conf_choice(const char *value, const char *a, const char *b, int *out,
    char *why, size_t whylen)
{
	if (strcmp(value, a) == 0)
		*out = 0;
	else if (strcmp(value, b) == 0)
		*out = 1;
	else {
		snprintf(why, whylen, "%s or %s", a, b);
		return CONF_SET_BAD;
	}
	return CONF_SET_OK;
}

/* A value of a numeric key into ${in}. */
static int
tail_conf_num(struct tail_in_conf *in, const char *key, const char *value,
    char *why, size_t whylen)
{
	uint64_t u;

	if (strcmp(key, "max_line") == 0) {
		if (conf_size(value, TAIL_LINE_MIN, TAIL_LINE_MAX, &u, why,
		    whylen) != 0)
			return CONF_SET_BAD;
		in->max_line = (uint32_t)u;
	} else if (strcmp(key, "max_files") == 0) {
		if (conf_uint(value, 1, TAIL_FILES_MAX, &u, why, whylen) != 0)
			return CONF_SET_BAD;
		in->max_files = (uint32_t)u;
	} else if (strcmp(key, "partial_wait") == 0) {
		if (conf_duration(value, 0, 3600, &in->partial_wait, why,
		    whylen) != 0)
			return CONF_SET_BAD;
	} else if (strcmp(key, "ignore_older") == 0) {
		if (conf_duration(value, 0, 3650 * 86400.0, &in->ignore_older,
		    why, whylen) != 0)
			return CONF_SET_BAD;
	} else if (strcmp(key, "poll") == 0) {
		if (conf_duration(value, 0.01, 60, &in->poll, why,
		    whylen) != 0)
			return CONF_SET_BAD;
	} else
		return CONF_SET_UNKNOWN;
	return CONF_SET_OK;
}

/**
 * tail_conf_set(conf, name, key, value, why, whylen): one key of
 * [file ${name}]: CONF_SET_OK, CONF_SET_BAD or CONF_SET_UNKNOWN.
 */
int
tail_conf_set(void *conf, const char *name, const char *key,
    const char *value, char *why, size_t whylen)
{
	struct tail_conf *c = conf;
	struct tail_in_conf *in;

	if (name == NULL) {
		snprintf(why, whylen, "[file NAME]: a name is needed");
		return CONF_SET_BAD;
	}
	if ((in = tail_conf_input(c, name, why, whylen)) == NULL)
		return CONF_SET_BAD;
	if (strcmp(key, "path") == 0) {
		if (value[0] == '\0' || strlen(value) >= POS_KEY_MAX / 2) {
			snprintf(why, whylen, "a path of 1 to %d bytes",
			    POS_KEY_MAX / 2 - 1);
			return CONF_SET_BAD;
		}
		return tail_conf_str(&in->path, conf_path(c->dir, value), why,
		    whylen);
	}
	if (strcmp(key, "exclude") == 0)
		return tail_conf_str(&in->exclude, value[0] != '\0' ?
		    strdup(value) : NULL, why, whylen);
	if (strcmp(key, "read_from") == 0)
		return tail_conf_choice(value, "beginning", "end",
		    &in->read_from, why, whylen);
	if (strcmp(key, "long_lines") == 0)
		return tail_conf_choice(value, "split", "drop",
		    &in->long_lines, why, whylen);
	if (strcmp(key, "follow_symlinks") == 0)
		return conf_bool(value, &in->follow_symlinks, why, whylen) ==
		    0 ? CONF_SET_OK : CONF_SET_BAD;
	return tail_conf_num(in, key, value, why, whylen);
}

/**
 * tail_conf_check(conf, rep): after the whole file: a path missing, more
 * files in all than the journal keeps.  The number of errors (each
 * reported to ${rep}).
 */
int
tail_conf_check(void *conf, const struct conf_report *rep)
{
	struct tail_conf *c = conf;
	uint64_t files = 0;
	int errors = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->in[i].path == NULL)
			errors += conf_reportf(rep, "file", c->in[i].name,
			    "path", "missing");
		files += c->in[i].max_files;
	}
	if (files > POSMAP_MAX)
		errors += conf_reportf(rep, "file", NULL, "max_files", "%llu "
		    "files in all, more than %d", (unsigned long long)files,
		    POSMAP_MAX);
	return errors;
}

/** tail_conf_free(conf): NULL-safe. */
void
tail_conf_free(void *conf)
{
	struct tail_conf *c = conf;

	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->in[i].name);
		free(c->in[i].path);
		free(c->in[i].exclude);
	}
	free(c->in);
	free(c->dir);
	free(c);
}

/** tail_conf_any(conf): 1 if a [file NAME] section was given. */
int
tail_conf_any(const void *conf)
{
	const struct tail_conf *c = conf;

	return c != NULL && c->n > 0;
}

/**
 * tail_conf_excluded(c, path): 1 if the base name of ${path} matches one
 * of ${c}'s exclude patterns.
 */
int
tail_conf_excluded(const struct tail_in_conf *c, const char *path)
{
	const char *base = strrchr(path, '/'), *p, *comma;
	char pat[256];
	size_t n;

	base = base != NULL ? base + 1 : path;
	for (p = c->exclude; p != NULL && *p != '\0'; p = comma + 1) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		n = (size_t)(comma - p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0 && n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (fnmatch(pat, base, 0) == 0)
				return 1;
		}
		if (*comma == '\0')
			break;
	}
	return 0;
}
