/*
 * commit.h: the group commit (commit.c): DATA rows join one batch, written
 * in one transaction; only then are the ACKs (and deferred OPEN_ACKs)
 * sent.  commit.c knows nothing of links: a channel is a struct
 * commit_chan its owner (link.c) embeds, and what the commit owes it goes
 * up through struct commit_ops.
 */
#ifndef GW_MGMT_COMMIT_H
#define GW_MGMT_COMMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include "prom.h"

struct commit_row;
struct mgmt;

/* What the commit owes a channel; set only by commit.c. */
enum commit_chan_state {
	COMMIT_IDLE,		/* nothing (not on commit.dirty) */
	COMMIT_OPEN_OWED,	/* OPEN_ACK, once the open batch commits */
	COMMIT_ACK_OWED		/* ACK, once the open batch commits */
};

/*
 * A channel as the commit sees it.  The owner embeds it and sets it up
 * with commit_chan_init; commit.c alone writes it, the owner reads
 * last_seq and durable.
 */
struct commit_chan {
	const char		*issuer;	/* the agent's issuer DN */
	const char		*agent;		/* the agent's name */
	const char		*fp_hex;	/* its certificate's */
	const char		*gateway;	/* the CN it came through */
	enum commit_chan_state	 state;
	uint64_t		 last_seq;	/* highest DATA seq taken */
	uint64_t		 durable;	/* highest seq committed */
	TAILQ_ENTRY(commit_chan) dirty_entry;	/* on commit.dirty */
};

/*
 * Calls up to the owner of the channels.  None may call back into the
 * commit but commit_forget of ${cc}; none frees anything but ${cc}'s
 * owner.
 *  - open_ack(cc, last_seq): OPEN_ACK(last_seq) (last_seq and durable
 *    are set); DATA may flow.
 *  - ack(cc): durable moved: ACK it.
 *  - close(cc, code, text): close the channel (it is forgotten first).
 */
struct commit_ops {
	void	(*open_ack)(struct commit_chan *cc, uint64_t last_seq);
	void	(*ack)(struct commit_chan *cc);
	void	(*close)(struct commit_chan *cc, unsigned code,
		    const char *text);
};

TAILQ_HEAD(commit_q, commit_chan);

#define COMMIT_LAT_BUCKETS	12	/* commit_lat_bound(0 .. 11) */
#define COMMIT_ROWS_BUCKETS	8	/* commit_rows_bound(0 .. 7) */

/*
 * What the commits did, for the metrics (mmetrics.c): each commit_now of
 * a batch is timed from its start to its end (what a batch waits on the
 * store), its rows counted; lat_le[i] and rows_le[i] count those at most
 * bound i and above bound i - 1 (not cumulative).  Each row committed is
 * timed from its read (ev_now: the loop's wake-up) to the end of its
 * batch's transaction, in data_le (prom_lat_bound's buckets).
 */
struct commit_stats {
	uint64_t	 store_errors;	/* failed, refused a row, OPEN unread */
	uint64_t	 lat_le[COMMIT_LAT_BUCKETS], lat_count;
	double		 lat_sum;	/* seconds */
	uint64_t	 rows_le[COMMIT_ROWS_BUCKETS], rows_count, rows_sum;
	uint64_t	 data_le[PROM_LAT_BUCKETS], data_count;
	double		 data_sum;	/* seconds */
};

/* The commit's part of struct mgmt (mgmt.commit): commit.c alone writes it. */
struct commit {
	const struct commit_ops	*ops;		/* mchan.c's */
	struct ev_loop		*loop;		/* of batch_timer */
	struct commit_q		 dirty;		/* owed OPEN_ACK, ACK */
	uint32_t		 batch_items;	/* rows + OPENs */
	ev_timer		 batch_timer;
	struct commit_row	**rows;		/* the batch's DATA */
	uint32_t		 nrows;
	size_t			 batch_bytes;	/* their payloads */
	uint64_t		 gone_mark;	/* of gone channels */
	/* Counters, logged at exit. */
	uint64_t		 stored, duplicates, commits;
	struct commit_stats	 st;		/* for the metrics */
};

/**
 * commit_chan_init(cc, issuer, agent, fp_hex, gateway): set up ${cc}, owed
 * nothing yet, for the agent ${issuer}, ${agent} of certificate
 * ${fp_hex} through gateway ${gateway} (all of which must live as long
 * as ${cc}).
 */
void commit_chan_init(struct commit_chan *cc, const char *issuer,
    const char *agent, const char *fp_hex, const char *gateway);

/**
 * commit_new(m, ops): the commit's part of ${m}, for its owner to store in
 * m->commit, with its batch timer on m->loop; what the commit owes a
 * channel goes to ${ops}, which must outlive ${m}.  NULL if out of
 * memory.
 */
struct commit *commit_new(struct mgmt *m, const struct commit_ops *ops);

/**
 * commit_free(c): stop the batch timer of ${c}, drop the rows not
 * committed, free ${c}; NULL-safe.
 */
void commit_free(struct commit *c);

/**
 * commit_open(m, ch): ${ch} was opened: answer OPEN_ACK now, or after the
 * open batch commits (its last_seq must count only durable rows).
 */
void commit_open(struct mgmt *m, struct commit_chan *ch);

/**
 * commit_data(m, ch, seq, body, len): add one DATA of ${ch} to the open
 * batch; its ACK follows the commit.  Return 0, or -1 if the row cannot
 * join it (${ch} was closed).
 */
int commit_data(struct mgmt *m, struct commit_chan *ch, uint64_t seq,
    const uint8_t *body, uint32_t len);

/**
 * commit_lat_bound(i): the upper bound, in seconds, of latency bucket ${i}
 * (below COMMIT_LAT_BUCKETS).
 */
double commit_lat_bound(unsigned i);

/**
 * commit_rows_bound(i): the upper bound, in rows, of batch-size bucket ${i}
 * (below COMMIT_ROWS_BUCKETS).
 */
unsigned commit_rows_bound(unsigned i);

/** commit_now(m): commit the open batch and send what it owes. */
void commit_now(struct mgmt *m);

/**
 * commit_forget(m, ch): ${ch} is going away: owe it nothing.  Its rows
 * in the batch are still written (unacknowledged, so its agent resends
 * them; the store keeps one copy).
 */
void commit_forget(struct mgmt *m, struct commit_chan *ch);

#endif /* GW_MGMT_COMMIT_H */
