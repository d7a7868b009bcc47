/*
 * mgmt_config.c: gw-mgmt's keys, their types, ranges and defaults, in one
 * table; conf_util does the INI reading and the file:line messages.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "conf_util.h"
#include "identity.h"
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
	{ "store", "retain", CONF_DUR, O(retain), 0, 3650 * 86400., "0", 0 },
	{ "store", "max_rows", CONF_UINT, O(max_rows), 0, UINT32_MAX, "0", 0 },
	{ "commands", "resend", CONF_DUR, O(cmd_resend), 1, 3600, "30s", 0 },
	{ "agents", "stale_after", CONF_DUR, O(stale_after), 1, 7 * 86400.,
	    "15m", 0 },
	{ "gateways", "dial", CONF_ADDR_LIST, O(dial), 0, 0, NULL, 0 },
	{ "gateways", "links", CONF_UINT, O(dial_links), 1, 8, "2", 0 },
	{ "gateways", "server_name", CONF_STR, O(dial_server_name), 0, 0, NULL,
	    0 },
	{ "gateways", "backoff_min", CONF_DUR, O(dial_backoff_min), 0.01,
	    3600, "100ms", 0 },
	{ "gateways", "backoff_max", CONF_DUR, O(dial_backoff_max), 0.01,
	    86400, "5s", 0 },
	{ "metrics", "listen", CONF_ADDR, O(metrics_listen), 0, 0, NULL, 0 },
	SIGNER_CONF_KEYS("enroll", O(enroll)),
	{ "enroll", "signer_user", CONF_STR, O(enroll_signer_user), 0, 0, NULL,
	    0 },
};
#undef O
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* The subject DNs of the CAs in PEM file ${path}: their agents' issuer. */
static int
mgmt_scope_cas(struct mgmt_scope *sc, const char *path, char *why,
    size_t whylen)
{
	mbedtls_x509_crt chain, *c;
	char dn[ID_DN_MAX];
	int rc;

	mbedtls_x509_crt_init(&chain);
	if ((rc = mbedtls_x509_crt_parse_file(&chain, path)) != 0) {
		snprintf(why, whylen, "%s: no certificate read (mbedTLS "
		    "-0x%04x)", path, (unsigned)-rc);
		goto fail;
	}
	for (c = &chain; c != NULL && c->raw.p != NULL; c = c->next) {
		if (!c->MBEDTLS_PRIVATE(ca_istrue)) {
			snprintf(why, whylen, "%s: a certificate that is not "
			    "a CA's", path);
			goto fail;
		}
		if (sc->nissuers == MGMT_SCOPE_CAS_MAX) {
			snprintf(why, whylen, "%s: more than %d CAs", path,
			    MGMT_SCOPE_CAS_MAX);
			goto fail;
		}
		if (mbedtls_x509_dn_gets(dn, sizeof(dn), &c->subject) < 0 ||
		    (sc->issuers[sc->nissuers] = strdup(dn)) == NULL) {
			snprintf(why, whylen, "%s: a subject too long", path);
			goto fail;
		}
		sc->nissuers++;
	}
	mbedtls_x509_crt_free(&chain);
	return 0;
fail:
	mbedtls_x509_crt_free(&chain);
	return -1;
}

/*
 * The keys of [scope GATEWAYS] sections (the table has the others).  A
 * section is found by its name; a new name opens a new scope.
 */
static int
mgmt_scope_set(void *arg, const char *section, const char *key,
    const char *value, char *why, size_t whylen)
{
	struct mgmt_config *cfg = arg;
	struct mgmt_scope *sc = NULL;
	const char *gws;
	char *path;
	int rc;

	if (cfg == NULL || cfg->magic != MGMT_CONFIG_MAGIC)
		abort();
	if (strncmp(section, "scope ", 6) != 0)
		return CONF_SET_UNKNOWN;
	for (gws = section + 6; *gws == ' '; gws++)
		;
	if (strcmp(key, "agent_ca") != 0 && strcmp(key, "agent_names") != 0)
		return CONF_SET_UNKNOWN;
	if (*gws == '\0' || *value == '\0') {
		snprintf(why, whylen, "empty");
		return CONF_SET_BAD;
	}
	for (unsigned i = 0; i < cfg->nscopes; i++)
		if (strcmp(cfg->scopes[i].gateways, gws) == 0)
			sc = &cfg->scopes[i];
	if (sc == NULL) {
		if (cfg->nscopes == MGMT_SCOPES_MAX) {
			snprintf(why, whylen, "more than %d [scope] sections",
			    MGMT_SCOPES_MAX);
			return CONF_SET_BAD;
		}
		sc = &cfg->scopes[cfg->nscopes];
		if ((sc->gateways = strdup(gws)) == NULL)
			goto nomem;
		cfg->nscopes++;
	}
	/* A key given twice in one section is refused by the loader. */
	if (strcmp(key, "agent_names") == 0) {
		free(sc->agent_names);
		return (sc->agent_names = strdup(value)) == NULL ? CONF_SET_BAD :
		    CONF_SET_OK;
	}
	if ((path = conf_path(cfg->loaddir, value)) == NULL)
		goto nomem;
	free(sc->agent_ca);
	while (sc->nissuers > 0)
		free(sc->issuers[--sc->nissuers]);
	rc = mgmt_scope_cas(sc, path, why, whylen);
	sc->agent_ca = path;
	return rc == 0 ? CONF_SET_OK : CONF_SET_BAD;
nomem:
	snprintf(why, whylen, "out of memory");
	return CONF_SET_BAD;
}

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
	cfg->magic = MGMT_CONFIG_MAGIC;
	cfg->file = strdup(label);
	cfg->loaddir = basedir;
	n = conf_table_load_more(keys, NKEYS, mgmt_scope_set, cfg, text, label,
	    basedir, err, errlen);
	cfg->loaddir = NULL;
	for (unsigned i = 0; i < cfg->nscopes; i++) {
		const struct mgmt_scope *sc = &cfg->scopes[i];

		if (sc->agent_ca == NULL || sc->agent_names == NULL) {
			conf_errf(err, errlen, "%s: [scope %s] %s: required",
			    label, sc->gateways, sc->agent_ca == NULL ?
			    "agent_ca" : "agent_names");
			n++;
		}
	}
	if (cfg->dial_backoff_min > cfg->dial_backoff_max) {
		conf_errf(err, errlen, "%s: [gateways] backoff_min: above "
		    "backoff_max", label);
		n++;
	}
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

