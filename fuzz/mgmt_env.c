/*
 * mgmt_env.c: conn.h and authority_proc.h for fuzz_mgmt (see mgmt_env.h):
 * gateway connections without sockets or TLS that keep the real conn's
 * contract and play the gateway's side, a signing authority that answers
 * when told, and the store's fault hooks and committed view.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "authority_proc.h"
#include "conn.h"
#include "fuzz.h"
#include "identity.h"
#include "mgmt_env.h"
#include "store.h"

#define MG_CHANS	64	/* channels remembered per link */
#define MG_SEQS		64	/* DATA remembered per channel */
#define MG_SENT		4096	/* DATA remembered in all */
#define MG_NAMES	16	/* agent names */
#define MG_REFS		16	/* ENROLL refs waiting per link */
#define MG_QUEUE	65536	/* frames a paused link has not read */
#define MG_HELD		8	/* enrollment requests held */
#define MG_ENC_MAX	(GW_HDR_LEN + 70000u)

/* A channel as the gateway sees it. */
struct mg_chan {
	uint32_t	 id;
	int		 name;		/* index in names[]; -1: bad identity */
	int		 opened;	/* OPEN_ACK received */
	int		 closed;	/* 1: CLOSE received, 2: CLOSE sent */
	int		 stalled;	/* a frame to it waited for room */
	uint64_t	 open_seq;	/* OPEN_ACK's last_seq */
	uint64_t	 acked;		/* newest ACK (or open_seq) */
	uint64_t	 hi;		/* highest DATA read (or open_seq) */
	uint64_t	 qhi;		/* highest DATA sent, read or waiting */
	uint64_t	 seqs[MG_SEQS];	/* DATA sent since OPEN_ACK */
	unsigned	 nseq;
};

struct conn {
	int			 live;
	enum conn_state		 state;
	int			 timer_armed;
	const struct conn_ops	*ops;
	void			*arg;
	struct conn		**slot;
	unsigned		 slotno;
	int			 busy;		/* our callbacks on the stack */
	size_t			 room;		/* SIZE_MAX: any; 0: full */
	int			 want_writable;
	size_t			 out_cap, max_payload;
	const mbedtls_x509_crt	*peer_crt;
	int			 paused;	/* on_frame said CONN_PAUSE */
	int			 resumed;	/* conn_resume: loop reads */
	uint8_t			 q[MG_QUEUE];	/* frames not read yet */
	size_t			 qlen;
	int			 hello_acks;
	uint32_t		 max_chan;	/* highest OPEN read */
	struct mg_chan		 ch[MG_CHANS];
	unsigned		 nch;
	int			 ch_overflow;	/* stop checking channels */
	uint32_t		 refs[MG_REFS];	/* ENROLL refs not answered */
	unsigned		 nref;
	int			 ref_overflow;
};

/* A row as the checks keep it. */
struct mg_row {
	int64_t		 id;
	int		 name;
	uint64_t	 seq;
	uint32_t	 hash;
};

static const mbedtls_x509_crt *crts[MGMT_CRTS];
static struct conn *links[MGMT_LINKS];
static unsigned live;

/* The step: who acts (mgmt_step), and whether the store failed in it. */
static int actor = -1, teardown;
static uint32_t actor_chan;
static unsigned faults, step_faults;
static unsigned fault_mode;

/* Agent names, and every DATA the gateways sent: (name, seq, payload). */
static char names[MG_NAMES][ID_NAME_MAX];
static unsigned nnames;
static int names_full;
static struct mg_row sent[MG_SENT];
static unsigned nsent;
static int sent_full;

/* The store: its connection (faults), a reader, what each one saw. */
static sqlite3 *store_db, *reader;
static sqlite3_stmt *rd_new, *rd_count, *rd_has, *rd_max;
static int capturing;
static struct mg_row durable[MG_SENT], pending[MG_SENT], scanned[MG_SENT];
static unsigned ndurable, npending, nscanned;
static int64_t durable_id;		/* highest committed id */
static int rows_full;

/* The signer's requests waiting for MGMT_ANSWER. */
struct authority_proc {
	int	 open;
};
static struct {
	authority_cb	 cb;
	void		*arg;
} held[MG_HELD];
static int auth_now;

