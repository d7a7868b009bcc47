/*
 * session_env.c: fuzz_session's world (see session_env.h): what the
 * gateway sends on the fake conns (fake_conn.c) checked as an agent or a
 * server would, and enroll.h, whose renewals wait for the harness.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "enroll.h"
#include "fake_conn.h"
#include "fuzz.h"
#include "session_env.h"

#define SESS_CHANS	256	/* channels tracked per link */
#define SESS_ENROLLS	8

/* A channel as the server sees it on one link. */
struct sess_chan {
	uint32_t	 id;
	int		 open;		/* OPENed, not CLOSEd */
	int		 answered;	/* OPEN_ACK delivered */
	uint64_t	 last_data;	/* newest DATA seq (0: none) */
	uint64_t	 acked;		/* newest ACK delivered */
};

/* What the environment keeps of each conn (fake_conn_data). */
struct sess_data {
	struct sess_conn_view	 v;
	struct sess_chan	 ch[SESS_CHANS];
	unsigned		 nch;
	int			 ch_overflow;	/* stop checking channels */
};

static void sess_sent(struct conn *, const struct gw_frame *, int);
static void sess_read(struct conn *, const struct gw_frame *, int);
static void sess_closing(struct conn *, unsigned, const char *);

static const struct fake_conn_env sess_env = {
	.accepts = SESS_AGENTS,
	.connects = SESS_LINKS,
	.data_size = sizeof(struct sess_data),
	.queue_cap = 0,			/* no gateway owner pauses */
	.sent = sess_sent,
	.read = sess_read,
	.closing = sess_closing,
};

static struct {
	enroll_cb	 cb;
	void		*arg;
} enrolls[SESS_ENROLLS];

void
sess_env_reset(void)
{
	fake_conn_reset(&sess_env);
	memset(enrolls, 0, sizeof(enrolls));
}

const struct sess_conn_view *
sess_view(const struct conn *c)
{
	const struct sess_data *d = fake_conn_data(c);

	return &d->v;
}

static struct sess_chan *
sess_chan(struct sess_data *d, uint32_t id)
{
	for (unsigned i = 0; i < d->nch; i++)
		if (d->ch[i].id == id)
			return &d->ch[i];
	return NULL;
}

/* What the gateway sends upstream: channels opened once, DATA in order. */
static void
sess_check_up(struct sess_data *d, const struct gw_frame *f)
{
	struct sess_chan *ch;

	if (f->channel == 0 || d->ch_overflow)
		return;
	ch = sess_chan(d, f->channel);
	switch (f->type) {
	case GW_T_OPEN:
		FUZZ_CHECK(ch == NULL);		/* ids never reused */
		if (d->nch == SESS_CHANS) {
			d->ch_overflow = 1;
			return;
		}
		ch = &d->ch[d->nch++];
		memset(ch, 0, sizeof(*ch));
		ch->id = f->channel;
		ch->open = 1;
		break;
	case GW_T_DATA:
		FUZZ_CHECK(ch != NULL && ch->open);
		FUZZ_CHECK(f->u.data.seq > ch->last_data);
		ch->last_data = f->u.data.seq;
		break;
	case GW_T_CLOSE:
		FUZZ_CHECK(ch != NULL && ch->open);
		ch->open = 0;
		break;
	default:
		FUZZ_CHECK(0);		/* nothing else has a channel */
	}
}

/* What the gateway sends an agent: credit counted, one HELLO_ACK. */
static void
sess_check_down(struct sess_data *d, const struct gw_frame *f)
{
	FUZZ_CHECK(f->channel == 0);
	FUZZ_CHECK(f->type != GW_T_OPEN && f->type != GW_T_DATA);
	if (f->type == GW_T_HELLO_ACK) {
		FUZZ_CHECK(!d->v.hello_acked);
		d->v.hello_acked = 1;
	} else if (f->type == GW_T_CREDIT) {
		FUZZ_CHECK(d->v.hello_acked);
		d->v.credit_granted += f->u.credit.n;
	}
}

