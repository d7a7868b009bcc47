/*
 * agent_impl.h: a session's state, shared by agent.c (one session),
 * agent_all.c (what the gateway does to all sessions at once),
 * agent_names.c (one session per name), agent_credit.c (credit against
 * the budget) and agent_cmd.c (commands).  Nothing else sees inside struct
 * agent.
 */
#ifndef GW_AGENT_IMPL_H
#define GW_AGENT_IMPL_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "agent.h"
#include "chan.h"
#include "identity.h"
#include "stats.h"

struct agent_cmds;

#define AGENT_MAGIC	0x4167656eu	/* "Agen" */

/* Seconds a new session holds its admission slot at most (agent.c). */
#define AGENT_ADMIT_HOLD	0.5

/*
 * Seconds of agent handshakes per loop iteration at most (conn_params
 * .hs_budget): the rest wait for the next, so the loop serves its links,
 * open sessions and timers at least that often in a storm.
 */
#define AGENT_HS_BUDGET		0.02

/*
 * The agent module's part of struct gw (gw->agents), written by agent.c,
 * agent_all.c and agent_credit.c alone.
 */
struct agent_all {
	struct agent_counts	 n;		/* agent.h (agent_counts) */
	struct agent		*list;		/* all sessions (agent.c) */
	struct namemap		*names;		/* after HELLO, by name: the
						   index agent_names.c keeps
						   (NULL while empty) */
	TAILQ_HEAD(, agent)	 starved;	/* waiting for replay memory
						   (agent_credit.c) */
	int			 cut_off;	/* no server: new sessions
						   sent away (agent_cut_off) */
};

struct agent {
	unsigned		 magic;
	enum agent_state	 state;
	struct gw		*gw;
	struct conn		*c;
	struct agent		*next, **prevp;	/* gw->agents->list */
	struct chan		 ch;		/* its channel, and ring */
	int			 admitted;	/* holds an admission slot */
	int			 on_starved;
	TAILQ_ENTRY(agent)	 starved;	/* on gw->agents->starved */
	/*
	 * Who it is, from on_open: its certificate's CN (heap) and SHA-256
	 * fingerprint.  The rest of its identity, for OPEN, is derived again
	 * from the certificate the connection keeps (agent_open_channel):
	 * 1 KiB less per agent.
	 */
	char			*name;		/* NULL before on_open; the tail
						   of its key (agent_names_set) */
	uint8_t			 fp[GW_FINGERPRINT_LEN];
	uint16_t		 version;
	uint32_t		 caps;		/* agreed in HELLO_ACK: the
						   HELLO's & GW_CAPS_AGENT */
	uint64_t		 last_seq;	/* highest DATA seq received */
	uint64_t		 acked;		/* highest seq ACKed to the agent */
	uint64_t		 ack_todo;	/* ACK not yet sent (0: none) */
	uint32_t		 credit;	/* DATA the agent may still send
						   (x max_payload reserved) */
	uint32_t		 credit_owed;	/* ACKed, not yet granted */
	uint32_t		 credit_fold;	/* granted (in credit), to go
						   with the ACK owed
						   (GW_CAP_ACKCREDIT) */
	uint64_t		 frames_in;
	uint32_t		 enroll_ref;	/* renewal in flight (0: none) */
	uint32_t		 cmd_max;	/* the largest COMMAND payload it
						   can take: its HELLO's
						   max_payload, within its
						   output buffer (agent_cmd.c) */
	struct agent_cmds	*cmds;		/* COMMANDs relayed, no RESULT
						   yet, and the last answered
						   (agent_cmd.c); NULL until
						   the first */
	struct stats_pend	 ack_pend;	/* ACKs read, not yet written */
};

/** agent_of(arg): the session ${arg} of a callback is, or abort. */
static inline struct agent *
agent_of(void *arg)
{
	struct agent *a = arg;

	if (a == NULL || a->magic != AGENT_MAGIC)
		abort();
	return a;
}

/** agent_name(a): ${a}'s certificate name, or "-" before it is known. */
static inline const char *
agent_name(const struct agent *a)
{
	return a->name != NULL ? a->name : "-";
}

