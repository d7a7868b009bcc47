/*
 * mcmd.h: the commands of one agent channel (mcmd.c; PROTOCOL.md 9.7):
 * its agent in the store's inventory (online from its OPEN_ACK to its
 * close), the COMMANDs it is sent (its pending commands, at most
 * GW_COMMANDS_INFLIGHT without a RESULT, oldest first), and the
 * COMMAND_ACK and RESULT its agent answers, written to the store.  A
 * channel (mchan.c) embeds a struct mcmd_chan; mcmd.c knows nothing of
 * links: a COMMAND goes up through the send function the channel gives.
 * Store failures are logged here, once each, and close nothing.
 *
 * Inventory writes are grouped: a channel's OPEN_ACK (mcmd_up), the news
 * of its agent (mcmd_news, from mlive.c) and its end (mcmd_down) are
 * queued in a struct mcmd_batch, at most one entry per channel (holding
 * each that came, in that order), and the queue is
 * written in one transaction (store_agents_mark) once per loop pass, by
 * an ev_prepare watcher: it runs after every callback of the pass, just
 * before the loop waits, however busy the loop is (an ev_idle would wait
 * for a quiet loop: never, in a storm; a timer would add a delay).  The
 * group commit is never in a transaction then (it opens and commits
 * inside commit_now); if it were, the queue waits for the next pass.
 * The queue holds at most an entry per live channel plus one per channel
 * closed in this pass: memory is bounded by the channels.  The agents
 * table is an inventory, not exactly-once data: a failed write is logged
 * once and its events are dropped (the next OPEN or close of each agent
 * writes it again).
 */
#ifndef GW_MGMT_MCMD_H
#define GW_MGMT_MCMD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include "proto.h"

struct gw_frame;
struct id_info;
struct mgmt;
struct store_delivery;

struct mcmd_ev;
TAILQ_HEAD(mcmd_evq, mcmd_ev);

/*
 * The inventory writes not yet made (see above): mcmd.c alone writes it;
 * its owner (mchan.c's struct mchan_all) embeds it, sets it up with
 * mcmd_batch_init and frees it with mcmd_batch_free.
 */
struct mcmd_batch {
	uint32_t		 magic;
	struct mgmt		*m;		/* set by the first event */
	struct mcmd_evq		 q;		/* in the order they came */
	size_t			 n;		/* entries on q */
	ev_prepare		 prepare;	/* active while q is not empty */
	uint64_t		 writes;	/* store_agents_mark calls, */
	uint64_t		 dropped;	/* the events of failed ones */
};

/*
 * What a channel's COMMANDs are: mcmd.c alone writes it, the channel
 * embeds it (mcmd_chan_init).  Each id sent on the channel with no RESULT
 * read on it yet holds a slot (GW_COMMANDS_INFLIGHT of them): only these
 * ids are taken from the channel's COMMAND_ACK and RESULT.
 */
struct mcmd_chan {
	const struct id_info	*id;		/* the agent, as OPEN said */
	const char		*gateway;	/* the link's CN */
	struct mcmd_batch	*batch;		/* its inventory writes go */
	struct mcmd_ev		*ev;		/* its entry on it, or NULL */
	int64_t			 up_ms;		/* mcmd_up's time; 0: not */
	int			 due;		/* the next round visits it */
	uint64_t		 ignored;	/* answers not taken (logs) */
	unsigned		 n;		/* slots in use */
	struct {
		int64_t		 id;
		int64_t		 expires_ms;
		int		 acked;		/* COMMAND_ACK read */
		int		 seen;		/* still pending (a round) */
	}			 slot[GW_COMMANDS_INFLIGHT];
};

/* What a send function says of a COMMAND. */
enum mcmd_sent {
	MCMD_SENT,		/* queued */
	MCMD_NO_ROOM,		/* not now: the next round sends it */
	MCMD_TOO_BIG		/* above the gateway's max_payload: never */
};

/*
 * send(arg, f): queue COMMAND ${f} on the channel's link, unless it takes
 * room the link keeps for what its commits owe; an enum mcmd_sent.
 */
typedef enum mcmd_sent (*mcmd_send_fn)(void *arg, const struct gw_frame *f);

/** mcmd_batch_init(b): set up ${b}, empty. */
void mcmd_batch_init(struct mcmd_batch *b);

