/*
 * config.c: gatewayd's keys, their types, ranges and defaults, in one
 * table; conf_util does the INI reading and the file:line messages.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_util.h"
#include "config.h"
#include "identity.h"
#include "net.h"
#include "policy.h"
#include "proto.h"
#include "tls_ticket.h"

#define GW_FIRST_BYTE_TIMEOUT	5.0	/* seconds, unless set */

#define O(f) offsetof(struct gw_config, f)
static const struct conf_key keys[] = {
	{ "gateway", "name", CONF_STR, O(name), 0, 0, "gateway", 0 },
	{ "gateway", "listen", CONF_ADDR, O(listen), 0, 0, "127.0.0.1:7443", 0 },
	{ "gateway", "cert", CONF_PATH, O(cert), 0, 0, NULL, 1 },
	{ "gateway", "key", CONF_PATH, O(key), 0, 0, NULL, 1 },
	{ "gateway", "agent_ca", CONF_PATH, O(agent_ca), 0, 0, NULL, 1 },
	{ "gateway", "crl", CONF_PATH, O(crl), 0, 0, NULL, 0 },
	{ "gateway", "agent_names", CONF_STR, O(agent_names), 0, 0, "*", 0 },
	{ "gateway", "agent_issuers", CONF_STR, O(agent_issuers), 0, 0, NULL, 0 },
	{ "gateway", "agent_san_dns", CONF_STR, O(agent_san_dns), 0, 0, NULL, 0 },
	{ "gateway", "agent_san_ip", CONF_STR, O(agent_san_ip), 0, 0, NULL, 0 },
	{ "gateway", "agent_san_uri", CONF_STR, O(agent_san_uri), 0, 0, NULL, 0 },
	{ "gateway", "deny_names", CONF_STR, O(deny_names), 0, 0, NULL, 0 },
	{ "gateway", "deny_fingerprints", CONF_STR, O(deny_fingerprints), 0, 0,
	    NULL, 0 },
	{ "gateway", "max_agents", CONF_UINT, O(max_agents), 1, 1000000, "20000", 0 },
	{ "gateway", "handshake_rate", CONF_UINT, O(handshake_rate), 0, 1e6,
	    "5000", 0 },
	{ "gateway", "max_handshakes", CONF_UINT, O(max_handshakes), 1, 1e6,
	    "64", 0 },
	{ "gateway", "handshake_rate_per_source", CONF_UINT,
	    O(handshake_rate_per_source), 0, 1e6, "1000", 0 },
	/* Unset: GW_FIRST_BYTE_TIMEOUT, or handshake_timeout if lower. */
	{ "gateway", "first_byte_timeout", CONF_DUR, O(first_byte_timeout),
	    0.1, 600, NULL, 0 },
	{ "gateway", "max_silent", CONF_UINT, O(max_silent), 1, 1e6, "4096",
	    0 },
	{ "gateway", "silent_per_source", CONF_UINT, O(silent_per_source), 0,
	    1e6, "64", 0 },
	{ "gateway", "ipv6_prefix", CONF_UINT, O(ipv6_prefix), 1, 128, "64", 0 },
	{ "gateway", "max_payload", CONF_SIZE, O(max_payload), GW_MAX_PAYLOAD_MIN,
	    GW_PAYLOAD_HARD_MAX, "16384", 0 },
	{ "gateway", "agent_output_buffer", CONF_SIZE, O(agent_output_buffer),
	    1024, GW_PAYLOAD_HARD_MAX, "4k", 0 },
	{ "gateway", "handshake_timeout", CONF_DUR, O(handshake_timeout), 0.1, 600,
	    "10s", 0 },
	{ "gateway", "hello_timeout", CONF_DUR, O(hello_timeout), 0.1, 600, "10s", 0 },
	{ "gateway", "idle_timeout", CONF_DUR, O(idle_timeout), 0, 86400, "300s", 0 },
	{ "gateway", "heartbeat", CONF_DUR, O(heartbeat), 0.1, 3600, "5s", 0 },
	{ "gateway", "drain_timeout", CONF_DUR, O(drain_timeout), 0, 3600, "10s",
	    0 },
	{ "gateway", "agent_window", CONF_UINT, O(agent_window), 1, 65535, "32", 0 },
	{ "gateway", "buffer_budget", CONF_SIZE, O(buffer_budget), 65536,
	    3221225472.0, "256M", 0 },
	{ "gateway", "tls12", CONF_BOOL, O(tls12), 0, 0, "yes", 0 },
	{ "gateway", "resumption", CONF_BOOL, O(resumption), 0, 0, "yes", 0 },
	{ "gateway", "ticket_keys", CONF_PATH, O(ticket_keys), 0, 0, NULL, 0 },
	{ "gateway", "ticket_lifetime", CONF_DUR, O(ticket_lifetime), 1,
	    TLS_TICKET_MAX_LIFETIME, "24h", 0 },
	{ "gateway", "user", CONF_STR, O(user), 0, 0, NULL, 0 },
	{ "gateway", "workers", CONF_UINT, O(workers), 1, GW_MAX_WORKERS, "1",
	    0 },
	{ "gateway", "log_level", CONF_LOG, O(log_level), 0, 0, "info", 0 },
	{ "gateway", "log", CONF_CHOICE, O(log_syslog), 0, 0, "stderr|syslog",
	    0 },
	/* [upstream] server: config_server_set (its form depends on mode) */
	{ "upstream", "mode", CONF_CHOICE, O(up_accept), 0, 0, "dial|accept",
	    0 },
	{ "upstream", "listen", CONF_ADDR, O(up_listen), 0, 0, NULL, 0 },
	{ "upstream", "server_name", CONF_STR, O(server_name), 0, 0, NULL, 0 },
	{ "upstream", "ca", CONF_PATH, O(ca), 0, 0, NULL, 1 },
	{ "upstream", "cert", CONF_PATH, O(up_cert), 0, 0, NULL, 0 },
	{ "upstream", "key", CONF_PATH, O(up_key), 0, 0, NULL, 0 },
	{ "upstream", "connections", CONF_UINT, O(connections), 1, 8, "2", 0 },
	{ "upstream", "connect_timeout", CONF_DUR, O(connect_timeout), 0.1, 300,
	    "2s", 0 },
	{ "upstream", "heartbeat", CONF_DUR, O(up_heartbeat), 0.05, 3600,
	    "500ms", 0 },
	{ "upstream", "heartbeat_misses", CONF_UINT, O(up_heartbeat_misses), 1,
	    100, "3", 0 },
	{ "upstream", "backoff_min", CONF_DUR, O(backoff_min), 0.01, 3600,
	    "100ms", 0 },
	{ "upstream", "backoff_max", CONF_DUR, O(backoff_max), 0.01, 86400,
	    "5s", 0 },
	{ "upstream", "failback", CONF_BOOL, O(failback), 0, 0, "yes", 0 },
	{ "upstream", "failback_hold", CONF_DUR, O(failback_hold), 0, 86400,
	    "10s", 0 },
	{ "upstream", "upstream_grace", CONF_DUR, O(upstream_grace), 0, 3600,
	    "5s", 0 },
	{ "enroll", "listen", CONF_ADDR, O(enroll_listen), 0, 0, NULL, 0 },
	{ "enroll", "mode", CONF_CHOICE, O(enroll_local), 0, 0, "forward|local",
	    0 },
	{ "enroll", "names", CONF_STR, O(enroll_names), 0, 0, NULL, 0 },
	{ "enroll", "chain", CONF_PATH, O(enroll_chain), 0, 0, NULL, 0 },
	{ "enroll", "max_clients", CONF_UINT, O(enroll_max_clients), 1, 100000,
	    "256", 0 },
	{ "enroll", "rate", CONF_UINT, O(enroll_rate), 0, 1e6, "100", 0 },
	{ "enroll", "rate_per_source", CONF_UINT, O(enroll_rate_per_source),
	    0, 1e6, "20", 0 },
	{ "enroll", "timeout", CONF_DUR, O(enroll_timeout), 1, 3600, "30s", 0 },
	SIGNER_CONF_KEYS("enroll", O(enroll_auth)),
	{ "enroll", "signer_user", CONF_STR, O(enroll_signer_user), 0, 0, NULL,
	    0 },
	{ "metrics", "listen", CONF_ADDR, O(metrics_listen), 0, 0, NULL, 0 },
	/* [downstream] (downlink.c, relay.c) */
	{ "downstream", "listen", CONF_ADDR, O(down_listen), 0, 0, NULL, 0 },
	{ "downstream", "ca", CONF_PATH, O(down_ca), 0, 0, NULL, 0 },
	{ "downstream", "gateway_names", CONF_STR, O(down_gateway_names), 0, 0,
	    NULL, 0 },
	{ "downstream", "agent_names", CONF_STR, O(down_agent_names), 0, 0,
	    "*", 0 },
	{ "downstream", "agent_issuers", CONF_STR, O(down_agent_issuers), 0,
	    0, NULL, 0 },
	{ "downstream", "max_links", CONF_UINT, O(down_max_links), 1, 10000,
	    "16", 0 },
};
#undef O
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/*
 * [upstream] server, the one key outside the table: addresses to dial
 * (mode = dial) or the certificate names of the servers that dial in
 * (mode = accept), and the mode may come later in the file.  Here each
 * entry must be one or the other (errors at the key's line); config_mode
 * checks them against the mode once it is known.
 */
