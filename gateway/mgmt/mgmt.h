/*
 * mgmt.h: gw-mgmt's process-wide context.  One libev loop; each gateway
 * connection is a link (link.c, link.h) carrying channels, one per agent
 * session; the group commit (commit.c, commit.h) turns DATA into durable
 * rows and only then into ACKs; the signer (signer.c, signer.h) answers
 * the enrollment requests gateways forward.
 */
#ifndef GW_MGMT_H
#define GW_MGMT_H

#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include <mbedtls/x509_crl.h>

#include "identity.h"
#include "mgmt_config.h"
#include "store.h"
#include "tls_conf.h"

struct authority_proc;
struct commit_chan;
struct commit_ops;
struct commit_row;
struct link;
struct namemap;
struct signer_req;

TAILQ_HEAD(commit_q, commit_chan);
TAILQ_HEAD(link_q, link);

#define MGMT_MAGIC	0x4d676d74u	/* "Mgmt" */

struct mgmt {
	uint32_t			 magic;	/* MGMT_MAGIC */
	struct ev_loop			*loop;
	const struct mgmt_config	*cfg;
	struct tls_conf			*tls;
	struct store			*store;
	int				 lfd;
	ev_io				 accept_io;
	struct link_q			 links;
	unsigned			 nlinks;
	/* Open channels by agent (issuer and name): one at a time. */
	struct namemap			*agents;
	/* Group commit: channels owed an OPEN_ACK or ACK after it. */
	const struct commit_ops		*commit_ops;	/* link.c's */
	struct commit_q			 dirty;
	uint32_t			 batch_items;	/* rows + OPENs */
	ev_timer			 batch_timer;
	struct commit_row		**rows;		/* the batch's DATA */
	uint32_t			 nrows;
	size_t				 batch_bytes;	/* their payloads */
	uint64_t			 gone_mark;	/* of gone channels */
	/* agent_crl, re-read when the file changes (link.c). */
	mbedtls_x509_crl		 agent_crl;
	long long			 agent_crl_mtime;
	/* Enrollment ([enroll]): the signing authority, or NULL. */
	struct authority_proc		*auth;	/* the signer */
	TAILQ_HEAD(, signer_req)	 signing;	/* waiting for it */
	/* Counters, logged at exit. */
	uint64_t			 stored, duplicates, commits;
	uint64_t			 links_accepted, links_refused;
};

#endif /* GW_MGMT_H */