/* What an agent is told when the gateway is cut off (agent_cut_off). */
#define AGENT_CUT_OFF_TEXT	"gateway cut off from its management servers"

/**
 * agent_goaway_close(a, reason, text): GOAWAY ${reason} ${text} to the
 * agent, then close with the same (an ERROR follows it).
 */
void agent_goaway_close(struct agent *a, unsigned reason, const char *text);

/**
 * agent_close(a, reason, detail): the one exit of a session: ERROR with
 * ${reason} to the agent (best effort), then close; safe in any state.
 */
void agent_close(struct agent *a, unsigned reason, const char *detail);

/*
 * Commands (agent_cmd.c): the ids relayed to the agent, checked against
 * its answers.
 */

/**
 * agent_cmd_relay(a, f): relay the server's COMMAND ${f} to ${a}'s agent,
 * remembering its id if the session agreed COMMANDS (not relayed, and
 * logged, beyond GW_COMMANDS_INFLIGHT ids, or above what the agent can
 * take: a->cmd_max).
 */
void agent_cmd_relay(struct agent *a, const struct gw_frame *f);

/**
 * agent_cmd_answer(a, f): the agent of open session ${a} sent COMMAND_ACK
 * or RESULT ${f}: check it answers a COMMAND relayed to it, and relay it
 * to the server (chan_answer); drop it if its id was answered by a RESULT
 * lately.  Return CONN_OK, or CONN_CLOSED_RC if ${a} was closed (ERROR
 * protocol or unexpected).
 */
int agent_cmd_answer(struct agent *a, const struct gw_frame *f);

/** agent_cmd_count(a): ids ${a} remembers (relayed, no RESULT yet). */
uint32_t agent_cmd_count(const struct agent *a);

/** agent_cmd_free(a): forget ${a}'s ids (it ends). */
void agent_cmd_free(struct agent *a);

/*
 * Credit against buffer_budget (agent_credit.c): every frame of credit
 * granted reserves max_payload bytes of it until DATA uses it.
 */

/**
 * agent_grant(a): grant ${a} the credit it is owed, as much as memory can
 * back and its share allows; if it gets none for want of memory (or others
 * wait before it), it waits on gw->agents->starved.  Return -1 if it
 * waits there now, else 0 (granted, nothing to grant, or its output is
 * full: retried from agent_on_writable).  A session that agreed
 * GW_CAP_ACKCREDIT and is owed an ACK gets the credit in that ACK
 * (credit_fold, sent by agent_flush_ack), not in a CREDIT frame.
 */
int agent_grant(struct agent *a);

/**
 * agent_flush_ack(a): send the ACK ${a} is owed (ack_todo), with the
 * credit folded into it (credit_fold); if its output is full, it goes
 * from agent_on_writable.
 */
void agent_flush_ack(struct agent *a);

/**
 * agent_credit_open(a): HELLO_ACK is sent: ${a} is owed its window, and
 * gets what memory can back of it now.
 */
void agent_credit_open(struct agent *a);

/**
 * agent_credit_used(a): DATA (at most max_payload bytes) took one credit
 * of ${a} and is kept in its ring (chan_push counted its bytes): its
 * reservation becomes those bytes; what it did not need goes to those
 * waiting.
 */
void agent_credit_used(struct agent *a);

/**
 * agent_credit_back(a, n): ${n} DATA of ${a} are ACKed (their bytes have
 * left chan_replay_bytes): give back their credit, in quarter-window
 * batches (with each ACK if it agreed GW_CAP_ACKCREDIT), and the memory
 * to those waiting.
 */
void agent_credit_back(struct agent *a, uint32_t n);

/**
 * agent_credit_close(a, was_open): ${a} ends (its ring already freed):
 * release the memory reserved for its unused credit, to those waiting;
 * ${was_open}: it had been past HELLO_ACK (it shared the budget).
 */
void agent_credit_close(struct agent *a, int was_open);

#endif /* GW_AGENT_IMPL_H */
