/*
 * commit.c: group commit.  DATA rows go into one open transaction; the
 * transaction commits when batch_max rows (and OPENs) are waiting or
 * batch_delay has passed since the first, whichever comes first, and only
 * then are the ACKs (and deferred OPEN_ACKs) sent: one sync per batch,
 * never one per message, and never an ACK for a row that is not durable.
 */
#include <stdio.h>

#include "log.h"
#include "mgmt.h"
#include "proto.h"

static void
commit_dirty(struct mgmt *m, struct mchan *ch)
{
	if (!ch->dirty) {
		ch->dirty = 1;
		TAILQ_INSERT_TAIL(&m->dirty, ch, dirty_entry);
	}
}

/** commit_forget(m, ch): ${ch} is going away: owe it nothing. */
void
commit_forget(struct mgmt *m, struct mchan *ch)
{
	if (ch->dirty) {
		TAILQ_REMOVE(&m->dirty, ch, dirty_entry);
		ch->dirty = 0;
	}
}

/* One more item in the batch: commit at batch_max, else arm the timer. */
static void
commit_count(struct mgmt *m)
{
	if (++m->batch_items >= m->cfg->batch_max)
		commit_now(m);
	else if (!ev_is_active(&m->batch_timer)) {
		ev_timer_set(&m->batch_timer, m->cfg->batch_delay, 0.);
		ev_timer_start(m->loop, &m->batch_timer);
	}
}

/* The store failed: roll back and close every channel the batch owed. */
static void
commit_fail(struct mgmt *m, const char *what)
{
	struct mchan *ch;
	char text[200], ed[LOG_ESC_MAX];
	unsigned n = 0;

	snprintf(text, sizeof(text), "store %s failed: %s", what,
	    store_errmsg(m->store));
	store_rollback(m->store);
	ev_timer_stop(m->loop, &m->batch_timer);
	m->batch_items = 0;
	while ((ch = TAILQ_FIRST(&m->dirty)) != NULL) {
		commit_forget(m, ch);
		link_chan_close(ch, GW_R_STORE, text);
		n++;
	}
	/* A database's message may span lines (PostgreSQL's DETAIL). */
	log_errx("event=store_failed detail=\"%s\" channels_closed=%u",
	    log_esc(ed, sizeof(ed), text, LOG_ESC_STR, 0), n);
}

static void
commit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	commit_now(w->data);
}

/** commit_init(m): set up the batch timer. */
void
commit_init(struct mgmt *m)
{
	TAILQ_INIT(&m->dirty);
	ev_timer_init(&m->batch_timer, commit_timer_cb, 0., 0.);
	m->batch_timer.data = m;
}

/* Answer OPEN with the highest durable seq of the channel's agent. */
static void
commit_answer_open(struct mgmt *m, struct mchan *ch)
{
	uint64_t last = 0;

	if (store_last_seq(m->store, ch->agent, &last) != 0) {
		char text[200], ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

		snprintf(text, sizeof(text), "store: %s",
		    store_errmsg(m->store));
		log_errx("event=store_failed agent=%s detail=\"%s\"",
		    log_esc(ea, sizeof(ea), ch->agent, LOG_ESC_STR,
		    LOG_ESC_BARE), log_esc(ed, sizeof(ed), text, LOG_ESC_STR,
		    0));
		link_chan_close(ch, GW_R_STORE, text);
		return;
	}
	link_open_ack(ch, last);
}

/**
 * commit_open(m, ch): ${ch} was opened: answer OPEN_ACK now, or after the
 * open transaction commits (its last_seq must count only durable rows).
 */
void
commit_open(struct mgmt *m, struct mchan *ch)
{
	if (!store_in_txn(m->store)) {
		commit_answer_open(m, ch);
		return;
	}
	commit_dirty(m, ch);
	commit_count(m);
}

/**
 * commit_data(m, ch, seq, body, len): store one DATA of ${ch} in the open
 * batch; its ACK follows the commit.  Return 0, or -1 if the store failed
 * (the batch was rolled back and its channels closed).
 */
int
commit_data(struct mgmt *m, struct mchan *ch, uint64_t seq,
    const uint8_t *body, uint32_t len)
{
	struct store_row r = {
		.agent = ch->agent,
		.seq = seq,
		.gateway = link_gateway_name(ch->link),
		.fingerprint = ch->fp_hex,
		.received_ms = (int64_t)(ev_now(m->loop) * 1000.),
		.payload = body,
		.len = len,
	};

	/* Dirty first: a failure below must close this channel too. */
	commit_dirty(m, ch);
	if (store_put(m->store, &r) != 0) {
		commit_fail(m, "insert");
		return -1;
	}
	ch->last_seq = seq;
	commit_count(m);
	return 0;
}

/** commit_now(m): commit the open batch and send what it owes. */
void
commit_now(struct mgmt *m)
{
	struct mchan *ch;

	ev_timer_stop(m->loop, &m->batch_timer);
	if (store_in_txn(m->store)) {
		uint64_t stored, dups;

		if (store_commit(m->store, &stored, &dups) != 0) {
			commit_fail(m, "commit");
			return;
		}
		m->commits++;
		m->stored += stored;
		m->duplicates += dups;
	}
	m->batch_items = 0;
	while ((ch = TAILQ_FIRST(&m->dirty)) != NULL) {
		commit_forget(m, ch);
		if (ch->state == MCHAN_OPENING) {
			commit_answer_open(m, ch);
		} else {
			ch->durable = ch->last_seq;
			link_ack(ch);
		}
	}
}
