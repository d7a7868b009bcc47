/*
 * cmdtab.h: the COMMAND ids gw-agent knows (PROTOCOL.md 9.7), bounded: the
 * ids taken and not finished (at most GW_COMMANDS_INFLIGHT) and the newest
 * CMDTAB_RESULTS results.  A result pushed out raises the floor: an id at
 * or below it that the table does not hold is answered lost, never run (a
 * server sends a command's COMMAND until it has its RESULT, oldest first,
 * so an id that old was taken before).  The journal (journal.h) replays its
 * file into a table and rewrites the file from it; without --state the
 * table lives in memory only.  No I/O, no logging.
 */
#ifndef GW_CMDTAB_H
#define GW_CMDTAB_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define CMDTAB_RESULTS	64		/* results kept */
#define CMDTAB_TAKEN_MAX GW_COMMANDS_INFLIGHT	/* taken, unfinished */

/* What the table knows of an id. */
enum cmdtab_state {
	CMDTAB_UNKNOWN,		/* never taken: run it */
	CMDTAB_TAKEN,		/* taken, no result yet */
	CMDTAB_DONE,		/* its result is held */
	CMDTAB_LOST		/* taken once, its result no longer held */
};

/* One result (its output a view into the table, or the caller's). */
struct cmdtab_result {
	uint64_t	 id;
	unsigned	 outcome;	/* enum gw_outcome */
	unsigned	 flags;		/* GW_RESULT_* */
	int32_t		 status;
	const uint8_t	*out;
	size_t		 len;
};

struct cmdtab;

/** cmdtab_new(): an empty table, or NULL (errno). */
struct cmdtab *cmdtab_new(void);

/**
 * cmdtab_lookup(t, id, r): what ${t} knows of ${id}; for CMDTAB_DONE fill
 * ${r} (its output valid until ${t} changes).
 */
enum cmdtab_state cmdtab_lookup(const struct cmdtab *t, uint64_t id,
    struct cmdtab_result *r);

/**
 * cmdtab_take(t, id): record ${id} (unknown to ${t}) as taken.  0, or -1
 * if CMDTAB_TAKEN_MAX ids are taken already or memory is short.
 */
int cmdtab_take(struct cmdtab *t, uint64_t id);

/**
 * cmdtab_done(t, r): record the result ${r} (output copied) of a taken or
 * unknown id (a replayed file); the oldest result beyond CMDTAB_RESULTS is
 * dropped and raises the floor.  0, or -1 if memory is short.
 */
int cmdtab_done(struct cmdtab *t, const struct cmdtab_result *r);

/**
 * cmdtab_lose_taken(t): every taken id gets the result lost (the agent
 * stopped while it waited or ran).  0 or -1 as cmdtab_done().
 */
int cmdtab_lose_taken(struct cmdtab *t);

/** cmdtab_floor(t): the highest id whose result was dropped, or 0. */
uint64_t cmdtab_floor(const struct cmdtab *t);

/** cmdtab_set_floor(t, id): raise the floor to ${id} (if above). */
void cmdtab_set_floor(struct cmdtab *t, uint64_t id);

/**
 * cmdtab_get(t, i, r): the ${i}-th entry of ${t} (results oldest first,
 * then the taken ids) in ${r}; return its state, CMDTAB_DONE or
 * CMDTAB_TAKEN (${r}->id only), or CMDTAB_UNKNOWN past the last.
 */
enum cmdtab_state cmdtab_get(const struct cmdtab *t, size_t i,
    struct cmdtab_result *r);

/** cmdtab_free(t): free ${t}; NULL-safe. */
void cmdtab_free(struct cmdtab *t);

#endif /* GW_CMDTAB_H */
