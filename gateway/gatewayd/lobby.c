/*
 * lobby.c: accepted sockets waiting for their first bytes (lobby.h).
 *
 * Each socket is a small record in one of two lists, both in arrival
 * order: silent (its ev_io waits for readability; one timer for the whole
 * list fires at the oldest one's deadline, since all share the timeout) or
 * ready (it spoke; the listener had no room yet).  With a per-source cap, a
 * silent socket is also in its source's list, in a hash table of sources
 * with a random seed; a source exists while it has silent sockets, so the
 * table holds at most max of them.
 *
 *   SILENT --bytes--> READY --room--> handed to the listener (freed here)
 *   SILENT --timeout, evicted, peer closed--> closed
 *   READY --peer closed--> closed
 *
 * Memory (x86-64): a record is 120 bytes, a source 48 (128 and 64 from
 * malloc), the source table 8 KiB; each socket also holds a descriptor
 * and the kernel's socket buffers.
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lobby.h"
#include "log.h"
#include "ratelimit.h"

#define LOBBY_MAGIC	0x4c4f4259u	/* "LOBY": a socket */
#define LOBBY_LB_MAGIC	0x4c624c62u	/* "LbLb": the lobby */
#define LOBBY_BUCKETS	1024		/* of the source table; chained */
#define LOBBY_SLACK	1e-3		/* timer rounding, seconds */

enum lobby_state { LOBBY_SILENT, LOBBY_READY };

/* A socket is born LOBBY_SILENT: its memory is zeroed. */
_Static_assert(LOBBY_SILENT == 0, "LOBBY_SILENT starts zeroed");

struct lobby_src;

struct lobby_sock {
	unsigned		 magic;
	enum lobby_state	 state;
	int			 fd;
	ev_io			 io;		/* silent: wait for bytes */
	ev_tstamp		 since;		/* accepted */
	struct lobby		*lb;
	struct lobby_src	*src;		/* silent and capped: its source */
	TAILQ_ENTRY(lobby_sock)	 all;		/* silent or ready list */
	TAILQ_ENTRY(lobby_sock)	 peers;		/* its source's list */
};

TAILQ_HEAD(lobby_list, lobby_sock);

struct lobby_src {
	uint8_t			 key[16];	/* rl_source_key() */
	unsigned		 n;		/* silent sockets */
	struct lobby_list	 socks;		/* ... oldest first */
	struct lobby_src	*next;		/* hash chain */
};

struct lobby {
	unsigned		 magic;		/* LOBBY_LB_MAGIC */
	struct ev_loop		*loop;
	struct lobby_limits	 lim;
	unsigned		 v6_prefix;
	struct limits		*hits;
	lobby_enter_fn		*enter;
	void			*arg;
	struct lobby_list	 silent, ready;	/* oldest first */
	unsigned		 nsilent, nready;
	ev_timer		 tmo;		/* the oldest silent deadline */
	int			 admitting;	/* in lobby_admit() */
	uint32_t		 seed;
	struct lobby_stats	 st;
	struct lobby_src	*src[LOBBY_BUCKETS];
};

/* The bucket of ${key}: FNV-1a, seeded, then mixed (murmur3's fmix32). */
static struct lobby_src **
lobby_bucket(struct lobby *lb, const uint8_t key[16])
{
	uint32_t h = 2166136261u ^ lb->seed;

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return &lb->src[h % LOBBY_BUCKETS];
}

static struct lobby_src *
lobby_src_find(struct lobby *lb, const uint8_t key[16])
{
	struct lobby_src *src = *lobby_bucket(lb, key);

	while (src != NULL && memcmp(src->key, key, 16) != 0)
		src = src->next;
	return src;
}