static uint32_t
mg_hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static int
mg_name(const char *name, int add)
{
	for (unsigned i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	if (!add || nnames == MG_NAMES) {
		names_full |= add;
		return -1;
	}
	snprintf(names[nnames], sizeof(names[0]), "%s", name);
	return (int)nnames++;
}

/* SQLite: find the store's connection, refuse on command. */

static int
mg_capture(sqlite3 *db, char **err, const void *api)
{
	(void)err;
	(void)api;
	if (capturing) {
		store_db = db;
		capturing = 0;
	}
	return SQLITE_OK;
}

static void
mg_refuse_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	if (fault_mode == 1)
		faults++;
	sqlite3_result_int(ctx, fault_mode == 1);
}

static int
mg_commit_hook(void *arg)
{
	(void)arg;
	if (fault_mode != 2)
		return 0;
	fault_mode = 0;
	faults++;
	return 1;		/* the COMMIT becomes a ROLLBACK */
}

void
mgmt_env_init(const void *const c[MGMT_CRTS])
{
	for (unsigned i = 0; i < MGMT_CRTS; i++)
		crts[i] = c[i];
	if (sqlite3_auto_extension((void (*)(void))mg_capture) != SQLITE_OK)
		abort();
}

int
mgmt_env_store(struct store **s, const char *path, char *err,
    size_t errlen)
{
	struct store_conf sc = { .type = STORE_SQLITE, .path = path };

	store_db = NULL;
	capturing = 1;
	*s = store_open(&sc, 0, err, errlen);
	capturing = 0;
	if (*s == NULL)
		return -1;
	if (store_db == NULL ||
	    sqlite3_create_function(store_db, "fuzz_refuse", 0, SQLITE_UTF8,
	    NULL, mg_refuse_fn, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(store_db, "CREATE TEMP TRIGGER fuzz_refuse BEFORE "
	    "INSERT ON main.messages WHEN fuzz_refuse() BEGIN "
	    "SELECT RAISE(ABORT, 'fuzz: insert refused'); END", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT id, agent, seq, payload FROM "
	    "messages WHERE id > ? ORDER BY id", -1, &rd_new, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT count(*) FROM messages", -1,
	    &rd_count, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT 1 FROM messages WHERE agent = ? "
	    "AND seq = ?", -1, &rd_has, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(reader, "SELECT max(seq) FROM messages WHERE "
	    "agent = ?", -1, &rd_max, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, reader != NULL ?
		    sqlite3_errmsg(reader) : store_db != NULL ?
		    sqlite3_errmsg(store_db) : "no connection");
		return -1;
	}
	sqlite3_commit_hook(store_db, mg_commit_hook, NULL);
	return 0;
}

void
mgmt_env_reset(void)
{
	FUZZ_CHECK(live == 0);
	memset(links, 0, sizeof(links));
	memset(held, 0, sizeof(held));
	actor = -1;
	teardown = 0;
	actor_chan = 0;
	faults = step_faults = fault_mode = 0;
	nnames = nsent = ndurable = npending = 0;
	names_full = sent_full = rows_full = 0;
	durable_id = 0;
	auth_now = 0;
}

void
mgmt_env_done(void)
{
	for (unsigned i = 0; i < MG_HELD; i++)
		FUZZ_CHECK(held[i].cb == NULL);	/* signer_free cancelled */
	sqlite3_finalize(rd_new);
	sqlite3_finalize(rd_count);
	sqlite3_finalize(rd_has);
	sqlite3_finalize(rd_max);
	sqlite3_close(reader);
	rd_new = rd_count = rd_has = rd_max = NULL;
	reader = store_db = NULL;
}

struct conn *
mgmt_link(unsigned i)
{
	return links[i % MGMT_LINKS];
}

unsigned
mgmt_live(void)
{
	return live;
}

void
mgmt_fault(unsigned mode)
{
	fault_mode = mode % 3;
}

void
mgmt_auth_now(int now)
{
	auth_now = now;
}

void
mgmt_step(int who, uint32_t chan)
{
	teardown = who == -2;
	actor = who;
	actor_chan = chan;
	step_faults = faults;
}

/* The committed view (the reader). */

static int
mg_durable_has(int name, uint64_t seq)
{
	int rc;

	sqlite3_bind_text(rd_has, 1, names[name], -1, SQLITE_STATIC);
	sqlite3_bind_int64(rd_has, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(rd_has);
	sqlite3_reset(rd_has);
	FUZZ_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE);
	return rc == SQLITE_ROW;
}

static uint64_t
mg_durable_max(int name)
{
	uint64_t max = 0;
	int rc;

	sqlite3_bind_text(rd_max, 1, names[name], -1, SQLITE_STATIC);
	rc = sqlite3_step(rd_max);
	FUZZ_CHECK(rc == SQLITE_ROW);
	max = (uint64_t)sqlite3_column_int64(rd_max, 0);
	sqlite3_reset(rd_max);
	return max;
}

static int
mg_scanned(const struct store_row *r, void *arg)
{
	(void)arg;
	if (nscanned == MG_SENT) {
		rows_full = 1;
		return 1;
	}
	scanned[nscanned].id = r->id;
	scanned[nscanned].name = mg_name(r->agent, 0);
	scanned[nscanned].seq = r->seq;
	scanned[nscanned].hash = mg_hash(r->payload, r->len);
	nscanned++;
	return 0;
}

/* Did some channel send ${r}: its agent, seq and payload? */
static int
mg_was_sent(const struct mg_row *r)
{
	if (sent_full || names_full)
		return 1;
	for (unsigned i = 0; i < nsent; i++)
		if (sent[i].name == r->name && sent[i].seq == r->seq &&
		    sent[i].hash == r->hash)
			return 1;
	return 0;
}

/* Did the actor of this step send (name, seq) on its channel? */
static int
mg_actor_sent(int name, uint64_t seq)
{
	struct conn *c;

	if (actor < 0 || (c = links[actor]) == NULL)
		return 0;
	if (c->ch_overflow)
		return 1;		/* cannot tell */
	for (unsigned i = 0; i < c->nch; i++) {
		const struct mg_chan *ch = &c->ch[i];

		if (ch->id != actor_chan || ch->name != name)
			continue;
		if (ch->nseq == MG_SEQS)
			return 1;
		for (unsigned k = 0; k < ch->nseq; k++)
			if (ch->seqs[k] == seq)
				return 1;
	}
	return 0;
}

/* Is (name, seq) of ${p} among rows[from, to)? */
static int
mg_row_in(const struct mg_row *p, const struct mg_row *rows, unsigned from,
    unsigned to)
{
	for (unsigned i = from; i < to; i++)
		if (rows[i].name == p->name && rows[i].seq == p->seq)
			return 1;
	return 0;
}

void
mgmt_check(struct store *s)
{
	unsigned i, was = ndurable;
	int64_t count;
	int rc;

	if (rows_full)
		return;
	/* Committed rows are never lost; new ones were sent. */
	rc = sqlite3_step(rd_count);
	FUZZ_CHECK(rc == SQLITE_ROW);
	count = sqlite3_column_int64(rd_count, 0);
	sqlite3_reset(rd_count);
	sqlite3_bind_int64(rd_new, 1, durable_id);
	while ((rc = sqlite3_step(rd_new)) == SQLITE_ROW) {
		struct mg_row r;

		if (ndurable == MG_SENT) {
			rows_full = 1;
			break;
		}
		r.id = sqlite3_column_int64(rd_new, 0);
		r.name = mg_name((const char *)sqlite3_column_text(rd_new, 1),
		    0);
		r.seq = (uint64_t)sqlite3_column_int64(rd_new, 2);
		r.hash = mg_hash(sqlite3_column_blob(rd_new, 3),
		    (size_t)sqlite3_column_bytes(rd_new, 3));
		FUZZ_CHECK(r.name >= 0 || names_full);
		FUZZ_CHECK(mg_was_sent(&r));
		durable[ndurable++] = r;
		durable_id = r.id;
	}
	sqlite3_reset(rd_new);
	if (rows_full)
		return;
	FUZZ_CHECK(rc == SQLITE_DONE);
	FUZZ_CHECK(count == (int64_t)ndurable);

	/*
	 * The open batch (the store's own connection sees it): a row that
	 * was there and is gone was rolled back.  Only the store failing, or
	 * the channel that sent it, may cause that.
	 */
	nscanned = 0;
	FUZZ_CHECK(store_scan(s, durable_id, mg_scanned, NULL) >= 0);
	if (rows_full)
		return;
	for (i = 0; i < npending; i++) {
		const struct mg_row *p = &pending[i];

		/* Committed now, or still there (its id may change). */
		if (mg_row_in(p, durable, was, ndurable) ||
		    mg_row_in(p, scanned, 0, nscanned))
			continue;
		if (faults != step_faults || teardown || p->name < 0 ||
		    mg_actor_sent(p->name, p->seq))
			continue;
		fprintf(stderr, "fuzz_mgmt: row %s/%llu rolled back by what "
		    "link %d channel %u sent\n", names[p->name],
		    (unsigned long long)p->seq, actor, actor_chan);
		FUZZ_CHECK(!"a row rolled back for another channel");
	}
	for (i = 0; i < nscanned; i++)
		FUZZ_CHECK(scanned[i].name >= 0 || names_full);
	memcpy(pending, scanned, nscanned * sizeof(scanned[0]));
	npending = nscanned;
}

/* The fake conn. */

static struct conn *
mg_new(const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	struct conn *c;

	for (unsigned i = 0; i < MGMT_LINKS; i++) {
		if (links[i] != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		c->live = 1;
		c->state = CONN_HANDSHAKE;
		c->ops = ops;
		c->arg = arg;
		c->slot = &links[i];
		c->slotno = i;
		c->out_cap = p->out_cap;
		c->room = SIZE_MAX;
		c->max_payload = p->max_payload;
		FUZZ_CHECK(p->in_cap >= p->max_payload + GW_HDR_LEN);
		links[i] = c;
		live++;
		return c;
	}
	errno = ENOBUFS;
	return NULL;
}

/*
 * As conn.c, a closed conn (and its owner, ops->on_free) is freed only by
 * conn_reap, which the harness calls between operations, where the real
 * loop does (before it waits): here, only check the contract.
 */
static void
mg_release(struct conn *c)
{
	FUZZ_CHECK(c->busy >= 0);
}

void
conn_reap(void)
{
	for (unsigned i = 0; i < MGMT_LINKS; i++) {
		struct conn *c = links[i];

		if (c == NULL || c->state != CONN_CLOSED)
			continue;
		FUZZ_CHECK(c->busy == 0);
		if (c->ops->on_free != NULL)
			c->ops->on_free(c->arg);
		*c->slot = NULL;
		c->live = 0;
		live--;
		free(c);
	}
}

static struct mg_chan *
mg_chan(struct conn *c, uint32_t id)
{
	for (unsigned i = 0; i < c->nch; i++)
		if (c->ch[i].id == id)
			return &c->ch[i];
	return NULL;
}

/*
 * Did the actor, on another gateway, open a newer channel of ${ch}'s own
 * agent?  Then CLOSE superseded of ${ch} (on ${c}) is that agent's own
 * doing (one channel per agent), not another's.  Within one gateway (the
 * same certificate) an OPEN never supersedes: the older channel may be
 * the newer one, read late from another connection.
 */
static int
mg_same_agent(const struct conn *c, const struct mg_chan *ch,
    const struct gw_frame *f)
{
	const struct mg_chan *a;

	if (f->u.reason.code != GW_R_SUPERSEDED || actor < 0 ||
	    actor >= MGMT_LINKS || links[actor] == NULL || ch->name < 0 ||
	    links[actor]->peer_crt == c->peer_crt)
		return 0;
	a = mg_chan(links[actor], actor_chan);
	return a != NULL && a->name == ch->name;
}

/* A CLOSE from gw-mgmt: only for what this channel (or the store) did. */
static void
mg_check_close(struct conn *c, struct mg_chan *ch, const struct gw_frame *f)
{
	if (teardown || ch->stalled || faults != step_faults ||
	    ((unsigned)actor == c->slotno && actor_chan == ch->id) ||
	    mg_same_agent(c, ch, f))
		return;
	fprintf(stderr, "fuzz_mgmt: link %u channel %u closed (%s: %.*s) "
	    "by what link %d channel %u sent\n", c->slotno, ch->id,
	    gw_reason_str(f->u.reason.code), (int)f->u.reason.text.len,
	    (const char *)f->u.reason.text.p, actor, actor_chan);
	FUZZ_CHECK(!"a channel closed for another channel");
}

/* What gw-mgmt sends a gateway, as the gateway checks it. */
static void
mg_check_frame(struct conn *c, const struct gw_frame *f)
{
	struct mg_chan *ch;

	if (f->channel == 0) {
		switch (f->type) {
		case GW_T_HELLO_ACK:
			FUZZ_CHECK(++c->hello_acks == 1);
			return;
		case GW_T_PONG:
			return;
		case GW_T_ENROLL_RESULT:
			if (c->ref_overflow)
				return;
			for (unsigned i = 0; i < c->nref; i++)
				if (c->refs[i] == f->u.enroll_result.ref) {
					c->refs[i] = c->refs[--c->nref];
					return;
				}
			FUZZ_CHECK(!"ENROLL_RESULT for no ENROLL");
			return;
		default:
			FUZZ_CHECK(!"gw-mgmt sent an unexpected frame");
		}
	}
	if (c->ch_overflow)
		return;
	ch = mg_chan(c, f->channel);
	FUZZ_CHECK(ch != NULL);		/* one the gateway opened */
	FUZZ_CHECK(ch->closed == 0);		/* nothing after a CLOSE */
	switch (f->type) {
	case GW_T_OPEN_ACK:
		FUZZ_CHECK(!ch->opened && ch->name >= 0);
		/* The agent's highest durable seq (then, if it waited). */
		if (!names_full)
			FUZZ_CHECK(ch->stalled ?
			    f->u.ack.seq <= mg_durable_max(ch->name) :
			    f->u.ack.seq == mg_durable_max(ch->name));
		ch->opened = 1;
		ch->open_seq = ch->acked = ch->hi = f->u.ack.seq;
		break;
	case GW_T_ACK:
		/* Cumulative, increasing, not above what was sent... */
		FUZZ_CHECK(ch->opened);
		FUZZ_CHECK(f->u.ack.seq > ch->acked);
		FUZZ_CHECK(f->u.ack.seq <= ch->hi);
		/* ...and everything it covers is durable. */
		for (unsigned i = 0; i < ch->nseq && !names_full; i++)
			if (ch->seqs[i] > ch->open_seq &&
			    ch->seqs[i] <= f->u.ack.seq &&
			    !mg_durable_has(ch->name, ch->seqs[i])) {
				fprintf(stderr, "fuzz_mgmt: ACK %llu on link "
				    "%u channel %u: %s/%llu is not durable\n",
				    (unsigned long long)f->u.ack.seq,
				    c->slotno, ch->id, names[ch->name],
				    (unsigned long long)ch->seqs[i]);
				FUZZ_CHECK(!"ACK for a row not durable");
			}
		ch->acked = f->u.ack.seq;
		break;
	case GW_T_CLOSE:
		ch->closed = 1;
		break;
	default:
		FUZZ_CHECK(!"gw-mgmt sent an unexpected channel frame");
	}
}

int
conn_send(struct conn *c, const struct gw_frame *f)
{
	static uint8_t a[MG_ENC_MAX], b[MG_ENC_MAX];
	struct mg_chan *ch = NULL;
	struct gw_frame d;
	size_t used;
	int n, m;

	FUZZ_CHECK(c->live);
	if ((n = gw_frame_encode(a, sizeof(a), f)) < 0)
		return n;
	/* What gw-mgmt sends decodes, and re-encodes to the same bytes. */
	FUZZ_CHECK(gw_frame_decode(a, (size_t)n, GW_PAYLOAD_HARD_MAX, &d,
	    &used) == GW_OK && used == (size_t)n);
	m = gw_frame_encode(b, sizeof(b), &d);
	FUZZ_CHECK(m == n && memcmp(a, b, (size_t)n) == 0);
	if (d.channel != 0 && !c->ch_overflow)
		ch = mg_chan(c, d.channel);
	/* A CLOSE is decided when first tried: check who caused it then. */
	if (ch != NULL && d.type == GW_T_CLOSE && ch->closed == 0)
		mg_check_close(c, ch, &d);
	if (c->state == CONN_CLOSED || (size_t)n > c->room) {
		if (ch != NULL)
			ch->stalled = 1;
		c->want_writable = 1;
		return GW_ENOSPACE;
	}
	if (c->room != SIZE_MAX)
		c->room -= (size_t)n;
	mg_check_frame(c, &d);
	return 0;
}

void
conn_notify_writable(struct conn *c)
{
	FUZZ_CHECK(c->live);
	c->want_writable = 1;
}

size_t
conn_out_space(const struct conn *c)
{
	FUZZ_CHECK(c->live);
	if (c->state == CONN_CLOSED)
		return 0;
	return c->room < c->out_cap ? c->room : c->out_cap;
}

size_t
conn_out_pending(const struct conn *c)
{
	(void)c;
	return 0;
}

int
conn_input_pending(const struct conn *c)
{
	return c->qlen > 0;
}

void
conn_resume(struct conn *c)
{
	FUZZ_CHECK(c->live);
	if (c->state != CONN_OPEN || !c->paused)
		return;
	c->paused = 0;
	c->resumed = 1;		/* the loop reads, not this call */
}

void
conn_timer(struct conn *c, double seconds)
{
	FUZZ_CHECK(c->live);
	c->timer_armed = seconds > 0 && c->state != CONN_CLOSED;
}

void
conn_close(struct conn *c, unsigned reason, const char *detail)
{
	FUZZ_CHECK(c->live);
	if (c->state == CONN_CLOSED)
		return;
	/* A link closes for what came on it, or at the end. */
	if (!teardown && (unsigned)actor != c->slotno) {
		fprintf(stderr, "fuzz_mgmt: link %u closed (%s: %s) by what "
		    "link %d sent\n", c->slotno, gw_reason_str(reason), detail,
		    actor);
		FUZZ_CHECK(!"a link closed for another link");
	}
	c->state = CONN_CLOSED;
	c->timer_armed = 0;
	c->busy++;
	c->ops->on_close(c, reason, detail, c->arg);
	c->busy--;
	mg_release(c);
}

enum conn_state
conn_state(const struct conn *c)
{
	FUZZ_CHECK(c->live);
	return c->state;
}

const char *
conn_state_str(enum conn_state s)
{
	return s == CONN_OPEN ? "open" : "other";
}

const char *
conn_peer(const struct conn *c)
{
	(void)c;
	return "192.0.2.1:4000";
}

const mbedtls_x509_crt *
conn_peer_crt(const struct conn *c)
{
	FUZZ_CHECK(c->live);
	return c->state == CONN_OPEN ? c->peer_crt : NULL;
}

const uint8_t *
conn_peer_der(const struct conn *c, size_t *len)
{
	const mbedtls_x509_crt *crt = conn_peer_crt(c);

	*len = crt != NULL ? crt->raw.len : 0;
	return crt != NULL ? crt->raw.p : NULL;
}

const char *
conn_tls_info(const struct conn *c)
{
	(void)c;
	return "fuzz";
}

int
conn_resumed(const struct conn *c)
{
	(void)c;
	return 0;
}

void
conn_set_arg(struct conn *c, void *arg)
{
	c->arg = arg;
}

struct conn *
conn_accept(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)fd;
	(void)tc;
	return mg_new(p, ops, arg);
}

struct conn *
conn_connect(struct ev_loop *loop, const char *addr,
    const struct tls_conf *tc, const struct conn_params *p,
    const struct conn_ops *ops, void *arg)
{
	(void)loop;
	(void)addr;
	(void)tc;
	(void)p;
	(void)ops;
	(void)arg;
	FUZZ_CHECK(0);		/* gw-mgmt connects nowhere */
	return NULL;
}

/* The harness's side: the gateway and the socket. */

void
mgmt_open(struct conn *c, unsigned crt)
{
	int rc;

	if (c->state != CONN_HANDSHAKE)
		return;
	c->state = CONN_OPEN;
	c->peer_crt = crts[crt % MGMT_CRTS];
	c->busy++;
	rc = c->ops->on_open(c, c->arg);
	FUZZ_CHECK(rc == 0 || (rc == CONN_CLOSED_RC &&
	    c->state == CONN_CLOSED));
	c->busy--;
	mg_release(c);
}

/*
 * Before gw-mgmt reads frame ${f} on ${c}: note what the gateway sent
 * (an answer may come before on_frame returns).  Return a mark for
 * mg_unsent, should gw-mgmt not take it (CONN_PAUSE).
 */
static unsigned
mg_sent(struct conn *c, const struct gw_frame *f)
{
	struct mg_chan *ch;
	struct id_info id;

	switch (f->type) {
	case GW_T_OPEN:
		if (f->channel <= c->max_chan || c->ch_overflow)
			return 0;
		if (c->nch == MG_CHANS) {
			c->ch_overflow = 1;
			return 0;
		}
		ch = &c->ch[c->nch++];
		memset(ch, 0, sizeof(*ch));
		ch->id = f->channel;
		ch->name = id_from_view(&f->u.open, &id) == 0 &&
		    id.name[0] != '\0' ? mg_name(id.name, 1) : -1;
		return 1;
	case GW_T_DATA:
		if (c->ch_overflow || (ch = mg_chan(c, f->channel)) == NULL ||
		    ch->name < 0)
			return 0;
		if (nsent < MG_SENT) {
			sent[nsent].name = ch->name;
			sent[nsent].seq = f->u.data.seq;
			sent[nsent].hash = mg_hash(f->u.data.body.p,
			    f->u.data.body.len);
			nsent++;
		} else
			sent_full = 1;
		if (!ch->opened || ch->closed)
			return 2;
		if (ch->nseq < MG_SEQS)
			ch->seqs[ch->nseq++] = f->u.data.seq;
		if (f->u.data.seq > ch->hi)
			ch->hi = f->u.data.seq;
		return 2;
	case GW_T_ENROLL:
		if (c->nref == MG_REFS)
			c->ref_overflow = 1;
		else
			c->refs[c->nref++] = f->u.enroll.ref;
		return 3;
	default:
		return 0;
	}
}

/* gw-mgmt did not take ${f} (CONN_PAUSE): undo mg_sent. */
static void
mg_unsent(struct conn *c, const struct gw_frame *f, unsigned mark,
    const struct mg_chan *before)
{
	struct mg_chan *ch;

	if (mark == 1)
		c->nch--;
	else if (mark == 2) {
		if (nsent > 0 && !sent_full)
			nsent--;
		if ((ch = mg_chan(c, f->channel)) != NULL)
			*ch = *before;
	} else if (mark == 3 && !c->ref_overflow)
		c->nref--;
}

/* Hand frame ${buf} (whole, valid) to gw-mgmt; 0, or -1 if it paused. */
static int
mg_deliver(struct conn *c, const uint8_t *buf, size_t len)
{
	struct mg_chan before, *ch;
	struct gw_frame f;
	unsigned mark;
	size_t used;
	int rc;

	FUZZ_CHECK(gw_frame_decode(buf, len, c->max_payload, &f, &used) ==
	    GW_OK && used == len);
	memset(&before, 0, sizeof(before));
	if (f.channel != 0 && !c->ch_overflow &&
	    (ch = mg_chan(c, f.channel)) != NULL)
		before = *ch;
	mark = mg_sent(c, &f);
	c->busy++;
	rc = c->ops->on_frame(c, &f, c->arg);
	FUZZ_CHECK(rc == CONN_OK || rc == CONN_PAUSE ||
	    (rc == CONN_CLOSED_RC && c->state == CONN_CLOSED));
	if (rc == CONN_PAUSE) {
		FUZZ_CHECK(c->state == CONN_OPEN);
		mg_unsent(c, &f, mark, &before);
		c->paused = 1;
	} else if (f.type == GW_T_OPEN && f.channel > c->max_chan)
		c->max_chan = f.channel;
	else if (f.type == GW_T_CLOSE && !c->ch_overflow &&
	    (ch = mg_chan(c, f.channel)) != NULL && ch->closed == 0)
		ch->closed = 2;
	c->busy--;
	return rc == CONN_PAUSE ? -1 : 0;
}

/* A frame from the gateway: read now, or queued behind a pause. */
static void
mg_frame_bytes(struct conn *c, const uint8_t *buf, size_t len)
{
	if (c->state != CONN_OPEN)
		return;
	if (!c->paused && c->qlen == 0) {
		if (mg_deliver(c, buf, len) == 0) {
			mg_release(c);
			return;
		}
	}
	/* Not read: it waits (the socket's buffer), if there is room. */
	if (c->state == CONN_OPEN && len <= sizeof(c->q) - c->qlen) {
		memcpy(c->q + c->qlen, buf, len);
		c->qlen += len;
	}
}

void
mgmt_send(struct conn *c, const struct gw_frame *f)
{
	static uint8_t buf[MG_ENC_MAX];
	struct mg_chan *ch;
	int n;

	if ((n = gw_frame_encode(buf, sizeof(buf), f)) < 0)
		return;
	if (f->type == GW_T_DATA && c->state == CONN_OPEN &&
	    !c->ch_overflow && (ch = mg_chan(c, f->channel)) != NULL &&
	    f->u.data.seq > ch->qhi)
		ch->qhi = f->u.data.seq;
	mg_frame_bytes(c, buf, (size_t)n);
}

size_t
mgmt_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f;
	size_t used;
	int rc;

	rc = gw_frame_decode(buf, len, c->max_payload, &f, &used);
	if (rc == GW_ENEED)
		return 0;
	if (rc != GW_OK) {
		/* As conn.c: this link alone closes. */
		if (c->state == CONN_OPEN)
			conn_close(c, rc == GW_PERR_LEN_TOO_BIG ?
			    GW_R_TOO_BIG : GW_R_PROTOCOL, "bad frame");
		return len < GW_HDR_LEN ? len : GW_HDR_LEN;
	}
	actor_chan = f.channel;
	mg_frame_bytes(c, buf, used);
	return used;
}

void
mgmt_loop(void (*check)(void))
{
	static uint8_t buf[MG_ENC_MAX];

	for (unsigned i = 0; i < MGMT_LINKS; i++) {
		struct conn *c = links[i];
		struct gw_frame f;
		size_t used;

		if (c == NULL || !c->resumed)
			continue;
		c->resumed = 0;
		while (c->state == CONN_OPEN && !c->paused && c->qlen > 0) {
			FUZZ_CHECK(gw_frame_decode(c->q, c->qlen,
			    c->max_payload, &f, &used) == GW_OK);
			memcpy(buf, c->q, used);
			memmove(c->q, c->q + used, c->qlen - used);
			c->qlen -= used;
			mgmt_step((int)i, f.channel);
			if (mg_deliver(c, buf, used) != 0) {
				/* Paused again: back to the head. */
				memmove(c->q + used, c->q, c->qlen);
				memcpy(c->q, buf, used);
				c->qlen += used;
			}
			check();
		}
		mg_release(c);
	}
}

void
mgmt_full(struct conn *c, unsigned sel)
{
	if (c->state != CONN_OPEN)
		return;
	if (c->room != 0) {
		c->room = 0;
		return;
	}
	/* Drained: all of it, or just a little (it may fill up again). */
	c->room = sel & 32 ? SIZE_MAX : ((sel & 31) + 1) * 64;
	if (!c->want_writable || c->ops->on_writable == NULL)
		return;
	c->want_writable = 0;
	c->busy++;
	c->ops->on_writable(c, c->arg);
	c->busy--;
	mg_release(c);
}

void
mgmt_timer(struct conn *c)
{
	if (!c->timer_armed || c->state == CONN_CLOSED)
		return;
	c->timer_armed = 0;
	c->busy++;
	if (c->ops->on_timeout != NULL)
		c->ops->on_timeout(c, c->arg);
	else
		conn_close(c, GW_R_TIMEOUT, "timeout");
	c->busy--;
	mg_release(c);
}

void
mgmt_eof(struct conn *c)
{
	conn_close(c, GW_R_PEER_CLOSED, "peer closed");
}

int
mgmt_chan_pick(struct conn *c, unsigned sel, uint32_t *id, uint64_t *hi)
{
	const struct mg_chan *ch;

	if (c->nch == 0)
		return -1;
	ch = &c->ch[sel % c->nch];
	*id = ch->id;
	*hi = ch->hi > ch->qhi ? ch->hi : ch->qhi;
	return 0;
}

uint32_t
mgmt_max_chan(struct conn *c)
{
	return c->max_chan;
}

/* authority_proc.h: requests wait here until the harness answers them. */

struct authority_proc *
authority_proc_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct authority_proc *a;

	(void)p;
	(void)user;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->open = 1;
	return a;
}

