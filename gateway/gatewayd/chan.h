/*
 * chan.h: an agent's channel to the management server, above the links
 * (upstream.h) and below the session (agent.h).  A channel owns the
 * session's replay ring (its DATA kept until ACKed), the link it rides and
 * its id there; the channel module owns, per link, the table of channels
 * (id -> channel) and the FIFO of channels waiting for room on it, and the
 * gateway's FIFO of channels waiting for a link (its part of struct gw:
 * gw->chans, struct chan_all, made by chan_all_new, written by chan.c
 * alone).
 *
 *   NEW --chan_open--> OPENING --OPEN_ACK--> OPEN <--> WAITING (no room)
 *   NEW/NO_LINK --no link ready--> NO_LINK; --a link, no room--> NO_ROOM
 *   OPEN --its link drains--> DRAINING --what it sent is ACKed--> (moves:
 *   OPENING, NO_ROOM or NO_LINK on another link)
 *   OPENING/OPEN/WAITING/DRAINING --link lost--> NO_LINK (resends the
 *   ring on the next link)
 *   any --chan_close, or the channel ends (CLOSE)--> CLOSED
 *
 * The session hears of its channel only through struct chan_ops.
 *
 * Fair sharing of a link.  The channels of a link with DATA to send take
 * turns in its round (the FIFO, as WAITING), by deficit round-robin by
 * bytes: a channel joins the tail with a quantum of one largest DATA
 * (max_payload and its header), sends while what it has left covers its
 * next DATA, and goes back to the tail with one quantum more when it does
 * not; a channel with nothing left to send leaves the round (OPEN) and
 * its deficit.  So each busy channel gets the same bytes of the link
 * whatever the size of its DATA, and a channel sending small DATA waits
 * at most one turn of each other busy channel.  For that to hold on the
 * wire too, the round holds DATA back once CHAN_LINK_QUEUE bytes wait in
 * the link's output (the conn's buffer is far larger, UP_OUT_CAP, and
 * sends in the order frames were queued): DATA queued there waits behind
 * at most that much, and the round resumes on the link's on_room.
 */
#ifndef GW_CHAN_H
#define GW_CHAN_H

#include <stdint.h>
#include <sys/queue.h>

#include "frame.h"
#include "identity.h"

struct gw;
struct handover_key;
struct upstream;
struct chan_tab;

#define CHAN_MAGIC	0x4368616eu	/* "Chan" */

/*
 * DATA the round lets wait in a link's output.  Four DATA of the default
 * max_payload (16 KiB): the conn writes its whole buffer to the socket at
 * each turn of the loop and the round refills it when the output drains
 * (on_room), so this keeps the link busy; what waits beyond it waits in
 * the round, where a channel's turn comes by bytes, not arrival.  A DATA
 * of a larger max_payload is still sent whole once the output holds less.
 */
#define CHAN_LINK_QUEUE	(64u * 1024)

enum chan_state {
	CHAN_NEW,	/* no channel asked for yet (before HELLO) */
	CHAN_NO_LINK,	/* waiting for a link (on no_link) */
	CHAN_NO_ROOM,	/* waiting for room to OPEN on a link (on its FIFO,
			   and on no_link) */
	CHAN_OPENING,	/* OPEN sent, waiting for OPEN_ACK */
	CHAN_OPEN,	/* DATA flows */
	CHAN_WAITING,	/* DATA waits for its turn or for room on its link
			   (in its round: the link's FIFO) */
	CHAN_DRAINING,	/* its link drains: waits for the ACKs of what it
			   sent there, then moves */
	CHAN_CLOSED
};

/* A channel is born in CHAN_NEW: its memory is zeroed. */
_Static_assert(CHAN_NEW == 0, "CHAN_NEW starts zeroed");

/* One DATA relayed up (or waiting to be), kept until ACKed. */
struct replay {
	uint64_t	 seq;
	uint32_t	 len;
	uint8_t		*body;
	double		 t;	/* arrived (ev_now): send-to-ACK metric */
};

/* What a channel tells its session (the ${arg} of chan_init). */
struct chan_ops {
	/*
	 * The identity OPEN attests, and its extension into ${ext} unless
	 * NULL (a link with GW_CAP_FLEET); -1: the session is closed; 1:
	 * no extension is known (a relayed OPEN without one): OPEN goes
	 * without it.
	 */
	int	(*identity)(void *arg, struct id_info *id, struct id_ext *ext);
	/*
	 * OPEN_ACK: ${last_seq} is durable; ${n} DATA of the ring were
	 * dropped as acknowledged by it.  Called before the ring is resent.
	 */
	void	(*opened)(void *arg, uint64_t last_seq, uint32_t n);
	/* ACK ${seq}: ${n} DATA of the ring were dropped. */
	void	(*acked)(void *arg, uint64_t seq, uint32_t n);
	/* A COMMAND for the agent. */
	void	(*command)(void *arg, const struct gw_frame *f);
	/*
	 * The channel ended for good (CLOSE from the server, the gateway
	 * stopping, a protocol error of the server, no channel to be had):
	 * the session closes with ${reason}.
	 */
	void	(*ended)(void *arg, unsigned reason, const char *text);
};