/* The source of ${key}, new if need be; NULL if out of memory. */
static struct lobby_src *
lobby_src_get(struct lobby *lb, const uint8_t key[16])
{
	struct lobby_src **b, *src;

	if ((src = lobby_src_find(lb, key)) != NULL)
		return src;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return NULL;
	memcpy(src->key, key, 16);
	TAILQ_INIT(&src->socks);
	b = lobby_bucket(lb, key);
	src->next = *b;
	*b = src;
	return src;
}

/* ${s} leaves its source; the source goes with its last socket. */
static void
lobby_src_leave(struct lobby *lb, struct lobby_sock *s)
{
	struct lobby_src *src = s->src, **pp;

	if (src == NULL)
		return;
	s->src = NULL;
	TAILQ_REMOVE(&src->socks, s, peers);
	if (--src->n > 0)
		return;
	for (pp = lobby_bucket(lb, src->key); *pp != src; pp = &(*pp)->next)
		;
	*pp = src->next;
	free(src);
}

/* Arm the timer for the oldest silent socket, if any. */
static void
lobby_arm(struct lobby *lb)
{
	struct lobby_sock *s;
	ev_tstamp d;

	ev_timer_stop(lb->loop, &lb->tmo);
	if ((s = TAILQ_FIRST(&lb->silent)) == NULL)
		return;
	d = s->since + lb->lim.timeout - ev_now(lb->loop);
	ev_timer_set(&lb->tmo, d > 0 ? d : 0., 0.);
	ev_timer_start(lb->loop, &lb->tmo);
}

/* Take ${s} out of its lists, stop its watcher; the record stays. */
static void
lobby_unlink(struct lobby_sock *s)
{
	struct lobby *lb = s->lb;

	ev_io_stop(lb->loop, &s->io);
	lobby_src_leave(lb, s);
	if (s->state == LOBBY_SILENT) {
		TAILQ_REMOVE(&lb->silent, s, all);
		lb->nsilent--;
	} else {
		TAILQ_REMOVE(&lb->ready, s, all);
		lb->nready--;
	}
}

/*
 * The one transition: a silent socket spoke; it waits, ready, behind the
 * others that spoke before it.
 */
static void
lobby_set_ready(struct lobby_sock *s)
{
	struct lobby *lb = s->lb;

	assert(s->state == LOBBY_SILENT);
	lobby_unlink(s);
	s->state = LOBBY_READY;
	TAILQ_INSERT_TAIL(&lb->ready, s, all);
	lb->nready++;
}

/* Close ${s}: its socket and its record. */
static void
lobby_drop(struct lobby_sock *s)
{
	lobby_unlink(s);
	close(s->fd);
	s->magic = 0;
	free(s);
}

/**
 * lobby_peek(fd): -1 if the peer of socket ${fd} closed or reset it, 1 if
 * bytes wait to be read, 0 if neither yet.
 */
int
lobby_peek(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLRDHUP };

	if (poll(&pfd, 1, 0) != 1)
		return 0;
	if (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return -1;
	return (pfd.revents & POLLIN) != 0;
}

/* A callback's object is not what it should be: a bug; stop here. */
static void
lobby_bug(const char *what)
{
	log_errx("event=bug detail=\"lobby: %s\"", what);
	abort();
}

/* A silent socket is readable: bytes (it spoke), or its peer closed. */
static void
lobby_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lobby_sock *s = w->data;
	struct lobby *lb;
	char c;
	ssize_t r;

	(void)loop;
	(void)revents;
	if (s == NULL || s->magic != LOBBY_MAGIC)
		lobby_bug("socket callback: bad object");
	lb = s->lb;
	assert(s->state == LOBBY_SILENT);
	r = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (r <= 0) {
		lb->st.gave_up++;
		lobby_drop(s);
		return;
	}
	lobby_set_ready(s);
	lobby_admit(lb);	/* in turn, after those that spoke before */
}

/*
 * Make room: ${s}, the oldest silent socket (of its source, or of all),
 * is closed, unless bytes came that the loop has not seen yet (it goes
 * on, ready) or its peer closed.  Return 1 if it was evicted.
 */
