/*
 * journal.h: gw-agent's persistent queue (--state FILE), so that an agent
 * restart, even kill -9, loses nothing it had read and sends nothing twice
 * under two numbers.  An append-only file of records:
 *   'L' u32 len, bytes   a line was queued
 *   'O' u64 offset       input bytes consumed into queued lines so far
 *   'S' u64 seq          the oldest unnumbered line got this number
 *   'A' u64 seq          the store acknowledged everything up to seq
 * (integers little-endian).  Opening replays it into the queue and
 * rewrites it compactly.  Lines and offsets are synced before the input is
 * read further; numbers are synced before a line is sent under them.
 */
#ifndef GW_JOURNAL_H
#define GW_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sendq.h"

struct journal;

/**
 * journal_open(path, q, offset, err, errlen): open or create the journal
 * ${path}, replay it into the empty queue ${q}, set ${offset} to the input
 * offset it recorded (0 if new), and compact it.  Return NULL with the
 * reason in ${err}.
 */
struct journal *journal_open(const char *path, struct sendq *q,
    uint64_t *offset, char *err, size_t errlen);

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

/** journal_sync(j): make what was recorded durable (fdatasync).  0/-1. */
int journal_sync(struct journal *j);

/** journal_error(j): the last error, as text. */
const char *journal_error(const struct journal *j);

/** journal_close(j): sync and close; NULL-safe. */
void journal_close(struct journal *j);

#endif /* GW_JOURNAL_H */
