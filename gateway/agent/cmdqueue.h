/*
 * cmdqueue.h: how gw-agent answers COMMANDs (PROTOCOL.md 9.7).  A new id is
 * recorded as taken (in the journal, synced, with --state) before its
 * COMMAND_ACK and before its handler runs, so that it never runs twice,
 * not even across restarts; then it waits in a FIFO of at most
 * GW_COMMANDS_INFLIGHT ids (a COMMAND beyond that is not taken: the server
 * sends it again) and the handlers run one at a time (command.h).  Each
 * result is recorded (journal, then the command table) and sent as RESULT
 * if its id was received on the current session; a result that finished
 * while disconnected waits for the server's next COMMAND.  A repeated
 * COMMAND is answered from what is known: COMMAND_ACK again for a queued
 * or running id, the RESULT again for a finished one, RESULT lost for one
 * whose result is no longer held.  Without --on-command every new id gets
 * the result no-handler at once (and is recorded too).  Without --state
 * the ids are known in memory only: at most once within one run.
 */
#ifndef GW_CMDQUEUE_H
#define GW_CMDQUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "cmdtab.h"
#include "journal.h"

struct cmdqueue;

struct cmdqueue_params {
	struct ev_loop	*loop;		/* the default loop (command.h) */
	const char	*program;	/* --on-command, or NULL */
	const char	*agent;		/* GW_AGENT */
	size_t		 output_max;	/* --command-output */
	double		 timeout;	/* --command-timeout */
	struct cmdtab	*tab;		/* the ids known (replayed) */
	struct journal	*journal;	/* --state, or NULL */
	/* Answers on the session; non-zero: not sent (it is asked again). */
	int		(*send_ack)(uint64_t id, void *arg);
	int		(*send_result)(const struct cmdtab_result *r,
			    void *arg);
	/* The journal failed: ${msg} says how; the agent must stop. */
	void		(*on_fatal)(const char *msg, void *arg);
	void		*arg;
};

/**
 * cmdqueue_new(p): a queue with the parameters ${p} (copied; the strings,
 * table and journal outlive it).  NULL on out of memory.
 */
struct cmdqueue *cmdqueue_new(const struct cmdqueue_params *p);

/**
 * cmdqueue_session(q): a session opened: from now on answer only the ids
 * received on it.
 */
void cmdqueue_session(struct cmdqueue *q);

/**
 * cmdqueue_command(q, id, body, len): answer COMMAND(${id}, ${body} of
 * ${len} bytes, copied) received on the current session.
 */
void cmdqueue_command(struct cmdqueue *q, uint64_t id, const uint8_t *body,
    size_t len);

/**
 * cmdqueue_free(q): free ${q}; a running handler is killed (its id stays
 * taken without a result: lost after a restart).  NULL-safe.
 */
void cmdqueue_free(struct cmdqueue *q);

#endif /* GW_CMDQUEUE_H */
