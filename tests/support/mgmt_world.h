/*
 * mgmt_world.h: a gw-mgmt without sockets, for what drives its session
 * code (link.c, mchan.c, commit.c, signer.c): the unit tests of
 * link_fixture.h and fuzz_mgmt.  It is a struct mgmt on a loop the caller
 * runs by hand, over a store the caller opened, listening nowhere: its
 * gateways are the fake conns of fake_conn.h that link_accept(m, -1)
 * makes, whose handshakes end with certificates made here.
 */
#ifndef GW_SUPPORT_MGMT_WORLD_H
#define GW_SUPPORT_MGMT_WORLD_H

#include <stddef.h>
#include <ev.h>
#include <mbedtls/x509_crt.h>

#include "mgmt.h"
#include "x509_issue.h"

/* A certificate a gateway (or an agent posing as one) shows. */
struct mgmt_world_crt {
	enum pki_role	 role;
	const char	*name;
};

/**
 * mgmt_world_crts(who, n, rng, crts, prog): make the ${n} certificates
 * ${who} (30 days, each its own key, from ${rng}) and parse them into
 * ${crts}; on failure print why, after ${prog}, and abort.
 */
void mgmt_world_crts(const struct mgmt_world_crt *who, unsigned n,
    struct pki_rng *rng, mbedtls_x509_crt *crts, const char *prog);

/**
 * mgmt_world_init(m, cfg, loop, store, err, errlen): make ${m} (what it
 * held is overwritten) a gw-mgmt of config ${cfg} on ${loop} over
 * ${store}, with no listening socket: its parts made as gw-mgmt's main
 * makes them (commit_new, mchan_all_new, link_all_new, signer_new).
 * Return 0, or -1 with a message in ${err} (then nothing is left to free
 * but ${store}).
 */
int mgmt_world_init(struct mgmt *m, const struct mgmt_config *cfg,
    struct ev_loop *loop, struct store *store, char *err, size_t errlen);

/**
 * mgmt_world_stop(m, why): as gw-mgmt stops, every link of ${m} closes
 * (GW_R_SHUTDOWN, ${why}) and is freed (conn_reap).  The open batch is
 * the caller's: commit_now first to keep it.
 */
void mgmt_world_stop(struct mgmt *m, const char *why);

/**
 * mgmt_world_free(m): free what mgmt_world_init made and ${m}'s store;
 * the loop and the config stay the caller's.
 */
void mgmt_world_free(struct mgmt *m);

#endif /* GW_SUPPORT_MGMT_WORLD_H */
