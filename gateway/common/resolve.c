/*
 * resolve.c: a DNS name to its addresses without blocking the event loop
 * (resolve.h).  Each resolve owns one c-ares channel: cancelling it is
 * destroying the channel, which touches no other query, and the channel
 * reads the system's configuration afresh, so each dial sees today's
 * /etc/hosts and /etc/resolv.conf.  c-ares tells us which sockets to watch
 * (sock_state_cb); one libev io watcher per socket and one timer (c-ares's
 * next retry, or our deadline) drive it.  The answer is delivered from
 * our own watcher, never from inside c-ares, so that the owner may free
 * the resolve (and so the channel) in its callback.
 *
 * A name's A and AAAA records are two lookups on the channel, not one
 * AF_UNSPEC lookup: c-ares answers that only when both queries ended, so
 * a lost AAAA query (a resolver that drops them, a lost packet) held the
 * A answer for every retry.  Once one family has addresses the other gets
 * RESOLVE_LAG more (RFC 8305's resolution delay), then the answer goes
 * without it.  c-ares does not sort the addresses (ARES_AI_NOSORT: its
 * sort opens a socket per address, and a hostile answer may hold
 * thousands); each family keeps its first RESOLVE_MAX_ADDRS in the
 * answer's order, and the answer alternates families, IPv6 first.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <ares.h>

#include "resolve.h"

#define RESOLVE_MAGIC		0x5265736fu	/* "Reso" */
#define RESOLVE_MAX_SOCKS	8	/* UDP per name server, and TCP */
#define RESOLVE_TRY_MS		500	/* c-ares: a first try's timeout
					   (doubled at each round of the
					   name servers) */
#define RESOLVE_TRIES		3	/* 0.5 + 1 + 2 s with one server */
#define RESOLVE_LAG		0.05	/* the other family's grace, s */

struct resolve_sock {
	ev_io		io;
	int		fd;		/* -1: slot free */
};

/* One family's lookup (its addresses; AF_UNSPEC: both families'). */
struct resolve_query {
	struct resolve		*r;
	int			 family;	/* AF_INET6 (q[0]), AF_INET
						   or AF_UNSPEC (q[1]) */
	int			 done;
	int			 status;	/* ARES_*, once done */
	size_t			 n;
	struct resolve_addr	 a[RESOLVE_MAX_ADDRS];
};

struct resolve {
	unsigned		 magic;
	struct ev_loop		*loop;
	ares_channel		 ch;
	resolve_cb		*cb;
	void			*arg;
	ev_timer		 tmr;
	ev_tstamp		 deadline;
	int			 done;		/* the answer is in */
	struct resolve_query	 q[2];		/* IPv6, IPv4 */
	size_t			 n;
	struct resolve_addr	 a[RESOLVE_MAX_ADDRS];
	char			 err[128];
	struct resolve_sock	 s[RESOLVE_MAX_SOCKS];
};

static int resolve_lib_ready;

static void resolve_arm(struct resolve *r);

/* Abort unless ${r} is a live resolve: where a void * is cast. */
static struct resolve *
resolve_check(void *p)
{
	struct resolve *r = p;

	if (r == NULL || r->magic != RESOLVE_MAGIC)
		abort();
	return r;
}

/* Free ${r}: destroying its channel ends its query without an answer. */
static void
resolve_free(struct resolve *r)
{
	r->done = 1;			/* ARES_EDESTRUCTION is no answer */
	if (r->ch != NULL)
		ares_destroy(r->ch);
	for (size_t i = 0; i < RESOLVE_MAX_SOCKS; i++)
		ev_io_stop(r->loop, &r->s[i].io);
	ev_timer_stop(r->loop, &r->tmr);
	r->magic = 0;
	free(r);
}

/* ${r}'s addresses: each family's in turn, IPv6 first, at most the cap. */
static void
resolve_merge(struct resolve *r)
{
	size_t i[2] = { 0, 0 };

	for (size_t k = 0; r->n < RESOLVE_MAX_ADDRS; k ^= 1) {
		if (i[0] == r->q[0].n && i[1] == r->q[1].n)
			break;
		if (i[k] < r->q[k].n)
			r->a[r->n++] = r->q[k].a[i[k]++];
	}
}

