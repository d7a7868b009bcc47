/*
 * store_cmd.h: the commands in gw-mgmt's store (PROTOCOL.md 9.7, 9.9),
 * next to its messages (store.h) and its agents (store_agents.h), on both
 * backends.
 *
 * Tables (schema 2, STORE_SCHEMA; a store of schema 0 or 1 gets them when
 * opened for writing, its messages untouched):
 *  - agents: see store_agents.h.
 *  - commands: id (1, 2, ...; never reused, also after a delete: an agent
 *    never runs an id twice), target (display text: what the operator
 *    named), body (opaque bytes), created_ms, expires_ms.
 *  - command_targets: one row per (command, agent), made when the command
 *    is made, from the agents table then: state (enum store_cmd_state),
 *    and once the first RESULT came its outcome, status, truncated flag
 *    and output (kept as received), updated_ms.
 *
 * States: queued (made) -> delivered (the first COMMAND_ACK) -> done
 * (the first RESULT, exited with status 0) or failed (any other RESULT).
 * A target still queued at its command's expiry is expired:
 * store_cmd_expire writes it; until then every reader reports such a
 * target expired already (and counts it so).  A COMMAND_ACK or RESULT
 * that comes for an expired target (sent before the expiry, answered
 * after) is recorded all the same: the agent journaled it and runs it, and
 * the store says what happened.  The first RESULT wins: later ones change
 * nothing.
 *
 * Delivery (mchan.c, link.c) reads with store_cmd_pending at an agent's
 * OPEN and on its resend timer (at most GW_COMMANDS_INFLIGHT commands
 * without a RESULT, oldest first; on the timer only for the agents
 * store_cmd_pending_agents lists), and learns of commands made since
 * (by `gw-mgmt command send`, another process, maybe another server of a
 * PostgreSQL group) by polling store_cmd_new with a cursor: cheap (one
 * indexed lookup of the highest id) when nothing is new.
 *
 * Transactions: each call here is its own transaction (one statement, or
 * BEGIN .. COMMIT for store_cmd_create), durable when it returns 0.  A
 * call made while the group commit has a transaction open (store_in_txn)
 * fails at once with -1 ("transaction open") and writes nothing: it never
 * joins the batch, so a batch rolled back takes nothing of it.  commit.c
 * keeps its batch in memory and opens, writes and commits the transaction
 * inside commit_now, so between loop callbacks (where delivery runs) the
 * store is never in one.  Each call that writes is one sync (SQLite:
 * synchronous=FULL): gw-mgmt groups its inventory writes, those of a
 * loop pass in one store_agents_mark (mcmd.h).
 *
 * Expiry: gw-mgmt calls store_cmd_expire now and then (on its resend
 * timer, say); readers need not wait for it (see States).
 *
 * Text (issuer, names, fingerprint, gateway, peer, target) must be UTF-8
 * (-1 otherwise, like store_check).  Strings a callback gets are valid
 * during the call only, and a callback must not call into the store: on
 * PostgreSQL the rows are still being read from the connection (copy what
 * you need, act after the call returns).  Like store.h this module never logs: failures
 * come back as -1 with store_errmsg().
 */
#ifndef GW_STORE_CMD_H
#define GW_STORE_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_agents.h"

#define STORE_CMD_BODY_MAX	(64 * 1024)	/* bytes of a command's body */
#define STORE_CMD_TARGETS_MAX	100000		/* agents one command targets */
#define STORE_CMD_EXPIRE_BATCH	1000		/* targets store_cmd_expire
						   writes per statement */

/* A target's state, as stored (its number) and shown (its name). */
enum store_cmd_state {
	STORE_CMD_QUEUED	= 0,	/* made, no COMMAND_ACK yet */
	STORE_CMD_DELIVERED	= 1,	/* acknowledged, no RESULT yet */
	STORE_CMD_DONE		= 2,	/* RESULT exited, status 0 */
	STORE_CMD_FAILED	= 3,	/* any other RESULT */
	STORE_CMD_EXPIRED	= 4,	/* still queued at its expiry */
	STORE_CMD_NSTATES	= 5
};

