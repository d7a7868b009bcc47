/*
 * relay.h: the channels of one downstream link (downlink.h): each OPEN of
 * an inner gateway becomes a relayed session, a struct chan of the channel
 * module (chan.h) whose session side (struct chan_ops) is the relay
 * instead of an agent.  The relay plays the management server's side of a
 * channel (docs/PROTOCOL.md 9.8) toward the inner gateway: OPEN is checked
 * where it enters ([downstream] agent_names, agent_issuers), DATA goes
 * into the channel's ring and up, OPEN_ACK, ACK, COMMAND and CLOSE come
 * back down.  Channel errors close the channel (CLOSE down); connection
 * errors close the downlink's conn.
 *
 * Flow control: an inner gateway sends DATA without credit (upstream flow
 * control is TCP's).  When a channel's ring is full (agent_window) or
 * buffer_budget has no room for a DATA, the set stops reading its link
 * (CONN_PAUSE) until an ACK frees room: the inner's link backs up.
 */
#ifndef GW_RELAY_H
#define GW_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

struct chanmap;
struct conn;
struct namemap;
struct gw;
struct relay;

struct relay_set;

/**
 * relay_set_new(gw, gateway, count, names): the channels of a new link,
 * none yet, of the inner gateway named ${gateway} (the caller's memory,
 * for logs); ${count} counts the gateway's relayed sessions, ${names}
 * indexes its sessions by agent, direct and relayed alike (agent_names.h:
 * NULL while empty).  NULL on ENOMEM.
 */
struct relay_set *relay_set_new(struct gw *gw, const char *gateway,
    unsigned *count, struct namemap **names);

/** relay_set_conn(s, c): ${s}'s link is the conn ${c}. */
void relay_set_conn(struct relay_set *s, struct conn *c);

/**
 * relay_set_agreed(s, caps, peer_max): the link's HELLO_ACK agreed
 * ${caps}; its HELLO said it takes payloads of ${peer_max} bytes.
 */
void relay_set_agreed(struct relay_set *s, uint32_t caps, uint32_t peer_max);

/** relay_ignored(s): frames and SEEN ids ${s} ignored (channels closed). */
uint64_t relay_ignored(const struct relay_set *s);

/**
 * relay_frame(s, f): a frame of a non-zero channel from the inner gateway
 * (OPEN, DATA, CLOSE, COMMAND_ACK, RESULT).  Return CONN_OK, CONN_PAUSE
 * (read it again later), or CONN_CLOSED_RC (a connection error: the conn
 * was closed with the reason).
 */
int relay_frame(struct relay_set *s, const struct gw_frame *f);

/**
 * relay_seen(s, f): SEEN ${f} from the inner gateway: each listed channel
 * open here was heard from its agent (chan_heard), so the next SEEN of
 * its upstream link lists it; any other id is ignored.  Return CONN_OK or
 * CONN_CLOSED_RC (FLEET was not agreed).
 */
int relay_seen(struct relay_set *s, const struct gw_frame *f);

/** relay_count(s): channels open on ${s}. */
size_t relay_count(const struct relay_set *s);

/**
 * relay_set_close(s, reason, text): the link is closing: end every channel
 * of ${s} (CLOSE upstream with ${reason}); they are freed by
 * relay_set_free.  Return how many were open.
 */
size_t relay_set_close(struct relay_set *s, unsigned reason,
    const char *text);

/**
 * relay_set_flushed(s): the link's output is written: the residence of the
 * ACKs relayed down in it ends (stats.h, gatewayd_ack_residence_seconds).
 */
void relay_set_flushed(struct relay_set *s);

/**
 * relay_set_free(s): free ${s} (after relay_set_close, when no call of its
 * channels is on the stack: the link's on_free); NULL-safe.
 */
void relay_set_free(struct relay_set *s);

/**
 * relay_reap(s): free the channels of ${s} that ended (called where no
 * call of theirs is on the stack: a new frame of the link).
 */
void relay_reap(struct relay_set *s);

#endif /* !GW_RELAY_H */
