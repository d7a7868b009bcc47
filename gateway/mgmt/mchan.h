/*
 * mchan.h: the channels of gw-mgmt's links (mchan.c; their command timers
 * in mchan_poll.c), one per agent session: their states, the frames they
 * owe the gateway (OPEN_ACK, ACK, CLOSE), one channel per agent.  A link
 * (link.c) keeps its channels in a struct mchan_set and calls down into
 * this module; what a channel sends goes up through the set's struct
 * mchan_ops.  Each channel hands its OPEN and DATA down to the group
 * commit (commit.h), which answers through the struct commit_ops
 * mchan_commit_ops (main.c gives them to commit_new).
 */
#ifndef GW_MGMT_MCHAN_H
#define GW_MGMT_MCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>

#include "mcmd.h"

struct chanmap;
struct commit_ops;
struct gw_frame;
struct gw_identity;
struct id_info;
struct mchan;
struct mgmt;
struct namemap;

/* Seconds between two polls for new commands (store_cmd_new). */
#define MCHAN_POLL	1.

TAILQ_HEAD(mchan_q, mchan);
TAILQ_HEAD(mchan_set_q, mchan_set);

/*
 * The channels' part of struct mgmt (mgmt.chans): mchan.c and mchan_poll.c
 * alone write it.
 */
struct mchan_all {
	/* Open channels by agent (issuer and name): one at a time. */
	struct namemap		*agents;
	struct mchan_set_q	 sets;		/* every link's */
	/* The commands' resend round ([commands] resend), and their poll
	 * (every MCHAN_POLL s: store_cmd_new from cursor, once cursor_set),
	 * from the first link on; loop is NULL until then. */
	ev_timer		 resend;
	ev_timer		 poll;
	int64_t			 cursor;
	int			 cursor_set;
	struct ev_loop		*loop;
	/* The agents table's writes, one transaction a loop pass. */
	struct mcmd_batch	 batch;
};

/*
 * Calls up to the link of a set; ${arg} is the set's (the link's own
 * object, which must check its magic).
 *  - send(arg, f): queue ${f} on the link; 0, or non-zero if no room.
 *  - notify_writable(arg): call mchan_flush_owed when room comes.
 *  - send_spare(arg, f): queue COMMAND ${f} on the link if it fits and
 *    leaves the room the link keeps for what its commits owe, and fits
 *    the gateway's max_payload (enum mcmd_sent).
 */
struct mchan_ops {
	int	(*send)(void *arg, const struct gw_frame *f);
	void	(*notify_writable)(void *arg);
	enum mcmd_sent (*send_spare)(void *arg, const struct gw_frame *f);
};

/*
 * One link's channels.  The link sets it up with mchan_set_init and frees
 * it with mchan_set_free; mchan.c alone writes it.
 */
struct mchan_set {
	struct mgmt		*m;
	const struct mchan_ops	*ops;
	void			*arg;		/* ${ops}' */
	const char		*gateway;	/* the link's CN */
	const uint8_t		*fingerprint;	/* its certificate's */
	struct chanmap		*chans;
	struct mchan_q		 owed;		/* frames waiting for room */
	uint64_t		 rows;		/* DATA taken */
	TAILQ_ENTRY(mchan_set)	 set_entry;	/* on mchan_all.sets */
};

/**
 * mchan_commit_ops: what the group commit owes channels comes back up
 * through these (commit_new's ${ops}).
 */
extern const struct commit_ops mchan_commit_ops;

/**
 * mchan_all_new(): the channels' part of a struct mgmt, for its owner to
 * store in m->chans; the group commit under them (m->commit, made with
 * mchan_commit_ops) answers them.  NULL if out of memory.
 */
struct mchan_all *mchan_all_new(void);

/**
 * mchan_all_free(a): free ${a} (every channel is closed); NULL-safe.
 */
void mchan_all_free(struct mchan_all *a);

/**
 * mchan_set_init(s, m, ops, arg, gateway, fingerprint): set up ${s}, the
 * channels of the link of gateway ${gateway} (whose certificate has
 * ${fingerprint}; both must live as long as ${s}), which ${ops}(${arg})
 * reach.  0, or -1 (out of memory).
 */
int mchan_set_init(struct mchan_set *s, struct mgmt *m,
    const struct mchan_ops *ops, void *arg, const char *gateway,
    const uint8_t *fingerprint);

/**
 * mchan_set_free(s): the link is gone: free its channels (owing nothing,
 * holding no agent's name); return how many there were.
 */
size_t mchan_set_free(struct mchan_set *s);

/** mchan_count(s): the channels of ${s}. */
size_t mchan_count(const struct mchan_set *s);

/** mchan_get(s, id): channel ${id} of ${s}, or NULL. */
struct mchan *mchan_get(const struct mchan_set *s, uint32_t id);

/**
 * mchan_new(s, id): a new channel ${id} of ${s}, named "?" until
 * mchan_name; NULL if out of memory.
 */
struct mchan *mchan_new(struct mchan_set *s, uint32_t id);

/** mchan_name(ch, id): channel ${ch} is of the agent ${id}. */
void mchan_name(struct mchan *ch, const struct id_info *id);

/**
 * mchan_ext(ch, v): the OPEN ${v} of ${ch} carried the identity
 * extension: its agent's SANs (checked printable ASCII), its
 * certificate's notAfter and, if any, the via of a chain (checked: its
 * last name is the link's gateway).  0, or -1 (out of memory).
 */
int mchan_ext(struct mchan *ch, const struct gw_identity *v);

/**
 * mchan_seen(ch): its link's SEEN lists ${ch}: news of its agent if ${ch}
 * is open and holds its agent's name.  0 if so, else -1 (ignored).
 */
int mchan_seen(struct mchan *ch);

/**
 * mchan_start(ch): ${ch} (named) may open: it takes its agent's name
 * (closing an older channel of it) and goes to the commit for its
 * OPEN_ACK.
 */
void mchan_start(struct mchan *ch);

/**
 * mchan_close(ch, code, text): CLOSE(code, text): ${ch} is freed (at once,
 * or once the CLOSE is sent).
 */
void mchan_close(struct mchan *ch, unsigned code, const char *text);

/** mchan_data(ch, f): DATA ${f} on ${ch}: to the commit, or CLOSE. */
void mchan_data(struct mchan *ch, const struct gw_frame *f);

/**
 * mchan_answer(ch, f): COMMAND_ACK or RESULT ${f} on ${ch}: to the store
 * if it answers a COMMAND sent on ${ch}; else ignored (and logged).
 */
void mchan_answer(struct mchan *ch, const struct gw_frame *f);

/** mchan_closed(ch, f): the gateway closed ${ch} with CLOSE ${f}. */
void mchan_closed(struct mchan *ch, const struct gw_frame *f);

/**
 * mchan_flush_owed(s): send what the channels of ${s} owe, while there
 * is room.  0 if all went, -1 if some wait (notify_writable was called).
 */
int mchan_flush_owed(struct mchan_set *s);

#endif /* GW_MGMT_MCHAN_H */