static int
config_server_set(void *arg, const char *section, const char *key,
    const char *value, char *why, size_t whylen)
{
	struct gw_config *cfg = arg;
	char copy[1024], *tok, *save = NULL, *seen[GW_MAX_SERVERS];
	unsigned n = 0, addrs = 0;

	if (strcmp(section, "upstream") != 0 || strcmp(key, "server") != 0)
		return CONF_SET_UNKNOWN;
	if (cfg->server != NULL) {
		snprintf(why, whylen, "set twice");
		return CONF_SET_BAD;
	}
	if (strlen(value) >= sizeof(copy)) {
		snprintf(why, whylen, "list too long");
		return CONF_SET_BAD;
	}
	strcpy(copy, value);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (strchr(tok, ':') == NULL && !net_host_is_name(tok)) {
			snprintf(why, whylen, "'%s' is neither HOST:PORT (mode "
			    "= dial) nor a certificate name (mode = accept)",
			    tok);
			return CONF_SET_BAD;
		}
		for (unsigned i = 0; i < n; i++)
			if (strcasecmp(seen[i], tok) == 0) {
				snprintf(why, whylen, "%s listed twice", tok);
				return CONF_SET_BAD;
			}
		if (n == GW_MAX_SERVERS) {
			snprintf(why, whylen, "more than %d servers",
			    GW_MAX_SERVERS);
			return CONF_SET_BAD;
		}
		seen[n++] = tok;
		addrs += strchr(tok, ':') != NULL;
	}
	if (n == 0) {
		snprintf(why, whylen, "no server");
		return CONF_SET_BAD;
	}
	if (addrs > 0 && addrs < n) {
		snprintf(why, whylen, "mixes addresses (HOST:PORT, mode = "
		    "dial) and certificate names (mode = accept)");
		return CONF_SET_BAD;
	}
	/* Names have no ':': as a list of addresses, the rest is checked. */
	if (addrs > 0 && conf_addr_list(value, why, whylen) != 0)
		return CONF_SET_BAD;
	if ((cfg->server = strdup(value)) == NULL) {
		snprintf(why, whylen, "out of memory");
		return CONF_SET_BAD;
	}
	return CONF_SET_OK;
}