/* fake_conn_env.sent: what the gateway sends, where it fits. */
static void
sess_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	if (!fits)
		return;
	if (fake_conn_is_accepted(c))
		sess_check_down(fake_conn_data(c), f);
	else
		sess_check_up(fake_conn_data(c), f);
}

/* fake_conn_env.read: DATA an agent's session took had credit. */
static void
sess_read(struct conn *c, const struct gw_frame *f, int rc)
{
	struct sess_data *d = fake_conn_data(c);

	(void)rc;
	if (fake_conn_is_accepted(c) && f->type == GW_T_DATA &&
	    conn_state(c) == CONN_OPEN) {
		d->v.data_taken++;
		FUZZ_CHECK(d->v.data_taken <= d->v.credit_granted);
	}
}

/* fake_conn_env.closing: no room is never a reason to close a link. */
static void
sess_closing(struct conn *c, unsigned reason, const char *detail)
{
	(void)detail;
	/* Control frames wait for room. */
	FUZZ_CHECK(fake_conn_is_accepted(c) || reason != GW_R_OVERLOAD);
}

void
sess_full(struct conn *c, unsigned sel)
{
	fake_conn_full(c, sel >= 63 ? SIZE_MAX : (sel + 1) * 64);
}

void
sess_link_channels(struct conn *c, int acks, uint64_t last_seq)
{
	struct sess_data *d = fake_conn_data(c);
	unsigned n = d->nch;

	for (unsigned i = 0; i < n && conn_state(c) == CONN_OPEN; i++) {
		struct sess_chan *ch = &d->ch[i];
		struct gw_frame f = { .channel = ch->id };

		if (!ch->open)
			continue;
		if (!acks && !ch->answered) {
			ch->answered = 1;
			f.type = GW_T_OPEN_ACK;
			f.u.ack.seq = last_seq;
		} else if (acks && ch->answered && ch->last_data > ch->acked) {
			ch->acked = ch->last_data;
			f.type = GW_T_ACK;
			f.u.ack.seq = ch->last_data;
		} else
			continue;
		fake_conn_frame(c, &f);
	}
}

/* enroll.h: renewals wait here until the harness answers them. */

void
enroll_submit(struct gw *gw, const struct gw_enroll *req, const char *name,
    enroll_cb cb, void *arg)
{
	struct gw_enroll_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	(void)gw;
	(void)name;
	FUZZ_CHECK(req->client_cert.len > 0 && req->token.len == 0);
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb == NULL) {
			enrolls[i].cb = cb;
			enrolls[i].arg = arg;
			return;
		}
	cb(&r, arg);		/* as enroll.c when its table is full */
}

void
enroll_cancel(struct gw *gw, void *arg)
{
	(void)gw;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].arg == arg)
			enrolls[i].cb = NULL, enrolls[i].arg = NULL;
}

void
sess_enroll_answer(unsigned status)
{
	static const uint8_t chain[] = "-----BEGIN CERTIFICATE-----\n";
	struct gw_enroll_result r = { .status = (uint16_t)(status % 3),
	    .reason = GW_R_DENIED, .retry_after = 5 };

	r.chain.p = chain;
	r.chain.len = sizeof(chain) - 1;
	for (unsigned i = 0; i < SESS_ENROLLS; i++)
		if (enrolls[i].cb != NULL) {
			enroll_cb cb = enrolls[i].cb;
			void *arg = enrolls[i].arg;

			enrolls[i].cb = NULL;
			enrolls[i].arg = NULL;
			cb(&r, arg);
			return;
		}
}

void
enroll_result(struct gw *gw, struct upstream *u, const struct gw_frame *f)
{
	(void)gw;
	(void)u;
	(void)f;
}

void
enroll_link_down(struct gw *gw, struct upstream *u)
{
	(void)gw;
	(void)u;
}
