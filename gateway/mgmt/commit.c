/*
 * commit.c: group commit.  DATA rows join one batch; the batch is written
 * in one transaction when batch_max rows (and OPENs) are waiting,
 * COMMIT_BYTES_MAX bytes of payload, or batch_delay has passed since the
 * first, whichever comes first, and only then are the ACKs (and deferred
 * OPEN_ACKs) sent: one sync per batch, never one per message, and never an
 * ACK for a row that is not durable.
 *
 * One channel's row cannot fail the batch.  A row is checked before it
 * joins (store_check); if the store refuses one all the same (a
 * constraint, a trigger), the transaction is rolled back, the batch is
 * written again without that channel's rows, and only that channel is
 * closed.  Only a failure of the store itself (I/O, connection, disk
 * full) closes every channel of the batch.  So the batch's rows are kept
 * in memory until their commit: a PostgreSQL pipeline stops at its first
 * error, so a SAVEPOINT per row would cost a round trip per row (and each
 * is a subtransaction, which PostgreSQL tracks cheaply only up to 64 per
 * transaction); a copy costs the same on both stores.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commit.h"
#include "log.h"
#include "mgmt.h"
#include "proto.h"

#define COMMIT_BYTES_MAX	(32u * 1024 * 1024)	/* payload in a batch */

/* One DATA of the batch, written at its commit (again, after a refusal). */
struct commit_row {
	struct commit_chan *ch;		/* NULL once the channel is gone */
	uint64_t	 gone;		/* then: which gone channel it was */
	uint64_t	 seq;
	int64_t		 received_ms;
	double		 t;		/* read (ev_now): the metrics' */
	size_t		 len;
	char		 agent[ID_NAME_MAX];
	char		 issuer[ID_DN_MAX];
	char		 gateway[ID_NAME_MAX];
	char		 fp_hex[2 * GW_FINGERPRINT_LEN + 1];
	uint8_t		 payload[];
};

static const char *
commit_state_str(enum commit_chan_state s)
{
	static const char *const names[] = { "idle", "open-owed", "ack-owed" };

	return (unsigned)s < 3 ? names[s] : "?";
}

/*
 * The only writer of a channel's commit state: a channel owed something
 * is on m->commit->dirty, in the order it came to owe it.
 */
static void
commit_set_state(struct mgmt *m, struct commit_chan *ch,
    enum commit_chan_state s)
{
	if ((s == COMMIT_IDLE) == (ch->state == COMMIT_IDLE) &&
	    s != ch->state) {
		log_errx("event=bug detail=\"commit state %s to %s\"",
		    commit_state_str(ch->state), commit_state_str(s));
		abort();
	}
	if (ch->state == COMMIT_IDLE && s != COMMIT_IDLE)
		TAILQ_INSERT_TAIL(&m->commit->dirty, ch, dirty_entry);
	else if (ch->state != COMMIT_IDLE && s == COMMIT_IDLE)
		TAILQ_REMOVE(&m->commit->dirty, ch, dirty_entry);
	ch->state = s;
}

/**
 * commit_forget(m, ch): ${ch} is going away: owe it nothing.  Its rows
 * in the batch are still written (unacknowledged, so its agent resends
 * them; the store keeps one copy).
 */
void
commit_forget(struct mgmt *m, struct commit_chan *ch)
{
	if (ch->state == COMMIT_IDLE)
		return;
	commit_set_state(m, ch, COMMIT_IDLE);
	m->commit->gone_mark++;
	for (uint32_t i = 0; i < m->commit->nrows; i++)
		if (m->commit->rows[i]->ch == ch) {
			m->commit->rows[i]->ch = NULL;
			m->commit->rows[i]->gone = m->commit->gone_mark;
		}
}

/* Forget the batch's rows. */
static void
commit_rows_free(struct commit *c)
{
	for (uint32_t i = 0; i < c->nrows; i++)
		free(c->rows[i]);
	free(c->rows);
	c->rows = NULL;
	c->nrows = 0;
	c->batch_bytes = 0;
}

