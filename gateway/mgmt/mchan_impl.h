/*
 * mchan_impl.h: a channel of gw-mgmt's links (struct mchan), shared by
 * mchan.c (a channel: its state, the frames it owes, one per agent) and
 * mchan_poll.c (the server-wide command timers: the resend round and the
 * poll for new commands).  Nothing else sees inside struct mchan.
 */
#ifndef GW_MGMT_MCHAN_IMPL_H
#define GW_MGMT_MCHAN_IMPL_H

#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include "commit.h"
#include "identity.h"
#include "mchan.h"
#include "mcmd.h"
#include "mlive.h"

struct gw_frame;
struct mgmt;

/*
 * A channel's state, set only by mchan_set_state.  The frames
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
	struct mchan_set	*set;		/* its link's */
	uint32_t		 id;
	enum mchan_state	 state;
	struct id_info		 ident;		/* the agent, as OPEN said */
	char			*sans;		/* OPEN's extension, or NULL */
	int64_t			 not_after_ms;	/* the same; 0: unknown */
	char			*via;		/* the same: its via, or NULL */
	/* The agent: "issuer\nname" (mchan_claim's key; no DN has \n). */
	char			 key[ID_DN_MAX + ID_NAME_MAX];
	/* Its commit: last_seq (highest DATA seq), durable (committed). */
	struct commit_chan	 cc;
	struct mcmd_chan	 cmd;		/* its commands (mcmd.c) */
	struct mlive_chan	 live;		/* its liveness (mlive.c) */
	uint64_t		 acked;		/* highest seq ACKed (sent) */
	uint16_t		 close_code;	/* closing: the CLOSE owed */
	char			 close_text[128];
	int			 owed;		/* on the set's owed list */
	TAILQ_ENTRY(mchan)	 owed_entry;
};

/** mchan_holds(m, ch): does ${ch} hold its agent's name (mchan_claim)? */
int mchan_holds(const struct mgmt *m, const struct mchan *ch);

/**
 * mchan_send_command(arg, f): mcmd_send_fn: a COMMAND of ${arg}'s (a
 * struct mchan) goes on its link, if it has room.
 */
enum mcmd_sent mchan_send_command(void *arg, const struct gw_frame *f);

/**
 * mchan_deliver(ch, log): send ${ch} (open) its agent's pending commands.
 * 0, or -1 if the store failed (logged if ${log}).
 */
int mchan_deliver(struct mchan *ch, int log);

/**
 * mchan_resend_cb(loop, w, revents): the resend round's timer (mchan_all
 * resend, w->data the struct mgmt), every [commands] resend.
 */
void mchan_resend_cb(struct ev_loop *loop, ev_timer *w, int revents);

/**
 * mchan_poll_cb(loop, w, revents): the poll's timer (mchan_all poll,
 * w->data the struct mgmt), every MCHAN_POLL s; its first call takes
 * the cursor.
 */
void mchan_poll_cb(struct ev_loop *loop, ev_timer *w, int revents);

#endif /* !GW_MGMT_MCHAN_IMPL_H */
