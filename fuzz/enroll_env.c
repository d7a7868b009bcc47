/*
 * enroll_env.c: the world of fuzz_enroll's session selector (see
 * enroll_env.h): what the gateway sends on the fake conns (fake_conn.c)
 * checked as an enrolling agent would, the real authority in place of the
 * signer process, answering at once or when the input says, and a clock
 * that moves when the input says.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority.h"
#include "signer_client.h"
#include "conn.h"
#include "enroll_env.h"
#include "fake_conn.h"
#include "fuzz.h"

/* What the environment keeps of each conn (fake_conn_data). */
struct enr_data {
	unsigned		 src;		/* enr_peers[src] */
	time_t			 deadline;	/* its timer's */
	uint32_t		 ref;		/* the last ENROLL's */
	unsigned		 asked, answered;	/* ENROLLs, answers */
};

/* What a held request keeps: copies of the views of authority_req. */
struct enr_held {
	int			 used;
	int			 decided;	/* the answer is in res */
	authority_cb		 cb;
	void			*arg;
	uint8_t			*csr;
	size_t			 csr_len;
	char			 token[1024], rid[128], source[128];
	struct authority_result	 res;
	char			*chain;
};

struct signer_client {
	struct authority	*a;
};

static const char *const enr_peers[ENR_SOURCES] = {
	"198.51.100.1:40000", "198.51.100.1:40001", "198.51.100.2:40000",
	"[2001:db8:0:1::1]:40000", "[2001:db8:0:1::2]:40000",
	"[2001:db8:0:2::1]:40000"
};
/* The authority's source keys: an IPv4 address, an IPv6 /64. */
static const unsigned enr_groups[ENR_SOURCES] = { 0, 0, 1, 2, 2, 3 };

static void enr_made(struct conn *);
static void enr_timer(struct conn *, double);
static const char *enr_peer(const struct conn *);
static void enr_reading(struct conn *, const struct gw_frame *);
static void enr_sent(struct conn *, const struct gw_frame *, int);

static const struct fake_conn_env enr_conns = {
	.accepts = ENR_CONNS,
	.connects = 0,			/* mode = local: no link */
	.data_size = sizeof(struct enr_data),
	.queue_cap = 0,			/* enroll_conn.c never pauses */
	.sent = enr_sent,
	.reading = enr_reading,
	.made = enr_made,
	.timer = enr_timer,
	.peer = enr_peer,
};

static unsigned accept_src;
static struct conn *accepted;
static struct enr_held held[ENR_HELD];
static struct enr_count count;
static enum enr_mode mode;
static int clock_on;
static time_t clock_now;
static ev_timer *tick;
static struct ev_loop *tick_loop;
static struct signer_client *proc;

/* The clock: the harness's while a session runs. */

time_t __real_time(time_t *t);
time_t __wrap_time(time_t *t);
ev_tstamp __real_ev_now(struct ev_loop *loop);
ev_tstamp __wrap_ev_now(struct ev_loop *loop);
void __real_ev_timer_start(struct ev_loop *loop, ev_timer *w);
void __wrap_ev_timer_start(struct ev_loop *loop, ev_timer *w);

time_t
__wrap_time(time_t *t)
{
	time_t now = clock_on ? clock_now : __real_time(NULL);

	if (t != NULL)
		*t = now;
	return now;
}

ev_tstamp
__wrap_ev_now(struct ev_loop *loop)
{
	return clock_on ? (ev_tstamp)clock_now : __real_ev_now(loop);
}

/* enroll_new's tick: kept, and fired by enr_advance, never started. */
void
__wrap_ev_timer_start(struct ev_loop *loop, ev_timer *w)
{
	if (!clock_on) {
		__real_ev_timer_start(loop, w);
		return;
	}
	FUZZ_CHECK(tick == NULL || tick == w);
	tick = w;
	tick_loop = loop;
}

void
enr_env_start(void)
{
	fake_conn_reset(&enr_conns);
	memset(held, 0, sizeof(held));
	memset(&count, 0, sizeof(count));
	mode = ENR_AT_ONCE;
	clock_now = ENR_T0;
	clock_on = 1;
	tick = NULL;
}

void
enr_env_stop(void)
{
	clock_on = 0;
	tick = NULL;
}

time_t
enr_now(void)
{
	return clock_now;
}

const struct enr_count *
enr_count(void)
{
	return &count;
}

