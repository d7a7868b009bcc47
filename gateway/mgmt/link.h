/*
 * link.h: one gateway connection to gw-mgmt (a link) and the channels it
 * carries, one per agent session (struct mchan).  link.c owns both; the
 * group commit (commit.h) answers a channel's OPEN and DATA through the
 * link_open_ack, link_ack and link_chan_close calls below.
 */
#ifndef GW_MGMT_LINK_H
#define GW_MGMT_LINK_H

#include <stdint.h>
#include <sys/queue.h>

#include "identity.h"

struct gw_frame;
struct link;
struct mgmt;

/*
 * A channel's state, set only by link.c's link_chan_set_state.  The frames
 * it owes the gateway follow from it: OPEN_ACK in MCHAN_ANSWERED and
 * MCHAN_ANSWERED_CLOSING, CLOSE in both closing states (after that
 * OPEN_ACK), and in MCHAN_OPEN an ACK when durable > acked.
 */
enum mchan_state {
	MCHAN_OPENING,		/* OPEN read; OPEN_ACK waits for the commit */
	MCHAN_ANSWERED,		/* OPEN_ACK owed, waits for room */
	MCHAN_OPEN,		/* OPEN_ACK sent: DATA flows */
	MCHAN_ANSWERED_CLOSING,	/* OPEN_ACK, then CLOSE owed */
	MCHAN_CLOSING		/* CLOSE owed; DATA is ignored */
};

#define MCHAN_MAGIC	0x4d436861u	/* "MCha" */

/* One agent session on a link. */
struct mchan {
	uint32_t		 magic;		/* MCHAN_MAGIC */
	struct link		*link;
	uint32_t		 id;
	enum mchan_state	 state;
	char			 agent[ID_NAME_MAX];	/* identity name */
	char			 issuer[ID_DN_MAX];	/* its issuer's DN */
	/* The agent: "issuer\nname" (link_claim's key; no DN has \n). */
	char			 key[ID_DN_MAX + ID_NAME_MAX];
	char			 fp_hex[2 * GW_FINGERPRINT_LEN + 1];
	uint64_t		 last_seq;	/* highest DATA seq seen */
	uint64_t		 durable;	/* highest seq committed */
	uint64_t		 acked;		/* highest seq ACKed (sent) */
	uint16_t		 close_code;	/* closing: the CLOSE owed */
	char			 close_text[128];
	int			 dirty;		/* on mgmt.dirty */
	int			 owed;		/* on link's owed list */
	TAILQ_ENTRY(mchan)	 dirty_entry;
	TAILQ_ENTRY(mchan)	 owed_entry;
};

/** link_accept(m, fd): start a gateway connection on socket ${fd}. */
void link_accept(struct mgmt *m, int fd);

/** link_stop_all(m, reason, detail): close every link with ${reason}. */
void link_stop_all(struct mgmt *m, unsigned reason, const char *detail);

/*
 * What the commit owes a channel.  None of these closes the link or frees
 * anything but ${ch}: a frame that finds no room in the link's output is
 * owed and sent when room comes (reading pauses long before that).
 *
 * link_open_ack(ch, last_seq): OPEN_ACK(last_seq); DATA may flow.
 * link_ack(ch): ACK(durable) if durable > acked.
 * link_chan_close(ch, code, text): CLOSE(code, text); ${ch} is freed
 * (at once, or once the CLOSE is sent).
 */
void link_open_ack(struct mchan *ch, uint64_t last_seq);
void link_ack(struct mchan *ch);
void link_chan_close(struct mchan *ch, unsigned code, const char *text);

/** link_gateway_name(l): the CN of the gateway on link ${l}. */
const char *link_gateway_name(const struct link *l);

/**
 * link_send(l, f): queue connection-level frame ${f} on ${l}; 0, or a
 * negative code if it does not fit (the caller decides what that means).
 */
int link_send(struct link *l, const struct gw_frame *f);

#endif /* GW_MGMT_LINK_H */
