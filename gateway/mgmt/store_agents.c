/*
 * store_agents.c: the agents in the store (see store_agents.h), part of
 * the store module (store_impl.h): it checks what it is given, runs the
 * statements of store_backend.c through store_q_run and turns their rows
 * into the structs of store_agents.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "proto.h"
#include "store_agents.h"
#include "store_impl.h"

#define AGENTS_WALK_MAGIC	0x41576c6bu	/* "AWlk" */

/* What store_agents' row callback needs: the caller's callback. */
struct agents_walk {
	uint32_t	 magic;		/* AGENTS_WALK_MAGIC */
	int		(*fn)(const struct store_agent *a, void *arg);
	void		*arg;
};

static const char *const agent_state_names[STORE_AGENT_NSTATES] = {
	"offline", "online", "stale"
};

static struct agents_walk *
agents_walk_check(void *arg)
{
	struct agents_walk *w = arg;

	if (w == NULL || w->magic != AGENTS_WALK_MAGIC)
		abort();
	return w;
}

/**
 * store_agent_state_str(st): "offline", "online", "stale", or "?" for
 * another value.
 */
const char *
store_agent_state_str(enum store_agent_state st)
{
	return (unsigned)st < STORE_AGENT_NSTATES ? agent_state_names[st] :
	    "?";
}

/**
 * store_agent_state_parse(name, out): the state named ${name} into
 * ${out}.  Return 0, or -1 if it names none.
 */
int
store_agent_state_parse(const char *name, enum store_agent_state *out)
{
	for (unsigned i = 0; i < STORE_AGENT_NSTATES; i++)
		if (strcmp(name, agent_state_names[i]) == 0) {
			*out = (enum store_agent_state)i;
			return 0;
		}
	return -1;
}

/*
 * Check agent ${a} (up: every identity field, sans and via may be NULL
 * for ""; else issuer and name).
 */
static int
agent_check(struct store *s, const struct store_agent *a, int up)
{
	const char *f[10] = { a->issuer, a->name, a->subject, a->san,
	    a->serial, a->fingerprint, a->gateway, a->peer,
	    a->sans != NULL ? a->sans : "", a->via != NULL ? a->via : "" };

	for (int i = 0; i < (up ? 10 : 2); i++)
		if (!store_q_text_ok(f[i]))
			return store_q_err(s, "agent: identity not UTF-8");
	if (up && a->name[0] == '\0')
		return store_q_err(s, "agent: no name");
	if (up && a->not_after_ms < 0)
		return store_q_err(s, "agent: notAfter before 1970");
	return 0;
}

/* Check event ${ev}: its agent, its news.  0 or -1. */
static int
agent_ev_check(struct store *s, const struct store_agent_ev *ev)
{
	if (agent_check(s, &ev->agent, ev->up) != 0)
		return -1;
	if ((unsigned)ev->live >= STORE_AGENT_NSTATES)
		return store_q_err(s, "agent: state %u unknown",
		    (unsigned)ev->live);
	if (ev->last_seq > GW_SEQ_MAX)
		return store_q_err(s, "agent: seq above 2^63-1");
	return 0;
}

/* STORE_Q_AGENT_UP for ${a} (checked) at ${now_ms}: 0 or -1. */
static int
agent_up_q(struct store *s, const struct store_agent *a, int64_t now_ms)
{
	const char *f[8] = { a->issuer, a->name, a->subject, a->san,
	    a->serial, a->fingerprint, a->gateway, a->peer };
	struct store_val in[12];

	for (int i = 0; i < 8; i++)
		in[i] = V_TEXT(f[i]);
	in[8] = V_INT(now_ms);
	in[9] = V_TEXT(a->sans);
	in[10] = a->not_after_ms != 0 ? V_INT(a->not_after_ms) :
	    (struct store_val){ .type = STORE_V_NULL };
	in[11] = V_TEXT(a->via != NULL ? a->via : "");
	return store_q_run(s, STORE_Q_AGENT_UP, in, 12, NULL, NULL, NULL) <
	    0 ? -1 : 0;
}

/* STORE_Q_AGENT_SEEN of event ${ev} (checked, live): 0 or -1. */
static int
agent_seen_q(struct store *s, const struct store_agent_ev *ev)
{
	struct store_val in[6] = { V_INT(ev->seen_ms), V_INT(ev->last_seq),
	    V_INT(ev->live), V_TEXT(ev->agent.issuer), V_TEXT(ev->agent.name),
	    V_INT(ev->opened_ms) };

	return store_q_run(s, STORE_Q_AGENT_SEEN, in, 6, NULL, NULL, NULL) <
	    0 ? -1 : 0;
}