/* Drop from the batch every row of the channel (or gone one) of ${row}. */
static void
commit_rows_drop(struct mgmt *m, const struct commit_row *row)
{
	struct commit_chan *ch = row->ch;
	uint64_t gone = row->gone;
	uint32_t i, n = 0;

	for (i = 0; i < m->commit->nrows; i++) {
		struct commit_row *r = m->commit->rows[i];

		if (r->ch == ch && (ch != NULL || r->gone == gone)) {
			m->commit->batch_bytes -= r->len;
			free(r);
		} else
			m->commit->rows[n++] = r;
	}
	m->commit->nrows = n;
}

/* Text from the store, fit to log between quotes and to send. */
static void
commit_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\')
			*s = '?';
}

/* One more item in the batch: commit when full, else arm the timer. */
static void
commit_count(struct mgmt *m)
{
	if (++m->commit->batch_items >= m->cfg->batch_max ||
	    m->commit->batch_bytes >= COMMIT_BYTES_MAX)
		commit_now(m);
	else if (!ev_is_active(&m->commit->batch_timer)) {
		ev_timer_set(&m->commit->batch_timer, m->cfg->batch_delay, 0.);
		ev_timer_start(m->loop, &m->commit->batch_timer);
	}
}

/* The store failed: roll back and close every channel the batch owed. */
static void
commit_fail(struct mgmt *m)
{
	struct commit_chan *ch;
	char text[200], ed[LOG_ESC_MAX];
	unsigned n = 0;

	m->commit->st.store_errors++;
	snprintf(text, sizeof(text), "store failed: %s",
	    store_errmsg(m->store));
	commit_clean(text);
	store_rollback(m->store);
	ev_timer_stop(m->loop, &m->commit->batch_timer);
	m->commit->batch_items = 0;
	commit_rows_free(m->commit);
	while ((ch = TAILQ_FIRST(&m->commit->dirty)) != NULL) {
		commit_forget(m, ch);
		m->commit->ops->close(ch, GW_R_STORE, text);
		n++;
	}
	/* A database's message may span lines (PostgreSQL's DETAIL). */
	log_errx("event=store_failed detail=\"%s\" channels_closed=%u",
	    log_esc(ed, sizeof(ed), text, LOG_ESC_STR, 0), n);
}

/*
 * The write of the batch failed.  If the store refused one row, roll
 * back, drop that channel's rows and close that channel alone: return 0,
 * the rest is written again.  Else return -1: the store itself failed.
 */
static int
commit_refused(struct mgmt *m)
{
	long i = store_refused(m->store);
	struct commit_row *row;
	struct commit_chan *ch;
	char text[200];

	if (i < 0 || (uint64_t)i >= m->commit->nrows)
		return -1;
	row = m->commit->rows[i];
	m->commit->st.store_errors++;
	snprintf(text, sizeof(text), "store refused seq %llu: %s",
	    (unsigned long long)row->seq, store_errmsg(m->store));
	commit_clean(text);
	store_rollback(m->store);
	log_warnx("event=store_refused agent=%s gateway=%s seq=%llu "
	    "detail=\"%s\"", row->agent, row->gateway,
	    (unsigned long long)row->seq, text);
	ch = row->ch;
	commit_rows_drop(m, row);	/* frees row */
	if (ch != NULL) {
		commit_forget(m, ch);
		m->commit->ops->close(ch, GW_R_STORE, text);
	}
	return 0;
}

/* Write the batch in one transaction.  0, or -1 (see store_refused). */
static int
commit_write(struct mgmt *m)
{
	uint64_t stored, dups;

	for (uint32_t i = 0; i < m->commit->nrows; i++) {
		const struct commit_row *row = m->commit->rows[i];
		struct store_row r = {
			.issuer = row->issuer,
			.agent = row->agent,
			.seq = row->seq,
			.gateway = row->gateway,
			.fingerprint = row->fp_hex,
			.received_ms = row->received_ms,
			.payload = row->payload,
			.len = row->len,
		};

		if (store_put(m->store, &r) != 0)
			return -1;
	}
	if (store_commit(m->store, &stored, &dups) != 0)
		return -1;
	m->commit->commits++;
	m->commit->stored += stored;
	m->commit->duplicates += dups;
	return 0;
}

static void
commit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mgmt *m = w->data;

	(void)loop;
	(void)revents;
	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	commit_now(m);
}