/* The [upstream] keys that depend on its mode: one error line each. */
static int
config_mode(struct gw_config *cfg, const char *label, char *err,
    size_t errlen)
{
	int n = 0;

	if (cfg->server == NULL) {
		conf_errf(err, errlen, "%s: [upstream] server: required", label);
		return 1;
	}
	if (!cfg->up_accept) {
		for (unsigned i = 0; i < cfg->nservers; i++)
			if (strchr(cfg->servers[i], ':') == NULL) {
				conf_errf(err, errlen, "%s: [upstream] server: "
				    "'%s' is not HOST:PORT (a bare name is a "
				    "certificate name: mode = accept)", label,
				    cfg->servers[i]);
				n++;
				break;
			}
		if (cfg->up_listen != NULL) {
			conf_errf(err, errlen, "%s: [upstream] listen: only "
			    "with mode = accept", label);
			n++;
		}
		return n;
	}
	if (cfg->workers > 1) {
		/* One up_listen cannot be shared by N workers' pools. */
		conf_errf(err, errlen, "%s: [gateway] workers: only with "
		    "[upstream] mode = dial", label);
		n++;
	}
	if (strchr(cfg->server, ':') != NULL) {
		conf_errf(err, errlen, "%s: [upstream] server: with mode = "
		    "accept, the certificate names of the servers that dial "
		    "in, not addresses", label);
		n++;
	}
	if (cfg->up_listen == NULL) {
		conf_errf(err, errlen, "%s: [upstream] listen: required with "
		    "mode = accept", label);
		n++;
	}
	if (cfg->server_name != NULL) {
		conf_errf(err, errlen, "%s: [upstream] server_name: only with "
		    "mode = dial (in accept mode each server's name is in "
		    "server)", label);
		n++;
	}
	return n;
}

