/*
 * signer_conf.h: the configuration keys of the signer (gw-signer, the
 * signing authority in a process of its own), shared by gw-mgmt
 * ([enroll]) and a standalone gatewayd ([enroll] mode = local): one set of
 * rows for each program's conf_util table, one conversion to struct
 * authority_params, which signer_client.h hands to the signer.
 */
#ifndef GW_SIGNER_CONF_H
#define GW_SIGNER_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "authority_msg.h"
#include "conf_util.h"

struct signer_conf {
	char		*ca_dir;	/* NULL: no authority here */
	char		*names;		/* NULL: the program's default */
	uint32_t	 cert_days;
	double		 pending_ttl;
	uint32_t	 max_pending;
	double		 retry_after;
	char		*hook;
	double		 hook_timeout;
	uint32_t	 max_pending_per_source;
	uint32_t	 new_per_source;
	uint32_t	 renew_after;
	uint32_t	 hook_max;
	uint32_t	 hook_queue;
};

/*
 * The rows, for a struct signer_conf at offset ${off} of the config
 * struct, in section ${sec}.
 */
#define SIGNER_CONF_KEYS(sec, off)					\
	{ sec, "ca_dir", CONF_PATH,					\
	    (off) + offsetof(struct signer_conf, ca_dir), 0, 0, NULL, 0 }, \
	{ sec, "names", CONF_STR,					\
	    (off) + offsetof(struct signer_conf, names), 0, 0, NULL, 0 }, \
	{ sec, "cert_days", CONF_UINT,					\
	    (off) + offsetof(struct signer_conf, cert_days), 1, 36500,	\
	    "365", 0 },							\
	{ sec, "pending_ttl", CONF_DUR,					\
	    (off) + offsetof(struct signer_conf, pending_ttl), 1,	\
	    31536000, "7d", 0 },					\
	{ sec, "max_pending", CONF_UINT,				\
	    (off) + offsetof(struct signer_conf, max_pending), 1,	\
	    1000000, "10000", 0 },					\
	{ sec, "retry_after", CONF_DUR,					\
	    (off) + offsetof(struct signer_conf, retry_after), 1, 3600,	\
	    "30s", 0 },							\
	{ sec, "hook", CONF_PATH,					\
	    (off) + offsetof(struct signer_conf, hook), 0, 0, NULL, 0 },	\
	{ sec, "hook_timeout", CONF_DUR,				\
	    (off) + offsetof(struct signer_conf, hook_timeout), 1, 600,	\
	    "10s", 0 },							\
	{ sec, "max_pending_per_source", CONF_UINT,			\
	    (off) + offsetof(struct signer_conf, max_pending_per_source), \
	    1, 1000000, "16", 0 },					\
	{ sec, "new_per_source_per_hour", CONF_UINT,			\
	    (off) + offsetof(struct signer_conf, new_per_source), 1,	\
	    1000000, "60", 0 },						\
	{ sec, "renew_after", CONF_UINT,				\
	    (off) + offsetof(struct signer_conf, renew_after), 1, 99,	\
	    "33", 0 },							\
	{ sec, "hook_max", CONF_UINT,					\
	    (off) + offsetof(struct signer_conf, hook_max), 1, 256,	\
	    "4", 0 },							\
	{ sec, "hook_queue", CONF_UINT,					\
	    (off) + offsetof(struct signer_conf, hook_queue), 1, 100000, \
	    "64", 0 }

/**
 * signer_conf_params(c, loop, names, p): ${p} from ${c}, with
 * ${names} when ${c} sets none.
 */
static inline void
signer_conf_params(const struct signer_conf *c, struct ev_loop *loop,
    const char *names, struct authority_params *p)
{
	*p = (struct authority_params){
		.loop = loop,
		.dir = c->ca_dir,
		.names = c->names != NULL ? c->names : names,
		.cert_days = c->cert_days,
		.pending_ttl = (unsigned)c->pending_ttl,
		.max_pending = c->max_pending,
		.retry_after = (unsigned)c->retry_after,
		.hook = c->hook,
		.hook_timeout = (unsigned)c->hook_timeout,
		.max_pending_per_source = c->max_pending_per_source,
		.new_per_source = c->new_per_source,
		.renew_after = c->renew_after,
		.hook_max = c->hook_max,
		.hook_queue = c->hook_queue,
	};
}

#endif /* GW_SIGNER_CONF_H */
