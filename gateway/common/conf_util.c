/*
 * conf_util.c: inih glue with file:line errors, and the table-driven
 * loader (the typed value parsers are in conf_value.c).
 * inih's packaged build does not pass line numbers to the handler, so we
 * parse through ini_parse_stream with a reader that counts the lines it
 * hands out: the handler always runs on the line read last.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <ini.h>

#include "conf_util.h"
#include "net.h"
#include "log.h"

/* inih keeps 49 bytes of a section's or a key's name (its MAX_SECTION and
 * MAX_NAME, 50 with the NUL). */
#define CONF_SECTION_MAX	49
#define CONF_KEY_MAX		49

struct conf_seen;

struct conf_ctx {
	const char	*text;		/* unread rest */
	const char	*label;
	int		 line;
	conf_set_fn	*set;
	conf_seen_fn	*seen_fn;	/* or NULL */
	void		*cfg;
	char		*err;
	size_t		 errlen;
	int		 nerr;
	struct conf_seen *seen;		/* every key set, to refuse a second */
	size_t		 nseen, capseen;
};

/* A key already set: "section\nkey" and its line. */
struct conf_seen {
	char	id[CONF_SECTION_MAX + CONF_KEY_MAX + 2];
	int	line;
};

static void conf_section_len(struct conf_ctx *, const char *);
static int conf_load_seen(const char *, const char *, conf_set_fn *,
    conf_seen_fn *, void *, char *, size_t);
static int conf_load_file_seen(const char *, conf_set_fn *, conf_seen_fn *,
    void *, char *, size_t);

/**
 * conf_errf(err, errlen, fmt, ...): append one formatted line to ${err}
 * (used by validators for errors that have no line, such as a missing
 * required key).
 */
void
conf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	size_t n = strnlen(err, errlen);
	va_list ap;

	if (n + 1 >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
	n = strnlen(err, errlen);
	if (n + 1 < errlen && (n == 0 || err[n - 1] != '\n')) {
		err[n] = '\n';
		err[n + 1] = '\0';
	}
}

static char *
conf_reader(char *buf, int size, void *stream)
{
	struct conf_ctx *x = stream;
	const char *nl;
	size_t n;

	if (*x->text == '\0')
		return NULL;
	nl = strchr(x->text, '\n');
	n = nl ? (size_t)(nl - x->text) + 1 : strlen(x->text);
	if (n > (size_t)size - 1)
		n = (size_t)size - 1;	/* inih reports over-long lines */
	memcpy(buf, x->text, n);
	buf[n] = '\0';
	x->text += n;
	x->line++;
	conf_section_len(x, buf);
	return buf;
}

/*
 * An error if ${line} is a section header whose name is longer than
 * CONF_SECTION_MAX: inih cuts a name to 49 bytes without a word, so two
 * long names alike at the start would be read as one section.
 */