struct chan {
	unsigned		 magic;
	enum chan_state		 state;
	struct gw		*gw;
	const struct chan_ops	*ops;
	void			*arg;
	struct upstream		*up;		/* NULL: no channel */
	uint32_t		 id;		/* on ${up} */
	uint8_t			 heard;		/* its agent sent a frame since
						   its link's last SEEN (in
						   the padding after id) */
	struct chan_tab		*wait_tab;	/* whose FIFO we are on */
	TAILQ_ENTRY(chan)	 wait;		/* on wait_tab's FIFO */
	TAILQ_ENTRY(chan)	 no_link;	/* on gw->chans->no_link */
	int			 on_no_link;
	struct replay		*ring;		/* window slots, from the first
						   DATA to a chan_trim that
						   finds it empty */
	uint32_t		 window;	/* slots of the ring */
	uint32_t		 ring_head;	/* oldest */
	uint32_t		 ring_len;	/* not yet ACKed */
	uint32_t		 ring_sent;	/* of those, sent on this channel */
	size_t			 deficit;	/* WAITING: bytes its turn may
						   still send (round-robin) */
	uint64_t		 opens;		/* OPEN_ACKs taken */
	uint64_t		 top_seq;	/* the newest seq the server may
						   hold: the first OPEN_ACK's,
						   then each DATA sent */
	struct handover_key	*hk;		/* workers mode: its agent
						   (handover.h); closed in
						   OPENING, its OPEN is
						   counted until answered */
};

/* chan.c's part of struct gw (gw->chans): written by chan.c alone. */
struct chan_all {
	TAILQ_HEAD(, chan)	 no_link;	/* FIFO: waiting for a link */
	uint64_t		 replay_bytes;	/* DATA kept in the rings until
						   ACKed (agent_credit.c reads
						   it: buffer_budget) */
};

/**
 * chan_all_new(): the channels' part of a gateway, none waiting; the
 * caller keeps it as gw->chans.  NULL on ENOMEM.
 */
struct chan_all *chan_all_new(void);

/**
 * chan_all_free(ca): free ${ca} (every channel closed: no ring is left);
 * chan_all_free(NULL) is a no-op.
 */
void chan_all_free(struct chan_all *ca);

/** chan_replay_bytes(gw): bytes of DATA all rings keep until ACKed. */
uint64_t chan_replay_bytes(const struct gw *gw);

/**
 * chan_init(ch, gw, window, ops, arg): ${ch} is NEW, with a ring of
 * ${window} slots (allocated with the first DATA); it tells ${arg} what
 * happens through ${ops}.
 */
void chan_init(struct chan *ch, struct gw *gw, uint32_t window,
    const struct chan_ops *ops, void *arg);

/** chan_state_str(s): "new", "no-link", ... */
const char *chan_state_str(enum chan_state s);

/**
 * chan_set_state(ch, s): the one place ${ch}'s state changes; it keeps the
 * FIFOs true (a channel leaves them as its state says).
 */
void chan_set_state(struct chan *ch, enum chan_state s);

/**
 * chan_open(ch): open a channel on the least busy ready link.  Return 0
 * (OPENING, or NO_LINK if no link is ready), GW_ENOSPACE (NO_ROOM: resumed
 * when the link has room), or -1 (the session was told to end: ended).
 */
int chan_open(struct chan *ch);

/**
 * chan_push(ch, seq, body, len): keep DATA ${seq} of ${len} bytes in the
 * ring (the caller checked the credit that makes room for it).  Return 0,
 * or -1 if memory is short.
 */
int chan_push(struct chan *ch, uint64_t seq, const uint8_t *body,
    uint32_t len);

/**
 * chan_pump(ch): relay the ring's unsent DATA, in its turn of its link's
 * round; on a draining link, move once nothing sent there waits for its
 * ACK.
 */
void chan_pump(struct chan *ch);

/**
 * chan_heard(ch): ${ch}'s agent sent a frame: the next SEEN of its link
 * lists it (GW_CAP_FLEET).
 */
void chan_heard(struct chan *ch);

/** chan_trim(ch): a quiet session: free the ring if it is empty. */
void chan_trim(struct chan *ch);

/**
 * chan_close(ch, reason, detail): the session ends: free the ring, leave
 * every FIFO and the link's table, send CLOSE with ${reason}.  Safe in
 * any state.
 */
void chan_close(struct chan *ch, unsigned reason, const char *detail);

/**
 * chan_adopt_all(gw): a link is ready: open channels for those that have
 * none, in the order they lost theirs.
 */
void chan_adopt_all(struct gw *gw);

/**
 * chan_answer(ch, f, why): relay the agent's COMMAND_ACK or RESULT ${f} to
 * the server on ${ch}'s channel, while it is open (OPEN, WAITING,
 * DRAINING) on a link whose HELLO_ACK agreed COMMANDS.  It takes no
 * credit and no slot of the ring.  Return 0 if sent, 1 if dropped as the
 * protocol says (no open channel, or a link without COMMANDS: the server
 * sends the COMMAND again on the next channel), -1 if dropped for want of
 * room or for a size the server does not take; ${why} then says which.
 */
int chan_answer(struct chan *ch, const struct gw_frame *f, const char **why);

/** chan_ring_len(ch): DATA in ${ch}'s ring, not yet ACKed. */
uint32_t chan_ring_len(const struct chan *ch);

/** chan_ready(ch): 1 if ${ch} has its channel (OPEN, WAITING, DRAINING). */
int chan_ready(const struct chan *ch);

/** chan_count(u): channels on link ${u}. */
size_t chan_count(const struct upstream *u);

#endif /* GW_CHAN_H */
