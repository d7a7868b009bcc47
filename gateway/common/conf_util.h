/*
 * conf_util.h: inih glue shared by every program's configuration.
 *
 * The inih handler only records (section, key, value, line) and calls the
 * program's setter; errors are collected as "file:line: [section] key: why"
 * lines, counted, and returned to the caller, which decides how to print
 * them.  Loading from a string (no file) serves the fuzzer and the tests.
 * This module never logs.
 */
#ifndef GW_CONF_UTIL_H
#define GW_CONF_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Setter return values. */
#define CONF_SET_OK		0
#define CONF_SET_BAD		(-1)	/* bad value: ${why} says why */
#define CONF_SET_UNKNOWN	(-2)	/* unknown section or key */

/*
 * A program's setter: store ${value} of [${section}] ${key} into ${cfg}.
 * On CONF_SET_BAD write the reason into ${why} (no file or line: the
 * caller adds them).
 */
typedef int conf_set_fn(void *cfg, const char *section, const char *key,
    const char *value, char *why, size_t whylen);

/*
 * Told of every key read, after its setter: [${section}] ${key} at ${line}
 * and the setter's return ${rc} (a loader that checks keys together after
 * the whole file can then name the line of each).
 */
typedef void conf_seen_fn(void *cfg, const char *section, const char *key,
    int line, int rc);

/**
 * conf_load_string(text, label, set, cfg, err, errlen):
 * Parse INI ${text}, calling ${set} for every key.  ${label} names the
 * source in messages (a file name).  Every error (syntax, unknown key, bad
 * value) appends one "label:line: [section] key: why\n" line to ${err}
 * (truncated if full).  Return the number of errors (0: all good).
 */
int conf_load_string(const char *text, const char *label, conf_set_fn *set,
    void *cfg, char *err, size_t errlen);

/**
 * conf_load_file(path, set, cfg, err, errlen): read ${path} and call
 * conf_load_string on it.  A file that cannot be read is one error
 * "path: why".  Return the number of errors.
 */
int conf_load_file(const char *path, conf_set_fn *set, void *cfg, char *err,
    size_t errlen);

/**
 * conf_errf(err, errlen, fmt, ...): append one formatted line to ${err}
 * (used by validators for errors that have no line, such as a missing
 * required key).
 */
void conf_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed values.  Each returns 0, or -1 with the reason in ${why}. */

/** conf_uint(s, min, max, out, why, whylen): decimal integer in range. */
int conf_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *why, size_t whylen);

/** conf_size(s, min, max, out, why, whylen): bytes, "64k"/"16M" suffixes. */
int conf_size(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    char *why, size_t whylen);

/**
 * conf_duration(s, min, max, out, why, whylen): seconds as a double from
 * "250ms", "10s", "5m", "1h" or a bare number of seconds.
 */
int conf_duration(const char *s, double min, double max, double *out,
    char *why, size_t whylen);

/** conf_bool(s, out, why, whylen): yes/no, true/false, on/off, 1/0. */
int conf_bool(const char *s, int *out, char *why, size_t whylen);

/**
 * conf_hex(s, out, cap): hex digits of ${s} ("0F:65:bf..." or "0f65bf...",
 * colons ignored) as bytes into ${out}.  Return how many, or -1 for another
 * character, an odd number of digits or more than ${cap} bytes.
 */
int conf_hex(const char *s, uint8_t *out, size_t cap);

/**
 * conf_addr(s, why, whylen): check that ${s} is "IPv4:port" or
 * "[IPv6]:port" with a numeric address and a port in 1..65535.
 */
int conf_addr(const char *s, char *why, size_t whylen);

/**
 * conf_addr_list(value, why, whylen): check that every comma-separated
 * entry of ${value} is an address to dial (numeric or a DNS name:
 * net_dial_addr_ok), no two alike, at most 16 (CONF_ADDR_LIST).
 */