/* Split the checked [upstream] server list into cfg->servers. */
static int
config_servers(struct gw_config *cfg, const char *label, char *err,
    size_t errlen)
{
	char *copy, *tok, *save = NULL;

	if ((copy = strdup(cfg->server)) == NULL ||
	    (cfg->servers = calloc(GW_MAX_SERVERS, sizeof(char *))) == NULL) {
		free(copy);
		conf_errf(err, errlen, "%s: out of memory", label);
		return 1;
	}
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL &&
	    cfg->nservers < GW_MAX_SERVERS; tok = strtok_r(NULL, ", \t", &save))
		if ((cfg->servers[cfg->nservers++] = strdup(tok)) == NULL) {
			free(copy);
			conf_errf(err, errlen, "%s: out of memory", label);
			return 1;
		}
	free(copy);
	return 0;
}

/* The second pass (config_policy): only [gateway]'s policy keys count. */
static int
config_policy_set(void *arg, const char *section, const char *key,
    const char *value, char *why, size_t whylen)
{
	if (strcmp(section, "gateway") != 0)
		return CONF_SET_OK;
	return policy_set(arg, key, value, why, whylen) == -1 ? CONF_SET_BAD :
	    CONF_SET_OK;
}

/*
 * Compile the admission policy.  The values were read as text by the
 * table; a second pass over the same text compiles them, so that a bad
 * one is reported at its file:line (run only on a file that reads
 * cleanly: the first pass reported everything else).  agent_ca is read
 * only if agent_issuers names CA fingerprints.
 */
static int
config_policy(const char *text, const char *label, struct gw_config *cfg,
    char *err, size_t errlen)
{
	char why[512] = "";
	int n;

	if ((cfg->policy = policy_new()) == NULL ||
	    policy_set(cfg->policy, "agent_names", cfg->agent_names, why,
	    sizeof(why)) != 0) {
		conf_errf(err, errlen, "%s: [gateway] agent_names: %s", label,
		    cfg->policy == NULL ? "out of memory" : why);
		return 1;
	}
	if (text != NULL)
		n = conf_load_string(text, label, config_policy_set,
		    cfg->policy, err, errlen);
	else
		n = conf_load_file(label, config_policy_set, cfg->policy,
		    err, errlen);
	if (n == 0 && cfg->agent_ca != NULL &&
	    policy_cas(cfg->policy, cfg->agent_ca, why, sizeof(why)) != 0) {
		conf_errf(err, errlen, "%s: [gateway] agent_issuers: %s",
		    label, why);
		n = 1;
	}
	return n;
}

/*
 * [gateway] workers > 1: what N processes cannot share.  The number of
 * errors (each in ${err}).
 */
static int
config_workers(const struct gw_config *cfg, const char *label, char *err,
    size_t errlen)
{
	const char *port;
	int n = 0;

	if (cfg->workers <= 1)
		return 0;
	if (cfg->enroll_local) {
		/* The signer is one process's, and spawned as root. */
		conf_errf(err, errlen, "%s: [gateway] workers: only with "
		    "[enroll] mode = forward", label);
		n++;
	}
	if (cfg->resumption && cfg->ticket_keys == NULL) {
		conf_errf(err, errlen, "%s: [gateway] workers: needs "
		    "ticket_keys: the workers share their session ticket keys "
		    "through that file (or set resumption = no)", label);
		n++;
	}
	/* Worker i's metrics listen on its port + i (workers.c). */
	if (cfg->metrics_listen != NULL &&
	    (port = strrchr(cfg->metrics_listen, ':')) != NULL &&
	    strtoul(port + 1, NULL, 10) + cfg->workers - 1 > 65535) {
		conf_errf(err, errlen, "%s: [metrics] listen: %s: its port + "
		    "%u (one port per worker) passes 65535", label,
		    cfg->metrics_listen, cfg->workers - 1);
		n++;
	}
	return n;
}

/*
 * [downstream]: a listener needs the CA its inner gateways chain to and
 * the names they may have (no default: who may speak for agents is said).
 */
static int
config_downstream(const struct gw_config *cfg, const char *label, char *err,
    size_t errlen)
{
	int n = 0;

	if (cfg->down_listen == NULL)
		return 0;
	if (cfg->down_ca == NULL) {
		conf_errf(err, errlen, "%s: [downstream] ca: required with "
		    "listen", label);
		n++;
	}
	if (cfg->down_gateway_names == NULL) {
		conf_errf(err, errlen, "%s: [downstream] gateway_names: "
		    "required with listen", label);
		n++;
	}
	return n;
}