static int
lobby_evict(struct lobby *lb, struct lobby_sock *s)
{
	int p = lobby_peek(s->fd);

	if (p > 0) {
		lobby_set_ready(s);
		return 0;
	}
	if (p < 0)
		lb->st.gave_up++;
	lobby_drop(s);
	return p == 0;
}

/* The oldest silent sockets are past the timeout: close them. */
static void
lobby_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lobby *lb = w->data;
	struct lobby_sock *s;
	ev_tstamp now = ev_now(loop);

	(void)revents;
	if (lb == NULL || lb->magic != LOBBY_LB_MAGIC)
		lobby_bug("timer callback: bad object");
	while ((s = TAILQ_FIRST(&lb->silent)) != NULL &&
	    s->since + lb->lim.timeout <= now + LOBBY_SLACK) {
		lb->st.timed_out++;
		if (lb->hits != NULL)
			limit_hit(lb->hits, LIMIT_FIRST_BYTE_TIMEOUT);
		lobby_drop(s);
	}
	lobby_arm(lb);
}

/**
 * lobby_new(loop, lim, v6_prefix, hits, enter, arg): an empty lobby on
 * ${loop} under the limits ${lim} (copied); sources are keyed with IPv6
 * prefixes of ${v6_prefix} bits; timeouts are counted in ${hits}
 * (first_byte_timeout); sockets that speak go to ${enter}(${arg}, fd).
 * Return NULL on allocation failure.
 */
