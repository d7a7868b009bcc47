/*
 * store_cmd.c: the agents and the commands in the store (see store_cmd.h).
 * TODO: stubs (every call fails); the backends' statements come next.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store_cmd.h"

static const char *const state_names[STORE_CMD_NSTATES] = {
	"queued", "delivered", "done", "failed", "expired"
};

/**
 * store_cmd_state_str(st): "queued", "delivered", "done", "failed",
 * "expired", or "?" for another value.
 */
const char *
store_cmd_state_str(enum store_cmd_state st)
{
	return (unsigned)st < STORE_CMD_NSTATES ? state_names[st] : "?";
}

/**
 * store_cmd_state_parse(name, out): the state named ${name} into ${out}.
 * Return 0, or -1 if it names none.
 */
int
store_cmd_state_parse(const char *name, enum store_cmd_state *out)
{
	for (unsigned i = 0; i < STORE_CMD_NSTATES; i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum store_cmd_state)i;
			return 0;
		}
	return -1;
}

/**
 * store_agent_up(s, a, now_ms): the agent ${a} (its issuer, name and
 * identity fields; the times are ignored) opened a channel at ${now_ms}:
 * insert it, or update its identity, gateway and peer to ${a}'s; set it
 * online with connected_ms = seen_ms = ${now_ms}, keeping first_seen_ms.
 * Return 0 or -1.
 */
int
store_agent_up(struct store *s, const struct store_agent *a,
    int64_t now_ms)
{
	(void)s;
	(void)a;
	(void)now_ms;
	return -1;	/* TODO */
}

/**
 * store_agent_down(s, issuer, name, opened_ms, now_ms): the channel that
 * agent (${issuer}, ${name}) opened at ${opened_ms} (the now_ms of its
 * store_agent_up) closed at ${now_ms}: set it offline, seen_ms =
 * ${now_ms}, unless a later OPEN (connected_ms > ${opened_ms}: another
 * channel, another gateway, another server of the group) made it online
 * since.  Return 0 (also when nothing changed) or -1.
 */
int
store_agent_down(struct store *s, const char *issuer, const char *name,
    int64_t opened_ms, int64_t now_ms)
{
	(void)s;
	(void)issuer;
	(void)name;
	(void)opened_ms;
	(void)now_ms;
	return -1;	/* TODO */
}

/**
 * store_agents(s, fn, arg): call ${fn} on every known agent, by name then
 * issuer, until it returns non-zero.  Return the number visited, or -1.
 * A store without the agents table (schema 0 or 1, opened read-only) has
 * none.
 */
long
store_agents(struct store *s,
    int (*fn)(const struct store_agent *a, void *arg), void *arg)
{
	(void)s;
	(void)fn;
	(void)arg;
	return -1;	/* TODO */
}

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
int
store_cmd_create(struct store *s, struct store_cmd *c,
    enum store_cmd_match how, const char *pattern, long *ntargets)
{
	(void)s;
	(void)c;
	(void)how;
	(void)pattern;
	(void)ntargets;
	return -1;	/* TODO */
}

/**
 * store_cmd_pending(s, issuer, agent, now_ms, max, fn, arg): call ${fn}
 * on each command of the agent (${issuer}, ${agent}) that has no RESULT
 * (queued or delivered) and expires after ${now_ms}, oldest (lowest id)
 * first, at most ${max}, until it returns non-zero.  Return the number
 * visited, or -1.
 */
long
store_cmd_pending(struct store *s, const char *issuer,
    const char *agent, int64_t now_ms, long max,
    int (*fn)(const struct store_delivery *d, void *arg), void *arg)
{
	(void)s;
	(void)issuer;
	(void)agent;
	(void)now_ms;
	(void)max;
	(void)fn;
	(void)arg;
	return -1;	/* TODO */
}

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
long
store_cmd_new(struct store *s, int64_t *after, int64_t now_ms,
    int (*fn)(const struct store_delivery *d, void *arg), void *arg)
{
	(void)s;
	(void)after;
	(void)now_ms;
	(void)fn;
	(void)arg;
	return -1;	/* TODO */
}

/**
 * store_cmd_last(s, id): the highest command id made (0: none) into ${id}.
 * Return 0 or -1.
 */
int
store_cmd_last(struct store *s, int64_t *id)
{
	(void)s;
	(void)id;
	return -1;	/* TODO */
}

/**
 * store_cmd_ack(s, id, issuer, agent, now_ms, hit): a COMMAND_ACK of
 * command ${id} from the agent (${issuer}, ${agent}) at ${now_ms}: a
 * queued (or expired) target becomes delivered.  What was found into
 * ${hit}.  Return 0 or -1.
 */
int
store_cmd_ack(struct store *s, int64_t id, const char *issuer,
    const char *agent, int64_t now_ms, enum store_cmd_hit *hit)
{
	(void)s;
	(void)id;
	(void)issuer;
	(void)agent;
	(void)now_ms;
	(void)hit;
	return -1;	/* TODO */
}

/**
 * store_cmd_result(s, t, now_ms, hit): the RESULT ${t} (command, issuer,
 * agent, outcome, status, truncated, output, len; the rest ignored) at
 * ${now_ms}: if the target has no RESULT yet it gets this one and becomes
 * done (outcome exited, status 0) or failed.  What was found into ${hit}.
 * Return 0, or -1 (an outcome above GW_OUT_MAX, an output above
 * GW_PAYLOAD_HARD_MAX, text not UTF-8, the store failed).
 */
int
store_cmd_result(struct store *s, const struct store_target *t,
    int64_t now_ms, enum store_cmd_hit *hit)
{
	(void)s;
	(void)t;
	(void)now_ms;
	(void)hit;
	return -1;	/* TODO */
}

/**
 * store_cmd_expire(s, now_ms, n): write expired on targets still queued
 * whose command expires at or before ${now_ms}, at most
 * STORE_CMD_EXPIRE_BATCH of them (call again while ${n} says it wrote
 * that many).  How many into ${n}.  Return 0 or -1.
 */
int
store_cmd_expire(struct store *s, int64_t now_ms, long *n)
{
	(void)s;
	(void)now_ms;
	(void)n;
	return -1;	/* TODO */
}

/**
 * store_cmd_list(s, after, now_ms, fn, arg): call ${fn} on every command
 * with an id above ${after}, in id order, with the count of its targets
 * in each state (queued ones past the expiry counted expired, as of
 * ${now_ms}), until it returns non-zero.  Return the number visited, or
 * -1.  A store without the commands table has none.
 */
long
store_cmd_list(struct store *s, int64_t after, int64_t now_ms,
    int (*fn)(const struct store_cmd *c, void *arg), void *arg)
{
	(void)s;
	(void)after;
	(void)now_ms;
	(void)fn;
	(void)arg;
	return -1;	/* TODO */
}

/**
 * store_cmd_targets(s, id, now_ms, fn, arg): call ${fn} on every target of
 * command ${id}, by agent name then issuer (a queued one past the expiry
 * shown expired, as of ${now_ms}), until it returns non-zero.  Return the
 * number visited (0: no such command, or none left), or -1.
 */
long
store_cmd_targets(struct store *s, int64_t id, int64_t now_ms,
    int (*fn)(const struct store_target *t, void *arg), void *arg)
{
	(void)s;
	(void)id;
	(void)now_ms;
	(void)fn;
	(void)arg;
	return -1;	/* TODO */
}
