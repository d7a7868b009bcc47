/*
 * store_cmd.c: the commands in the store (see store_cmd.h), part of the
 * store module (store_impl.h): it checks what it is given, runs the
 * statements of store_backend.c through store_q_run and turns their rows
 * into the structs of store_cmd.h.  A command's
 * targets are picked here, in C, among the agents the store knows: by
 * name with strcmp, by pattern with fnmatch(3) (flags 0: '*' and '?'
 * match any character, '/' and a leading '.' included; [..] classes).
 */
#include <fnmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "store_cmd.h"
#include "store_impl.h"

#define WALK_MAGIC	0x43576c6bu	/* "CWlk" */

static const char *const state_names[STORE_CMD_NSTATES] = {
	"queued", "delivered", "done", "failed", "expired"
};

/*
 * What a row callback needs: the caller's callback and argument, what it
 * collects; one type for every statement here.
 */
struct walk {
	uint32_t	 magic;		/* WALK_MAGIC */
	void		*fn;		/* the caller's callback */
	void		*arg;
	int64_t		 now_ms;	/* store_cmd_new: the expiry bound */
	int64_t		 id;		/* a command's id, a count */
	struct store_cmd cmd;		/* store_cmd_new: one command */
	void		*body;		/* its body, copied */
	enum store_cmd_match how;	/* store_cmd_create: the pattern */
	const char	*pattern;
	char		**names;	/* issuer, name, issuer, name, ... */
	long		 n;		/* pairs in names */
	int		 over;		/* more than STORE_CMD_TARGETS_MAX */
};

static struct walk *
walk_check(void *arg)
{
	struct walk *w = arg;

	if (w == NULL || w->magic != WALK_MAGIC)
		abort();
	return w;
}

/* One value of a row callback's single column (a count, an id). */
static int
one_int_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);

	w->id = ncol > 0 ? store_col_int(col, 0) : 0;
	return 1;
}

/* Nothing changed: is there such a target?  Into ${hit}; 0 or -1. */
static int
cmd_hit(struct store *s, int64_t id, const char *issuer, const char *agent,
    enum store_cmd_hit *hit)
{
	struct store_val in[3] = { V_INT(id), V_TEXT(issuer), V_TEXT(agent) };
	struct walk w = { .magic = WALK_MAGIC };

	if (store_q_run(s, STORE_Q_TGT_EXISTS, in, 3, one_int_row, &w,
	    NULL) != 1)
		return store_q_err(s, "commands: no count");
	*hit = w.id > 0 ? STORE_CMD_KNOWN : STORE_CMD_MISS;
	return 0;
}

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

/* store_cmd_create's agent walk: keep the agents the pattern matches. */
static int
create_match(const struct store_agent *a, void *arg)
{
	struct walk *w = walk_check(arg);
	char **names;

	if (w->how == STORE_MATCH_NAME ? strcmp(w->pattern, a->name) != 0 :
	    fnmatch(w->pattern, a->name, 0) != 0)
		return 0;
	if (w->n >= STORE_CMD_TARGETS_MAX) {
		w->over = 1;
		return 1;
	}
	if ((w->n & (w->n - 1)) == 0 && (names = realloc(w->names,
	    (size_t)(w->n == 0 ? 2 : 4 * w->n) * sizeof(*names))) != NULL)
		w->names = names;
	else if ((w->n & (w->n - 1)) == 0) {
		w->over = -1;
		return 1;
	}
	if ((w->names[2 * w->n] = strdup(a->issuer)) == NULL ||
	    (w->names[2 * w->n + 1] = strdup(a->name)) == NULL) {
		free(w->names[2 * w->n]);
		w->over = -1;
		return 1;
	}
	w->n++;
	return 0;
}

static void
create_free(struct walk *w)
{
	for (long i = 0; i < 2 * w->n; i++)
		free(w->names[i]);
	free(w->names);
}

/*
 * Insert the targets of ${w} of command ${id} (in the open transaction):
 * STORE_TGT_CHUNK a statement (one round trip on PostgreSQL), the rest
 * one each.  0 or -1.
 */
