/*
 * link.h: gateway connections to gw-mgmt (links) and the channels they
 * carry, one per agent session.  link.c owns both; it hands each channel's
 * OPEN and DATA down to the group commit (commit.h), which answers
 * through the struct commit_ops link_init gives it.
 */
#ifndef GW_MGMT_LINK_H
#define GW_MGMT_LINK_H

struct gw_frame;
struct link;
struct mgmt;

/**
 * link_init(m): set up the links of ${m}: the group commit under them
 * (commit_init) answers their channels.
 */
void link_init(struct mgmt *m);

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

/** link_gateway_name(l): the CN of the gateway on link ${l}. */
const char *link_gateway_name(const struct link *l);

/**
 * link_send(l, f): queue connection-level frame ${f} on ${l}; 0, or a
 * negative code if it does not fit (the caller decides what that means).
 */
int link_send(struct link *l, const struct gw_frame *f);

#endif /* GW_MGMT_LINK_H */