/* How store_cmd_create picks its targets among the known agents. */
enum store_cmd_match {
	STORE_MATCH_NAME,	/* the agents of exactly this name (any issuer) */
	STORE_MATCH_GLOB	/* fnmatch(3) of the name, flags 0 */
};

/* What store_cmd_ack and store_cmd_result found. */
enum store_cmd_hit {
	STORE_CMD_MISS,		/* no such (command, agent): ignore, log */
	STORE_CMD_TAKEN,	/* recorded */
	STORE_CMD_KNOWN		/* the target was there already (an ACK for
				   one delivered or answered, a RESULT for one
				   answered): nothing changed */
};

/* A command: what store_cmd_create makes, what store_cmd_list shows. */
struct store_cmd {
	int64_t		 id;		/* set by the store */
	const char	*target;	/* display text: --agent's or --match's */
	const void	*body;
	size_t		 len;		/* at most STORE_CMD_BODY_MAX */
	int64_t		 created_ms;
	int64_t		 expires_ms;	/* no COMMAND is sent from then on */
	/* Set by store_cmd_list: its targets in each state. */
	uint64_t	 count[STORE_CMD_NSTATES];
};

/* A target: what store_cmd_targets shows, what store_cmd_result takes. */
struct store_target {
	int64_t		 command;	/* the command's id */
	const char	*issuer;	/* the agent (issuer DN, name) */
	const char	*agent;
	enum store_cmd_state state;	/* store_cmd_targets: set */
	int		 answered;	/* 1: a RESULT came; the next four: */
	unsigned	 outcome;	/* enum gw_outcome */
	int32_t		 status;
	int		 truncated;	/* GW_RESULT_TRUNCATED was set */
	const void	*output;	/* at most GW_PAYLOAD_HARD_MAX bytes */
	size_t		 len;
	int64_t		 updated_ms;	/* its last change (targets: set) */
};

/* A COMMAND to send: command ${id} to the agent (${issuer}, ${agent}). */
struct store_delivery {
	int64_t		 id;
	const char	*issuer;
	const char	*agent;
	const void	*body;
	size_t		 len;
	int64_t		 expires_ms;
};

/**
 * store_cmd_state_str(st): "queued", "delivered", "done", "failed",
 * "expired", or "?" for another value.
 */
const char *store_cmd_state_str(enum store_cmd_state st);

/**
 * store_cmd_state_parse(name, out): the state named ${name} into ${out}.
 * Return 0, or -1 if it names none.
 */
int store_cmd_state_parse(const char *name, enum store_cmd_state *out);

/**
 * store_cmd_create(s, c, how, pattern, ntargets): make command ${c}
 * (target, body, len, created_ms, expires_ms; id is ignored) for every
 * known agent whose name ${pattern} matches as ${how} says, in one
 * transaction: the command and its targets, queued, or nothing.  Its id
 * into c->id, the number of targets into ${ntargets}.  Return 0, or -1:
 * no agent matches, more than STORE_CMD_TARGETS_MAX do, the body is above
 * STORE_CMD_BODY_MAX, expires_ms is not after created_ms, text not
 * UTF-8, or the store failed (store_errmsg says which).
 */
int store_cmd_create(struct store *s, struct store_cmd *c,
    enum store_cmd_match how, const char *pattern, long *ntargets);

/**
 * store_cmd_pending(s, issuer, agent, now_ms, max, fn, arg): call ${fn}
 * on each command of the agent (${issuer}, ${agent}) that has no RESULT
 * (queued or delivered) and expires after ${now_ms}, oldest (lowest id)
 * first, at most ${max}, until it returns non-zero.  Return the number
 * visited, or -1.
 */
long store_cmd_pending(struct store *s, const char *issuer,
    const char *agent, int64_t now_ms, long max,
    int (*fn)(const struct store_delivery *d, void *arg), void *arg);

/**
 * store_cmd_pending_agents(s, now_ms, fn, arg): call ${fn} once on each
 * agent (${issuer}, ${agent}) that has a command without a RESULT (queued
 * or delivered) expiring after ${now_ms}, in no order, until it returns
 * non-zero: one query for the resend round, which then asks
 * store_cmd_pending of these agents' channels only.  Return the number
 * visited, or -1.
 */
