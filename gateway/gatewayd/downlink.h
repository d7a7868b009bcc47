/*
 * downlink.h: the links of inner gateways to this one ([downstream]): the
 * server side of the link protocol (docs/PROTOCOL.md 9.8), played by a
 * gateway toward a gateway whose upstream it is.  One mutual-TLS
 * connection per link, authenticated before any frame is read (its
 * certificate chains to [downstream] ca, its CN matches gateway_names, it
 * is a gateway's: serverAuth), then HELLO -> HELLO_ACK, PING/PONG, SEEN;
 * its channels are relay.c's (relay.h).  Connection errors close the
 * link; channel errors close the channel.
 *
 * A cut-off gateway (agent_cut_off) sends its downstream links GOAWAY
 * upstream-lost and closes them, and answers new HELLOs with ERROR
 * upstream-lost, as it does to agents; it also answers so while no
 * upstream link is ready, so that a loop of gateways (G1 -> G2 -> G1),
 * where each would be the other's only upstream, never comes up.
 */
#ifndef GW_DOWNLINK_H
#define GW_DOWNLINK_H

#include "gw.h"

/* The capabilities a downstream link may agree (HELLO & these). */
#define DOWNLINK_CAPS	(GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN)

/**
 * downlink_all_new(): the downstream links' part of a gateway, none yet;
 * the caller keeps it as gw->downlinks.  NULL on ENOMEM.
 */
struct downlink_all *downlink_all_new(void);

/**
 * downlink_all_free(da): free ${da} (every link closed: downlink_stop_all);
 * downlink_all_free(NULL) is a no-op.
 */
void downlink_all_free(struct downlink_all *da);

/**
 * downlink_counter(gw): the count of downstream links (the listener's
 * max_links limit reads it).
 */
const unsigned *downlink_counter(const struct gw *gw);

/** downlink_relays(gw): relayed sessions, on every downstream link. */
unsigned downlink_relays(const struct gw *gw);

/** downlink_accept(gw, fd): start a downstream link on socket ${fd}. */
void downlink_accept(struct gw *gw, int fd);

/**
 * downlink_cut_off(gw, on): the gateway is cut off (${on} 1) or has a
 * link again (0): when cut off, every downstream link past its handshake
 * gets GOAWAY upstream-lost and is closed with that reason; new HELLOs
 * get ERROR upstream-lost until a link is back.
 */
void downlink_cut_off(struct gw *gw, int on);

/**
 * downlink_drain_all(gw): SIGTERM: GOAWAY shutdown to every ready
 * downstream link (its gateway moves its channels elsewhere).
 */
void downlink_drain_all(struct gw *gw);

/**
 * downlink_stop_all(gw, reason, detail): close every downstream link with
 * ${reason}.
 */
void downlink_stop_all(struct gw *gw, unsigned reason, const char *detail);

#endif /* !GW_DOWNLINK_H */