static void
conf_section_len(struct conf_ctx *x, const char *line)
{
	size_t n;

	if (x->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3;		/* inih skips a UTF-8 BOM */
	while (isspace((unsigned char)*line))
		line++;			/* as inih's lskip */
	if (*line != '[')
		return;
	n = strcspn(line + 1, "]");
	if (line[1 + n] == ']' && n > CONF_SECTION_MAX) {
		conf_errf(x->err, x->errlen, "%s:%d: [%.32s...]: a section "
		    "name longer than %d bytes", x->label, x->line, line + 1,
		    CONF_SECTION_MAX);
		x->nerr++;
	}
}

/* Remember that ${id} was set at ${line}; -1 if out of memory. */
static int
conf_seen_add(struct conf_ctx *x, const char *id)
{
	struct conf_seen *p;
	size_t cap;

	if (x->nseen == x->capseen) {
		cap = x->capseen ? x->capseen * 2 : 64;
		if ((p = reallocarray(x->seen, cap, sizeof(*p))) == NULL)
			return -1;
		x->seen = p;
		x->capseen = cap;
	}
	snprintf(x->seen[x->nseen].id, sizeof(x->seen[0].id), "%s", id);
	x->seen[x->nseen++].line = x->line;
	return 0;
}

static int
conf_handler(void *user, const char *section, const char *key,
    const char *value)
{
	struct conf_ctx *x = user;
	char why[256] = "", id[sizeof(x->seen[0].id)];
	size_t i;
	int rc;

	snprintf(id, sizeof(id), "%s\n%s", section, key);
	for (i = 0; i < x->nseen; i++)
		if (strcmp(x->seen[i].id, id) == 0) {
			conf_errf(x->err, x->errlen, "%s:%d: [%s] %s: set twice "
			    "(first at line %d)", x->label, x->line, section,
			    key, x->seen[i].line);
			x->nerr++;
			return 1;
		}
	if (conf_seen_add(x, id) == -1) {
		conf_errf(x->err, x->errlen, "%s: out of memory", x->label);
		x->nerr++;
		return 1;
	}
	rc = x->set(x->cfg, section, key, value, why, sizeof(why));
	if (rc == CONF_SET_UNKNOWN) {
		conf_errf(x->err, x->errlen, "%s:%d: [%s] %s: unknown key",
		    x->label, x->line, section, key);
		x->nerr++;
	} else if (rc != CONF_SET_OK) {
		conf_errf(x->err, x->errlen, "%s:%d: [%s] %s: %s", x->label,
		    x->line, section, key, why[0] ? why : "bad value");
		x->nerr++;
	}
	if (x->seen_fn != NULL)
		x->seen_fn(x->cfg, section, key, x->line, rc);
	return 1;	/* go on: collect every error */
}

/**
 * conf_load_string(text, label, set, cfg, err, errlen):
 * Parse INI ${text}, calling ${set} for every key.  ${label} names the
 * source in messages (a file name).  Every error (syntax, unknown key, bad
 * value) appends one "label:line: [section] key: why\n" line to ${err}
 * (truncated if full).  Return the number of errors (0: all good).
 */
int
conf_load_string(const char *text, const char *label, conf_set_fn *set,
    void *cfg, char *err, size_t errlen)
{
	return conf_load_seen(text, label, set, NULL, cfg, err, errlen);
}

/* conf_load_string, ${seen} (if not NULL) told of every key read. */
static int
conf_load_seen(const char *text, const char *label, conf_set_fn *set,
    conf_seen_fn *seen, void *cfg, char *err, size_t errlen)
{
	struct conf_ctx *x;
	int rc, n;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		conf_errf(err, errlen, "%s: out of memory", label);
		return 1;
	}
	x->text = text;
	x->label = label;
	x->set = set;
	x->seen_fn = seen;
	x->cfg = cfg;
	x->err = err;
	x->errlen = errlen;
	rc = ini_parse_stream(conf_reader, x, conf_handler, x);
	if (rc > 0) {
		conf_errf(err, errlen, "%s:%d: syntax error (expected "
		    "[section] or key = value)", label, rc);
		x->nerr++;
	} else if (rc < 0) {
		conf_errf(err, errlen, "%s: cannot parse", label);
		x->nerr++;
	}
	n = x->nerr;
	free(x->seen);
	free(x);
	return n;
}

/**
 * conf_load_file(path, set, cfg, err, errlen): read ${path} and call
 * conf_load_string on it.  A file that cannot be read is one error
 * "path: why".  Return the number of errors.
 */
int
conf_load_file(const char *path, conf_set_fn *set, void *cfg, char *err,
    size_t errlen)
{
	return conf_load_file_seen(path, set, NULL, cfg, err, errlen);
}

/* conf_load_file, ${seen} (if not NULL) told of every key read. */
static int
conf_load_file_seen(const char *path, conf_set_fn *set, conf_seen_fn *seen,
    void *cfg, char *err, size_t errlen)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	int n;

	if ((f = fopen(path, "r")) == NULL) {
		conf_errf(err, errlen, "%s: %s", path, strerror(errno));
		return 1;
	}
	{
		FILE *m = open_memstream(&text, &len);
		char buf[4096];
		size_t r;

		if (m == NULL) {
			fclose(f);
			conf_errf(err, errlen, "%s: out of memory", path);
			return 1;
		}
		while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, r, m);
		fclose(m);
	}
	fclose(f);
	if (strlen(text) != len) {
		free(text);
		conf_errf(err, errlen, "%s: contains a NUL byte", path);
		return 1;
	}
	n = conf_load_seen(text, path, set, seen, cfg, err, errlen);
	free(text);
	return n;
}

struct conf_table {
	const struct conf_key	*keys;
	size_t			 n;
	void			*cfg;
	const char		*basedir;
	unsigned char		*set;		/* set[i]: key i was given */
	conf_set_fn		*more;		/* keys not in the table */
	conf_seen_fn		*seen;		/* or NULL */
};

