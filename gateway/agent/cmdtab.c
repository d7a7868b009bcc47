/*
 * cmdtab.c: the COMMAND ids gw-agent knows (see cmdtab.h).  Small arrays
 * searched linearly: at most 80 entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"

/* A held result; its output is owned. */
struct cmdtab_ent {
	uint64_t	 id;
	unsigned	 outcome, flags;
	int32_t		 status;
	uint8_t		*out;
	size_t		 len;
};

struct cmdtab {
	struct cmdtab_ent res[CMDTAB_RESULTS];	/* oldest first */
	size_t		 nres;
	uint64_t	 taken[CMDTAB_TAKEN_MAX];
	size_t		 ntaken;
	uint64_t	 floor;
};

/** cmdtab_new(): an empty table, or NULL (errno). */
struct cmdtab *
cmdtab_new(void)
{
	return calloc(1, sizeof(struct cmdtab));
}

static int
cmdtab_find_res(const struct cmdtab *t, uint64_t id)
{
	for (size_t i = 0; i < t->nres; i++)
		if (t->res[i].id == id)
			return (int)i;
	return -1;
}

static int
cmdtab_find_taken(const struct cmdtab *t, uint64_t id)
{
	for (size_t i = 0; i < t->ntaken; i++)
		if (t->taken[i] == id)
			return (int)i;
	return -1;
}

static void
cmdtab_view(const struct cmdtab_ent *e, struct cmdtab_result *r)
{
	r->id = e->id;
	r->outcome = e->outcome;
	r->flags = e->flags;
	r->status = e->status;
	r->out = e->out;
	r->len = e->len;
}

/**
 * cmdtab_lookup(t, id, r): what ${t} knows of ${id}; for CMDTAB_DONE fill
 * ${r} (its output valid until ${t} changes).
 */
enum cmdtab_state
cmdtab_lookup(const struct cmdtab *t, uint64_t id, struct cmdtab_result *r)
{
	int i;

	if ((i = cmdtab_find_res(t, id)) >= 0) {
		cmdtab_view(&t->res[i], r);
		return CMDTAB_DONE;
	}
	if (cmdtab_find_taken(t, id) >= 0)
		return CMDTAB_TAKEN;
	return id <= t->floor ? CMDTAB_LOST : CMDTAB_UNKNOWN;
}

/**
 * cmdtab_take(t, id): record ${id} (unknown to ${t}) as taken.  0, or -1
 * if CMDTAB_TAKEN_MAX ids are taken already or memory is short.
 */
int
cmdtab_take(struct cmdtab *t, uint64_t id)
{
	if (t->ntaken == CMDTAB_TAKEN_MAX) {
		errno = ENOSPC;
		return -1;
	}
	t->taken[t->ntaken++] = id;
	return 0;
}

/* Drop the oldest result: its id raises the floor. */
static void
cmdtab_drop_oldest(struct cmdtab *t)
{
	cmdtab_set_floor(t, t->res[0].id);
	free(t->res[0].out);
	memmove(&t->res[0], &t->res[1], (t->nres - 1) * sizeof(t->res[0]));
	t->nres--;
}

/**
 * cmdtab_done(t, r): record the result ${r} (output copied) of a taken or
 * unknown id (a replayed file); the oldest result beyond CMDTAB_RESULTS is
 * dropped and raises the floor.  0, or -1 if memory is short.
 */
int
cmdtab_done(struct cmdtab *t, const struct cmdtab_result *r)
{
	struct cmdtab_ent *e;
	uint8_t *out;
	int i;

	if ((out = malloc(r->len > 0 ? r->len : 1)) == NULL)
		return -1;
	if (r->len > 0)
		memcpy(out, r->out, r->len);
	if ((i = cmdtab_find_taken(t, r->id)) >= 0)
		t->taken[i] = t->taken[--t->ntaken];
	if ((i = cmdtab_find_res(t, r->id)) >= 0) {	/* replaced */
		free(t->res[i].out);
		memmove(&t->res[i], &t->res[i + 1],
		    (t->nres - (size_t)i - 1) * sizeof(t->res[0]));
		t->nres--;
	}
	if (t->nres == CMDTAB_RESULTS)
		cmdtab_drop_oldest(t);
	e = &t->res[t->nres++];
	e->id = r->id;
	e->outcome = r->outcome;
	e->flags = r->flags;
	e->status = r->status;
	e->out = out;
	e->len = r->len;
	return 0;
}

/**
 * cmdtab_lose_taken(t): every taken id gets the result lost (the agent
 * stopped while it waited or ran).  0 or -1 as cmdtab_done().
 */
int
cmdtab_lose_taken(struct cmdtab *t)
{
	while (t->ntaken > 0) {
		struct cmdtab_result r = { .id = t->taken[0],
		    .outcome = GW_OUT_LOST };

		if (cmdtab_done(t, &r) != 0)
			return -1;
	}
	return 0;
}

/** cmdtab_floor(t): the highest id whose result was dropped, or 0. */
uint64_t
cmdtab_floor(const struct cmdtab *t)
{
	return t->floor;
}

/** cmdtab_set_floor(t, id): raise the floor to ${id} (if above). */
void
cmdtab_set_floor(struct cmdtab *t, uint64_t id)
{
	if (id > t->floor)
		t->floor = id;
}

/**
 * cmdtab_get(t, i, r): the ${i}-th entry of ${t} (results oldest first,
 * then the taken ids) in ${r}; return its state, CMDTAB_DONE or
 * CMDTAB_TAKEN (${r}->id only), or CMDTAB_UNKNOWN past the last.
 */
enum cmdtab_state
cmdtab_get(const struct cmdtab *t, size_t i, struct cmdtab_result *r)
{
	if (i < t->nres) {
		cmdtab_view(&t->res[i], r);
		return CMDTAB_DONE;
	}
	i -= t->nres;
	if (i >= t->ntaken)
		return CMDTAB_UNKNOWN;
	memset(r, 0, sizeof(*r));
	r->id = t->taken[i];
	return CMDTAB_TAKEN;
}

/** cmdtab_free(t): free ${t}; NULL-safe. */
void
cmdtab_free(struct cmdtab *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nres; i++)
		free(t->res[i].out);
	free(t);
}
