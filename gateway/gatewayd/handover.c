/*
 * handover.c: a worker's side of agent ownership in workers mode
 * (handover.h).  One entry per agent the worker has business with: the
 * CLAIMs it sent not yet answered, whether it owns the agent (a GRANT
 * taken, no RELEASED or DROP sent since), the session waiting for a GRANT,
 * the session that used one (its holder), the OPENs of closed channels
 * not yet answered, and a RELEASE to answer.  An entry goes once it owes
 * the parent nothing and holds nothing (handover_settle).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "agent_names.h"
#include "gw.h"
#include "handover.h"
#include "log.h"
#include "namemap.h"
#include "opipe.h"
#include "owners_msg.h"

#define HANDOVER_MAGIC	0x48616e64u	/* "Hand" */
#define HKEY_MAGIC	0x484b6579u	/* "HKey" */

struct handover_key {
	unsigned		 magic;
	unsigned		 claims;	/* CLAIMs sent, not answered */
	unsigned		 pending;	/* OPENs of closed channels not
						   answered */
	int			 owned;		/* GRANT taken, not given back */
	int			 releasing;	/* RELEASE read: RELEASED owed */
	void			*waiter;	/* the session waiting (its
						   CLAIM the newest) */
	handover_answer_fn	*fn;		/* the waiter's answer */
	void			*holder;	/* the session past GRANT */
	handover_answer_fn	*hfn;		/* ... and its RELEASE */
	LIST_ENTRY(handover_key) le;		/* on the worker's list */
	char			 key[];
};

struct handover {
	unsigned		 magic;
	struct gw		*gw;
	struct opipe		 p;
	struct namemap		*keys;		/* key -> handover_key */
	LIST_HEAD(, handover_key) all;
	uint64_t		 dropped;	/* messages dropped */
	double			 logged;	/* when last logged */
};

static struct handover *
handover_of(void *arg)
{
	struct handover *h = arg;

	if (h == NULL || h->magic != HANDOVER_MAGIC)
		abort();
	return h;
}

static const char *
hkey_key(const void *v)
{
	return ((const struct handover_key *)v)->key;
}

static struct handover_key *
hkey_of(struct handover_key *e)
{
	if (e == NULL || e->magic != HKEY_MAGIC)
		abort();
	return e;
}

/* Log ${e}'s event ${what}, its name escaped. */
static void
hkey_log(const struct handover_key *e, const char *what)
{
	char en[LOG_ESC_MAX];

	log_esc(en, sizeof(en), e->key + OWN_KEY_PREFIX, LOG_ESC_STR,
	    LOG_ESC_BARE);
	/* Each session is granted, and each one's end dropped: debug. */
	if (strcmp(what, "release") == 0 || strcmp(what, "released") == 0)
		log_info("event=handover_%s agent=%s issuer=%.16s claims=%u "
		    "pending=%u", what, en, e->key, e->claims, e->pending);
	else
		log_debug("event=handover_%s agent=%s issuer=%.16s claims=%u "
		    "pending=%u", what, en, e->key, e->claims, e->pending);
}

/*
 * Send the parent what ${e} owes it, once nothing is unanswered: RELEASED
 * (asked) or DROP (owned, no session, no claim), then forget ${e} if it
 * holds nothing.
 */
static void
handover_settle(struct handover *h, struct handover_key *e)
{
	if (e->holder == NULL && e->pending == 0) {
		if (e->releasing) {
			hkey_log(e, "released");
			(void)opipe_send(&h->p, OWN_RELEASED, e->key);
			e->releasing = e->owned = 0;
		} else if (e->owned && e->claims == 0 && e->waiter == NULL) {
			hkey_log(e, "drop");
			(void)opipe_send(&h->p, OWN_DROP, e->key);
			e->owned = 0;
		}
	}
	if (e->owned || e->releasing || e->claims > 0 || e->pending > 0 ||
	    e->waiter != NULL || e->holder != NULL)
		return;
	namemap_del(h->keys, e);
	LIST_REMOVE(e, le);
	e->magic = 0;
	free(e);
}

