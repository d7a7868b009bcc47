/*
 * mgmt_config.h: gw-mgmt's configuration; conf/mgmt.ini documents every
 * key.  Loading never logs: errors come back as "file:line: [section] key:
 * why" lines and a count.
 */
#ifndef GW_MGMT_CONFIG_H
#define GW_MGMT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "signer_conf.h"
#include "log.h"

#define MGMT_SCOPES_MAX		64
#define MGMT_SCOPE_CAS_MAX	16

/*
 * [scope GATEWAYS]: what the gateways whose CN matches the globs GATEWAYS
 * may open channels for: agents issued by one of the CAs in the file
 * agent_ca (kept as their subject DNs, which are their agents' issuer
 * DNs) whose names match agent_names.
 */
struct mgmt_scope {
	char		*gateways;	/* comma-separated globs on the CN */
	char		*agent_ca;	/* the file */
	char		*agent_names;	/* comma-separated globs */
	char		*issuers[MGMT_SCOPE_CAS_MAX];	/* its CAs' DNs */
	unsigned	 nissuers;
};

struct mgmt_config {
	char		*file;		/* label used in messages */
	/* [mgmt] */
	char		*name;
	char		*listen;
	char		*cert, *key;
	char		*gateway_ca;
	char		*crl;		/* NULL if unset */
	char		*gateway_names;	/* comma-separated globs on the CN */
	char		*agent_crl;	/* CRL of the agents' CA, or NULL */
	uint32_t	 max_gateways;	/* upstream connections at once */
	uint32_t	 max_payload;
	double		 handshake_timeout;
	double		 hello_timeout;
	int		 tls12;
	enum log_level	 log_level;
	/* [store] */
	int		 store_type;	/* type: enum store_type */
	char		*database;	/* sqlite */
	char		*conninfo;	/* postgresql */
	uint32_t	 batch_max;	/* rows per transaction at most */
	double		 batch_delay;	/* longest wait to fill a batch */
	double		 retain;	/* rows older go (seconds); 0: keep */
	uint32_t	 max_rows;	/* rows kept at most; 0: no cap */
	/* [commands] */
	double		 cmd_resend;	/* COMMANDs sent again after */
	/* [agents] */
	double		 stale_after;	/* silent that long: stale */
	/* [gateways]: the gateways gw-mgmt dials (mdial.c), or none */
	char		*dial;		/* "gw1:7445, gw2:7445"; NULL: none */
	uint32_t	 dial_links;	/* links kept to each */
	char		*dial_server_name;	/* NULL: the host dialed */
	double		 dial_backoff_min, dial_backoff_max;
	/* [metrics] */
	char		*metrics_listen;	/* NULL: no metrics listener */
	/* [enroll]: the signing authority; off without ca_dir */
	struct signer_conf enroll;
	/* [scope ...] sections in file order; none: any gateway, any agent */
	struct mgmt_scope scopes[MGMT_SCOPES_MAX];
	unsigned	 nscopes;
	const char	*loaddir;	/* while loading: relative paths */
	uint32_t	 magic;		/* MGMT_CONFIG_MAGIC once loading */
	char	*enroll_signer_user;	/* the signer runs as; NULL: ours */
};

#define MGMT_CONFIG_MAGIC	0x4d436667u	/* "MCfg" */

/**
 * mgmt_config_load(path, cfg, err, errlen): load ${path} into ${cfg}
 * (defaults first, relative paths against the file's directory); return
 * the number of errors, described in ${err}.
 */
int mgmt_config_load(const char *path, struct mgmt_config *cfg, char *err,
    size_t errlen);

/**
 * mgmt_config_load_string(text, label, basedir, cfg, err, errlen): the
 * same from ${text}, relative paths against ${basedir}.
 */
int mgmt_config_load_string(const char *text, const char *label,
    const char *basedir, struct mgmt_config *cfg, char *err, size_t errlen);

/**
 * mgmt_config_scope(cfg, gateway): the first [scope] of ${cfg} whose
 * globs match the CN ${gateway}, or NULL.
 */
const struct mgmt_scope *mgmt_config_scope(const struct mgmt_config *cfg,
    const char *gateway);

/**
 * mgmt_scope_allows(sc, issuer, name): 1 if scope ${sc} lets its gateways
 * open a channel for the agent ${name} of the issuer DN ${issuer}, else 0.
 */
int mgmt_scope_allows(const struct mgmt_scope *sc, const char *issuer,
    const char *name);

/**
 * mgmt_config_keep(old, cfg, changed, len): a reload keeps what cannot
 * change while running: each key of ${cfg} that needs a restart and
 * differs from ${old} gets its old value back (a string is swapped: ${old}
 * then owns the new text), and is named "[section] key" in ${changed}
 * (", "-separated).  Return how many differed.
 */
unsigned mgmt_config_keep(struct mgmt_config *old, struct mgmt_config *cfg,
    char *changed, size_t len);

/** mgmt_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void mgmt_config_free(struct mgmt_config *cfg);

#endif /* GW_MGMT_CONFIG_H */
