/*
 * mgmt_config.h: gw-mgmt's configuration; conf/mgmt.ini documents every
 * key.  Loading never logs: errors come back as "file:line: [section] key:
 * why" lines and a count.
 */
#ifndef GW_MGMT_CONFIG_H
#define GW_MGMT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "authority_conf.h"
#include "log.h"

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
	/* [enroll]: the signing authority; off without ca_dir */
	struct authority_conf enroll;
	char	*enroll_signer_user;	/* the signer runs as; NULL: ours */
};

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

/** mgmt_config_free(cfg): free the strings of ${cfg}; NULL-safe. */
void mgmt_config_free(struct mgmt_config *cfg);

#endif /* GW_MGMT_CONFIG_H */
