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
 * link_all_new(): the links' part of a struct mgmt, for its owner to store
 * in m->links (beside the channels' part, mchan_all_new, and the commit's,
 * commit_new).  NULL if out of memory.
 */
struct link_all *link_all_new(void);

/**
 * link_all_free(la): free ${la} (every link is closed); NULL-safe.
 */
void link_all_free(struct link_all *la);

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

/**
 * link_gateways(la, names, max): the gateway CN of each ready link of
 * ${la} into ${names}, at most ${max} (valid until the next event).
 * Return how many.
 */
unsigned link_gateways(const struct link_all *la, const char **names,
    unsigned max);

#endif /* GW_MGMT_LINK_H */