unsigned
enr_source_group(const char *source)
{
	for (unsigned i = 0; i < ENR_SOURCES; i++)
		if (strcmp(source, enr_peers[i]) == 0)
			return enr_groups[i];
	FUZZ_CHECK(0);		/* a source the gateway did not see */
	return 0;
}

/* conn.h is fake_conn.c's; what it shows of the enrollment port. */

static void
enr_made(struct conn *c)
{
	struct enr_data *d = fake_conn_data(c);

	d->src = accept_src;
	accepted = c;
}

static void
enr_timer(struct conn *c, double seconds)
{
	struct enr_data *d = fake_conn_data(c);

	d->deadline = clock_now + (time_t)seconds;
}

static const char *
enr_peer(const struct conn *c)
{
	const struct enr_data *d = fake_conn_data(c);

	return enr_peers[d->src];
}

static void
enr_reading(struct conn *c, const struct gw_frame *f)
{
	struct enr_data *d = fake_conn_data(c);

	if (f->type == GW_T_ENROLL) {
		d->asked++;
		d->ref = f->u.enroll.ref;
	}
}

/* fake_conn_env.sent: what the gateway sends an enrolling agent. */
static void
enr_sent(struct conn *c, const struct gw_frame *f, int fits)
{
	const struct gw_enroll_result *r = &f->u.enroll_result;
	struct enr_data *d = fake_conn_data(c);

	/* Nothing answers a connection after its close. */
	FUZZ_CHECK(conn_state(c) != CONN_CLOSED ||
	    f->type != GW_T_ENROLL_RESULT);
	if (!fits)
		return;
	FUZZ_CHECK(f->channel == 0);
	FUZZ_CHECK(f->type == GW_T_HELLO_ACK || f->type == GW_T_PONG ||
	    f->type == GW_T_ERROR || f->type == GW_T_ENROLL_RESULT);
	if (f->type != GW_T_ENROLL_RESULT)
		return;
	/* One answer per request, to an open connection, with its ref. */
	FUZZ_CHECK(conn_state(c) == CONN_OPEN);
	FUZZ_CHECK(d->answered < d->asked);
	FUZZ_CHECK(r->ref == d->ref);
	FUZZ_CHECK((r->status == GW_ENROLL_ISSUED) == (r->chain.len > 0));
	d->answered++;
	count.answers++;
}

/* The harness's side of the connections. */

void
enr_accept_from(unsigned src)
{
	accept_src = src % ENR_SOURCES;
	accepted = NULL;
}

struct conn *
enr_accepted(void)
{
	return accepted;
}

size_t
enr_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f;
	size_t used;

	if (conn_state(c) != CONN_OPEN ||
	    fake_conn_decode(c, buf, len, &f, &used) != GW_OK)
		return len;
	fake_conn_bytes(c, buf, used);
	return used;
}

void
enr_advance(time_t secs)
{
	clock_now += secs;
	for (unsigned i = 0; i < ENR_CONNS; i++) {
		struct conn *c = fake_conn_accepted(i);
		struct enr_data *d;

		if (c == NULL)
			continue;
		d = fake_conn_data(c);
		if (d->deadline <= clock_now)
			fake_conn_timer(c);	/* if armed */
	}
	if (tick != NULL)
		ev_invoke(tick_loop, tick, EV_TIMER);
}

/* signer_client.h: the authority itself, at once or when told. */