static int
config_load(const char *text, const char *label, const char *basedir,
    struct gw_config *cfg, char *err, size_t errlen)
{
	int n;

	memset(cfg, 0, sizeof(*cfg));
	cfg->file = strdup(label);
	n = conf_table_load_more(keys, NKEYS, config_server_set, cfg, text,
	    label, basedir, err, errlen);
	if ((cfg->up_cert == NULL) != (cfg->up_key == NULL)) {
		conf_errf(err, errlen, "%s: [upstream] cert and key: set both "
		    "or neither", label);
		n++;
	}
	/* A silent peer waits no longer than one that is handshaking. */
	if (cfg->first_byte_timeout == 0)
		cfg->first_byte_timeout = cfg->handshake_timeout <
		    GW_FIRST_BYTE_TIMEOUT ? cfg->handshake_timeout :
		    GW_FIRST_BYTE_TIMEOUT;
	else if (cfg->first_byte_timeout > cfg->handshake_timeout) {
		conf_errf(err, errlen, "%s: [gateway] first_byte_timeout: "
		    "above handshake_timeout", label);
		n++;
	}
	if (cfg->backoff_min > cfg->backoff_max) {
		conf_errf(err, errlen, "%s: [upstream] backoff_min: above "
		    "backoff_max", label);
		n++;
	}
	/* Each frame of credit reserves max_payload of it (agent_credit.c). */
	if (cfg->buffer_budget < cfg->max_payload) {
		conf_errf(err, errlen, "%s: [gateway] buffer_budget: below "
		    "max_payload (no agent could get credit)", label);
		n++;
	}
	if (cfg->server != NULL)
		n += config_servers(cfg, label, err, errlen);
	n += config_mode(cfg, label, err, errlen);

	if (cfg->enroll_local && cfg->enroll_auth.ca_dir == NULL) {
		conf_errf(err, errlen, "%s: [enroll] ca_dir: required with "
		    "mode = local", label);
		n++;
	}
	n += config_workers(cfg, label, err, errlen);
	n += config_downstream(cfg, label, err, errlen);
	if (n == 0)
		n = config_policy(text, label, cfg, err, errlen);
	if (n == 0)
		(void)id_via_name_file(cfg->up_cert != NULL ? cfg->up_cert :
		    cfg->cert, cfg->via_name);
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
	n = config_load(NULL, path, dirname(copy), cfg, err, errlen);
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
	return config_load(text, label, basedir, cfg, err, errlen);
}

/*
 * What a running gatewayd cannot change (see gw_config_keep): its sockets,
 * its links' count, what it negotiated with agents and servers (frame size,
 * credit window, name), the ticket keys, its user, how its rate limits key
 * sources (ipv6_prefix), and the enrollment authority it opened.
 */
static const char *const restart_keys[] = {
	"gateway.name", "gateway.listen", "gateway.max_payload",
	"gateway.agent_window", "gateway.resumption", "gateway.ticket_keys",
	"gateway.ticket_lifetime", "gateway.user", "gateway.ipv6_prefix",
	"gateway.workers",
	"upstream.connections", "upstream.listen",
	"enroll.listen", "enroll.mode", "enroll.names", "enroll.ca_dir",
	"enroll.cert_days", "enroll.pending_ttl", "enroll.max_pending",
	"enroll.retry_after", "enroll.hook", "enroll.hook_timeout",
	"enroll.max_pending_per_source", "enroll.new_per_source_per_hour",
	"enroll.renew_after", "enroll.hook_max", "enroll.hook_queue",
	"metrics.listen",
	"downstream.listen",
	NULL
};

/**
 * gw_config_keep(old, cfg, changed, len): see config.h.
 */
unsigned
gw_config_keep(struct gw_config *old, struct gw_config *cfg, char *changed,
    size_t len)
{
	unsigned n;

	*changed = '\0';
	n = conf_table_keep(keys, NKEYS, restart_keys, old, cfg, changed, len);
	return n;
}

/** gw_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void
gw_config_free(struct gw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	cfg->file = NULL;
	for (unsigned i = 0; i < cfg->nservers; i++)
		free(cfg->servers[i]);
	free(cfg->servers);
	cfg->servers = NULL;
	policy_free(cfg->policy);
	cfg->policy = NULL;
	cfg->nservers = 0;
	free(cfg->server);	/* not in the table: config_server_set */
	cfg->server = NULL;
	conf_table_free(keys, NKEYS, cfg);
}