long store_cmd_pending_agents(struct store *s, int64_t now_ms,
    int (*fn)(const char *issuer, const char *agent, void *arg), void *arg);

/**
 * store_cmd_new(s, after, now_ms, fn, arg): call ${fn} on each target
 * without a RESULT (queued or delivered), of every command with an id
 * above *${after} that expires after ${now_ms}, in id order, until it
 * returns non-zero; then set *${after} to the highest command id there was
 * when the call began (start from 0, or from store_cmd_last's at start).
 * A delivery polls it and sends to the agents whose channel is open here;
 * what it cannot send now (no channel, GW_COMMANDS_INFLIGHT reached)
 * store_cmd_pending finds later.  Return the number visited, or -1
 * (*${after} unchanged).
 */
long store_cmd_new(struct store *s, int64_t *after, int64_t now_ms,
    int (*fn)(const struct store_delivery *d, void *arg), void *arg);

/**
 * store_cmd_last(s, id): the highest command id made (0: none) into ${id}.
 * Return 0 or -1.
 */
int store_cmd_last(struct store *s, int64_t *id);

/**
 * store_cmd_ack(s, id, issuer, agent, now_ms, hit): a COMMAND_ACK of
 * command ${id} from the agent (${issuer}, ${agent}) at ${now_ms}: a
 * queued (or expired) target becomes delivered.  What was found into
 * ${hit}.  Return 0 or -1.
 */
int store_cmd_ack(struct store *s, int64_t id, const char *issuer,
    const char *agent, int64_t now_ms, enum store_cmd_hit *hit);

/**
 * store_cmd_result(s, t, now_ms, hit): the RESULT ${t} (command, issuer,
 * agent, outcome, status, truncated, output, len; the rest ignored) at
 * ${now_ms}: if the target has no RESULT yet it gets this one and becomes
 * done (outcome exited, status 0) or failed.  What was found into ${hit}.
 * Return 0, or -1 (an outcome above GW_OUT_MAX, an output above
 * GW_PAYLOAD_HARD_MAX, text not UTF-8, the store failed).
 */
int store_cmd_result(struct store *s, const struct store_target *t,
    int64_t now_ms, enum store_cmd_hit *hit);

/**
 * store_cmd_expire(s, now_ms, n): write expired on targets still queued
 * whose command expires at or before ${now_ms}, at most
 * STORE_CMD_EXPIRE_BATCH of them (call again while ${n} says it wrote
 * that many).  How many into ${n}.  Return 0 or -1.
 */
int store_cmd_expire(struct store *s, int64_t now_ms, long *n);

/**
 * store_cmd_list(s, after, now_ms, fn, arg): call ${fn} on every command
 * with an id above ${after}, in id order, with the count of its targets
 * in each state (queued ones past the expiry counted expired, as of
 * ${now_ms}), until it returns non-zero.  Return the number visited, or
 * -1.  A store without the commands table has none.
 */
long store_cmd_list(struct store *s, int64_t after, int64_t now_ms,
    int (*fn)(const struct store_cmd *c, void *arg), void *arg);

/**
 * store_cmd_targets(s, id, now_ms, fn, arg): call ${fn} on every target of
 * command ${id}, by agent name then issuer (a queued one past the expiry
 * shown expired, as of ${now_ms}), until it returns non-zero.  Return the
 * number visited (0: no such command, or none left), or -1.
 */
long store_cmd_targets(struct store *s, int64_t id, int64_t now_ms,
    int (*fn)(const struct store_target *t, void *arg), void *arg);

/* What store_cmd_counts counts. */
struct store_counts {
	uint64_t	online, offline, stale;		/* agents */
	uint64_t	cmds[STORE_CMD_NSTATES];	/* targets */
};

/**
 * store_cmd_counts(s, c): the agents by state and the command
 * targets by their stored state (a queued one past its expiry counts
 * queued until store_cmd_expire writes it) into ${c}, by counting
 * queries (no join, no sort; the targets' from index command_targets_state
 * alone).  Return 0 or -1.  A store without the tables has none.
 */
int store_cmd_counts(struct store *s, struct store_counts *c);

#endif /* GW_STORE_CMD_H */
