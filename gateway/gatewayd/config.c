/*
 * config.c: gatewayd's keys, their types, ranges and defaults, in one
 * table; conf_util does the INI reading and the file:line messages.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_util.h"
#include "config.h"
#include "proto.h"

enum key_type { K_STR, K_PATH, K_ADDR, K_UINT, K_SIZE, K_DUR, K_BOOL, K_LOG };

struct key {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 off;
	double		 min, max;
	const char	*def;		/* NULL: required (strings) or none */
	int		 required;
};

#define O(f) offsetof(struct gw_config, f)
static const struct key keys[] = {
	{ "gateway", "name", K_STR, O(name), 0, 0, "gateway", 0 },
	{ "gateway", "listen", K_ADDR, O(listen), 0, 0, "127.0.0.1:7443", 0 },
	{ "gateway", "cert", K_PATH, O(cert), 0, 0, NULL, 1 },
	{ "gateway", "key", K_PATH, O(key), 0, 0, NULL, 1 },
	{ "gateway", "agent_ca", K_PATH, O(agent_ca), 0, 0, NULL, 1 },
	{ "gateway", "crl", K_PATH, O(crl), 0, 0, NULL, 0 },
	{ "gateway", "agent_names", K_STR, O(agent_names), 0, 0, "*", 0 },
	{ "gateway", "max_agents", K_UINT, O(max_agents), 1, 1000000, "20000", 0 },
	{ "gateway", "max_payload", K_SIZE, O(max_payload), 64,
	    GW_PAYLOAD_HARD_MAX, "16384", 0 },
	{ "gateway", "handshake_timeout", K_DUR, O(handshake_timeout), 0.1, 600,
	    "10s", 0 },
	{ "gateway", "hello_timeout", K_DUR, O(hello_timeout), 0.1, 600, "10s", 0 },
	{ "gateway", "idle_timeout", K_DUR, O(idle_timeout), 0, 86400, "300s", 0 },
	{ "gateway", "heartbeat", K_DUR, O(heartbeat), 0.1, 3600, "15s", 0 },
	{ "gateway", "agent_window", K_UINT, O(agent_window), 1, 65535, "32", 0 },
	{ "gateway", "tls12", K_BOOL, O(tls12), 0, 0, "yes", 0 },
	{ "gateway", "log_level", K_LOG, O(log_level), 0, 0, "info", 0 },
	{ "upstream", "server", K_ADDR, O(server), 0, 0, NULL, 1 },
	{ "upstream", "server_name", K_STR, O(server_name), 0, 0, "mgmt", 0 },
	{ "upstream", "ca", K_PATH, O(ca), 0, 0, NULL, 1 },
	{ "upstream", "cert", K_PATH, O(up_cert), 0, 0, NULL, 0 },
	{ "upstream", "key", K_PATH, O(up_key), 0, 0, NULL, 0 },
	{ "upstream", "connections", K_UINT, O(connections), 1, 8, "2", 0 },
	{ "upstream", "connect_timeout", K_DUR, O(connect_timeout), 0.1, 300,
	    "5s", 0 },
	{ "upstream", "reconnect_delay", K_DUR, O(reconnect_delay), 0.05, 300,
	    "1s", 0 },
};
#undef O
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

struct loader {
	struct gw_config	*cfg;
	const char		*basedir;
	int			 set[NKEYS];
};

static int
key_set(struct gw_config *cfg, const struct key *k, const char *basedir,
    const char *value, char *why, size_t whylen)
{
	void *p = (char *)cfg + k->off;
	uint64_t u;
	double d;
	char *s;

	switch (k->type) {
	case K_ADDR:
		if (conf_addr(value, why, whylen) != 0)
			return -1;
		/* FALLTHROUGH */
	case K_STR:
	case K_PATH:
		if (*value == '\0') {
			snprintf(why, whylen, "empty value");
			return -1;
		}
		s = k->type == K_PATH ? conf_path(basedir, value) :
		    strdup(value);
		if (s == NULL) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	case K_UINT:
	case K_SIZE:
		if ((k->type == K_UINT ? conf_uint : conf_size)(value,
		    (uint64_t)k->min, (uint64_t)k->max, &u, why, whylen) != 0)
			return -1;
		if (k->off == offsetof(struct gw_config, max_agents) ||
		    k->off == offsetof(struct gw_config, connections))
			*(unsigned *)p = (unsigned)u;
		else
			*(uint32_t *)p = (uint32_t)u;
		return 0;
	case K_DUR:
		if (conf_duration(value, k->min, k->max, &d, why, whylen) != 0)
			return -1;
		*(double *)p = d;
		return 0;
	case K_BOOL:
		return conf_bool(value, (int *)p, why, whylen);
	case K_LOG:
		if (log_level_parse(value, (enum log_level *)p) != 0) {
			snprintf(why, whylen, "'%s' is not debug, info, warn "
			    "or error", value);
			return -1;
		}
		return 0;
	}
	return -1;
}

static int
config_set(void *arg, const char *section, const char *name,
    const char *value, char *why, size_t whylen)
{
	struct loader *l = arg;

	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0) {
			if (key_set(l->cfg, &keys[i], l->basedir, value, why,
			    whylen) != 0)
				return CONF_SET_BAD;
			l->set[i] = 1;
			return CONF_SET_OK;
		}
	return CONF_SET_UNKNOWN;
}

static int
config_load(const char *text, const char *label, const char *basedir,
    struct gw_config *cfg, char *err, size_t errlen, int from_file)
{
	struct loader l = { .cfg = cfg, .basedir = basedir };
	char why[128];
	int n;

	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	cfg->file = strdup(label);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].def != NULL &&
		    key_set(cfg, &keys[i], basedir, keys[i].def, why,
		    sizeof(why)) != 0)
			abort();	/* a default out of its own range */
	if (from_file)
		n = conf_load_file(label, config_set, &l, err, errlen);
	else
		n = conf_load_string(text, label, config_set, &l, err, errlen);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].required && !l.set[i]) {
			conf_errf(err, errlen, "%s: [%s] %s: required",
			    label, keys[i].section, keys[i].name);
			n++;
		}
	if ((cfg->up_cert == NULL) != (cfg->up_key == NULL)) {
		conf_errf(err, errlen, "%s: [upstream] cert and key: set both "
		    "or neither", label);
		n++;
	}
	return n;
}

/**
 * gw_config_load_file(path, cfg, err, errlen): load ${path} into ${cfg}
 * (defaults first, relative paths against the file's directory); return
 * the number of errors, described in ${err}.
 */
int
gw_config_load_file(const char *path, struct gw_config *cfg, char *err,
    size_t errlen)
{
	char *copy = strdup(path);
	int n;

	if (copy == NULL)
		return 1;
	n = config_load(NULL, path, dirname(copy), cfg, err, errlen, 1);
	free(copy);
	return n;
}

/**
 * gw_config_load_string(text, label, basedir, cfg, err, errlen): the same
 * from ${text}, relative paths against ${basedir}.
 */
int
gw_config_load_string(const char *text, const char *label,
    const char *basedir, struct gw_config *cfg, char *err, size_t errlen)
{
	return config_load(text, label, basedir, cfg, err, errlen, 0);
}

/** gw_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void
gw_config_free(struct gw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	for (size_t i = 0; i < NKEYS; i++)
		if (keys[i].type == K_STR || keys[i].type == K_PATH ||
		    keys[i].type == K_ADDR) {
			char **p = (char **)((char *)cfg + keys[i].off);

			free(*p);
			*p = NULL;
		}
}
