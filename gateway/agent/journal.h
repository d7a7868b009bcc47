/*
 * journal.h: gw-agent's persistent queue (--state FILE), so that an agent
 * restart, even kill -9, loses nothing it had read and sends nothing twice
 * under two numbers.  An append-only file of records:
 *   'L' u32 len, bytes   a line was queued
 *   'O' u64 offset       input bytes consumed into queued lines so far
 *   'S' u64 seq          the oldest unnumbered line got this number
 *   'A' u64 seq          the store acknowledged everything up to seq
 *   'C' u64 id           COMMAND id was taken (PROTOCOL.md 9.7)
 *   'R' u64 id, u8 outcome, u8 flags, i32 status, u32 len, bytes
 *                        ... and ended so (RESULT)
 *   'F' u64 id           results of ids up to id were dropped (cmdtab.h)
 *   'P' u32 len, u64 dev, u64 ino, u64 off, u8 fplen, fp, key
 *                        a followed file's position (posmap.h): len counts
 *                        what follows it; the key (a path) is the rest
 *   'X' u32 len, key     ... and no position for key now
 *   'K'                  the L, O, P and X records before it are committed
 * (integers little-endian).  Opening replays it into the queue (every
 * line it holds, past the queue's caps if they were lowered since:
 * sendq_push_over; the inputs then push nothing until acknowledgements
 * bring the queue back under them) and the command table (a command
 * record repeated is read once: the first of an id stands) and rewrites
 * it compactly, ending with a K; a command taken
 * without a result gets the result lost then (it is never run again).
 * An input's batch (its lines, then its offset or positions: where it
 * stands after them) is committed by journal_commit(), its K synced with
 * it, before the input is read further; the L, O, P and X records after
 * the last K are dropped at replay, so that a kill -9 while the buffer
 * was being written (a batch larger than it) leaves the lines and where
 * the input stood after them both, or neither (the input reads them
 * again).  A file with no K (an older gw-agent's) is replayed whole.
 * The other records apply wherever they are (the session and the
 * commands never run between an input's push and its commit).  Numbers
 * are synced before a line is sent under them; a command id before its
 * COMMAND_ACK (and its handler), a result before its RESULT.  The file
 * holds the table's results (at most CMDTAB_RESULTS), not every result
 * ever: it is rewritten once results worth JOURNAL_CMD_COMPACT bytes were
 * appended.
 * A rewrite that fails (a full disk) leaves the file exactly as it was; a
 * record that cannot be written is not recorded at all (what of it was
 * buffered is dropped, what reached the file cut off), so the file holds
 * whole records only; a sync that fails halfway is retried from where it
 * stopped.  A rewrite's rename is made durable (the directory synced).
 */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cmdtab.h"
#include "posmap.h"
#include "sendq.h"

struct journal;

/* Command bytes appended before the file is rewritten. */
#define JOURNAL_CMD_COMPACT	(1024u * 1024)

/**
 * journal_open(path, q, ct, offset, err, errlen): open or create the
 * journal ${path}, replay it into the empty queue ${q} (whole, past its
 * caps if it must: sendq_over then says so) and the empty
 * command table ${ct} (both kept: they outlive the journal), set ${offset}
 * to the input offset it recorded (0 if new), and compact it.  Return NULL
 * with the reason in ${err}.
 */
struct journal *journal_open(const char *path, struct sendq *q,
    struct cmdtab *ct, uint64_t *offset, char *err, size_t errlen);

/**
 * journal_cmd_taken(j, id): record that COMMAND ${id} was taken, durably
 * (synced).  0 or -1.
 */
int journal_cmd_taken(struct journal *j, uint64_t id);

/**
 * journal_cmd_result(j, r): record the result ${r}, durably (synced); the
 * file is rewritten from the queue and the command table instead when
 * command records have grown by JOURNAL_CMD_COMPACT (the table must hold
 * ${r} already).  0 or -1.
 */
int journal_cmd_result(struct journal *j, const struct cmdtab_result *r);

/** journal_line(j, p, len): record a queued line.  0 or -1. */
int journal_line(struct journal *j, const char *p, size_t len);

/** journal_offset(j, off): record the input offset.  0 or -1. */
int journal_offset(struct journal *j, uint64_t off);

/** journal_seq(j, seq): record a line's number.  0 or -1. */
int journal_seq(struct journal *j, uint64_t seq);

/**
 * journal_ack(j, q, seq, off): record an acknowledgement; rewrite the file
 * when it has grown large (from ${q} and the input offset ${off}).
 */
int journal_ack(struct journal *j, struct sendq *q, uint64_t seq,
    uint64_t off);

/**
 * journal_pos_set(j, key, p): record that the file followed as ${key} is
 * read up to ${p} (not committed: the next journal_commit commits it with
 * the lines pushed before it).  0, or -1: a write failed, or the key is longer
 * than POS_KEY_MAX, or POSMAP_MAX keys have positions already (nothing
 * recorded then).
 */
int journal_pos_set(struct journal *j, const char *key,
    const struct file_pos *p);

/** journal_pos_get(j, key, p): 1 and ${p} set if ${key} has a position. */
int journal_pos_get(const struct journal *j, const char *key,
    struct file_pos *p);

/** journal_pos_forget(j, key): record that ${key} has no position.  0/-1. */
int journal_pos_forget(struct journal *j, const char *key);

/**
 * journal_pos_at(j, i, p): the ${i}th key with a position (posmap_at), or
 * NULL past the end.
 */
const char *journal_pos_at(const struct journal *j, size_t i,
    struct file_pos *p);

/**
 * journal_sync(j): make what was recorded durable (fdatasync), without
 * committing an input's batch (journal_commit).  0/-1.
 */
int journal_sync(struct journal *j);

/**
 * journal_commit(j): commit the lines, offsets and positions recorded
 * since the last commit (a 'K' record, if there are any), and sync.  The
 * inputs' commit (sink_commit, pipe_in), and only theirs: a sync of the
 * session, of a command or of journal_close (after an input failed in a
 * batch) commits nothing half-pushed.  0/-1.
 */
int journal_commit(struct journal *j);

/** journal_error(j): the last error, as text. */
const char *journal_error(const struct journal *j);

/** journal_close(j): sync and close; NULL-safe. */
void journal_close(struct journal *j);

#endif /* GW_JOURNAL_H */