/**
 * commit_chan_init(cc, issuer, agent, fp_hex, gateway): set up ${cc}, owed
 * nothing yet, for the agent ${issuer}, ${agent} of certificate
 * ${fp_hex} through gateway ${gateway} (all of which must live as long
 * as ${cc}).
 */
void
commit_chan_init(struct commit_chan *cc, const char *issuer,
    const char *agent, const char *fp_hex, const char *gateway)
{
	memset(cc, 0, sizeof(*cc));	/* COMMIT_IDLE */
	cc->issuer = issuer;
	cc->agent = agent;
	cc->fp_hex = fp_hex;
	cc->gateway = gateway;
}

/**
 * commit_new(m, ops): the commit's part of ${m}, for its owner to store in
 * m->commit, with its batch timer on m->loop; what the commit owes a
 * channel goes to ${ops}, which must outlive ${m}.  NULL if out of
 * memory.
 */
struct commit *
commit_new(struct mgmt *m, const struct commit_ops *ops)
{
	struct commit *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ops = ops;
	c->loop = m->loop;
	TAILQ_INIT(&c->dirty);
	ev_timer_init(&c->batch_timer, commit_timer_cb, 0., 0.);
	c->batch_timer.data = m;
	return c;
}

/**
 * commit_free(c): stop the batch timer of ${c}, drop the rows not
 * committed, free ${c}; NULL-safe.
 */
void
commit_free(struct commit *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->loop, &c->batch_timer);
	commit_rows_free(c);
	free(c);
}

/* Answer OPEN with the highest durable seq of the channel's agent. */
static void
commit_answer_open(struct mgmt *m, struct commit_chan *ch)
{
	uint64_t last = 0;

	if (store_last_seq(m->store, ch->issuer, ch->agent, &last) != 0) {
		char text[200], ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

		m->commit->st.store_errors++;
		snprintf(text, sizeof(text), "store: %s",
		    store_errmsg(m->store));
		commit_clean(text);
		log_errx("event=store_failed agent=%s detail=\"%s\"",
		    log_esc(ea, sizeof(ea), ch->agent, LOG_ESC_STR,
		    LOG_ESC_BARE), log_esc(ed, sizeof(ed), text, LOG_ESC_STR,
		    0));
		m->commit->ops->close(ch, GW_R_STORE, text);
		return;
	}
	ch->last_seq = ch->durable = last;
	m->commit->ops->open_ack(ch, last);
}

/**
 * commit_open(m, ch): ${ch} was opened: answer OPEN_ACK now, or after the
 * open batch commits (its last_seq must count only durable rows).
 */
void
commit_open(struct mgmt *m, struct commit_chan *ch)
{
	if (m->commit->nrows == 0) {
		commit_answer_open(m, ch);
		return;
	}
	commit_set_state(m, ch, COMMIT_OPEN_OWED);
	commit_count(m);
}

/**
 * commit_data(m, ch, seq, body, len): add one DATA of ${ch} to the open
 * batch; its ACK follows the commit.  Return 0, or -1 if the row cannot
 * join it (${ch} was closed).
 */
int
commit_data(struct mgmt *m, struct commit_chan *ch, uint64_t seq,
    const uint8_t *body, uint32_t len)
{
	struct store_row r = {
		.issuer = ch->issuer,
		.agent = ch->agent,
		.seq = seq,
		.gateway = ch->gateway,
		.fingerprint = ch->fp_hex,
		.received_ms = (int64_t)(ev_now(m->loop) * 1000.),
		.payload = body,
		.len = len,
	};
	struct commit_row *row;
	char text[200];

	/* What the store would refuse never joins the batch. */
	if (store_check(m->store, &r) != 0) {
		snprintf(text, sizeof(text), "store refuses %s",
		    store_errmsg(m->store));
		commit_clean(text);
		commit_forget(m, ch);
		m->commit->ops->close(ch, GW_R_STORE, text);
		return -1;
	}
	if ((m->commit->rows == NULL && (m->commit->rows =
	    calloc(m->cfg->batch_max, sizeof(*m->commit->rows))) == NULL) ||
	    (row = malloc(sizeof(*row) + len)) == NULL) {
		commit_forget(m, ch);
		m->commit->ops->close(ch, GW_R_INTERNAL, "out of memory");
		return -1;
	}
	row->ch = ch;
	row->gone = 0;
	row->seq = seq;
	row->received_ms = r.received_ms;
	row->t = ev_now(m->loop);
	row->len = len;
	snprintf(row->agent, sizeof(row->agent), "%s", r.agent);
	snprintf(row->issuer, sizeof(row->issuer), "%s", r.issuer);
	snprintf(row->gateway, sizeof(row->gateway), "%s", r.gateway);
	snprintf(row->fp_hex, sizeof(row->fp_hex), "%s", r.fingerprint);
	memcpy(row->payload, body, len);
	/* batch_items counts rows too: a full batch was committed. */
	assert(m->commit->nrows < m->cfg->batch_max);
	m->commit->rows[m->commit->nrows++] = row;
	m->commit->batch_bytes += len;
	if (ch->state == COMMIT_IDLE)
		commit_set_state(m, ch, COMMIT_ACK_OWED);
	ch->last_seq = seq;
	commit_count(m);
	return 0;
}