/**
 * mgmt_config_scope(cfg, gateway): the first [scope] of ${cfg} whose
 * globs match the CN ${gateway}, or NULL.
 */
const struct mgmt_scope *
mgmt_config_scope(const struct mgmt_config *cfg, const char *gateway)
{
	for (unsigned i = 0; i < cfg->nscopes; i++)
		if (id_policy_match(cfg->scopes[i].gateways, gateway))
			return &cfg->scopes[i];
	return NULL;
}

/**
 * mgmt_scope_allows(sc, issuer, name): 1 if scope ${sc} lets its gateways
 * open a channel for the agent ${name} of the issuer DN ${issuer}, else 0.
 */
int
mgmt_scope_allows(const struct mgmt_scope *sc, const char *issuer,
    const char *name)
{
	for (unsigned i = 0; i < sc->nissuers; i++)
		if (strcmp(sc->issuers[i], issuer) == 0)
			return id_policy_match(sc->agent_names, name);
	return 0;
}

/*
 * What a running gw-mgmt cannot change (see mgmt_config_keep): its
 * sockets (listen, metrics listen), its own certificate, key and gateway
 * CA (the CRL is read again), what it negotiated with its links
 * (max_payload, tls12), its name, its store, the resend timer, the
 * signing authority it opened and the gateways it dials ([gateways] dial,
 * links, server_name; their backoff changes live).
 */
static const char *const restart_keys[] = {
	"mgmt.name", "mgmt.listen", "mgmt.cert", "mgmt.key",
	"mgmt.gateway_ca", "mgmt.max_payload", "mgmt.tls12",
	"store.type", "store.database", "store.conninfo", "commands.resend",
	"enroll.ca_dir", "enroll.names", "enroll.cert_days",
	"enroll.pending_ttl", "enroll.max_pending", "enroll.retry_after",
	"enroll.hook", "enroll.hook_timeout", "enroll.max_pending_per_source",
	"enroll.new_per_source_per_hour", "enroll.renew_after",
	"enroll.hook_max", "enroll.hook_queue", "enroll.signer_user",
	"metrics.listen", "gateways.dial", "gateways.links",
	"gateways.server_name", NULL
};

/**
 * mgmt_config_keep(old, cfg, changed, len): a reload keeps what cannot
 * change while running: each key of ${cfg} that needs a restart and
 * differs from ${old} gets its old value back (a string is swapped: ${old}
 * then owns the new text), and is named "[section] key" in ${changed}
 * (", "-separated).  Return how many differed.
 */
unsigned
mgmt_config_keep(struct mgmt_config *old, struct mgmt_config *cfg,
    char *changed, size_t len)
{
	*changed = '\0';
	return conf_table_keep(keys, NKEYS, restart_keys, old, cfg, changed,
	    len);
}

/** mgmt_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void
mgmt_config_free(struct mgmt_config *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned i = 0; i < cfg->nscopes; i++) {
		struct mgmt_scope *sc = &cfg->scopes[i];

		free(sc->gateways);
		free(sc->agent_ca);
		free(sc->agent_names);
		for (unsigned j = 0; j < sc->nissuers; j++)
			free(sc->issuers[j]);
		memset(sc, 0, sizeof(*sc));
	}
	cfg->nscopes = 0;
	free(cfg->file);
	cfg->file = NULL;
	conf_table_free(keys, NKEYS, cfg);
}