int conf_addr_list(const char *value, char *why, size_t whylen);

/**
 * conf_path(dir, value): ${value} if absolute, else "${dir}/${value}";
 * a new string (free it), or NULL on allocation failure.
 */
char *conf_path(const char *dir, const char *value);

/*
 * A table of keys: one general loader for every program's configuration.
 * Each key names its [section], its type, where it lives in the program's
 * config struct, its range and its default.  Integer keys are uint32_t,
 * booleans and choices int, durations double, strings char * (owned;
 * freed by conf_table_free), log levels enum log_level.
 */
enum conf_type {
	CONF_STR,	/* non-empty text */
	CONF_PATH,	/* file path, relative to the config file's directory */
	CONF_ADDR,	/* "IPv4:port" or "[IPv6]:port" */
	CONF_ADDR_LIST,	/* comma-separated addresses to dial (numeric or
			   HOST:port, a DNS name), distinct, at most 16 */
	CONF_UINT,	/* decimal integer in [min, max] */
	CONF_SIZE,	/* bytes with k/M/G suffixes, in [min, max] */
	CONF_DUR,	/* duration ("250ms", "5s") in seconds, in [min, max] */
	CONF_BOOL,	/* yes/no */
	CONF_LOG,	/* debug|info|warn|error */
	CONF_CHOICE	/* one word of def ("a|b|c"): its index, an int;
			   the default is the first */
};

struct conf_key {
	const char	*section;
	const char	*name;
	enum conf_type	 type;
	size_t		 off;		/* offsetof(config struct, field) */
	double		 min, max;
	const char	*def;		/* default value text, or NULL */
	int		 required;
};

/**
 * conf_table_load(keys, n, cfg, text, label, basedir, err, errlen):
 * Apply every default of the ${n} ${keys} to ${cfg} (zeroed by the
 * caller), then parse ${text} (or, if ${text} is NULL, the file ${label})
 * into it, relative paths against ${basedir}.  A missing required key is an error too.  Return the
 * number of errors, each described by one line in ${err}.
 */
int conf_table_load(const struct conf_key *keys, size_t n, void *cfg,
    const char *text, const char *label, const char *basedir, char *err,
    size_t errlen);

/**
 * conf_table_keep(keys, n, names, old, cfg, changed, len): a reload keeps
 * what cannot change while running.  For each of the ${n} ${keys} named in
 * ${names} ("section.key", NULL-terminated) whose value differs between
 * ${old} and the new ${cfg}, put the old value back into ${cfg} (a string
 * is swapped: ${old} then owns the new text, freed with it) and append
 * "[section] key" to ${changed} (", "-separated, truncated if full).
 * Return how many differed.
 */
unsigned conf_table_keep(const struct conf_key *keys, size_t n,
    const char *const *names, void *old, void *cfg, char *changed,
    size_t len);

/**
 * conf_table_load_more(keys, n, more, cfg, text, label, basedir, err,
 * errlen): conf_table_load, and the keys the table does not name (such as
 * those of sections named by the user) go to ${more}, if not NULL.
 */
int conf_table_load_more(const struct conf_key *keys, size_t n,
    conf_set_fn *more, void *cfg, const char *text, const char *label,
    const char *basedir, char *err, size_t errlen);

/**
 * conf_table_load_seen(keys, n, more, seen, cfg, text, label, basedir,
 * err, errlen): conf_table_load_more, and ${seen} (if not NULL) told of
 * every key read with its line.
 */
int conf_table_load_seen(const struct conf_key *keys, size_t n,
    conf_set_fn *more, conf_seen_fn *seen, void *cfg, const char *text,
    const char *label, const char *basedir, char *err, size_t errlen);

/** conf_table_free(keys, n, cfg): free the strings of ${cfg}. */
void conf_table_free(const struct conf_key *keys, size_t n, void *cfg);

#endif /* GW_CONF_UTIL_H */
