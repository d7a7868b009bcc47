/*
 * link.h: gateway connections to gw-mgmt (links) and the channels they
 * carry, one per agent session.  link.c owns both; it hands each channel's
 * OPEN and DATA down to the group commit (commit.h), which answers
 * through the struct commit_ops link_init gives it.
 */
#ifndef GW_MGMT_LINK_H
#define GW_MGMT_LINK_H

#include <stdint.h>
#include <sys/queue.h>

#include <mbedtls/x509_crl.h>

struct link;
struct mgmt;
struct namemap;

TAILQ_HEAD(link_q, link);

/* The links' part of struct mgmt (mgmt.links): link.c alone writes it. */
struct link_all {
	struct link_q		 all;
	unsigned		 n;		/* links on all */
	/* Open channels by agent (issuer and name): one at a time. */
	struct namemap		*agents;
	/* agent_crl, re-read when the file changes. */
	mbedtls_x509_crl	 agent_crl;
	long long		 agent_crl_mtime;
	/* Counters, logged at exit. */
	uint64_t		 accepted, refused;
};

/**
 * link_init(m): set up the links of ${m}: the group commit under them
 * (commit_init) answers their channels.
 */
void link_init(struct mgmt *m);

/** link_free(m): free what link_init set up (every link is closed). */
void link_free(struct mgmt *m);

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

#endif /* GW_MGMT_LINK_H */