struct lobby *
lobby_new(struct ev_loop *loop, const struct lobby_limits *lim,
    unsigned v6_prefix, struct limits *hits, lobby_enter_fn *enter,
    void *arg)
{
	struct lobby *lb;

	if ((lb = calloc(1, sizeof(*lb))) == NULL)
		return NULL;
	lb->magic = LOBBY_LB_MAGIC;
	lb->loop = loop;
	lb->lim = *lim;
	lb->v6_prefix = v6_prefix;
	lb->hits = hits;
	lb->enter = enter;
	lb->arg = arg;
	TAILQ_INIT(&lb->silent);
	TAILQ_INIT(&lb->ready);
	/* A seed nobody knows: sources cannot be picked to collide. */
	if (getrandom(&lb->seed, sizeof(lb->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(lb->seed))
		lb->seed = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)lb;
	ev_timer_init(&lb->tmo, lobby_on_timeout, 0., 0.);
	lb->tmo.data = lb;
	return lb;
}

/**
 * lobby_add(lb, fd, sa, spoke): keep accepted socket ${fd} from address
 * ${sa} (NULL: unknown, no per-source cap) until it speaks, after closing
 * the oldest silent sockets the caps call for; if it ${spoke} already, it
 * goes to the enter function at once if none is waiting before it, else
 * it waits, ready.  Return the LOBBY_EVICTED_* flags of what was closed
 * (0: nothing), or -1 if ${fd} itself was closed (every waiting socket is
 * ready, or out of memory).
 */
int
lobby_add(struct lobby *lb, int fd, const struct sockaddr *sa, int spoke)
{
	struct lobby_sock *s, *old;
	struct lobby_src *src = NULL;
	uint8_t key[16];
	int capped, flags = 0;

	if (spoke && TAILQ_EMPTY(&lb->ready) && lb->enter(lb->arg, fd) == 0)
		return 0;
	/* Room first: the source's oldest, then the oldest of all. */
	if ((capped = !spoke && lb->lim.per_source > 0 && sa != NULL)) {
		rl_source_key(sa, lb->v6_prefix, key);
		while ((src = lobby_src_find(lb, key)) != NULL &&
		    src->n >= lb->lim.per_source)
			if (lobby_evict(lb, TAILQ_FIRST(&src->socks))) {
				lb->st.evicted_source++;
				flags |= LOBBY_EVICTED_SOURCE;
			}
	}
	while (lb->nsilent + lb->nready >= lb->lim.max) {
		if ((old = TAILQ_FIRST(&lb->silent)) == NULL) {
			lb->st.refused_full++;
			close(fd);
			lobby_admit(lb);
			return -1;
		}
		if (lobby_evict(lb, old)) {
			lb->st.evicted_full++;
			flags |= LOBBY_EVICTED_FULL;
		}
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (capped && (src = lobby_src_get(lb, key)) == NULL)) {
		log_warnx("event=connection_refused reason=overload "
		    "detail=ENOMEM");
		free(s);
		close(fd);
		lobby_admit(lb);
		return -1;
	}
	s->magic = LOBBY_MAGIC;
	s->fd = fd;
	s->since = ev_now(lb->loop);
	s->lb = lb;
	ev_io_init(&s->io, lobby_on_io, fd, EV_READ);
	s->io.data = s;
	TAILQ_INSERT_TAIL(&lb->silent, s, all);
	lb->nsilent++;
	if (spoke) {
		lobby_set_ready(s);
		lobby_admit(lb);	/* those who woke making room, too */
		return flags;
	}
	if (capped) {
		s->src = src;
		TAILQ_INSERT_TAIL(&src->socks, s, peers);
		src->n++;
	}
	ev_io_start(lb->loop, &s->io);
	if (!ev_is_active(&lb->tmo))
		lobby_arm(lb);
	lobby_admit(lb);	/* those who woke making room */
	return flags;
}

/**
 * lobby_admit(lb): there may be room again: hand the ready sockets to the
 * enter function, oldest first, until it has no room; drop those whose
 * peer closed meanwhile.
 */
void
lobby_admit(struct lobby *lb)
{
	struct lobby_sock *s;

	if (lb == NULL || lb->admitting)
		return;
	lb->admitting = 1;	/* enter() may free a slot: no reentry */
	while ((s = TAILQ_FIRST(&lb->ready)) != NULL) {
		if (lobby_peek(s->fd) < 0) {
			lb->st.gave_up++;
			lobby_drop(s);
			continue;
		}
		if (lb->enter(lb->arg, s->fd) != 0)
			break;
		lobby_unlink(s);	/* the socket is the handler's now */
		s->magic = 0;
		free(s);
	}
	lb->admitting = 0;
}

/**
 * lobby_set_limits(lb, lim): a reload: ${lim} (copied) from now on, the
 * timeout counted from each socket's accept; sockets over a lowered cap
 * stay until the next lobby_add() makes room.
 */
void
lobby_set_limits(struct lobby *lb, const struct lobby_limits *lim)
{
	lb->lim = *lim;
	lobby_arm(lb);
}

/** lobby_silent(lb): sockets waiting for their first bytes (NULL: 0). */
unsigned
lobby_silent(const struct lobby *lb)
{
	return lb != NULL ? lb->nsilent : 0;
}

/** lobby_ready(lb): sockets that spoke, waiting for room (NULL: 0). */
unsigned
lobby_ready(const struct lobby *lb)
{
	return lb != NULL ? lb->nready : 0;
}

/** lobby_stats(lb): the counters of ${lb}. */
const struct lobby_stats *
lobby_stats(const struct lobby *lb)
{
	return &lb->st;
}

/** lobby_clear(lb): close every socket waiting in ${lb}. */
void
lobby_clear(struct lobby *lb)
{
	struct lobby_sock *s;

	while ((s = TAILQ_FIRST(&lb->silent)) != NULL)
		lobby_drop(s);
	while ((s = TAILQ_FIRST(&lb->ready)) != NULL)
		lobby_drop(s);
	ev_timer_stop(lb->loop, &lb->tmo);
}

/** lobby_free(lb): close every socket and free ${lb}; NULL is a no-op. */
void
lobby_free(struct lobby *lb)
{
	if (lb == NULL)
		return;
	lobby_clear(lb);
	lb->magic = 0;
	free(lb);
}
