/*
 * mlive.h: the liveness of the agents whose channel is open here (mlive.c;
 * PROTOCOL.md 9.9).  A channel that holds its agent's name and is open
 * (OPEN_ACK sent) is live from then on: each DATA on it, and each SEEN of
 * its link that lists it, is news of its agent (mlive_heard).  One that
 * has had no news for [agents] stale_after becomes stale: one log line
 * (event=agent_stale), state stale in the store; its next news brings it
 * back (event=agent_back).  Its close ends its liveness (the store's
 * offline comes from the close, mcmd_down); an agent whose channel ended
 * while it was stale (a SIGSTOPped agent that, once resumed, takes its
 * gateway for hung and connects again) is back at its next OPEN here:
 * the last MLIVE_GONE_MAX such agents are remembered.
 *
 * One timer for the server sweeps, every min(stale_after / 4, 1 s): the
 * live channels are kept in the order of their last news (each news moves
 * its channel to the end, O(1)), so a sweep looks only at the channels
 * that went silent, from the front, at most MLIVE_SWEEP_MAX of them (the
 * next sweep goes on).  The store is written through the inventory's
 * batched marks (mcmd_news: one transaction a loop pass), never one write
 * per news: a live channel's seen_ms and last_seq go to the store when it
 * goes stale or comes back, at its close, and otherwise at most once per
 * MLIVE_WRITE_EVERY (a quarter of stale_after, 1 s .. 60 s).
 *
 * main.c makes the server's part (mlive_new, m->live), reconfigures it on
 * SIGHUP (mlive_configure) and frees it; a channel (mchan.c) embeds a
 * struct mlive_chan, which mlive.c alone writes.
 */
#ifndef GW_MGMT_MLIVE_H
#define GW_MGMT_MLIVE_H

#include <stdint.h>
#include <sys/queue.h>

struct id_info;
struct mcmd_chan;
struct mgmt;
struct mlive;

#define MLIVE_SWEEP_MAX	1000	/* channels a sweep makes stale, at most */
#define MLIVE_GONE_MAX	4096	/* agents gone while stale, remembered */

/* One channel's liveness (mlive.c alone writes it; see above). */
struct mlive_chan {
	TAILQ_ENTRY(mlive_chan)	 entry;		/* on the live or stale list */
	const struct id_info	*id;		/* its agent, for the logs */
	struct mcmd_chan	*mc;		/* its inventory writes */
	int64_t			 heard_ms;	/* its last news */
	int64_t			 stale_ms;	/* stale since; 0: not stale */
	int64_t			 written_ms;	/* its last news to the store */
	int			 on;		/* live or stale (on a list) */
};

/**
 * mlive_new(m): the liveness of ${m}'s agents, for main.c to store in
 * m->live, its sweep on m->loop set from m->cfg.  NULL if out of memory.
 */
struct mlive *mlive_new(struct mgmt *m);

/**
 * mlive_configure(lv): (re)start the sweep of ${lv} from its server's
 * configuration ([agents] stale_after, after a SIGHUP): the channels
 * silent for the new stale_after become stale at the next sweep.
 */
void mlive_configure(struct mlive *lv);

/** mlive_free(lv): stop the sweep of ${lv} and free it; NULL-safe. */
void mlive_free(struct mlive *lv);

/**
 * mlive_chan_start(lv, lc, id, mc, now_ms): the channel of ${lc}, of the
 * agent ${id} whose inventory writes go through ${mc} (both live as long
 * as ${lc}), is open and holds its agent's name at ${now_ms}: live
 * (unless ${lv} is NULL).
 */
void mlive_chan_start(struct mlive *lv, struct mlive_chan *lc,
    const struct id_info *id, struct mcmd_chan *mc, int64_t now_ms);

/**
 * mlive_heard(lv, lc, now_ms, last_seq): news of the agent of ${lc} at
 * ${now_ms} (DATA, or its link's SEEN); its rows are stored up to
 * ${last_seq}.  A stale one is back.  Nothing if ${lc} is not live.
 */
void mlive_heard(struct mlive *lv, struct mlive_chan *lc, int64_t now_ms,
    uint64_t last_seq);

/**
 * mlive_chan_stop(lv, lc, last_seq, back_ms): the channel of ${lc} ends,
 * or loses its agent's name, its rows stored up to ${last_seq}: its last
 * news goes to the store, it is no longer live.  If ${back_ms} is not 0,
 * a new OPEN of its agent took the name at ${back_ms}: a stale agent is
 * back (logged).  Nothing if it was not live.
 */
void mlive_chan_stop(struct mlive *lv, struct mlive_chan *lc,
    uint64_t last_seq, int64_t back_ms);

/**
 * mlive_sweep(lv, now_ms): make stale the live channels with no news
 * since ${now_ms} - stale_after, at most MLIVE_SWEEP_MAX, oldest news
 * first.  Return how many (the timer calls it; a test may, with its own
 * clock).
 */
unsigned mlive_sweep(struct mlive *lv, int64_t now_ms);

/** mlive_stale(lv): the channels stale now. */
uint64_t mlive_stale(const struct mlive *lv);

#endif /* GW_MGMT_MLIVE_H */