/* A message the worker cannot use: counted, logged once a second. */
static void
handover_drop(struct handover *h, const char *why, size_t len)
{
	double now = ev_now(h->gw->loop);

	h->dropped++;
	if (now - h->logged >= 1.0) {
		log_warnx("event=handover_dropped why=%s len=%zu count=%llu",
		    why, len, (unsigned long long)h->dropped);
		h->logged = now;
	}
}

/* GRANT or DENY of ${e}: the answer to its oldest CLAIM. */
static void
handover_answer(struct handover *h, struct handover_key *e, int granted)
{
	void *s;

	if (e->claims == 0) {
		handover_drop(h, "answer-unasked", 1 + strlen(e->key));
		return;
	}
	e->claims--;
	if (granted)
		e->owned = 1;
	if (e->claims == 0 && (s = e->waiter) != NULL) {
		e->waiter = NULL;
		if (granted) {
			e->holder = s;
			e->hfn = e->fn;
		}
		hkey_log(e, granted ? "granted" : "denied");
		e->fn(s, granted ? HANDOVER_GRANT : HANDOVER_DENY);
		/* ... which may end it: handover_end */
	}
}

/*
 * RELEASE of ${key}: the session holding the agent here is closed as a
 * superseded one; RELEASED goes once no OPEN is unanswered (at once if
 * nothing is held: a RELEASE crossing this worker's DROP).
 */
static void
handover_release(struct handover *h, struct handover_key *e, const char *key)
{
	/*
	 * Not owned: this RELEASE crossed the DROP or RELEASED this worker
	 * sent, which the parent takes as its answer.  A second answer would
	 * be read as the answer to a later RELEASE (the pipe is in order: the
	 * GRANT that makes this worker owner again comes after this RELEASE).
	 */
	if (e == NULL || !e->owned) {
		handover_drop(h, "release-unowned", 1 + strlen(key));
		return;
	}
	e->releasing = 1;
	hkey_log(e, "release");
	if (e->holder != NULL)	/* closes: handover_end */
		e->hfn(e->holder, HANDOVER_RELEASE);
}

static void
handover_on_msg(void *arg, const uint8_t *p, size_t len)
{
	struct handover *h = handover_of(arg);
	struct handover_key *e;
	struct own_msg m;

	if (own_msg_decode(p, len, &m) != 0) {
		handover_drop(h, "malformed", len);
		return;
	}
	e = namemap_get(h->keys, m.key);
	if (m.type == OWN_RELEASE)
		handover_release(h, e, m.key);
	else if (e == NULL || (m.type != OWN_GRANT && m.type != OWN_DENY)) {
		handover_drop(h, e == NULL ? "unknown" : "type", len);
		return;
	} else
		handover_answer(h, e, m.type == OWN_GRANT);
	if ((e = namemap_get(h->keys, m.key)) != NULL)
		handover_settle(h, e);
}

static void
handover_on_eof(void *arg)
{
	(void)arg;
	log_warnx("event=handover_pipe_closed detail=\"the parent is gone: "
	    "no new session can open\"");
}

/**
 * handover_new(gw, fd): the worker side for ${gw} (a worker), on ${fd},
 * its end of its owner pipe (closed by handover_free); the caller keeps
 * it as gw->handover (handover_start).  NULL (logged) on ENOMEM.
 */
struct handover *
handover_new(struct gw *gw, int fd)
{
	struct handover *h;

	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->keys = namemap_new(hkey_key)) == NULL) {
		free(h);
		log_warnx("event=handover_error detail=ENOMEM");
		return NULL;
	}
	h->magic = HANDOVER_MAGIC;
	h->gw = gw;
	LIST_INIT(&h->all);
	opipe_init(&h->p, gw->loop, fd, handover_on_msg, handover_on_eof, h);
	/*
	 * Were both ends to stop reading while their own queue is long, a
	 * worker claiming faster than the parent answers would stop both
	 * for good: the worker reads on (the parent's queue to it is
	 * bounded by the parent's pause), and claims no more while its own
	 * queue is that long (handover_claim).
	 */
	opipe_never_pause(&h->p);
	return h;
}