/* STORE_Q_AGENT_DOWN (checked): see store_agent_down.  0 or -1. */
static int
agent_down_q(struct store *s, const char *issuer, const char *name,
    int64_t opened_ms, int64_t now_ms)
{
	struct store_val in[4] = { V_INT(now_ms), V_TEXT(issuer),
	    V_TEXT(name), V_INT(opened_ms) };

	return store_q_run(s, STORE_Q_AGENT_DOWN, in, 4, NULL, NULL, NULL) <
	    0 ? -1 : 0;
}

/**
 * store_agent_up(s, a, now_ms): the agent ${a} (its issuer, name and
 * identity fields; the times are ignored) opened a channel at ${now_ms}:
 * insert it, or update its identity, gateway and peer to ${a}'s; set it
 * online with connected_ms = seen_ms = ${now_ms}, keeping first_seen_ms
 * and last_seq.  Return 0 or -1.
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

/*
 * The order of store_agents_mark: by issuer, then name, then place in the
 * caller's array (an agent's events in their order).
 */
static int
agent_ev_cmp(const void *a, const void *b)
{
	const struct store_agent_ev *const *pa = a, *const *pb = b;
	const struct store_agent_ev *x = *pa, *y = *pb;
	int c;

	if ((c = strcmp(x->agent.issuer, y->agent.issuer)) != 0 ||
	    (c = strcmp(x->agent.name, y->agent.name)) != 0)
		return c;
	return (x > y) - (x < y);
}

/* The transaction of store_agents_mark: the ${n} events ${o}.  0 or -1. */
static int
agents_mark_q(struct store *s, const struct store_agent_ev *const *o,
    size_t n)
{
	if (store_q_run(s, STORE_Q_BEGIN, NULL, 0, NULL, NULL, NULL) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (o[i]->up && agent_up_q(s, &o[i]->agent,
		    o[i]->opened_ms) != 0)
			return store_q_abort(s);
		if (o[i]->live != STORE_AGENT_OFFLINE &&
		    agent_seen_q(s, o[i]) != 0)
			return store_q_abort(s);
		if (o[i]->closed_ms != 0 && agent_down_q(s,
		    o[i]->agent.issuer, o[i]->agent.name, o[i]->opened_ms,
		    o[i]->closed_ms) != 0)
			return store_q_abort(s);
	}
	if (store_q_run(s, STORE_Q_COMMIT, NULL, 0, NULL, NULL, NULL) < 0)
		return store_q_abort(s);
	return 0;
}

/**
 * store_agents_mark(s, ev, n): write the ${n} channel events ${ev} in one
 * transaction (one sync), by agent (issuer, name), each agent's in their
 * order: for each, store_agent_up of ev->agent at ev->opened_ms if
 * ev->up; then if ev->live is not offline, unless a later OPEN made the
 * agent's row another channel's (connected_ms > opened_ms) or it is
 * offline, seen_ms and last_seq raised to ev's (never lowered) and state
 * set to ev->live; then store_agent_down of it (opened_ms, closed_ms) if
 * ev->closed_ms is not 0.  Every server locks the rows in that one order:
 * two servers of one PostgreSQL store marking the same agents at once
 * never deadlock.  Return 0, or -1 (nothing written: an identity not
 * UTF-8, a state unknown, a seq above GW_SEQ_MAX, memory short, or the
 * store failed).
 */
int
store_agents_mark(struct store *s, const struct store_agent_ev *ev,
    size_t n)
{
	const struct store_agent_ev **o;
	size_t i;
	int rc;

	if (store_q_ready(s) != 0)
		return -1;
	for (i = 0; i < n; i++)
		if (agent_ev_check(s, &ev[i]) != 0)
			return -1;
	if (n == 0)
		return 0;
	if ((o = malloc(n * sizeof(*o))) == NULL)
		return store_q_err(s, "agents: out of memory");
	for (i = 0; i < n; i++)
		o[i] = &ev[i];
	qsort(o, n, sizeof(*o), agent_ev_cmp);
	rc = agents_mark_q(s, o, n);
	free(o);
	return rc;
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
		.state = (enum store_agent_state)store_col_int(col, 11),
		.online = store_col_int(col, 11) != STORE_AGENT_OFFLINE,
		.sans = store_col_text(col, 12),
		.not_after_ms = store_col_int(col, 13),
		.last_seq = (uint64_t)store_col_int(col, 14),
		.via = store_col_text(col, 15),
	};

	if (ncol < 16)
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
	int v;

	if (store_q_ready(s) != 0)
		return -1;
	if ((v = s->ops->cmd_tables(s->b)) == 0)
		return 0;
	return store_q_run(s, v >= 5 ? STORE_Q_AGENTS : v >= 4 ?
	    STORE_Q_AGENTS_V4 : STORE_Q_AGENTS_V3, NULL, 0, agents_row, &w,
	    NULL);
}