/* The answer is in: give it to the owner and free ${r}. */
static void
resolve_deliver(struct resolve *r)
{
	resolve_merge(r);
	if (r->n == 0 && r->err[0] == '\0') {
		int st = r->q[1].status != ARES_SUCCESS ? r->q[1].status :
		    r->q[0].status;

		strncpy(r->err, st != ARES_SUCCESS ? ares_strerror(st) :
		    "no address", sizeof(r->err) - 1);
	}
	r->cb(r->arg, r->a, r->n, r->n > 0 ? NULL : r->err);
	resolve_free(r);
}

/* ${q} is done: when both are, or the other is late, the answer is in. */
static void
resolve_query_done(struct resolve *r, struct resolve_query *q)
{
	struct resolve_query *o = &r->q[q == &r->q[0]];
	ev_tstamp lag;

	q->done = 1;
	if (o->done) {
		r->done = 1;
		return;
	}
	lag = ev_now(r->loop) + RESOLVE_LAG;
	if (q->n > 0 && lag < r->deadline)
		r->deadline = lag;
}

/* c-ares's answer for one family (from inside c-ares). */
static void
resolve_on_answer(void *arg, int status, int timeouts,
    struct ares_addrinfo *res)
{
	struct resolve_query *q = arg;
	struct resolve *r = resolve_check(q->r);
	struct ares_addrinfo_node *nd;

	(void)timeouts;
	if (r->done || q->done) {	/* destroyed: nobody waits */
		ares_freeaddrinfo(res);
		return;
	}
	q->status = status;
	for (nd = res ? res->nodes : NULL; nd != NULL; nd = nd->ai_next) {
		struct resolve_query *to = &r->q[nd->ai_family == AF_INET];

		if ((nd->ai_family != AF_INET && nd->ai_family != AF_INET6) ||
		    (q->family != AF_UNSPEC && nd->ai_family != q->family) ||
		    to->n == RESOLVE_MAX_ADDRS ||
		    nd->ai_addrlen > sizeof(to->a[0].ss))
			continue;
		memcpy(&to->a[to->n].ss, nd->ai_addr, nd->ai_addrlen);
		to->a[to->n++].sl = nd->ai_addrlen;
	}
	ares_freeaddrinfo(res);
	resolve_query_done(r, q);
}

/* c-ares opens, changes or closes socket ${fd}: watch it accordingly. */
static void
resolve_on_sock(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolve *r = resolve_check(data);
	struct resolve_sock *s = NULL, *free_s = NULL;
	int mask = (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);

	for (size_t i = 0; i < RESOLVE_MAX_SOCKS; i++) {
		if (r->s[i].fd == fd)
			s = &r->s[i];
		else if (r->s[i].fd < 0 && free_s == NULL)
			free_s = &r->s[i];
	}
	if (s == NULL && (s = free_s) == NULL) {
		/* More sockets than we watch: fail rather than miss one. */
		if (!r->done) {
			r->done = 1;
			strcpy(r->err, "too many resolver sockets");
		}
		return;
	}
	ev_io_stop(r->loop, &s->io);
	s->fd = mask != 0 ? fd : -1;
	if (mask != 0) {
		ev_io_set(&s->io, fd, mask);
		ev_io_start(r->loop, &s->io);
	}
}

/* Every socket c-ares opens is close-on-exec (gw-agent spawns). */
static int
resolve_on_socket(ares_socket_t fd, int type, void *data)
{
	(void)type;
	(void)data;
	return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 ? 0 : -1;
}

/* After c-ares ran: deliver the answer, or wait for the next event. */
static void
resolve_after(struct resolve *r)
{
	if (r->done)
		resolve_deliver(r);
	else
		resolve_arm(r);
}

