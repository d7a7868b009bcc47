/*
 * owners_tab.c: the parent's table agent -> worker of workers mode and
 * its rules (owners_tab.h).  Each entry is one allocation: its owner, the
 * worker waiting for it, whether a RELEASE waits (on a FIFO: the wait is
 * the same for all, so the oldest is first), its place on its owner's and
 * its waiter's lists, then its key.  Bounded: a worker owns or waits for
 * at most its share of entries, so the table holds at most nworkers x
 * share.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "log.h"
#include "namemap.h"
#include "owners_msg.h"
#include "owners_tab.h"

#define NONE	(-1)

struct oent {
	int			 owner;		/* worker, or NONE */
	int			 want;		/* worker waiting, or NONE */
	int			 releasing;	/* RELEASE sent to owner */
	int			 on_rel;	/* on t->rel: releasing, and a
						   worker waits for it */
	double			 release_at;	/* since a worker waits */
	TAILQ_ENTRY(oent)	 rel;		/* on t->rel */
	LIST_ENTRY(oent)	 own_le;	/* on w[owner].owned */
	LIST_ENTRY(oent)	 want_le;	/* on w[want].wanted */
	char			 key[];
};

struct oworker {
	LIST_HEAD(, oent)	 owned, wanted;
	unsigned		 held;		/* owned + wanted */
	uint64_t		 dropped;	/* since last logged */
	double			 logged;	/* when */
	uint64_t		 refused;	/* since last logged */
	double			 refused_at;	/* when logged */
};

struct owners_tab {
	struct namemap		*map;
	unsigned		 n, share;
	owners_send_fn		*send;
	void			*arg;
	TAILQ_HEAD(, oent)	 rel;		/* RELEASEs waiting, oldest
						   first */
	uint64_t		 dropped;
	struct oworker		 w[];
};

static const char *
oent_key(const void *v)
{
	return ((const struct oent *)v)->key;
}

/**
 * owners_tab_new(nworkers, share, send, arg): an empty table of
 * ${nworkers} workers (1..OWNERS_MAX_WORKERS), each owning or waiting for
 * at most ${share} agents (>= 1), sending through ${send}(${arg}, ...).
 * NULL on ENOMEM or bad arguments.
 */
struct owners_tab *
owners_tab_new(unsigned nworkers, unsigned share, owners_send_fn *send,
    void *arg)
{
	struct owners_tab *t;

	if (nworkers < 1 || nworkers > OWNERS_MAX_WORKERS || share < 1 ||
	    send == NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t) + nworkers * sizeof(t->w[0]))) == NULL)
		return NULL;
	if ((t->map = namemap_new(oent_key)) == NULL) {
		free(t);
		return NULL;
	}
	t->n = nworkers;
	t->share = share;
	t->send = send;
	t->arg = arg;
	TAILQ_INIT(&t->rel);
	for (unsigned i = 0; i < nworkers; i++) {
		LIST_INIT(&t->w[i].owned);
		LIST_INIT(&t->w[i].wanted);
	}
	return t;
}

/* No worker waits for ${e}'s RELEASE any more: it cannot be overdue. */
static void
oent_rel_off(struct owners_tab *t, struct oent *e)
{
	if (e->on_rel) {
		TAILQ_REMOVE(&t->rel, e, rel);
		e->on_rel = 0;
	}
}

/*
 * A worker waits for ${e}'s RELEASE since ${now} (or since it began
 * waiting): owners_tab_overdue counts from then.
 */
static void
oent_rel_on(struct owners_tab *t, struct oent *e, double now)
{
	if (!e->on_rel) {
		e->release_at = now;
		TAILQ_INSERT_TAIL(&t->rel, e, rel);
		e->on_rel = 1;
	}
}

static void
oent_unown(struct owners_tab *t, struct oent *e)
{
	oent_rel_off(t, e);
	e->releasing = 0;
	if (e->owner != NONE) {
		LIST_REMOVE(e, own_le);
		t->w[e->owner].held--;
		e->owner = NONE;
	}
}

static void
oent_unwant(struct owners_tab *t, struct oent *e)
{
	if (e->want != NONE) {
		LIST_REMOVE(e, want_le);
		t->w[e->want].held--;
		e->want = NONE;
	}
}

static void
oent_own(struct owners_tab *t, struct oent *e, unsigned w)
{
	e->owner = (int)w;
	LIST_INSERT_HEAD(&t->w[w].owned, e, own_le);
	t->w[w].held++;
}