/** handover_free(h): forget every agent, close the pipe; NULL-safe. */
void
handover_free(struct handover *h)
{
	struct handover_key *e;

	if (h == NULL)
		return;
	opipe_close(&h->p);
	while ((e = LIST_FIRST(&h->all)) != NULL) {
		LIST_REMOVE(e, le);
		e->magic = 0;
		free(e);
	}
	namemap_free(h->keys);
	h->magic = 0;
	free(h);
}

/* ${key}'s entry, made if need be; NULL on ENOMEM. */
static struct handover_key *
handover_entry(struct handover *h, const char *key)
{
	struct handover_key *e;
	size_t n = strlen(key);

	if ((e = namemap_get(h->keys, key)) != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e) + n + 1)) == NULL)
		return NULL;
	e->magic = HKEY_MAGIC;
	memcpy(e->key, key, n + 1);
	if (namemap_put(h->keys, e) != 0) {
		free(e);
		return NULL;
	}
	LIST_INSERT_HEAD(&h->all, e, le);
	return e;
}

/**
 * handover_claim(gw, name, sess, fn, hkp): session ${sess} of agent
 * ${name} (the tail of its agent_names key) took the name here and would
 * open a channel.  0: go on now (no hand-over: a single process); 1: wait,
 * CLAIM sent: ${fn}(${sess}, granted) answers (not from inside this call);
 * -1: out of memory (logged): close retryably.  With 0 or 1, ${hkp} (the
 * session's channel's key, chan.h) is set to what handover_open_pending
 * takes.
 */
int
handover_claim(struct gw *gw, const char *name, void *sess,
    handover_answer_fn *fn, struct handover_key **hkp)
{
	struct handover *h = gw->handover;
	struct handover_key *e;
	const char *key = agent_names_keyof(name);

	*hkp = NULL;
	if (h == NULL)
		return 0;
	if (h->p.queued > OPIPE_PAUSE) {	/* the parent is behind */
		handover_drop(h, "claims-queued", 1 + strlen(key));
		return -1;
	}
	if ((e = handover_entry(h, key)) == NULL ||
	    opipe_send(&h->p, OWN_CLAIM, key) != 0) {
		log_warnx("event=handover_error detail=\"cannot send CLAIM\"");
		if (e != NULL)
			handover_settle(h, e);
		return -1;
	}
	e->claims++;
	e->waiter = sess;	/* an older one was superseded here */
	e->fn = fn;
	*hkp = e;
	return 1;
}

/**
 * handover_end(gw, name, sess): session ${sess} of agent ${name} ends
 * (its channel already closed); NULL ${name}: a session that never had
 * one.  What is owed to the parent goes once nothing is unanswered.
 */
void
handover_end(struct gw *gw, const char *name, void *sess)
{
	struct handover *h = gw->handover;
	struct handover_key *e;

	if (h == NULL || name == NULL ||
	    (e = namemap_get(h->keys, agent_names_keyof(name))) == NULL)
		return;
	if (e->waiter == sess)
		e->waiter = NULL;
	if (e->holder == sess)
		e->holder = NULL;
	handover_settle(h, e);
}

/**
 * handover_open_pending(gw, hk): a channel of ${hk}'s agent closed with
 * its OPEN unanswered (chan.c); handover_open_answered when it is.
 */
void
handover_open_pending(struct gw *gw, struct handover_key *hk)
{
	if (gw->handover != NULL)
		hkey_of(hk)->pending++;
}

/**
 * handover_open_answered(gw, hk): an OPEN handover_open_pending counted is
 * answered (OPEN_ACK or CLOSE read, or its link gone).
 */
void
handover_open_answered(struct gw *gw, struct handover_key *hk)
{
	if (gw->handover == NULL || hkey_of(hk)->pending == 0)
		return;
	hk->pending--;
	handover_settle(gw->handover, hk);
}