struct signer_client *
signer_client_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct signer_client *ap;

	(void)user;
	FUZZ_CHECK(p->hook == NULL);
	if ((ap = calloc(1, sizeof(*ap))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((ap->a = authority_open(p, err, errlen)) == NULL) {
		free(ap);
		return NULL;
	}
	proc = ap;
	return ap;
}

void
signer_client_close(struct signer_client *ap)
{
	if (ap == NULL)
		return;
	/* enroll_free cancelled everything it had asked. */
	for (unsigned i = 0; i < ENR_HELD; i++)
		FUZZ_CHECK(!held[i].used);
	authority_close(ap->a);
	free(ap);
	proc = NULL;
}

/* One call of authority_submit: its answer goes to cb, or is held. */
struct enr_call {
	authority_cb		 cb;
	void			*arg;
	struct enr_held		*hold;
	int			 called;
	enum gw_enroll_status	 status;
};

static void
enr_answered(const struct authority_result *res, void *p)
{
	struct enr_call *k = p;

	FUZZ_CHECK(!k->called);
	k->called = 1;
	k->status = res->status;
	if (k->hold != NULL) {
		k->hold->res = *res;
		k->hold->chain = NULL;
		if (res->chain != NULL &&
		    (k->hold->chain = strdup(res->chain)) == NULL)
			abort();
		k->hold->res.chain = k->hold->chain;
		k->hold->decided = 1;
		return;
	}
	count.answered++;
	k->cb(res, k->arg);
}

/*
 * Decide ${req} now; answer ${cb}(${arg}), or keep the answer in ${hold}.
 * The authority has no hook: it answers before returning.  What it signs
 * is checked against the model (enr_issued).
 */
static void
enr_decide(struct signer_client *ap, const struct authority_req *req,
    authority_cb cb, void *arg, struct enr_held *hold)
{
	struct enr_call k = { .cb = cb, .arg = arg, .hold = hold };
	long long before = enr_issued_size(), after;

	authority_submit(ap->a, req, enr_answered, &k);
	FUZZ_CHECK(k.called);
	after = enr_issued_size();
	FUZZ_CHECK(after >= before);
	if (after > before) {
		FUZZ_CHECK(k.status == GW_ENROLL_ISSUED);
		enr_issued(req);
	}
}

void
signer_client_submit(struct signer_client *ap,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	struct enr_held *h = NULL;

	count.submitted++;
	/* What enroll_conn.c attests: the agent's address, no certificate. */
	FUZZ_CHECK(req->client_cert == NULL && req->via != NULL);
	FUZZ_CHECK(req->token != NULL && req->request_id != NULL);
	(void)enr_source_group(req->source);
	for (unsigned i = 0; i < ENR_HELD; i++)
		FUZZ_CHECK(!held[i].used || held[i].arg != arg);
	for (unsigned i = 0; mode != ENR_AT_ONCE && i < ENR_HELD; i++)
		if (!held[i].used) {
			h = &held[i];
			break;
		}
	if (h == NULL) {
		enr_decide(ap, req, cb, arg, NULL);
		return;
	}
	memset(h, 0, sizeof(*h));
	h->used = 1;
	h->cb = cb;
	h->arg = arg;
	if (mode == ENR_ANSWER_LATER) {
		enr_decide(ap, req, cb, arg, h);
		return;
	}
	if (req->csr != NULL) {
		if ((h->csr = malloc(req->csr_len)) == NULL)
			abort();
		memcpy(h->csr, req->csr, req->csr_len);
		h->csr_len = req->csr_len;
	}
	snprintf(h->token, sizeof(h->token), "%s", req->token);
	snprintf(h->rid, sizeof(h->rid), "%s", req->request_id);
	snprintf(h->source, sizeof(h->source), "%s", req->source);
}

static void
enr_held_free(struct enr_held *h)
{
	free(h->csr);
	free(h->chain);
	memset(h, 0, sizeof(*h));
}

void
signer_client_cancel(struct signer_client *ap, void *arg)
{
	int found = 0;

	(void)ap;
	for (unsigned i = 0; i < ENR_HELD; i++)
		if (held[i].used && held[i].arg == arg) {
			enr_held_free(&held[i]);
			count.cancelled++;
			found = 1;
		}
	/* enroll.c cancels only what it still waits for. */
	FUZZ_CHECK(found);
}

void
enr_set_mode(unsigned m)
{
	mode = (enum enr_mode)(m % ENR_MODES);
}

unsigned
enr_held_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ENR_HELD; i++)
		n += held[i].used;
	return n;
}

void
enr_deliver(unsigned k)
{
	struct signer_client *ap = proc;
	struct enr_held *h = NULL, copy;
	unsigned n = enr_held_count();

	if (n == 0 || ap == NULL)
		return;
	k %= n;
	for (unsigned i = 0; i < ENR_HELD; i++)
		if (held[i].used && k-- == 0) {
			h = &held[i];
			break;
		}
	/* Out of the table first: the answer may submit or cancel. */
	copy = *h;
	memset(h, 0, sizeof(*h));
	if (copy.decided) {
		count.answered++;
		copy.cb(&copy.res, copy.arg);
	} else {
		struct authority_req req = {
			.csr = copy.csr, .csr_len = copy.csr_len,
			.token = copy.token, .request_id = copy.rid,
			.source = copy.source, .via = "",
		};

		enr_decide(ap, &req, copy.cb, copy.arg, NULL);
	}
	enr_held_free(&copy);
}
