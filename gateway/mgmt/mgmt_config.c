/*
 * mgmt_config.c: gw-mgmt's keys, their types, ranges and defaults, in one
 * table; conf_util does the INI reading and the file:line messages.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "conf_util.h"
#include "mgmt_config.h"
#include "proto.h"
#include "store.h"

#define O(f) offsetof(struct mgmt_config, f)
static const struct conf_key keys[] = {
	{ "mgmt", "name", CONF_STR, O(name), 0, 0, "mgmt", 0 },
	{ "mgmt", "listen", CONF_ADDR, O(listen), 0, 0, "127.0.0.1:7444", 0 },
	{ "mgmt", "cert", CONF_PATH, O(cert), 0, 0, NULL, 1 },
	{ "mgmt", "key", CONF_PATH, O(key), 0, 0, NULL, 1 },
	{ "mgmt", "gateway_ca", CONF_PATH, O(gateway_ca), 0, 0, NULL, 1 },
	{ "mgmt", "crl", CONF_PATH, O(crl), 0, 0, NULL, 0 },
	{ "mgmt", "gateway_names", CONF_STR, O(gateway_names), 0, 0, "*", 0 },
	{ "mgmt", "agent_crl", CONF_PATH, O(agent_crl), 0, 0, NULL, 0 },
	{ "mgmt", "max_gateways", CONF_UINT, O(max_gateways), 1, 4096, "256",
	    0 },
	{ "mgmt", "max_payload", CONF_SIZE, O(max_payload), 1024,
	    GW_PAYLOAD_HARD_MAX, "1M", 0 },
	{ "mgmt", "handshake_timeout", CONF_DUR, O(handshake_timeout), 0.1,
	    600, "10s", 0 },
	{ "mgmt", "hello_timeout", CONF_DUR, O(hello_timeout), 0.1, 600, "10s",
	    0 },
	{ "mgmt", "tls12", CONF_BOOL, O(tls12), 0, 0, "yes", 0 },
	{ "mgmt", "log_level", CONF_LOG, O(log_level), 0, 0, "info", 0 },
	{ "store", "type", CONF_CHOICE, O(store_type), 0, 0,
	    "sqlite|postgresql", 0 },	/* enum store_type's order */
	{ "store", "database", CONF_PATH, O(database), 0, 0, "gw-mgmt.db", 0 },
	{ "store", "conninfo", CONF_STR, O(conninfo), 0, 0, NULL, 0 },
	{ "store", "batch_max", CONF_UINT, O(batch_max), 1, 4096, "1024", 0 },
	{ "store", "batch_delay", CONF_DUR, O(batch_delay), 0, 1, "2ms", 0 },
	AUTHORITY_CONF_KEYS("enroll", O(enroll)),
	{ "enroll", "signer_user", CONF_STR, O(enroll_signer_user), 0, 0, NULL,
	    0 },
};
#undef O
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/**
 * mgmt_config_load_string(text, label, basedir, cfg, err, errlen): the
 * same from ${text}, relative paths against ${basedir}.
 */
int
mgmt_config_load_string(const char *text, const char *label,
    const char *basedir, struct mgmt_config *cfg, char *err, size_t errlen)
{
	int n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = strdup(label);
	n = conf_table_load(keys, NKEYS, cfg, text, label, basedir, err,
	    errlen);
	if (cfg->store_type == STORE_POSTGRESQL && cfg->conninfo == NULL) {
		conf_errf(err, errlen, "%s: [store] conninfo: required with "
		    "type = postgresql", label);
		n++;
	}
	return n;
}

/**
 * mgmt_config_load(path, cfg, err, errlen): load ${path} into ${cfg}
 * (defaults first, relative paths against the file's directory); return
 * the number of errors, described in ${err}.
 */
int
mgmt_config_load(const char *path, struct mgmt_config *cfg, char *err,
    size_t errlen)
{
	char *copy = strdup(path);
	int n;

	if (copy == NULL)
		return 1;
	n = mgmt_config_load_string(NULL, path, dirname(copy), cfg, err,
	    errlen);
	free(copy);
	return n;
}

/** mgmt_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void
mgmt_config_free(struct mgmt_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	cfg->file = NULL;
	conf_table_free(keys, NKEYS, cfg);
}