static void
oent_want(struct owners_tab *t, struct oent *e, unsigned w)
{
	e->want = (int)w;
	LIST_INSERT_HEAD(&t->w[w].wanted, e, want_le);
	t->w[w].held++;
}

/* ${e} is owned and wanted by none: out of the table. */
static void
oent_free(struct owners_tab *t, struct oent *e)
{
	oent_unown(t, e);
	oent_unwant(t, e);
	namemap_del(t->map, e);
	free(e);
}

/** owners_tab_free(t): free ${t}; NULL-safe. */
void
owners_tab_free(struct owners_tab *t)
{
	if (t == NULL)
		return;
	for (unsigned i = 0; i < t->n; i++) {
		struct oent *e;

		while ((e = LIST_FIRST(&t->w[i].owned)) != NULL)
			oent_free(t, e);
		while ((e = LIST_FIRST(&t->w[i].wanted)) != NULL)
			oent_free(t, e);
	}
	namemap_free(t->map);
	free(t);
}

/* Log ${e}'s hand-over event ${what} with ${worker}. */
static void
oent_log(const struct oent *e, const char *what, int worker, int from)
{
	char en[LOG_ESC_MAX];

	log_esc(en, sizeof(en), e->key + OWN_KEY_PREFIX, LOG_ESC_STR,
	    LOG_ESC_BARE);
	log_info("event=handover_%s agent=%s issuer=%.16s worker=%d from=%d",
	    what, en, e->key, worker, from);
}

/* The owner of ${e} let it go (or is gone): to its waiter, or forgotten. */
static void
oent_released(struct owners_tab *t, struct oent *e)
{
	int from = e->owner, w = e->want;

	oent_unown(t, e);
	if (w == NONE) {
		oent_free(t, e);
		return;
	}
	oent_unwant(t, e);
	oent_own(t, e, (unsigned)w);
	oent_log(e, "granted", w, from);
	t->send(t->arg, (unsigned)w, OWN_GRANT, e->key);
}

/*
 * Drop a message of ${w}: counted, logged at most once a second per
 * worker.  -1.
 */
static int
owners_drop(struct owners_tab *t, unsigned w, const char *why, size_t len,
    double now)
{
	t->dropped++;
	if (w >= t->n)
		return -1;
	t->w[w].dropped++;
	if (now - t->w[w].logged >= 1.0) {
		log_warnx("event=handover_dropped worker=%u why=%s len=%zu "
		    "count=%llu", w, why, len,
		    (unsigned long long)t->w[w].dropped);
		t->w[w].dropped = 0;
		t->w[w].logged = now;
	}
	return -1;
}

/* ${w} over its share: DENY (logged at most once a second). */
static void
owners_deny_share(struct owners_tab *t, unsigned w, const char *key,
    double now)
{
	struct oworker *ow = &t->w[w];

	ow->refused++;
	if (now - ow->refused_at >= 1.0) {
		log_warnx("event=handover_refused worker=%u held=%u share=%u "
		    "count=%llu", w, ow->held, t->share,
		    (unsigned long long)ow->refused);
		ow->refused = 0;
		ow->refused_at = now;
	}
	t->send(t->arg, w, OWN_DENY, key);
}

/* CLAIM of unknown ${key} by ${w}. */
static void
owners_claim_new(struct owners_tab *t, unsigned w, const struct own_msg *m,
    double now)
{
	struct oent *e;

	if (t->w[w].held >= t->share) {
		owners_deny_share(t, w, m->key, now);
		return;
	}
	if ((e = calloc(1, sizeof(*e) + m->keylen + 1)) == NULL)
		goto fail;
	memcpy(e->key, m->key, (size_t)m->keylen + 1);
	e->owner = e->want = NONE;
	if (namemap_put(t->map, e) != 0) {
		free(e);
		goto fail;
	}
	oent_own(t, e, w);
	t->send(t->arg, w, OWN_GRANT, e->key);
	return;
fail:
	log_warnx("event=handover_refused worker=%u detail=ENOMEM", w);
	t->send(t->arg, w, OWN_DENY, m->key);
}

/* CLAIM of ${e} by ${w}, owned by another, or asked to release. */
static void
owners_claim_wait(struct owners_tab *t, unsigned w, struct oent *e,
    double now)
{
	if (e->want != (int)w && t->w[w].held >= t->share) {
		owners_deny_share(t, w, e->key, now);
		return;
	}
	if (e->want != NONE) {
		/* The older claim loses: one answer per CLAIM. */
		oent_log(e, "denied", e->want, (int)w);
		t->send(t->arg, (unsigned)e->want, OWN_DENY, e->key);
	}
	if (e->want != (int)w) {
		oent_unwant(t, e);
		oent_want(t, e, w);
	}
	oent_rel_on(t, e, now);
	if (!e->releasing) {
		e->releasing = 1;
		oent_log(e, "release", e->owner, (int)w);
		t->send(t->arg, (unsigned)e->owner, OWN_RELEASE, e->key);
	}
}