static void
resolve_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resolve *r = resolve_check(w->data);
	int fd = ((struct resolve_sock *)(void *)w)->fd;

	(void)loop;
	ares_process_fd(r->ch, (revents & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (revents & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	resolve_after(r);
}

/* Our deadline: what is in goes (one family late), or nothing did. */
static void
resolve_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve *r = resolve_check(w->data);

	(void)revents;
	if (!r->done && ev_now(loop) >= r->deadline) {
		r->done = 1;
		if (r->q[0].n == 0 && r->q[1].n == 0)
			strcpy(r->err, "timed out");
	}
	if (!r->done)		/* c-ares's own retries and timeouts */
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	resolve_after(r);
}

/* Arm the timer for c-ares's next timeout, or our deadline if sooner. */
static void
resolve_arm(struct resolve *r)
{
	ev_tstamp left = r->deadline - ev_now(r->loop);
	struct timeval max, tv, *t;

	if (left < 0)
		left = 0;
	max.tv_sec = (time_t)left;
	max.tv_usec = (suseconds_t)((left - (double)max.tv_sec) * 1e6);
	t = ares_timeout(r->ch, &max, &tv);
	ev_timer_stop(r->loop, &r->tmr);
	ev_timer_set(&r->tmr, (double)t->tv_sec + t->tv_usec / 1e6, 0.);
	ev_timer_start(r->loop, &r->tmr);
}

/* A channel of ${r}'s own, its sockets reported to resolve_on_sock. */
static int
resolve_channel(struct resolve *r)
{
	struct ares_options o;

	if (!resolve_lib_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			return -1;
		resolve_lib_ready = 1;
	}
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = resolve_on_sock;
	o.sock_state_cb_data = r;
	o.timeout = RESOLVE_TRY_MS;
	o.tries = RESOLVE_TRIES;
	if (ares_init_options(&r->ch, &o, ARES_OPT_SOCK_STATE_CB |
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS) {
		r->ch = NULL;
		return -1;
	}
	ares_set_socket_callback(r->ch, resolve_on_socket, NULL);
	return 0;
}

/*
 * Start ${r}'s lookups of ${host}: both families for a name, only its own
 * for a numeric address (which c-ares answers without asking anyone), one
 * lookup of both for "localhost" (c-ares answers it from /etc/hosts or
 * with the loopback addresses, never asks a name server; and c-ares 1.18
 * leaks a copy of the name at each AF_INET6-only lookup of it that
 * /etc/hosts does not answer).
 */
static void
resolve_lookups(struct resolve *r, const char *host, const char *port)
{
	struct ares_addrinfo_hints h;
	unsigned char buf[16];
	int only = inet_pton(AF_INET6, host, buf) == 1 ? AF_INET6 :
	    inet_pton(AF_INET, host, buf) == 1 ? AF_INET : AF_UNSPEC;

	for (size_t i = 0; i < 2; i++) {
		r->q[i].r = r;
		r->q[i].family = i == 0 ? AF_INET6 : AF_INET;
		r->q[i].status = ARES_SUCCESS;
		if (only != AF_UNSPEC && only != r->q[i].family)
			r->q[i].done = 1;
	}
	if (strcmp(host, "localhost") == 0) {
		r->q[0].done = 1;
		r->q[1].family = AF_UNSPEC;
	}
	for (size_t i = 0; i < 2 && !r->done; i++) {
		if (r->q[i].done)
			continue;
		memset(&h, 0, sizeof(h));
		h.ai_family = r->q[i].family;
		h.ai_socktype = SOCK_STREAM;
		h.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
		ares_getaddrinfo(r->ch, host, port, &h, resolve_on_answer,
		    &r->q[i]);
	}
}

/**
 * resolve_start(loop, host, port, timeout, cb, arg): look up ${host}
 * (a name or a numeric address, without brackets) for TCP port ${port}
 * (digits); call ${cb}(${arg}, ...) once, from ${loop}, never from within
 * this call, at the latest after ${timeout} seconds.  Return the pending
 * resolve, or NULL (errno: ENOMEM, or EINVAL for an empty host or port).
 */
struct resolve *
resolve_start(struct ev_loop *loop, const char *host, const char *port,
    double timeout, resolve_cb *cb, void *arg)
{
	struct resolve *r;

	if (host[0] == '\0' || port[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->magic = RESOLVE_MAGIC;
	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->deadline = ev_now(loop) + timeout;
	ev_timer_init(&r->tmr, resolve_on_timer, 0., 0.);
	r->tmr.data = r;
	for (size_t i = 0; i < RESOLVE_MAX_SOCKS; i++) {
		ev_io_init(&r->s[i].io, resolve_on_io, -1, 0);
		r->s[i].io.data = r;
		r->s[i].fd = -1;
	}
	if (resolve_channel(r) != 0) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	resolve_lookups(r, host, port);
	resolve_arm(r);		/* answered at once: the timer delivers it */
	if (r->done) {
		ev_timer_stop(loop, &r->tmr);
		ev_timer_set(&r->tmr, 0., 0.);
		ev_timer_start(loop, &r->tmr);
	}
	return r;
}

/**
 * resolve_cancel(r): give up pending resolve ${r}: no callback comes after
 * this.  NULL-safe; never call it after the callback ran.
 */
void
resolve_cancel(struct resolve *r)
{
	if (r == NULL)
		return;
	resolve_check(r);
	resolve_free(r);
}
