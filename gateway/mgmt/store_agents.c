/*
 * store_agents.c: the agents in the store (see store_agents.h), part of
 * the store module (store_impl.h): it checks what it is given, runs the
 * statements of store_backend.c through store_q_run and turns their rows
 * into the structs of store_agents.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "store_agents.h"
#include "store_impl.h"

#define AGENTS_WALK_MAGIC	0x41576c6bu	/* "AWlk" */

/* What store_agents' row callback needs: the caller's callback. */
struct agents_walk {
	uint32_t	 magic;		/* AGENTS_WALK_MAGIC */
	int		(*fn)(const struct store_agent *a, void *arg);
	void		*arg;
};

static struct agents_walk *
agents_walk_check(void *arg)
{
	struct agents_walk *w = arg;

	if (w == NULL || w->magic != AGENTS_WALK_MAGIC)
		abort();
	return w;
}

/* Check agent ${a} (up: every identity field; else issuer and name). */
static int
agent_check(struct store *s, const struct store_agent *a, int up)
{
	const char *f[8] = { a->issuer, a->name, a->subject, a->san,
	    a->serial, a->fingerprint, a->gateway, a->peer };

	for (int i = 0; i < (up ? 8 : 2); i++)
		if (!store_q_text_ok(f[i]))
			return store_q_err(s, "agent: identity not UTF-8");
	if (up && a->name[0] == '\0')
		return store_q_err(s, "agent: no name");
	return 0;
}

/* STORE_Q_AGENT_UP for ${a} (checked) at ${now_ms}: 0 or -1. */
static int
agent_up_q(struct store *s, const struct store_agent *a, int64_t now_ms)
{
	const char *f[8] = { a->issuer, a->name, a->subject, a->san,
	    a->serial, a->fingerprint, a->gateway, a->peer };
	struct store_val in[9];

	for (int i = 0; i < 8; i++)
		in[i] = V_TEXT(f[i]);
	in[8] = V_INT(now_ms);
	return store_q_run(s, STORE_Q_AGENT_UP, in, 9, NULL, NULL, NULL) < 0 ?
	    -1 : 0;
}

/* STORE_Q_AGENT_DOWN (checked): see store_agent_down.  0 or -1. */
static int
agent_down_q(struct store *s, const char *issuer, const char *name,
    int64_t opened_ms, int64_t now_ms)
{
	struct store_val in[4] = { V_INT(now_ms), V_TEXT(issuer),
	    V_TEXT(name), V_INT(opened_ms) };

	return store_q_run(s, STORE_Q_AGENT_DOWN, in, 4, NULL, NULL, NULL) < 0 ?
	    -1 : 0;
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
	if (store_q_ready(s) != 0 || agent_check(s, a, 1) != 0)
		return -1;
	return agent_up_q(s, a, now_ms);
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
	const struct store_agent a = { .issuer = issuer, .name = name };

	if (store_q_ready(s) != 0 || agent_check(s, &a, 0) != 0)
		return -1;
	return agent_down_q(s, issuer, name, opened_ms, now_ms);
}

/**
 * store_agents_mark(s, ev, n): write the ${n} channel events ${ev}, in
 * their order, in one transaction (one sync): for each, store_agent_up
 * of ev->agent at ev->opened_ms if ev->up, then store_agent_down of it
 * (opened_ms, closed_ms) if ev->closed_ms is not 0.  Return 0, or -1
 * (nothing written: an identity not UTF-8, or the store failed).
 */
int
store_agents_mark(struct store *s, const struct store_agent_ev *ev,
    size_t n)
{
	size_t i;

	if (store_q_ready(s) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (agent_check(s, &ev[i].agent, ev[i].up) != 0)
			return -1;
	if (n == 0)
		return 0;
	if (store_q_run(s, STORE_Q_BEGIN, NULL, 0, NULL, NULL, NULL) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (ev[i].up && agent_up_q(s, &ev[i].agent,
		    ev[i].opened_ms) != 0)
			return store_q_abort(s);
		if (ev[i].closed_ms != 0 && agent_down_q(s, ev[i].agent.issuer,
		    ev[i].agent.name, ev[i].opened_ms, ev[i].closed_ms) != 0)
			return store_q_abort(s);
	}
	if (store_q_run(s, STORE_Q_COMMIT, NULL, 0, NULL, NULL, NULL) < 0)
		return store_q_abort(s);
	return 0;
}

/* A row of STORE_Q_AGENTS to the caller's callback. */
static int
agents_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct agents_walk *w = agents_walk_check(arg);
	const struct store_agent a = {
		.issuer = store_col_text(col, 0),
		.name = store_col_text(col, 1),
		.subject = store_col_text(col, 2),
		.san = store_col_text(col, 3),
		.serial = store_col_text(col, 4),
		.fingerprint = store_col_text(col, 5),
		.gateway = store_col_text(col, 6),
		.peer = store_col_text(col, 7),
		.first_seen_ms = store_col_int(col, 8),
		.connected_ms = store_col_int(col, 9),
		.seen_ms = store_col_int(col, 10),
		.online = store_col_int(col, 11) != 0,
	};

	if (ncol < 12)
		return 1;
	return w->fn(&a, w->arg);
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
	struct agents_walk w = { .magic = AGENTS_WALK_MAGIC, .fn = fn,
	    .arg = arg };

	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	return store_q_run(s, STORE_Q_AGENTS, NULL, 0, agents_row, &w, NULL);
}