static int
create_targets(struct store *s, int64_t id, int64_t now_ms,
    const struct walk *w)
{
	struct store_val in[STORE_Q_VALS_MAX];
	long i = 0, k;

	in[0] = V_INT(id);
	in[1] = V_INT(now_ms);
	for (; i + STORE_TGT_CHUNK <= w->n; i += STORE_TGT_CHUNK) {
		for (k = 0; k < STORE_TGT_CHUNK; k++) {
			in[2 + 2 * k] = V_TEXT(w->names[2 * (i + k)]);
			in[3 + 2 * k] = V_TEXT(w->names[2 * (i + k) + 1]);
		}
		if (store_q_run(s, STORE_Q_TGT_INSERT_CHUNK, in,
		    STORE_Q_VALS_MAX, NULL, NULL, NULL) < 0)
			return -1;
	}
	for (; i < w->n; i++) {
		in[1] = V_TEXT(w->names[2 * i]);
		in[2] = V_TEXT(w->names[2 * i + 1]);
		in[3] = V_INT(now_ms);
		if (store_q_run(s, STORE_Q_TGT_INSERT, in, 4, NULL, NULL,
		    NULL) < 0)
			return -1;
	}
	return 0;
}

/* Insert command ${c} and the targets of ${w} in one transaction. */
static int
create_write(struct store *s, struct store_cmd *c, struct walk *w)
{
	struct walk id = { .magic = WALK_MAGIC };
	struct store_val in[4] = { V_TEXT(c->target), V_BLOB(c->body, c->len),
	    V_INT(c->created_ms), V_INT(c->expires_ms) };

	if (store_q_run(s, STORE_Q_BEGIN, NULL, 0, NULL, NULL, NULL) < 0)
		return -1;
	if (store_q_run(s, STORE_Q_CMD_INSERT, in, 4, one_int_row, &id,
	    NULL) != 1 || id.id < 1)
		goto fail;
	if (create_targets(s, id.id, c->created_ms, w) != 0)
		goto fail;
	if (store_q_run(s, STORE_Q_COMMIT, NULL, 0, NULL, NULL, NULL) < 0)
		goto fail;
	c->id = id.id;
	return 0;
fail:
	if (id.id < 1 && s->err[0] == '\0')
		store_q_err(s, "command: no id");
	return store_q_abort(s);
}

/* What store_cmd_create refuses before it looks at the agents. */
static int
create_check(struct store *s, const struct store_cmd *c,
    const char *pattern)
{
	if (c->len > STORE_CMD_BODY_MAX)
		return store_q_err(s, "command: body of %zu bytes, above %d",
		    c->len, STORE_CMD_BODY_MAX);
	if (c->expires_ms <= c->created_ms)
		return store_q_err(s, "command: expires before it is made");
	if (!store_q_text_ok(c->target) || !store_q_text_ok(pattern))
		return store_q_err(s, "command: target not UTF-8");
	if (pattern[0] == '\0')
		return store_q_err(s, "command: empty agent name or pattern");
	return 0;
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
	struct walk w = { .magic = WALK_MAGIC, .how = how,
	    .pattern = pattern };
	int rc = -1;

	*ntargets = 0;
	if (store_q_ready(s) != 0 || create_check(s, c, pattern) != 0)
		return -1;
	s->err[0] = '\0';
	if (store_agents(s, create_match, &w) < 0)
		goto out;
	if (w.over > 0)
		store_q_err(s, "command: more than %d agents match",
		    STORE_CMD_TARGETS_MAX);
	else if (w.over < 0)
		store_q_err(s, "command: out of memory");
	else if (w.n == 0)
		store_q_err(s, "command: no known agent %s %s", how ==
		    STORE_MATCH_NAME ? "is named" : "matches", pattern);
	else if ((rc = create_write(s, c, &w)) == 0)
		*ntargets = w.n;
out:
	create_free(&w);
	return rc;
}

