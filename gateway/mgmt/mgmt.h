/*
 * mgmt.h: gw-mgmt's process-wide context.  One libev loop; each gateway
 * connection is a link (link.c, link.h) carrying channels (mchan.c,
 * mchan.h), one per agent session; the group commit (commit.c, commit.h)
 * turns DATA into durable rows and only then into ACKs; the signer
 * (signer.c, signer.h) answers the enrollment requests gateways forward;
 * retention (retain.c, retain.h) deletes the old rows between commits;
 * liveness (mlive.c, mlive.h) notices the agents gone silent.
 *
 * main.c builds the shared part (loop, cfg, tls, store, the listener) and
 * alone writes it; the modules only read it.  Each module's own state is
 * its part below, declared in its own header, made by its _new, freed by
 * its _free and written by that module alone: links by link.c, chans by
 * mchan.c, commit by commit.c, signer by signer.c, retain by retain.c,
 * live by mlive.c, dial by mdial.c; main.c alone stores the pointers here (and clears
 * them when it frees).
 * This header holds only pointers to the parts, so it includes no
 * module's header: the modules include it, and calls and includes only go
 * down.
 */
#ifndef GW_MGMT_H
#define GW_MGMT_H

#include <stdint.h>
#include <ev.h>

#include "identity.h"
#include "mgmt_config.h"
#include "store.h"
#include "tls_conf.h"

struct commit;
struct link_all;
struct mchan_all;
struct mdial;
struct mlive;
struct retain;
struct mmetrics;
struct signer;

#define MGMT_MAGIC	0x4d676d74u	/* "Mgmt" */

struct mgmt {
	uint32_t			 magic;	/* MGMT_MAGIC */
	struct ev_loop			*loop;
	const struct mgmt_config	*cfg;
	struct tls_conf			*tls;
	struct store			*store;
	int				 lfd;
	ev_io				 accept_io;
	struct link_all			*links;	/* link.c's */
	struct mchan_all		*chans;	/* mchan.c's */
	struct commit			*commit;	/* commit.c's */
	struct signer			*signer;	/* signer.c's */
	struct retain			*retain;	/* retain.c's */
	struct mlive			*live;	/* mlive.c's */
	struct mmetrics			*metrics;	/* or NULL */
	struct mdial			*dial;	/* mdial.c's, or NULL */
};

#endif /* GW_MGMT_H */
