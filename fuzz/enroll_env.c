/*
 * enroll_env.c: conn.h, authority_proc.h and the clock for fuzz_enroll's
 * session selector (see enroll_env.h): connections without sockets or TLS
 * that keep the real conn's contract and check what the gateway sends on
 * them, the real authority in place of the signer process, answering at
 * once or when the input says, and a clock that moves when the input says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authority_proc.h"
#include "conn.h"
#include "enroll_env.h"
#include "fuzz.h"

#define ENR_ENC_MAX	(GW_HDR_LEN + 70000u)

struct conn {
	int			 live;
	enum conn_state		 state;
	const struct conn_ops	*ops;
	void			*arg;
	unsigned		 slot;
	unsigned		 src;
	int			 busy;		/* our calls on the stack */
	int			 full;		/* every send fails */
	int			 timer_armed;
	time_t			 deadline;
	size_t			 max_payload;
	uint32_t		 ref;		/* the last ENROLL's */
	unsigned		 asked, answered;	/* ENROLLs, answers */
	int			 closed_once;
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

struct authority_proc {
	struct authority	*a;
};

static const char *const enr_peers[ENR_SOURCES] = {
	"198.51.100.1:40000", "198.51.100.1:40001", "198.51.100.2:40000",
	"[2001:db8:0:1::1]:40000", "[2001:db8:0:1::2]:40000",
	"[2001:db8:0:2::1]:40000"
};
/* The authority's source keys: an IPv4 address, an IPv6 /64. */
static const unsigned enr_groups[ENR_SOURCES] = { 0, 0, 1, 2, 2, 3 };

static struct conn *conns[ENR_CONNS];
static unsigned live, accept_src;
static struct conn *accepted;
static struct enr_held held[ENR_HELD];
static struct enr_count count;
static enum enr_mode mode;
static int clock_on;
static time_t clock_now;
static ev_timer *tick;
static struct ev_loop *tick_loop;
static struct authority_proc *proc;

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

/* enroll_init's tick: kept, and fired by enr_advance, never started. */
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
	FUZZ_CHECK(live == 0);
	memset(conns, 0, sizeof(conns));
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

/* conn.h */

struct conn *
conn_accept(struct ev_loop *loop, int fd, const struct tls_conf *tc,
    const struct conn_params *p, const struct conn_ops *ops, void *arg)
{
	struct conn *c;

	(void)loop;
	(void)fd;
	(void)tc;
	for (unsigned i = 0; i < ENR_CONNS; i++) {
		if (conns[i] != NULL)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return NULL;
		c->live = 1;
		c->state = CONN_HANDSHAKE;
		c->ops = ops;
		c->arg = arg;
		c->slot = i;
		c->src = accept_src;
		c->max_payload = p->max_payload;
		FUZZ_CHECK(p->in_cap >= p->max_payload + GW_HDR_LEN);
		conns[i] = c;
		live++;
		accepted = c;
		return c;
	}
	errno = ENOBUFS;
	return NULL;
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
	FUZZ_CHECK(0);		/* mode = local: no link */
	return NULL;
}

/* As conn.c: closed conns and their owners are freed between events. */
void
conn_reap(void)
{
	for (unsigned i = 0; i < ENR_CONNS; i++) {
		struct conn *c = conns[i];

		if (c == NULL || c->state != CONN_CLOSED)
			continue;
		FUZZ_CHECK(c->busy == 0);
		if (c->ops->on_free != NULL)
			c->ops->on_free(c->arg);
		conns[i] = NULL;
		live--;
		free(c);
	}
}

/* What the gateway sends an enrolling agent. */
static void
enr_check_down(struct conn *c, const struct gw_frame *f)
{
	const struct gw_enroll_result *r = &f->u.enroll_result;

	FUZZ_CHECK(f->channel == 0);
	FUZZ_CHECK(f->type == GW_T_HELLO_ACK || f->type == GW_T_PONG ||
	    f->type == GW_T_ERROR || f->type == GW_T_ENROLL_RESULT);
	if (f->type != GW_T_ENROLL_RESULT)
		return;
	/* One answer per request, to an open connection, with its ref. */
	FUZZ_CHECK(c->state == CONN_OPEN);
	FUZZ_CHECK(c->answered < c->asked);
	FUZZ_CHECK(r->ref == c->ref);
	FUZZ_CHECK((r->status == GW_ENROLL_ISSUED) == (r->chain.len > 0));
	c->answered++;
	count.answers++;
}