/* A row of STORE_Q_PENDING to the caller's callback. */
static int
pending_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	int (*fn)(const struct store_delivery *, void *) =
	    (int (*)(const struct store_delivery *, void *))w->fn;
	const struct store_delivery d = {
		.id = store_col_int(col, 0),
		.issuer = store_col_text(col, 1),
		.agent = store_col_text(col, 2),
		.body = col[3].p != NULL ? col[3].p : "",
		.len = col[3].len,
		.expires_ms = store_col_int(col, 4),
	};

	if (ncol < 5)
		return 1;
	return fn(&d, w->arg);
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
	struct walk w = { .magic = WALK_MAGIC, .fn = (void *)fn, .arg = arg };
	struct store_val in[4];

	if (store_q_ready(s) != 0)
		return -1;
	if (!store_q_text_ok(issuer) || !store_q_text_ok(agent))
		return store_q_err(s, "agent: identity not UTF-8");
	if (max <= 0 || !s->ops->cmd_tables(s->b))
		return 0;
	in[0] = V_TEXT(issuer);
	in[1] = V_TEXT(agent);
	in[2] = V_INT(now_ms);
	in[3] = V_INT(max);
	return store_q_run(s, STORE_Q_PENDING, in, 4, pending_row, &w, NULL);
}

/* A row of STORE_Q_PENDING_AGENTS to the caller's callback. */
static int
pending_agent_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	int (*fn)(const char *, const char *, void *) =
	    (int (*)(const char *, const char *, void *))w->fn;

	if (ncol < 2)
		return 1;
	return fn(store_col_text(col, 0), store_col_text(col, 1), w->arg);
}

/**
 * store_cmd_pending_agents(s, now_ms, fn, arg): call ${fn} once on each
 * agent (${issuer}, ${agent}) that has a command without a RESULT (queued
 * or delivered) expiring after ${now_ms}, in no order, until it returns
 * non-zero: one query for the resend round, which then asks
 * store_cmd_pending of these agents' channels only.  Return the number
 * visited, or -1.
 */
long
store_cmd_pending_agents(struct store *s, int64_t now_ms,
    int (*fn)(const char *issuer, const char *agent, void *arg), void *arg)
{
	struct walk w = { .magic = WALK_MAGIC, .fn = (void *)fn, .arg = arg };
	struct store_val in[1] = { V_INT(now_ms) };

	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	return store_q_run(s, STORE_Q_PENDING_AGENTS, in, 1, pending_agent_row,
	    &w, NULL);
}

/**
 * store_cmd_last(s, id): the highest command id made (0: none) into ${id}.
 * Return 0 or -1.
 */
int
store_cmd_last(struct store *s, int64_t *id)
{
	struct walk w = { .magic = WALK_MAGIC };

	*id = 0;
	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	if (store_q_run(s, STORE_Q_CMD_LAST, NULL, 0, one_int_row, &w,
	    NULL) != 1)
		return store_q_err(s, "commands: no max id");
	*id = w.id;
	return 0;
}

/* The first row of STORE_Q_CMDS: one command, its body copied. */
static int
new_cmd_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);

	if (ncol < 5)
		return 1;
	w->cmd = (struct store_cmd){ .id = store_col_int(col, 0),
	    .created_ms = store_col_int(col, 2),
	    .expires_ms = store_col_int(col, 3), .len = col[4].len };
	if ((w->body = malloc(col[4].len + 1)) == NULL) {
		w->over = -1;
		return 1;
	}
	if (col[4].len > 0)
		memcpy(w->body, col[4].p, col[4].len);
	return 1;
}

/* A row of STORE_Q_TGTS_PENDING: command w->cmd to that agent. */
static int
new_tgt_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	int (*fn)(const struct store_delivery *, void *) =
	    (int (*)(const struct store_delivery *, void *))w->fn;
	const struct store_delivery d = {
		.id = w->cmd.id,
		.issuer = store_col_text(col, 0),
		.agent = store_col_text(col, 1),
		.body = w->body,
		.len = w->cmd.len,
		.expires_ms = w->cmd.expires_ms,
	};

	if (ncol < 2)
		return 1;
	w->id++;
	if (fn(&d, w->arg) != 0)
		w->over = 1;
	return w->over;
}

