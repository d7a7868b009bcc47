/*
 * journal_fixture.h: what the unit tests of gw-agent's journal (tests/unit/
 * test_journal*.c) share, with cmocka: a journal file in a temporary
 * directory, opened (replayed) into a fresh queue and command table, and
 * the steps the tests are written in, which assert what they expect.
 */
#ifndef GW_SUPPORT_JOURNAL_FIXTURE_H
#define GW_SUPPORT_JOURNAL_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "cmdtab.h"
#include "journal.h"
#include "sendq.h"

extern char dir[64], path[96];	/* the test's directory, its journal */
extern struct cmdtab *ct;	/* the last journal_open's */

/** setup(state), teardown(state): cmocka's (a temporary directory). */
int setup(void **state);
int teardown(void **state);

/** fresh_ct(): a fresh command table for journal_open (the last one freed). */
struct cmdtab *fresh_ct(void);

/**
 * file_limit(max): files may grow to ${max} bytes at most (a write past it
 * fails with EFBIG, as on a full disk), or without bound if ${max} is 0.
 */
void file_limit(rlim_t max);

/**
 * reopen(q, cap, off): open the journal at ${path}, replaying into a fresh
 * queue of ${cap} (*${q}), the input offset into ${off}.
 */
struct journal *reopen(struct sendq **q, size_t cap, uint64_t *off);

/** take(j, id): command ${id} taken, in the table and the journal. */
void take(struct journal *j, uint64_t id);

/** slurp(p, len): the whole file ${p} (malloc'd), its size in ${len}. */
unsigned char *slurp(const char *p, size_t *len);

/** file_size(): the size of the journal file now. */
rlim_t file_size(void);

#endif /* GW_SUPPORT_JOURNAL_FIXTURE_H */
