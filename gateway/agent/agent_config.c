/*
 * agent_config.c: gw-agent's configuration file (see agent_config.h).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_config.h"
#include "client_session.h"
#include "conf_util.h"
#include "gwlist.h"
#include "net.h"

#define O(f)	offsetof(struct agent_config, f)

/*
 * The [agent] keys the table loads; gateway, failback_hold and renew have
 * syntaxes of their own (agent_config_more).
 */
static const struct conf_key agent_keys[] = {
	{ "agent", "cert", CONF_PATH, O(cert), 0, 0, NULL, 1 },
	{ "agent", "key", CONF_PATH, O(key), 0, 0, NULL, 1 },
	{ "agent", "ca", CONF_PATH, O(ca), 0, 0, NULL, 1 },
	{ "agent", "server_name", CONF_STR, O(server_name), 0, 0, NULL, 0 },
	{ "agent", "state", CONF_PATH, O(state), 0, 0, AGENT_STATE_DEFAULT,
	    0 },
	{ "agent", "queue", CONF_UINT, O(queue), 1, 100000000, "10000", 0 },
	{ "agent", "queue_bytes", CONF_SIZE, O(queue_bytes), 65536,
	    1073741824, "16M", 0 },
	{ "agent", "heartbeat", CONF_DUR, O(heartbeat), 0.05, 86400, "5s",
	    0 },
	{ "agent", "connect_timeout", CONF_DUR, O(connect_timeout), 0.1,
	    3600, "5s", 0 },
	{ "agent", "on_command", CONF_PATH, O(on_command), 0, 0, NULL, 0 },
	{ "agent", "command_timeout", CONF_DUR, O(command_timeout), 0.001,
	    31536000, "60s", 0 },
	{ "agent", "command_output", CONF_SIZE, O(command_output), 0,
	    AGENT_CONFIG_OUTPUT_MAX, "4096", 0 },
	{ "agent", "log_level", CONF_LOG, O(log_level), 0, 0, "info", 0 },
	{ "agent", "log", CONF_CHOICE, O(log_syslog), 0, 0, "stderr|syslog",
	    0 },
	{ "agent", "drain_timeout", CONF_DUR, O(drain_timeout), 0, 3600,
	    "10s", 0 },
};

#define AGENT_NKEYS	(sizeof(agent_keys) / sizeof(agent_keys[0]))

/* The table's keys a running agent cannot change (a restart applies them). */
static const char *const agent_restart_keys[] = {
	"agent.cert", "agent.key", "agent.ca", "agent.server_name",
	"agent.state", "agent.queue", "agent.queue_bytes", "agent.heartbeat",
	"agent.connect_timeout", "agent.on_command", "agent.command_timeout",
	"agent.command_output", NULL
};

