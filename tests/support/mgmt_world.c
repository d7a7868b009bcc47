/*
 * mgmt_world.c: a gw-mgmt without sockets (see mgmt_world.h), built once
 * for the unit tests of link.c, mchan.c and commit.c and for fuzz_mgmt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "conn.h"
#include "link.h"
#include "mchan.h"
#include "mgmt.h"
#include "mgmt_world.h"
#include "proto.h"
#include "signer.h"
#include "store.h"
#include "x509_issue.h"

/**
 * mgmt_world_crts(who, n, rng, crts, prog): make the ${n} certificates
 * ${who} (30 days, each its own key, from ${rng}) and parse them into
 * ${crts}; on failure print why, after ${prog}, and abort.
 */
void
mgmt_world_crts(const struct mgmt_world_crt *who, unsigned n,
    struct pki_rng *rng, mbedtls_x509_crt *crts, const char *prog)
{
	static unsigned char pem[4096], key[4096];
	struct pki_req req;
	char err[512] = "certificate not parsed";

	for (unsigned i = 0; i < n; i++) {
		memset(&req, 0, sizeof(req));
		req.role = who[i].role;
		req.name = who[i].name;
		pki_validity(&req, 30);
		mbedtls_x509_crt_init(&crts[i]);
		if (pki_make(&req, NULL, rng, pem, sizeof(pem), key,
		    sizeof(key), err, sizeof(err)) != 0 ||
		    mbedtls_x509_crt_parse(&crts[i], pem,
		    strlen((char *)pem) + 1) != 0) {
			fprintf(stderr, "%s: %s\n", prog, err);
			abort();
		}
	}
}

/* Free the links', channels' and commit's parts of ${m}, as gw-mgmt does. */
static void
mgmt_world_parts_free(struct mgmt *m)
{
	link_all_free(m->links);
	m->links = NULL;
	mchan_all_free(m->chans);
	m->chans = NULL;
	commit_free(m->commit);
	m->commit = NULL;
}

/**
 * mgmt_world_init(m, cfg, loop, store, err, errlen): make ${m} (what it
 * held is overwritten) a gw-mgmt of config ${cfg} on ${loop} over
 * ${store}, with no listening socket: its parts made as gw-mgmt's main
 * makes them (commit_new, mchan_all_new, link_all_new, signer_new).
 * Return 0, or -1 with a message in ${err} (then nothing is left to free
 * but ${store}).
 */
int
mgmt_world_init(struct mgmt *m, const struct mgmt_config *cfg,
    struct ev_loop *loop, struct store *store, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->magic = MGMT_MAGIC;
	m->loop = loop;
	m->cfg = cfg;
	m->lfd = -1;
	m->store = store;
	if ((m->commit = commit_new(m, &mchan_commit_ops)) == NULL ||
	    (m->chans = mchan_all_new()) == NULL ||
	    (m->links = link_all_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		mgmt_world_parts_free(m);
		return -1;
	}
	if ((m->signer = signer_new(m, err, errlen)) == NULL) {
		mgmt_world_parts_free(m);
		return -1;
	}
	return 0;
}

/**
 * mgmt_world_stop(m, why): as gw-mgmt stops, every link of ${m} closes
 * (GW_R_SHUTDOWN, ${why}) and is freed (conn_reap).  The open batch is
 * the caller's: commit_now first to keep it.
 */
void
mgmt_world_stop(struct mgmt *m, const char *why)
{
	link_stop_all(m, GW_R_SHUTDOWN, why);
	conn_reap();
}

/**
 * mgmt_world_free(m): free what mgmt_world_init made and ${m}'s store;
 * the loop and the config stay the caller's.
 */
void
mgmt_world_free(struct mgmt *m)
{
	signer_free(m->signer);
	m->signer = NULL;
	store_close(m->store);
	m->store = NULL;
	mgmt_world_parts_free(m);
}