/*
 * The next command of store_cmd_new above ${from}, up to ${upto}, into
 * w->cmd and w->body: 1, 0 (none), or -1.
 */
static int
new_next(struct store *s, struct walk *w, int64_t from, int64_t upto)
{
	struct store_val in[3] = { V_INT(from), V_INT(upto), V_INT(1) };
	long n;

	free(w->body);
	w->body = NULL;
	n = store_q_run(s, STORE_Q_CMDS, in, 3, new_cmd_row, w, NULL);
	if (n < 0)
		return -1;
	if (w->over < 0)
		return store_q_err(s, "commands: out of memory");
	return n > 0 && w->body != NULL;
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
	struct walk w = { .magic = WALK_MAGIC, .fn = (void *)fn, .arg = arg };
	int64_t last, from = *after;
	struct store_val in[1];
	int rc = 0;

	if (store_cmd_last(s, &last) != 0)
		return -1;
	while (rc == 0 && w.over == 0 && last > from) {
		if ((rc = new_next(s, &w, from, last)) <= 0)
			break;
		rc = 0;
		from = w.cmd.id;
		if (w.cmd.expires_ms <= now_ms)
			continue;
		in[0] = V_INT(w.cmd.id);
		if (store_q_run(s, STORE_Q_TGTS_PENDING, in, 1, new_tgt_row, &w,
		    NULL) < 0)
			rc = -1;
	}
	free(w.body);
	if (rc < 0)
		return -1;
	*after = last;
	return (long)w.id;
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
	struct store_val in[4] = { V_INT(now_ms), V_INT(id), V_TEXT(issuer),
	    V_TEXT(agent) };
	int64_t changed = 0;

	*hit = STORE_CMD_MISS;
	if (store_q_ready(s) != 0)
		return -1;
	if (!store_q_text_ok(issuer) || !store_q_text_ok(agent))
		return store_q_err(s, "agent: identity not UTF-8");
	if (store_q_run(s, STORE_Q_ACK, in, 4, NULL, NULL, &changed) < 0)
		return -1;
	if (changed > 0) {
		*hit = STORE_CMD_TAKEN;
		return 0;
	}
	return cmd_hit(s, id, issuer, agent, hit);
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
	int done = t->outcome == GW_OUT_EXITED && t->status == 0;
	struct store_val in[9] = {
		V_INT(done ? STORE_CMD_DONE : STORE_CMD_FAILED),
		V_INT(t->outcome), V_INT(t->status), V_INT(t->truncated != 0),
		V_BLOB(t->output, t->len), V_INT(now_ms), V_INT(t->command),
		V_TEXT(t->issuer), V_TEXT(t->agent)
	};
	int64_t changed = 0;

	*hit = STORE_CMD_MISS;
	if (store_q_ready(s) != 0)
		return -1;
	if (t->outcome > GW_OUT_MAX)
		return store_q_err(s, "result: outcome %u unknown", t->outcome);
	if (t->len > GW_PAYLOAD_HARD_MAX)
		return store_q_err(s, "result: output of %zu bytes", t->len);
	if (!store_q_text_ok(t->issuer) || !store_q_text_ok(t->agent))
		return store_q_err(s, "agent: identity not UTF-8");
	if (store_q_run(s, STORE_Q_RESULT, in, 9, NULL, NULL, &changed) < 0)
		return -1;
	if (changed > 0) {
		*hit = STORE_CMD_TAKEN;
		return 0;
	}
	return cmd_hit(s, t->command, t->issuer, t->agent, hit);
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
	struct store_val in[2] = { V_INT(now_ms),
	    V_INT(STORE_CMD_EXPIRE_BATCH) };
	int64_t changed = 0;

	*n = 0;
	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	if (store_q_run(s, STORE_Q_EXPIRE, in, 2, NULL, NULL, &changed) < 0)
		return -1;
	*n = (long)changed;
	return 0;
}