/* gateway: the syntax of --gateway (gwlist.h), every address dialable. */
static int
agent_config_gateway(struct agent_config *c, const char *value, char *why,
    size_t whylen)
{
	const char *gw[CLIENT_MAX_GATEWAYS];
	char *copy, err[128];
	int n;

	if ((copy = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CONF_SET_BAD;
	}
	n = gwlist_parse(copy, "", gw, CLIENT_MAX_GATEWAYS, err, sizeof(err));
	if (n < 0)
		snprintf(why, whylen, "%s", err);
	for (int i = 0; i < n; i++)
		if (net_dial_addr_ok(gw[i], why, whylen) != 0) {
			n = -1;
			break;
		}
	free(copy);
	if (n < 0)
		return CONF_SET_BAD;
	free(c->gateway);
	if ((c->gateway = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CONF_SET_BAD;
	}
	return CONF_SET_OK;
}

/* A number in [lo, hi) (renew) or "off" | [lo, hi] (failback_hold). */
static int
agent_config_num(const char *value, double lo, double hi, int off,
    double *out, char *why, size_t whylen)
{
	char *end;
	double d;

	if (off && strcmp(value, "off") == 0) {
		*out = -1;
		return CONF_SET_OK;
	}
	if (off)
		return conf_duration(value, lo, hi, out, why, whylen) == 0 ?
		    CONF_SET_OK : CONF_SET_BAD;
	errno = 0;
	d = strtod(value, &end);
	if (errno != 0 || end == value || *end != '\0' || !(d >= lo) ||
	    !(d < hi)) {
		snprintf(why, whylen, "'%s' is not a number from %g to below "
		    "%g", value, lo, hi);
		return CONF_SET_BAD;
	}
	*out = d;
	return CONF_SET_OK;
}

/* The length of ${section}'s first word; its NAME: what follows the blanks. */
static const char *
agent_config_split(const char *section, size_t *wl)
{
	const char *nm;

	*wl = strcspn(section, " \t");
	nm = section + *wl;
	return nm + strspn(nm, " \t");
}

/* The kind named by the first word of ${section}, its NAME after it. */
static int
agent_config_kind(const struct agent_config *c, const char *section,
    const char **name, char *why, size_t whylen)
{
	size_t wl;
	const char *nm = agent_config_split(section, &wl);

	for (size_t i = 0; i < c->nkinds; i++) {
		const struct input_ops *k = c->kinds[i];

		if (strlen(k->section) != wl ||
		    strncmp(k->section, section, wl) != 0)
			continue;
		if (k->named && *nm == '\0') {
			snprintf(why, whylen, "a name is needed: [%s NAME]",
			    k->section);
			return -1;
		}
		if (!k->named && *nm != '\0') {
			snprintf(why, whylen, "[%s] takes no name",
			    k->section);
			return -1;
		}
		*name = k->named ? nm : NULL;
		return (int)i;
	}
	snprintf(why, whylen, "unknown section");
	return -1;
}

/* What the table does not name: [agent]'s own syntaxes, other sections. */
static int
agent_config_more(void *cfg, const char *section, const char *key,
    const char *value, char *why, size_t whylen)
{
	struct agent_config *c = cfg;
	const char *name;
	int i;

	if (strcmp(section, "agent") == 0) {
		if (strcmp(key, "gateway") == 0) {
			c->gateway_given = 1;
			return agent_config_gateway(c, value, why, whylen);
		}
		if (strcmp(key, "failback_hold") == 0)
			return agent_config_num(value, 0, 86400, 1,
			    &c->failback_hold, why, whylen);
		if (strcmp(key, "renew") == 0)
			return agent_config_num(value, 0, 1, 0, &c->renew,
			    why, whylen);
		return CONF_SET_UNKNOWN;
	}
	if ((i = agent_config_kind(c, section, &name, why, whylen)) < 0)
		return CONF_SET_BAD;
	return c->kinds[i]->conf_set(c->kconf[i], name, key, value, why,
	    whylen);
}

/* The absolute directory of ${path}, into ${c}->dir. */
static int
agent_config_dir(struct agent_config *c, const char *path)
{
	char cwd[PATH_MAX], *slash, *d;

	if ((d = strdup(path)) == NULL)
		return -1;
	if ((slash = strrchr(d, '/')) == NULL)
		strcpy(d, ".");
	else if (slash == d)
		d[1] = '\0';
	else
		*slash = '\0';
	if (d[0] == '/') {
		c->dir = d;
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		free(d);
		return -1;
	}
	c->dir = strcmp(d, ".") == 0 ? strdup(cwd) : conf_path(cwd, d);
	free(d);
	return c->dir == NULL ? -1 : 0;
}

/*
 * The line of a key read, for the errors found after the whole file: its
 * section as written (agent_config_split() tells its kind and NAME), its
 * key, and whether its value was bad.
 */
struct agent_line {
	char	*section;
	char	*key;
	int	 line;
	int	 bad;
};

#define AGENT_LINES_MAX	4096	/* keys remembered (memory bounded) */

/* conf_seen_fn: remember the line of [${section}] ${key}. */
static void
agent_config_seen(void *cfg, const char *section, const char *key, int line,
    int rc)
{
	struct agent_config *c = cfg;
	struct agent_line *l;

	if (c->nlines >= AGENT_LINES_MAX)
		return;
	if (c->nlines % 64 == 0) {
		if ((l = reallocarray(c->lines, c->nlines + 64,
		    sizeof(*l))) == NULL)
			return;	/* errors then name no line */
		c->lines = l;
	}
	l = &c->lines[c->nlines];
	if ((l->section = strdup(section)) == NULL ||
	    (l->key = strdup(key)) == NULL) {
		free(l->section);
		return;
	}
	l->line = line;
	l->bad = rc == CONF_SET_BAD;
	c->nlines++;
}

/* Forget the lines of the keys read. */
static void
agent_config_forget(struct agent_config *c)
{
	for (size_t i = 0; i < c->nlines; i++) {
		free(c->lines[i].section);
		free(c->lines[i].key);
	}
	free(c->lines);
	c->lines = NULL;
	c->nlines = 0;
}

/*
 * 1 if ${w}, a section as written, is [${section} ${name}] (${name} NULL:
 * [${section}] without a NAME).
 */
static int
agent_config_is(const char *w, const char *section, const char *name)
{
	size_t wl;
	const char *nm = agent_config_split(w, &wl);

	return strlen(section) == wl && strncmp(w, section, wl) == 0 &&
	    strcmp(nm, name != NULL ? name : "") == 0;
}

/*
 * The line of [${section} ${name}] ${key} (${*bad}: its value was bad),
 * else of the section's first key, else 0.
 */
static int
agent_config_line(const struct agent_config *c, const char *section,
    const char *name, const char *key, int *bad)
{
	int first = 0;

	*bad = 0;
	for (size_t i = 0; i < c->nlines; i++) {
		const struct agent_line *l = &c->lines[i];

		if (!agent_config_is(l->section, section, name))
			continue;
		if (first == 0)
			first = l->line;
		if (strcmp(l->key, key) == 0) {
			*bad = l->bad;
			return l->line;
		}
	}
	return first;
}

/* What the reporter of the kinds' conf_check writes to. */
struct agent_report {
	const struct agent_config *c;
	char			*err;
	size_t			 errlen;
	int			 n;		/* errors written */
	int			 dropped;	/* bad values said again */
};

/*
 * conf_report's fn: one error of a kind's conf_check into ${err} as
 * "file:LINE: [section NAME] key: why" (the key's line, or its section's),
 * unless it repeats a bad value of that key already reported (dropped).
 */
static void
agent_config_report(void *arg, const char *section, const char *name,
    const char *key, const char *why)
{
	struct agent_report *r = arg;
	char text[2048];
	int n, bad;

	n = agent_config_line(r->c, section, name, key, &bad);
	if (bad) {
		r->dropped++;
		return;
	}
	conf_report_line(text, sizeof(text), section, name, key, why);
	if (n > 0)
		conf_errf(r->err, r->errlen, "%s:%d: %s", r->c->file, n, text);
	else
		conf_errf(r->err, r->errlen, "%s: %s", r->c->file, text);
	r->n++;
}

/* Each kind's conf_check, its errors reported at their line. */
static int
agent_config_check(struct agent_config *c, char *err, size_t errlen)
{
	struct agent_report ar = { c, err, errlen, 0, 0 };
	const struct conf_report rep = { agent_config_report, &ar };
	int nerr = 0, n;

	for (size_t i = 0; i < c->nkinds; i++) {
		ar.n = ar.dropped = 0;
		n = c->kinds[i]->conf_check(c->kconf[i], &rep) - ar.dropped;
		/* An error counted but not reported still fails the load. */
		nerr += n > ar.n ? n : ar.n;
	}
	return nerr;
}

/**
 * agent_config_load(c, path, text, kinds, nkinds, err, errlen): read the
 * file ${path} (or ${text} if not NULL, ${path} then naming it) into
 * ${c}, the sections other than [agent] to the ${nkinds} ${kinds}, each
 * kind's conf_check run at the end.  Relative paths are relative to the
 * file's directory.  Return the number of errors, each a line of ${err};
 * free ${c} with agent_config_free() either way.
 */
int
agent_config_load(struct agent_config *c, const char *path,
    const char *text, const struct input_ops *const *kinds, size_t nkinds,
    char *err, size_t errlen)
{
	int nerr;

	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	c->failback_hold = 10;
	c->renew = 0.33;
	c->kinds = kinds;
	c->nkinds = nkinds > INPUT_KINDS_MAX ? INPUT_KINDS_MAX : nkinds;
	if ((c->file = strdup(path)) == NULL || agent_config_dir(c, path) != 0)
		goto nomem;
	for (size_t i = 0; i < c->nkinds; i++)
		if ((c->kconf[i] = kinds[i]->conf_new(c->dir)) == NULL)
			goto nomem;
	nerr = conf_table_load_seen(agent_keys, AGENT_NKEYS,
	    agent_config_more, agent_config_seen, c, text, path, c->dir, err,
	    errlen);
	if (!c->gateway_given) {
		conf_errf(err, errlen, "%s: [agent] gateway: required", path);
		nerr++;
	}
	nerr += agent_config_check(c, err, errlen);
	agent_config_forget(c);
	return nerr;
nomem:
	conf_errf(err, errlen, "%s: %s", path, strerror(errno));
	return 1;
}

/**
 * agent_config_swap_kind(a, b, i): swap kind ${i}'s configurations of ${a}
 * and ${b} (a reload: the running input keeps its own).
 */
void
agent_config_swap_kind(struct agent_config *a, struct agent_config *b,
    size_t i)
{
	void *t = a->kconf[i];

	a->kconf[i] = b->kconf[i];
	b->kconf[i] = t;
}

/* Swap ${a} and ${b} if they differ: 1 if they did. */
static int
agent_config_swap_dbl(double *a, double *b)
{
	double t = *a;

	if (*a == *b)
		return 0;
	*a = *b;
	*b = t;
	return 1;
}

/**
 * agent_config_keep(old, nc, changed, len): a reload keeps the [agent]
 * keys that need a restart: each that differs gets its ${old} value back
 * in ${nc} (strings swapped: ${old} owns the new text) and is named in
 * ${changed} (", "-separated).  Return how many differed.
 */
unsigned
agent_config_keep(struct agent_config *old, struct agent_config *nc,
    char *changed, size_t len)
{
	unsigned n;
	char *t;
	size_t used;

	changed[0] = '\0';
	n = conf_table_keep(agent_keys, AGENT_NKEYS, agent_restart_keys, old,
	    nc, changed, len);
	if (strcmp(old->gateway, nc->gateway) != 0) {
		t = old->gateway;
		old->gateway = nc->gateway;
		nc->gateway = t;
		used = strlen(changed);
		snprintf(changed + used, len - used, "%s[agent] gateway",
		    used > 0 ? ", " : "");
		n++;
	}
	if (agent_config_swap_dbl(&old->failback_hold, &nc->failback_hold)) {
		used = strlen(changed);
		snprintf(changed + used, len - used, "%s[agent] failback_hold",
		    used > 0 ? ", " : "");
		n++;
	}
	if (agent_config_swap_dbl(&old->renew, &nc->renew)) {
		used = strlen(changed);
		snprintf(changed + used, len - used, "%s[agent] renew",
		    used > 0 ? ", " : "");
		n++;
	}
	return n;
}

/** agent_config_free(c): free what ${c} holds (not ${c}). */
void
agent_config_free(struct agent_config *c)
{
	conf_table_free(agent_keys, AGENT_NKEYS, c);
	free(c->gateway);
	for (size_t i = 0; i < c->nkinds; i++)
		if (c->kconf[i] != NULL)
			c->kinds[i]->conf_free(c->kconf[i]);
	free(c->file);
	free(c->dir);
	agent_config_forget(c);
	memset(c, 0, sizeof(*c));
}