int
conn_send(struct conn *c, const struct gw_frame *f)
{
	static uint8_t a[ENR_ENC_MAX], b[ENR_ENC_MAX];
	struct gw_frame d;
	size_t used;
	int n, m;

	FUZZ_CHECK(c->live);
	/* Nothing answers a connection after its close. */
	FUZZ_CHECK(c->state != CONN_CLOSED || f->type != GW_T_ENROLL_RESULT);
	n = gw_frame_encode(a, sizeof(a), f);
	if (n < 0)
		return n;
	if (c->state == CONN_CLOSED || c->full)
		return GW_ENOSPACE;
	FUZZ_CHECK(gw_frame_decode(a, (size_t)n, GW_PAYLOAD_HARD_MAX, &d,
	    &used) == GW_OK && used == (size_t)n);
	m = gw_frame_encode(b, sizeof(b), &d);
	FUZZ_CHECK(m == n && memcmp(a, b, (size_t)n) == 0);
	enr_check_down(c, &d);
	return 0;
}

void
conn_notify_writable(struct conn *c)
{
	(void)c;
}

size_t
conn_out_space(const struct conn *c)
{
	return c->state == CONN_CLOSED || c->full ? 0 : 32768;
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
	(void)c;
	return 0;
}

void
conn_resume(struct conn *c)
{
	(void)c;
	FUZZ_CHECK(0);		/* the enrollment port never pauses */
}

void
conn_timer(struct conn *c, double seconds)
{
	FUZZ_CHECK(c->live);
	c->timer_armed = seconds > 0;
	c->deadline = clock_now + (time_t)seconds;
}

void
conn_close(struct conn *c, unsigned reason, const char *detail)
{
	FUZZ_CHECK(c->live);
	if (c->state == CONN_CLOSED)
		return;
	FUZZ_CHECK(!c->closed_once);
	c->closed_once = 1;
	c->state = CONN_CLOSED;
	c->timer_armed = 0;
	c->busy++;
	c->ops->on_close(c, reason, detail, c->arg);
	c->busy--;
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
	FUZZ_CHECK(c->live);
	return enr_peers[c->src];
}

const mbedtls_x509_crt *
conn_peer_crt(const struct conn *c)
{
	(void)c;
	return NULL;		/* agents have no certificate here */
}

const uint8_t *
conn_peer_der(const struct conn *c, size_t *len)
{
	(void)c;
	*len = 0;
	return NULL;
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

/* The harness's side of the connections. */

struct conn *
enr_conn(unsigned who)
{
	return conns[who % ENR_CONNS];
}

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

void
enr_open(struct conn *c)
{
	int rc;

	if (c->state != CONN_HANDSHAKE)
		return;
	c->state = CONN_OPEN;
	c->busy++;
	rc = c->ops->on_open(c, c->arg);
	FUZZ_CHECK(rc == 0 || (rc == CONN_CLOSED_RC &&
	    c->state == CONN_CLOSED));
	c->busy--;
}

size_t
enr_input(struct conn *c, const uint8_t *buf, size_t len)
{
	struct gw_frame f, e = { .type = GW_T_ERROR };
	size_t used;
	int rc;

	if (c->state != CONN_OPEN)
		return len;
	rc = gw_frame_decode(buf, len, c->max_payload, &f, &used);
	if (rc == GW_ENEED)
		return len;
	if (rc != GW_OK) {
		/* As conn.c: tell the peer why, close this conn alone. */
		e.u.reason.code = rc == GW_PERR_LEN_TOO_BIG ? GW_R_TOO_BIG :
		    GW_R_PROTOCOL;
		(void)conn_send(c, &e);
		conn_close(c, e.u.reason.code, "bad frame");
		return len;
	}
	if (f.type == GW_T_ENROLL) {
		c->asked++;
		c->ref = f.u.enroll.ref;
	}
	c->busy++;
	rc = c->ops->on_frame(c, &f, c->arg);
	FUZZ_CHECK(rc == CONN_OK || (rc == CONN_CLOSED_RC &&
	    c->state == CONN_CLOSED));
	c->busy--;
	return used;
}

void
enr_full(struct conn *c)
{
	c->full = !c->full;
}

void
enr_eof(struct conn *c)
{
	conn_close(c, GW_R_PEER_CLOSED, "peer closed");
}

void
enr_advance(time_t secs)
{
	clock_now += secs;
	for (unsigned i = 0; i < ENR_CONNS; i++) {
		struct conn *c = conns[i];

		if (c == NULL || !c->timer_armed || c->deadline > clock_now ||
		    c->state == CONN_CLOSED)
			continue;
		c->timer_armed = 0;
		c->busy++;
		if (c->ops->on_timeout != NULL)
			c->ops->on_timeout(c, c->arg);
		else
			conn_close(c, GW_R_TIMEOUT, "timeout");
		c->busy--;
	}
	if (tick != NULL)
		ev_invoke(tick_loop, tick, EV_TIMER);
}

unsigned
enr_live(void)
{
	return live;
}

/* authority_proc.h: the authority itself, at once or when told. */

struct authority_proc *
authority_proc_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct authority_proc *ap;

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
authority_proc_close(struct authority_proc *ap)
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
enr_decide(struct authority_proc *ap, const struct authority_req *req,
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
authority_proc_submit(struct authority_proc *ap,
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
authority_proc_cancel(struct authority_proc *ap, void *arg)
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
	struct authority_proc *ap = proc;
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
