/*
 * upstream_impl.h: a link's state, shared by upstream.c (the link: connect,
 * HELLO, frames in, heartbeats, down) and upstream_send.c (what the
 * channels send on it: OPEN, DATA, SEEN, answers, CLOSE).  Nothing else
 * sees inside struct upstream.
 */
#ifndef GW_UPSTREAM_IMPL_H
#define GW_UPSTREAM_IMPL_H

#include <stdint.h>

#include "failover.h"
#include "stats.h"
#include "upstream.h"

#define UP_MAGIC	0x55704c6bu	/* "UpLk" */
#define UP_IN_CAP	(256u * 1024)
#define UP_OUT_CAP	(512u * 1024)
/* A drained link closes after this long, whatever it still carries. */
#define UP_DRAIN_TIME	3.0
/* Output kept free for control frames (OPEN, CLOSE, PONG) under load. */
#define UP_RESERVE	(16u * 1024)
/* What our HELLO offers: agents' answers, the fleet's SEEN, OPEN's via. */
#define UP_CAPS		(GW_CAP_COMMANDS | GW_CAP_FLEET | GW_CAP_CHAIN)

struct upstream {
	unsigned		 magic;
	enum up_state		 state;
	unsigned		 idx;
	int			 is_probe;	/* the spare (servers.c) */
	int			 srv;		/* server index, or -1 */
	char			 addr[64];	/* its address (accept: its
						   name), for logs */
	char			 name[12];	/* "0", "1", ... or "probe" */
	struct gw		*gw;
	struct conn		*c;
	struct fo_heartbeat	 hb;
	double			 drain_until;	/* DRAINING: closes then */
	uint32_t		 next_chan;	/* never reused on a link */
	uint32_t		 caps;		/* its HELLO_ACK's, of ours */
	uint32_t		 peer_max;	/* its HELLO_ACK's payload max */
	double			 seen_at;	/* FLEET: the next SEEN is due */
	struct upstream_owed	*owed;		/* control frames owed */
	const struct upstream_ops *ops;		/* to its owner */
	void			*ops_arg;
	const struct upstream_chan_ops *chops;	/* to its channels */
	void			*chops_arg;
	uint64_t		 frames_up, frames_down;
	struct stats_pend	 pend[STATS_LINK_RUNS];	/* DATA unwritten */
};

/* READY or DRAINING: the link carries channels. */
static inline int
upstream_live(const struct upstream *u)
{
	return u->state == UP_READY || u->state == UP_DRAINING;
}

/**
 * upstream_ctl(u, f): send control frame ${f} (PONG or CLOSE), or owe it
 * until room comes: a control frame never fails the link (only memory to
 * note it could).
 */
void upstream_ctl(struct upstream *u, const struct gw_frame *f);

#endif /* !GW_UPSTREAM_IMPL_H */