/* A row of STORE_Q_CMDS_COUNT to the caller's callback. */
static int
list_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	int (*fn)(const struct store_cmd *, void *) =
	    (int (*)(const struct store_cmd *, void *))w->fn;
	struct store_cmd c = {
		.id = store_col_int(col, 0),
		.target = store_col_text(col, 1),
		.created_ms = store_col_int(col, 2),
		.expires_ms = store_col_int(col, 3),
	};

	if (ncol < 4 + STORE_CMD_NSTATES)
		return 1;
	for (unsigned i = 0; i < STORE_CMD_NSTATES; i++)
		c.count[i] = (uint64_t)store_col_int(col, 4 + i);
	return fn(&c, w->arg);
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
	struct walk w = { .magic = WALK_MAGIC, .fn = (void *)fn, .arg = arg };
	struct store_val in[3] = { V_INT(now_ms), V_INT(after),
	    V_INT(INT64_MAX) };

	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	return store_q_run(s, STORE_Q_CMDS_COUNT, in, 3, list_row, &w, NULL);
}

/* A row of STORE_Q_TGTS to the caller's callback. */
static int
targets_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	int (*fn)(const struct store_target *, void *) =
	    (int (*)(const struct store_target *, void *))w->fn;
	const struct store_target t = {
		.command = store_col_int(col, 0),
		.issuer = store_col_text(col, 1),
		.agent = store_col_text(col, 2),
		.state = (enum store_cmd_state)store_col_int(col, 3),
		.answered = col[4].type != STORE_V_NULL,
		.outcome = (unsigned)store_col_int(col, 4),
		.status = (int32_t)store_col_int(col, 5),
		.truncated = store_col_int(col, 6) != 0,
		.output = col[7].p != NULL ? col[7].p : "",
		.len = col[7].len,
		.updated_ms = store_col_int(col, 8),
	};

	if (ncol < 9)
		return 1;
	return fn(&t, w->arg);
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
	struct walk w = { .magic = WALK_MAGIC, .fn = (void *)fn, .arg = arg };
	struct store_val in[2] = { V_INT(now_ms), V_INT(id) };

	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	return store_q_run(s, STORE_Q_TGTS, in, 2, targets_row, &w, NULL);
}

/* A row of STORE_Q_COUNTS: (0, agents' state, n) or (1, state, n). */
static int
counts_row(const struct store_val *col, unsigned ncol, void *arg)
{
	struct walk *w = walk_check(arg);
	struct store_counts *c = w->arg;
	int64_t key, n;

	if (ncol < 3)
		return 1;
	key = store_col_int(col, 1);
	n = store_col_int(col, 2);
	if (n < 0)
		return 0;
	if (store_col_int(col, 0) == 0) {
		if (key == STORE_AGENT_ONLINE)
			c->online += (uint64_t)n;
		else if (key == STORE_AGENT_STALE)
			c->stale += (uint64_t)n;
		else
			c->offline += (uint64_t)n;
	} else if (key >= 0 && key < STORE_CMD_NSTATES)
		c->cmds[key] += (uint64_t)n;
	return 0;
}

/**
 * store_cmd_counts(s, c): the agents by state and the command
 * targets by their stored state (a queued one past its expiry counts
 * queued until store_cmd_expire writes it) into ${c}, by counting
 * queries (no join, no sort; the targets' from index command_targets_state
 * alone).  Return 0 or -1.  A store without the tables has none.
 */
int
store_cmd_counts(struct store *s, struct store_counts *c)
{
	struct walk w = { .magic = WALK_MAGIC, .arg = c };

	memset(c, 0, sizeof(*c));
	if (store_q_ready(s) != 0)
		return -1;
	if (!s->ops->cmd_tables(s->b))
		return 0;
	if (store_q_run(s, STORE_Q_COUNTS, NULL, 0, counts_row, &w, NULL) < 0) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 0;
}