static void
owners_claim(struct owners_tab *t, unsigned w, const struct own_msg *m,
    double now)
{
	struct oent *e = namemap_get(t->map, m->key);

	if (e == NULL)
		owners_claim_new(t, w, m, now);
	else if (e->owner == (int)w && !e->releasing)
		t->send(t->arg, w, OWN_GRANT, e->key);
	else
		owners_claim_wait(t, w, e, now);
}

/**
 * owners_tab_input(t, worker, p, len, now): worker ${worker} sent the
 * ${len} bytes at ${p} at time ${now}: apply the rules.  0 if it was
 * taken, -1 if it was dropped (malformed or not the worker's business:
 * counted, logged rate-limited).
 */
int
owners_tab_input(struct owners_tab *t, unsigned worker, const uint8_t *p,
    size_t len, double now)
{
	struct own_msg m;
	struct oent *e;

	if (worker >= t->n)
		return owners_drop(t, worker, "worker", len, now);
	if (own_msg_decode(p, len, &m) != 0)
		return owners_drop(t, worker, "malformed", len, now);
	e = namemap_get(t->map, m.key);
	switch (m.type) {
	case OWN_CLAIM:
		owners_claim(t, worker, &m, now);
		return 0;
	case OWN_RELEASED:
		if (e == NULL || e->owner != (int)worker || !e->releasing)
			return owners_drop(t, worker, "released-unasked", len,
			    now);
		break;
	case OWN_DROP:
		if (e == NULL || e->owner != (int)worker)
			return owners_drop(t, worker, "drop-not-owner", len,
			    now);
		break;
	default:
		return owners_drop(t, worker, "type", len, now);
	}
	oent_released(t, e);
	return 0;
}

/**
 * owners_tab_gone(t, worker): ${worker} is dead: all it owned is released
 * (granted to those waiting), all it waited for forgotten.
 */
void
owners_tab_gone(struct owners_tab *t, unsigned worker)
{
	struct oent *e;

	if (worker >= t->n)
		return;
	while ((e = LIST_FIRST(&t->w[worker].wanted)) != NULL) {
		oent_unwant(t, e);	/* its owner is another worker */
		oent_rel_off(t, e);	/* whose RELEASE none waits for */
	}
	while ((e = LIST_FIRST(&t->w[worker].owned)) != NULL)
		oent_released(t, e);
	t->w[worker].dropped = 0;
}

/**
 * owners_tab_overdue(t, now, when): the worker whose RELEASE has waited
 * OWNERS_RELEASE_WAIT or more at ${now}, or -1; ${when} (if not NULL) is
 * set to when the oldest RELEASE waiting becomes overdue (0: none waits).
 */
int
owners_tab_overdue(const struct owners_tab *t, double now, double *when)
{
	const struct oent *e = TAILQ_FIRST(&t->rel);

	if (when != NULL)
		*when = e != NULL ? e->release_at + OWNERS_RELEASE_WAIT : 0;
	if (e == NULL || now - e->release_at < OWNERS_RELEASE_WAIT)
		return -1;
	return e->owner;
}

/** owners_tab_owner(t, key): the worker owning ${key}, or -1. */
int
owners_tab_owner(const struct owners_tab *t, const char *key)
{
	const struct oent *e = namemap_get(t->map, key);

	return e != NULL ? e->owner : -1;
}

/** owners_tab_waiter(t, key): the worker waiting for ${key}, or -1. */
int
owners_tab_waiter(const struct owners_tab *t, const char *key)
{
	const struct oent *e = namemap_get(t->map, key);

	return e != NULL ? e->want : -1;
}

/** owners_tab_count(t): entries in ${t}. */
size_t
owners_tab_count(const struct owners_tab *t)
{
	return namemap_count(t->map);
}

/** owners_tab_held(t, worker): entries ${worker} owns or waits for. */
unsigned
owners_tab_held(const struct owners_tab *t, unsigned worker)
{
	return worker < t->n ? t->w[worker].held : 0;
}

/** owners_tab_dropped(t): messages dropped (malformed or not theirs). */
uint64_t
owners_tab_dropped(const struct owners_tab *t)
{
	return t->dropped;
}
