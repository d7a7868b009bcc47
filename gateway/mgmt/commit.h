/*
 * commit.h: the group commit (commit.c): DATA rows join one batch, written
 * in one transaction; only then are the ACKs (and deferred OPEN_ACKs)
 * sent, through link.h.
 */
#ifndef GW_MGMT_COMMIT_H
#define GW_MGMT_COMMIT_H

#include <stdint.h>

struct mchan;
struct mgmt;

/** commit_init(m): set up the batch timer. */
void commit_init(struct mgmt *m);

/**
 * commit_open(m, ch): ${ch} was opened: answer OPEN_ACK now, or after the
 * open batch commits (its last_seq must count only durable rows).
 */
void commit_open(struct mgmt *m, struct mchan *ch);

/**
 * commit_data(m, ch, seq, body, len): add one DATA of ${ch} to the open
 * batch; its ACK follows the commit.  Return 0, or -1 if the row cannot
 * join it (${ch} was closed).
 */
int commit_data(struct mgmt *m, struct mchan *ch, uint64_t seq,
    const uint8_t *body, uint32_t len);

/** commit_now(m): commit the open batch and send what it owes. */
void commit_now(struct mgmt *m);

/**
 * commit_forget(m, ch): ${ch} is going away: owe it nothing.  Its rows
 * in the batch are still written (unacknowledged, so its agent resends
 * them; the store keeps one copy).
 */
void commit_forget(struct mgmt *m, struct mchan *ch);

#endif /* GW_MGMT_COMMIT_H */