/* ${value}'s index among the words of ${words} ("a|b|c"), into ${out}. */
static int
conf_choice(const char *words, const char *value, int *out, char *why,
    size_t whylen)
{
	size_t vl = strlen(value), used;
	const char *w = words, *bar;
	int i = 0;

	for (;; i++) {
		bar = strchr(w, '|');
		if ((bar != NULL ? (size_t)(bar - w) : strlen(w)) == vl &&
		    strncmp(w, value, vl) == 0) {
			*out = i;
			return 0;
		}
		if (bar == NULL)
			break;
		w = bar + 1;
	}
	used = (size_t)snprintf(why, whylen, "'%s' is not ", value);
	for (w = words; used < whylen; w = bar + 1) {
		bar = strchr(w, '|');
		used += (size_t)snprintf(why + used, whylen - used, "%.*s%s",
		    (int)(bar != NULL ? (size_t)(bar - w) : strlen(w)), w,
		    bar == NULL ? "" : strchr(bar + 1, '|') != NULL ? ", " :
		    " or ");
		if (bar == NULL)
			break;
	}
	return -1;
}

static int
conf_key_set(void *cfg, const struct conf_key *k, const char *basedir,
    const char *value, char *why, size_t whylen)
{
	void *p = (char *)cfg + k->off;
	uint64_t u;
	double d;
	char *s;

	switch (k->type) {
	case CONF_ADDR_LIST:
		if (conf_addr_list(value, why, whylen) != 0)
			return -1;
		goto string;
	case CONF_ADDR:
		if (conf_addr(value, why, whylen) != 0)
			return -1;
		/* FALLTHROUGH */
	case CONF_STR:
	case CONF_PATH:
	string:
		if (*value == '\0') {
			snprintf(why, whylen, "empty value");
			return -1;
		}
		s = k->type == CONF_PATH ? conf_path(basedir, value) :
		    strdup(value);
		if (s == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	case CONF_UINT:
	case CONF_SIZE:
		if ((k->type == CONF_UINT ? conf_uint : conf_size)(value,
		    (uint64_t)k->min, (uint64_t)k->max, &u, why, whylen) != 0)
			return -1;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case CONF_DUR:
		if (conf_duration(value, k->min, k->max, &d, why, whylen) != 0)
			return -1;
		*(double *)p = d;
		return 0;
	case CONF_BOOL:
		return conf_bool(value, (int *)p, why, whylen);
	case CONF_LOG:
		if (log_level_parse(value, (enum log_level *)p) != 0) {
			snprintf(why, whylen, "'%s' is not debug, info, warn "
			    "or error", value);
			return -1;
		}
		return 0;
	case CONF_CHOICE:
		return conf_choice(k->def, value, (int *)p, why, whylen);
	}
	return -1;
}

static int
conf_table_set(void *arg, const char *section, const char *name,
    const char *value, char *why, size_t whylen)
{
	struct conf_table *t = arg;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].section, section) == 0 &&
		    strcmp(t->keys[i].name, name) == 0) {
			if (conf_key_set(t->cfg, &t->keys[i], t->basedir,
			    value, why, whylen) != 0)
				return CONF_SET_BAD;
			t->set[i] = 1;
			return CONF_SET_OK;
		}
	if (t->more != NULL)
		return t->more(t->cfg, section, name, value, why, whylen);
	return CONF_SET_UNKNOWN;
}

/**
 * conf_table_load(keys, n, cfg, text, label, basedir, err, errlen):
 * Apply every default of the ${n} ${keys} to ${cfg} (zeroed by the
 * caller), then parse ${text} (or, if ${text} is NULL, the file ${label})
 * into it, relative paths against ${basedir}.  A missing required key is an error too.  Return the
 * number of errors, each described by one line in ${err}.
 */
int
conf_table_load(const struct conf_key *keys, size_t n, void *cfg,
    const char *text, const char *label, const char *basedir, char *err,
    size_t errlen)
{
	return conf_table_load_more(keys, n, NULL, cfg, text, label, basedir,
	    err, errlen);
}

/**
 * conf_table_load_more(keys, n, more, cfg, text, label, basedir, err,
 * errlen): conf_table_load, and the keys the table does not name (such as
 * those of sections named by the user) go to ${more}, if not NULL.
 */
int
conf_table_load_more(const struct conf_key *keys, size_t n,
    conf_set_fn *more, void *cfg, const char *text, const char *label,
    const char *basedir, char *err, size_t errlen)
{
	return conf_table_load_seen(keys, n, more, NULL, cfg, text, label,
	    basedir, err, errlen);
}

/* Forward a key read to the table's seen hook, with the caller's cfg. */
static void
conf_table_seen(void *arg, const char *section, const char *key, int line,
    int rc)
{
	struct conf_table *t = arg;

	t->seen(t->cfg, section, key, line, rc);
}