/**
 * mcmd_batch_flush(b): write what ${b} holds now (the store must be
 * open): store_agents_mark, or nothing if the store is in a transaction.
 */
void mcmd_batch_flush(struct mcmd_batch *b);

/**
 * mcmd_batch_free(b): write what ${b} holds (mcmd_batch_flush) and free
 * it; the channels that queued it are gone.
 */
void mcmd_batch_free(struct mcmd_batch *b);

/**
 * mcmd_chan_init(mc, id, gateway, batch): set up ${mc}, for the agent
 * ${id} on a link of gateway ${gateway}, its inventory writes queued on
 * ${batch} (all three must live as long as ${mc}).
 */
void mcmd_chan_init(struct mcmd_chan *mc, const struct id_info *id,
    const char *gateway, struct mcmd_batch *batch);

/**
 * mcmd_up(m, mc, sans, not_after_ms, via): the channel of ${mc} is open
 * (OPEN_ACK): its agent goes online in the store's agents table with the
 * SANs and notAfter of OPEN's identity extension and its via (NULL, 0 and
 * NULL without them; queued: written this loop pass).
 */
void mcmd_up(struct mgmt *m, struct mcmd_chan *mc, const char *sans,
    int64_t not_after_ms, const char *via);

/**
 * mcmd_news(m, mc, live, seen_ms, last_seq): news of the agent of ${mc}'s
 * channel (up): it is ${live} (online, stale), heard at ${seen_ms} (0: not
 * heard now), its rows stored up to ${last_seq} (queued, as mcmd_up's;
 * the latest of a loop pass wins, times and seqs only grow).
 */
void mcmd_news(struct mgmt *m, struct mcmd_chan *mc, int live,
    int64_t seen_ms, uint64_t last_seq);

/**
 * mcmd_down(m, mc): the channel of ${mc}, which held its agent's name, is
 * going: its agent goes offline (if mcmd_up put it online; queued, as
 * mcmd_up's).  ${mc} may be freed once this returns.
 */
void mcmd_down(struct mgmt *m, struct mcmd_chan *mc);

/**
 * mcmd_deliver(m, mc, send, arg): send on the channel of ${mc} (open)
 * a COMMAND for each of its agent's pending commands, through
 * ${send}(${arg}), at most GW_COMMANDS_INFLIGHT without a RESULT, oldest
 * first, until one finds no room; clears what mcmd_set_due set.  Return
 * 0, or -1 if the store failed (not logged: the caller logs once for
 * many channels).
 */
int mcmd_deliver(struct mgmt *m, struct mcmd_chan *mc, mcmd_send_fn send,
    void *arg);

/**
 * mcmd_offer(mc, d, send, arg): command ${d} (of store_cmd_new: made
 * since the last poll) for the agent of ${mc}'s channel (open): send its
 * COMMAND through ${send}(${arg}) unless it went on this channel already
 * or GW_COMMANDS_INFLIGHT are without a RESULT; if it finds no room (or
 * is not sent for the bound), the next resend round sends it.  Calls
 * nothing of the store: store_cmd_new's callback may call it.
 */
void mcmd_offer(struct mcmd_chan *mc, const struct store_delivery *d,
    mcmd_send_fn send, void *arg);

/**
 * mcmd_set_due(mc): the agent of ${mc} has commands without a RESULT
 * (store_cmd_pending_agents): the next mcmd_in_round says so.  Calls
 * nothing of the store.
 */
void mcmd_set_due(struct mcmd_chan *mc);

/**
 * mcmd_in_round(mc): 1 if the resend round has work on ${mc}: its agent
 * has commands without a RESULT (mcmd_set_due since its last
 * mcmd_deliver), or COMMANDs sent on it wait for one (whose slots the
 * round frees once answered elsewhere or expired); else 0.
 */
int mcmd_in_round(const struct mcmd_chan *mc);

/**
 * mcmd_answer(m, mc, f): COMMAND_ACK or RESULT ${f} read on the channel
 * of ${mc} (open): to the store if its id was sent there, else ignored;
 * either way logged.
 */
void mcmd_answer(struct mgmt *m, struct mcmd_chan *mc,
    const struct gw_frame *f);

/**
 * mcmd_expire(m): the targets still queued at their command's expiry
 * become expired in the store.  Return 0, or -1 (logged).
 */
int mcmd_expire(struct mgmt *m);

#endif /* GW_MGMT_MCMD_H */
