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

/* Who dialed a link (mdial.c), told of its fate; ${arg} is its own. */
struct link_owner {
	void	(*on_ready)(void *arg);	/* the gateway's HELLO answered */
	void	(*on_gone)(void *arg);	/* closed (or never connected) */
};

struct tls_conf;

/**
 * link_dial(m, addr, tc, server_name, own, arg): dial the gateway at
 * ${addr} (HOST:PORT, a name resolved on the loop) with the client
 * configuration ${tc}; its certificate must name ${server_name} (NULL: the
 * host dialed).  Once connected the link is handled exactly as an accepted
 * one (the gateway sends HELLO; its certificate is held to gateway_names
 * and [scope]); ${own} hears of it with ${arg}: on_gone once, when it
 * closes.  Return 0, or -1 if the dial failed at once (on_gone not called).
 */
int link_dial(struct mgmt *m, const char *addr, const struct tls_conf *tc,
    const char *server_name, const struct link_owner *own, void *arg);

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
