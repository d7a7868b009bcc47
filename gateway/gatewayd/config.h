/*
 * config.h: gatewayd's configuration: conf/gateway.ini documents every key.
 * Loading never logs: errors come back as "file:line: [section] key: why"
 * lines and a count (--check-config prints them).
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "signer_conf.h"
#include "log.h"
#include "proto.h"

struct policy;

struct gw_config {
	char	*file;			/* label used in messages */
	/* [gateway] */
	char	*name;
	char	*listen;
	char	*cert, *key;
	char	*agent_ca;
	char	*crl;			/* NULL if unset */
	char	*agent_names;		/* comma-separated globs on the CN */
	/* The admission policy (policy.h): its keys, compiled in policy. */
	char	*agent_issuers, *agent_san_dns, *agent_san_ip, *agent_san_uri;
	char	*deny_names, *deny_fingerprints;
	struct policy *policy;
	uint32_t max_agents;
	uint32_t handshake_rate;	/* new agent connections per second */
	uint32_t max_handshakes;	/* in progress at once (admission) */
	uint32_t workers;		/* processes (workers.h); 1: one */
	uint32_t handshake_rate_per_source;	/* 0: no limit */
	double	 first_byte_timeout;	/* accepted, silent: closed after */
	uint32_t max_silent;		/* sockets waiting for first bytes */
	uint32_t silent_per_source;	/* ... silent from one source; 0: any */
	uint32_t ipv6_prefix;		/* IPv6 source key bits, all limits */
	uint32_t max_payload;		/* and the input buffer: one frame */
	uint32_t agent_output_buffer;	/* bytes queued toward one agent */
	double	 handshake_timeout;
	double	 hello_timeout;
	double	 idle_timeout;		/* 0: off */
	double	 heartbeat;		/* PING interval asked of agents */
	double	 drain_timeout;		/* SIGTERM: wait for ACKs this long */
	uint32_t agent_window;		/* DATA credit per agent */
	uint32_t buffer_budget;		/* replay memory, all agents */
	int	 tls12;
	int	 resumption;		/* TLS 1.3 session tickets */
	char	*ticket_keys;		/* NULL: in memory only */
	double	 ticket_lifetime;
	char	*user;			/* drop privileges to it, or NULL */
	enum log_level log_level;
	int	 log_syslog;		/* log = stderr (0) or syslog (1) */
	/* [upstream] */
	int	 up_accept;		/* mode = dial (0) or accept (1) */
	char	*up_listen;		/* accept: where servers dial in */
	char	*server;		/* "a:1, b:2" as written (accept:
					   the servers' certificate names) */
	char	*server_name;		/* NULL: each server's address */
	char	*ca;
	char	*up_cert, *up_key;	/* NULL: the [gateway] ones */
	uint32_t connections;
	double	 connect_timeout;
	double	 up_heartbeat;
	uint32_t up_heartbeat_misses;
	double	 backoff_min, backoff_max;
	int	 failback;
	double	 failback_hold;
	double	 upstream_grace;	/* no ready link this long: cut off */
	/* [enroll] */
	char	*enroll_listen;		/* NULL: no enrollment listener */
	char	*enroll_names;		/* NULL: agent_names */
	char	*enroll_chain;		/* CA(s) agents pin; NULL: agent_ca */
	uint32_t enroll_max_clients;
	uint32_t enroll_rate;		/* new enrollment connections per s */
	uint32_t enroll_rate_per_source;
	double	 enroll_timeout;	/* an answer takes at most this */
	struct signer_conf enroll_auth;	/* mode = local */
	int	 enroll_local;		/* mode = forward (0) or local (1) */
	char	*enroll_signer_user;	/* the signer runs as; NULL: ours */
	/* [metrics] */
	char	*metrics_listen;	/* NULL: no metrics listener */
	/* [downstream]: inner gateways relaying through this one */
	char	*down_listen;		/* NULL: no downstream listener */
	char	*down_ca;		/* CA of the inner gateways' certs */
	char	*down_gateway_names;	/* CN globs of the inner gateways */
	char	*down_agent_names;	/* CN globs of the agents they relay */
	char	*down_agent_issuers;	/* '|'-separated issuer DN globs;
					   NULL: any */
	uint32_t down_max_links;	/* downstream links at once */
	/* Derived: the servers of "server", in priority order (accept:
	   their names; a server's rank is its index + 1). */
	char	**servers;
	unsigned nservers;
	/* Derived: the CN of the upstream certificate ([upstream] cert, else
	   [gateway] cert), this gateway's name in OPEN's via (PROTOCOL.md
	   9.13); "" if it is not a valid via name (no via sent). */
	char	 via_name[GW_VIA_NAME_MAX + 1];
};

#define GW_MAX_SERVERS	16
#define GW_MAX_WORKERS	64	/* [gateway] workers, at most */

/**
 * gw_config_load_file(path, cfg, err, errlen): load ${path} into ${cfg}
 * (defaults first, relative paths against the file's directory); return
 * the number of errors, described in ${err}.
 */
int gw_config_load_file(const char *path, struct gw_config *cfg, char *err,
    size_t errlen);

/**
 * gw_config_load_string(text, label, basedir, cfg, err, errlen): the same
 * from ${text}, relative paths against ${basedir}.
 */
int gw_config_load_string(const char *text, const char *label,
    const char *basedir, struct gw_config *cfg, char *err, size_t errlen);

/**
 * gw_config_keep(old, cfg, changed, len): SIGHUP: ${cfg} is the new
 * configuration, ${old} the running one.  Keep in ${cfg} the running value
 * of every key that needs a restart (listen addresses, link count, frame
 * size, credit window, ticket keys, user, ipv6_prefix, the enrollment
 * authority);
 * name those that differed in ${changed}; return how many.
 */
unsigned gw_config_keep(struct gw_config *old, struct gw_config *cfg,
    char *changed, size_t len);

/** gw_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void gw_config_free(struct gw_config *cfg);

/** The embedded default: conf/gateway.ini as it was at build time. */
extern const char gw_config_default_text[];

#endif /* GW_CONFIG_H */