/**
 * conf_table_load_seen(keys, n, more, seen, cfg, text, label, basedir,
 * err, errlen): conf_table_load_more, and ${seen} (if not NULL) told of
 * every key read with its line.
 */
int
conf_table_load_seen(const struct conf_key *keys, size_t n,
    conf_set_fn *more, conf_seen_fn *seen, void *cfg, const char *text,
    const char *label, const char *basedir, char *err, size_t errlen)
{
	struct conf_table t = { keys, n, cfg, basedir, NULL, more, seen };
	conf_seen_fn *hook = seen != NULL ? conf_table_seen : NULL;
	char why[128];
	int nerr;

	err[0] = '\0';
	if ((t.set = calloc(n ? n : 1, 1)) == NULL) {
		conf_errf(err, errlen, "%s: out of memory", label);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (keys[i].def != NULL && keys[i].type != CONF_CHOICE &&
		    conf_key_set(cfg, &keys[i], basedir,
		    keys[i].def, why, sizeof(why)) != 0)
			abort();	/* a default out of its own range */
	if (text == NULL)
		nerr = conf_load_file_seen(label, conf_table_set, hook, &t,
		    err, errlen);
	else
		nerr = conf_load_seen(text, label, conf_table_set, hook, &t,
		    err, errlen);
	for (size_t i = 0; i < n; i++)
		if (keys[i].required && !t.set[i]) {
			conf_errf(err, errlen, "%s: [%s] %s: required",
			    label, keys[i].section, keys[i].name);
			nerr++;
		}
	free(t.set);
	return nerr;
}

static int
conf_is_str(enum conf_type t)
{
	return t == CONF_STR || t == CONF_PATH || t == CONF_ADDR ||
	    t == CONF_ADDR_LIST;
}

static int
conf_named(const struct conf_key *k, const char *const *names)
{
	size_t sl = strlen(k->section);

	for (; *names != NULL; names++)
		if (strncmp(*names, k->section, sl) == 0 &&
		    (*names)[sl] == '.' && strcmp(*names + sl + 1, k->name) == 0)
			return 1;
	return 0;
}

/* Swap one value of ${k} between ${a} and ${b}; 1 if they differed. */
static int
conf_swap_if_differ(const struct conf_key *k, void *a, void *b)
{
	char *pa = (char *)a + k->off, *pb = (char *)b + k->off, tmp[16];
	size_t sz;

	if (conf_is_str(k->type)) {
		char **sa = (char **)pa, **sb = (char **)pb, *t;

		if ((*sa == NULL && *sb == NULL) || (*sa != NULL &&
		    *sb != NULL && strcmp(*sa, *sb) == 0))
			return 0;
		t = *sa;
		*sa = *sb;
		*sb = t;
		return 1;
	}
	switch (k->type) {
	case CONF_DUR:
		sz = sizeof(double);
		break;
	case CONF_BOOL:
	case CONF_CHOICE:
		sz = sizeof(int);
		break;
	case CONF_LOG:
		sz = sizeof(enum log_level);
		break;
	default:
		sz = sizeof(uint32_t);
		break;
	}
	if (memcmp(pa, pb, sz) == 0)
		return 0;
	memcpy(tmp, pa, sz);
	memcpy(pa, pb, sz);
	memcpy(pb, tmp, sz);
	return 1;
}

/**
 * conf_table_keep(keys, n, names, old, cfg, changed, len): a reload keeps
 * what cannot change while running (see conf_util.h).
 */
unsigned
conf_table_keep(const struct conf_key *keys, size_t n,
    const char *const *names, void *old, void *cfg, char *changed,
    size_t len)
{
	unsigned differ = 0;
	size_t used = strlen(changed);

	for (size_t i = 0; i < n; i++) {
		if (!conf_named(&keys[i], names) ||
		    !conf_swap_if_differ(&keys[i], old, cfg))
			continue;
		if (used < len)
			used += (size_t)snprintf(changed + used, len - used,
			    "%s[%s] %s", differ > 0 ? ", " : "",
			    keys[i].section, keys[i].name);
		differ++;
	}
	return differ;
}

/** conf_table_free(keys, n, cfg): free the strings of ${cfg}. */
void
conf_table_free(const struct conf_key *keys, size_t n, void *cfg)
{
	for (size_t i = 0; i < n; i++)
		if (conf_is_str(keys[i].type)) {
			char **p = (char **)((char *)cfg + keys[i].off);

			free(*p);
			*p = NULL;
		}
}