static const double lat_bounds[COMMIT_LAT_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5
};
static const unsigned rows_bounds[COMMIT_ROWS_BUCKETS] = {
	1, 4, 16, 64, 256, 1024, 4096, 16384
};

/**
 * commit_lat_bound(i): the upper bound, in seconds, of latency bucket ${i}
 * (below COMMIT_LAT_BUCKETS).
 */
double
commit_lat_bound(unsigned i)
{
	return lat_bounds[i];
}

/**
 * commit_rows_bound(i): the upper bound, in rows, of batch-size bucket ${i}
 * (below COMMIT_ROWS_BUCKETS).
 */
unsigned
commit_rows_bound(unsigned i)
{
	return rows_bounds[i];
}

static double
commit_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A batch of ${rows} took from ${t0} to now: count it. */
static void
commit_observe(struct commit *c, double t0, uint32_t rows)
{
	double dt = commit_clock() - t0;
	unsigned i;

	for (i = 0; i < COMMIT_LAT_BUCKETS && dt > lat_bounds[i]; i++)
		;
	if (i < COMMIT_LAT_BUCKETS)
		c->st.lat_le[i]++;
	c->st.lat_count++;
	c->st.lat_sum += dt;
	for (i = 0; i < COMMIT_ROWS_BUCKETS && rows > rows_bounds[i]; i++)
		;
	if (i < COMMIT_ROWS_BUCKETS)
		c->st.rows_le[i]++;
	c->st.rows_count++;
	c->st.rows_sum += rows;
}

/* The batch is durable: count each row from its read to now (ev_now's). */
static void
commit_observe_rows(struct mgmt *m)
{
	struct commit *c = m->commit;
	double now;

	if (c->nrows == 0)
		return;
	ev_now_update(m->loop);
	now = ev_now(m->loop);
	for (uint32_t i = 0; i < c->nrows; i++) {
		double dt = now > c->rows[i]->t ? now - c->rows[i]->t : 0;
		unsigned b = prom_lat_bucket(dt);

		if (b < PROM_LAT_BUCKETS)	/* above the last: the count */
			c->st.data_le[b]++;
		c->st.data_count++;
		c->st.data_sum += dt;
	}
}

/** commit_now(m): commit the open batch and send what it owes. */
void
commit_now(struct mgmt *m)
{
	struct commit_chan *ch;
	enum commit_chan_state was;
	uint32_t rows = m->commit->nrows;
	double t0 = commit_clock();

	ev_timer_stop(m->loop, &m->commit->batch_timer);
	/* Each refusal takes one channel's rows out: this ends. */
	while (m->commit->nrows > 0 && commit_write(m) != 0)
		if (commit_refused(m) != 0) {
			commit_fail(m);
			commit_observe(m->commit, t0, rows);
			return;
		}
	commit_observe_rows(m);
	commit_rows_free(m->commit);
	m->commit->batch_items = 0;
	while ((ch = TAILQ_FIRST(&m->commit->dirty)) != NULL) {
		was = ch->state;
		commit_forget(m, ch);
		if (was == COMMIT_OPEN_OWED) {
			commit_answer_open(m, ch);
		} else {
			ch->durable = ch->last_seq;
			m->commit->ops->ack(ch);
		}
	}
	if (rows > 0)
		commit_observe(m->commit, t0, rows);
}
