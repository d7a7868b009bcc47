/*
 * link.h: gateway connections to gw-mgmt (links).  Each carries channels,
 * one per agent session, which link.c hands down to mchan.c (mchan.h);
 * they hand their OPEN and DATA down to the group commit (commit.h).
 */
#ifndef GW_MGMT_LINK_H
#define GW_MGMT_LINK_H

#include <stdint.h>
#include <sys/queue.h>

#include <mbedtls/x509_crl.h>

struct link;
struct mgmt;

TAILQ_HEAD(link_q, link);

/* The links' part of struct mgmt (mgmt.links): link.c alone writes it. */
struct link_all {
	struct link_q		 all;
	unsigned		 n;		/* links on all */
	/* agent_crl, re-read when the file changes. */
	mbedtls_x509_crl	 agent_crl;
	long long		 agent_crl_mtime;
	/* Counters, logged at exit. */
	uint64_t		 accepted, refused;
};

/**
 * link_init(m): set up the links of ${m} (m->links) and the channels under
 * them (mchan_init, which sets up the group commit below).  0, or -1 (out
 * of memory).
 */
int link_init(struct mgmt *m);

/**
 * link_free(m): free what link_init set up (every link is closed), the
 * channels' and the commit's parts too; nothing if it did not.
 */
void link_free(struct mgmt *m);

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

#endif /* GW_MGMT_LINK_H */