void
authority_proc_close(struct authority_proc *a)
{
	if (a == NULL)
		return;
	FUZZ_CHECK(a->open);
	free(a);
}

void
authority_proc_submit(struct authority_proc *a,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	struct authority_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	FUZZ_CHECK(a->open);
	FUZZ_CHECK(req->token != NULL && req->request_id != NULL &&
	    req->source != NULL && req->via != NULL && req->via[0] != '\0');
	snprintf(r.message, sizeof(r.message), "fuzz: at once");
	for (unsigned i = 0; !auth_now && i < MG_HELD; i++)
		if (held[i].cb == NULL) {
			held[i].cb = cb;
			held[i].arg = arg;
			return;
		}
	cb(&r, arg);		/* as without a hook: before returning */
}

void
authority_proc_cancel(struct authority_proc *a, void *arg)
{
	FUZZ_CHECK(a->open);
	for (unsigned i = 0; i < MG_HELD; i++)
		if (held[i].arg == arg)
			held[i].cb = NULL, held[i].arg = NULL;
}

void
mgmt_answer(unsigned status)
{
	struct authority_result r = { .status = status % 3,
	    .reason = GW_R_DENIED, .retry_after = 5,
	    .request_id = "0123456789abcdef0123456789abcdef",
	    .chain = "-----BEGIN CERTIFICATE-----\n" };

	snprintf(r.message, sizeof(r.message), "fuzz: answered");
	for (unsigned i = 0; i < MG_HELD; i++)
		if (held[i].cb != NULL) {
			authority_cb cb = held[i].cb;
			void *arg = held[i].arg;

			held[i].cb = NULL;
			held[i].arg = NULL;
			cb(&r, arg);
			return;
		}
}

/* As authority.c's (the rest of which is not linked). */
void
authority_result_view(const struct authority_result *res, uint32_t ref,
    struct gw_enroll_result *out)
{
	memset(out, 0, sizeof(*out));
	out->ref = ref;
	out->status = (uint16_t)res->status;
	out->reason = (uint16_t)res->reason;
	out->retry_after = res->retry_after;
	out->request_id.p = (const uint8_t *)res->request_id;
	out->request_id.len = (uint16_t)strlen(res->request_id);
	out->message.p = (const uint8_t *)res->message;
	out->message.len = (uint16_t)strlen(res->message);
	if (res->chain != NULL) {
		out->chain.p = (const uint8_t *)res->chain;
		out->chain.len = (uint16_t)strnlen(res->chain, 65535);
	}
}
