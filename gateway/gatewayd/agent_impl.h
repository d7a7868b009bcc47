/*
 * agent_impl.h: a session's state, shared by agent.c (one session),
 * agent_all.c (what the gateway does to all sessions at once) and
 * agent_names.c (one session per name).  Nothing else sees inside struct
 * agent.
 */
#ifndef GW_AGENT_IMPL_H
#define GW_AGENT_IMPL_H

#include <stdint.h>
#include <sys/queue.h>

#include "agent.h"
#include "identity.h"

#define AGENT_MAGIC	0x4167656eu	/* "Agen" */

/* Seconds a new session holds its admission slot at most (agent.c). */
#define AGENT_ADMIT_HOLD	0.5

/* One DATA relayed up (or waiting to be), kept until ACKed. */
struct replay {
	uint64_t	 seq;
	uint32_t	 len;
	uint8_t		*body;
	double		 t;	/* arrived (ev_now): send-to-ACK metric */
};

struct agent {
	unsigned		 magic;
	enum agent_state	 state;
	struct gw		*gw;
	struct conn		*c;
	struct agent		*next, **prevp;	/* gw->agents list */
	struct agent_link	 link;
	int			 admitted;	/* holds an admission slot */
	TAILQ_ENTRY(agent)	 no_link;	/* on gw->no_link */
	int			 on_no_link;
	TAILQ_ENTRY(agent)	 starved;	/* on gw->starved */
	int			 on_starved;
	/*
	 * Who it is, from on_open: its certificate's CN (heap) and SHA-256
	 * fingerprint.  The rest of its identity, for OPEN, is derived again
	 * from the certificate the connection keeps (agent_open_channel):
	 * 1 KiB less per agent.
	 */
	char			*name;		/* NULL before on_open */
	uint8_t			 fp[GW_FINGERPRINT_LEN];
	uint16_t		 version;
	int			 hello_done;	/* HELLO_ACK sent */
	uint64_t		 last_seq;	/* highest DATA seq received */
	uint64_t		 acked;		/* highest seq ACKed to the agent */
	uint64_t		 ack_todo;	/* ACK not yet sent (0: none) */
	uint32_t		 credit;	/* DATA the agent may still send */
	uint32_t		 credit_owed;	/* ACKed, not yet granted */
	struct replay		*ring;		/* agent_window slots, from the
						   first DATA to a heartbeat
						   that finds it empty */
	uint32_t		 ring_head;	/* oldest */
	uint32_t		 ring_len;	/* not yet ACKed */
	uint32_t		 ring_sent;	/* of those, sent on this channel */
	uint64_t		 frames_in;
	uint64_t		 reopens;
	uint32_t		 enroll_ref;	/* renewal in flight (0: none) */
};

/** agent_name(a): ${a}'s certificate name, or "-" before it is known. */
static inline const char *
agent_name(const struct agent *a)
{
	return a->name != NULL ? a->name : "-";
}

/**
 * agent_close(a, reason, detail): the one exit of a session: ERROR with
 * ${reason} to the agent (best effort), then close; safe in any state.
 */
void agent_close(struct agent *a, unsigned reason, const char *detail);

#endif /* GW_AGENT_IMPL_H */
