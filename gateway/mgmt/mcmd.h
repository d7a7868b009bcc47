/*
 * mcmd.h: the commands of one agent channel (mcmd.c; PROTOCOL.md 9.7):
 * its agent in the store's inventory (online from its OPEN_ACK to its
 * close), the COMMANDs it is sent (its pending commands, at most
 * GW_COMMANDS_INFLIGHT without a RESULT, oldest first), and the
 * COMMAND_ACK and RESULT its agent answers, written to the store.  A
 * channel (mchan.c) embeds a struct mcmd_chan; mcmd.c knows nothing of
 * links: a COMMAND goes up through the send function the channel gives.
 * Store failures are logged here, once each, and close nothing.
 */
#ifndef GW_MGMT_MCMD_H
#define GW_MGMT_MCMD_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct gw_frame;
struct id_info;
struct mgmt;

/*
 * What a channel's COMMANDs are: mcmd.c alone writes it, the channel
 * embeds it (mcmd_chan_init).  Each id sent on the channel with no RESULT
 * read on it yet holds a slot (GW_COMMANDS_INFLIGHT of them): only these
 * ids are taken from the channel's COMMAND_ACK and RESULT.
 */
struct mcmd_chan {
	const struct id_info	*id;		/* the agent, as OPEN said */
	const char		*gateway;	/* the link's CN */
	int64_t			 up_ms;		/* store_agent_up's; 0: not */
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

/**
 * mcmd_chan_init(mc, id, gateway): set up ${mc}, for the agent ${id} on a
 * link of gateway ${gateway} (both must live as long as ${mc}).
 */
void mcmd_chan_init(struct mcmd_chan *mc, const struct id_info *id,
    const char *gateway);

/**
 * mcmd_up(m, mc): the channel of ${mc} is open (OPEN_ACK): its agent goes
 * online in the store's agents table.
 */
void mcmd_up(struct mgmt *m, struct mcmd_chan *mc);

/**
 * mcmd_down(m, mc): the channel of ${mc}, which held its agent's name, is
 * going: its agent goes offline (if mcmd_up put it online).
 */
void mcmd_down(struct mgmt *m, struct mcmd_chan *mc);

/**
 * mcmd_deliver(m, mc, send, arg): send on the channel of ${mc} (open)
 * a COMMAND for each of its agent's pending commands, through
 * ${send}(${arg}), at most GW_COMMANDS_INFLIGHT without a RESULT, oldest
 * first, until one finds no room.  Return 0, or -1 if the store failed
 * (not logged: the caller logs once for many channels).
 */
int mcmd_deliver(struct mgmt *m, struct mcmd_chan *mc, mcmd_send_fn send,
    void *arg);

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
