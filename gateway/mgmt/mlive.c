/*
 * mlive.c: the liveness of the agents whose channel is open here (see
 * mlive.h).  Two lists: live (by last news, oldest first) and stale.  The
 * news of a channel moves it to the end of live; the sweep takes from the
 * front while the front is silent for stale_after.  Names in the logs come
 * from certificates: escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>

#include <ev.h>

#include "identity.h"
#include "log.h"
#include "mcmd.h"
#include "mgmt.h"
#include "mlive.h"
#include "namemap.h"
#include "store_agents.h"

#define MLIVE_MAGIC		0x4d4c6976u	/* "MLiv" */
#define MLIVE_TICK_MAX		1.		/* seconds between sweeps */
#define MLIVE_WRITE_MIN_MS	1000	/* a live channel's news to the */
#define MLIVE_WRITE_MAX_MS	60000	/* store: stale_after / 4, bound */

#define MLIVE_GONE_MAGIC	0x4d4c476fu	/* "MLGo" */

TAILQ_HEAD(mlive_q, mlive_chan);

/*
 * An agent whose channel ended while it was stale (its session gone: it
 * is offline): remembered so that its next OPEN here logs agent_back, at
 * most MLIVE_GONE_MAX of them (the oldest forgotten first).
 */
struct mlive_gone {
	uint32_t		 magic;		/* MLIVE_GONE_MAGIC */
	TAILQ_ENTRY(mlive_gone)	 entry;		/* oldest first */
	int64_t			 stale_ms;	/* stale since */
	char			 key[ID_DN_MAX + ID_NAME_MAX];
};
TAILQ_HEAD(mlive_gone_q, mlive_gone);

struct mlive {
	uint32_t	 magic;		/* MLIVE_MAGIC */
	struct mgmt	*m;
	struct mlive_q	 live;		/* by heard_ms, oldest first */
	struct mlive_q	 stale;
	uint64_t	 nstale;	/* on stale */
	int64_t		 after_ms;	/* [agents] stale_after */
	int64_t		 write_ms;	/* a live one's news to the store */
	ev_timer	 sweep;
	struct namemap	*gone;		/* of struct mlive_gone, by key */
	struct mlive_gone_q gone_q;
	unsigned	 ngone;
};

/* The state of a channel on a list. */
static enum store_agent_state
mlive_state(const struct mlive_chan *lc)
{
	return lc->stale_ms != 0 ? STORE_AGENT_STALE : STORE_AGENT_ONLINE;
}

/* Queue the news of ${lc} for the store (the next batched mark). */
static void
mlive_write(struct mlive *lv, struct mlive_chan *lc, int64_t seen_ms,
    uint64_t last_seq)
{
	mcmd_news(lv->m, lc->mc, mlive_state(lc), seen_ms, last_seq);
	lc->written_ms = lc->heard_ms;
}

/* Log a state change of ${lc}: agent_stale, agent_back. */
static void
mlive_log(const struct mlive_chan *lc, const char *event, const char *key,
    int64_t ms)
{
	char ea[LOG_ESC_MAX], ei[LOG_ESC_MAX];

	log_info("event=%s agent=%s issuer=\"%s\" %s=%lld", event,
	    log_esc(ea, sizeof(ea), lc->id->name, LOG_ESC_STR, LOG_ESC_BARE),
	    log_esc(ei, sizeof(ei), lc->id->issuer, LOG_ESC_STR, 0), key,
	    (long long)ms);
}

/* The name of an agent: "issuer\nname" (no DN has a \n). */
static void
mlive_key(const struct id_info *id, char *key, size_t len)
{
	snprintf(key, len, "%s\n%s", id->issuer, id->name);
}

static const char *
mlive_gone_key(const void *v)
{
	const struct mlive_gone *g = v;

	if (g == NULL || g->magic != MLIVE_GONE_MAGIC)
		abort();
	return g->key;
}

static void
mlive_gone_del(struct mlive *lv, struct mlive_gone *g)
{
	namemap_del(lv->gone, g);
	TAILQ_REMOVE(&lv->gone_q, g, entry);
	lv->ngone--;
	g->magic = 0;
	free(g);
}

/* ${lc}'s agent went while stale: remember it (best effort, bounded). */
static void
mlive_gone_add(struct mlive *lv, const struct mlive_chan *lc)
{
	struct mlive_gone *g;

	if (lv->gone == NULL && (lv->gone = namemap_new(mlive_gone_key)) ==
	    NULL)
		return;
	if (lv->ngone >= MLIVE_GONE_MAX)
		mlive_gone_del(lv, TAILQ_FIRST(&lv->gone_q));
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return;
	g->magic = MLIVE_GONE_MAGIC;
	g->stale_ms = lc->stale_ms;
	mlive_key(lc->id, g->key, sizeof(g->key));
	if (namemap_get(lv->gone, g->key) != NULL)
		mlive_gone_del(lv, namemap_get(lv->gone, g->key));
	if (namemap_put(lv->gone, g) != 0) {
		free(g);
		return;
	}
	TAILQ_INSERT_TAIL(&lv->gone_q, g, entry);
	lv->ngone++;
}

/* ${lc}'s agent opens at ${now_ms}: back if it went while stale. */
static void
mlive_gone_back(struct mlive *lv, const struct mlive_chan *lc,
    int64_t now_ms)
{
	char key[ID_DN_MAX + ID_NAME_MAX];
	struct mlive_gone *g;

	if (lv->gone == NULL)
		return;
	mlive_key(lc->id, key, sizeof(key));
	if ((g = namemap_get(lv->gone, key)) == NULL)
		return;
	mlive_log(lc, "agent_back", "stale_ms", now_ms - g->stale_ms);
	mlive_gone_del(lv, g);
}

/**
 * mlive_sweep(lv, now_ms): make stale the live channels with no news
 * since ${now_ms} - stale_after, at most MLIVE_SWEEP_MAX, oldest news
 * first.  Return how many (the timer calls it; a test may, with its own
 * clock).
 */
unsigned
mlive_sweep(struct mlive *lv, int64_t now_ms)
{
	struct mlive_chan *lc;
	unsigned n = 0;

	while (n < MLIVE_SWEEP_MAX && (lc = TAILQ_FIRST(&lv->live)) != NULL &&
	    now_ms - lc->heard_ms >= lv->after_ms) {
		TAILQ_REMOVE(&lv->live, lc, entry);
		TAILQ_INSERT_TAIL(&lv->stale, lc, entry);
		lc->stale_ms = now_ms;
		lv->nstale++;
		mlive_log(lc, "agent_stale", "silent_ms",
		    now_ms - lc->heard_ms);
		mlive_write(lv, lc, 0, 0);
		n++;
	}
	return n;
}

/* The sweep's timer. */
static void
mlive_sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mlive *lv = w->data;

	(void)revents;
	if (lv == NULL || lv->magic != MLIVE_MAGIC)
		abort();
	(void)mlive_sweep(lv, (int64_t)(ev_now(loop) * 1000.));
}

/**
 * mlive_configure(lv): (re)start the sweep of ${lv} from its server's
 * configuration ([agents] stale_after, after a SIGHUP): the channels
 * silent for the new stale_after become stale at the next sweep.
 */
void
mlive_configure(struct mlive *lv)
{
	double after = lv->m->cfg->stale_after, tick = after / 4;

	if (tick > MLIVE_TICK_MAX)
		tick = MLIVE_TICK_MAX;
	lv->after_ms = (int64_t)(after * 1000.);
	lv->write_ms = lv->after_ms / 4;
	if (lv->write_ms < MLIVE_WRITE_MIN_MS)
		lv->write_ms = MLIVE_WRITE_MIN_MS;
	if (lv->write_ms > MLIVE_WRITE_MAX_MS)
		lv->write_ms = MLIVE_WRITE_MAX_MS;
	ev_timer_stop(lv->m->loop, &lv->sweep);
	ev_timer_set(&lv->sweep, tick, tick);
	ev_timer_start(lv->m->loop, &lv->sweep);
	log_info("event=liveness stale_after_s=%.3f sweep_s=%.3f", after,
	    tick);
}

/**
 * mlive_new(m): the liveness of ${m}'s agents, for main.c to store in
 * m->live, its sweep on m->loop set from m->cfg.  NULL if out of memory.
 */
struct mlive *
mlive_new(struct mgmt *m)
{
	struct mlive *lv;

	if ((lv = calloc(1, sizeof(*lv))) == NULL)
		return NULL;
	lv->magic = MLIVE_MAGIC;
	lv->m = m;
	TAILQ_INIT(&lv->live);
	TAILQ_INIT(&lv->stale);
	TAILQ_INIT(&lv->gone_q);
	ev_timer_init(&lv->sweep, mlive_sweep_cb, 1., 1.);
	lv->sweep.data = lv;
	mlive_configure(lv);
	return lv;
}

/** mlive_free(lv): stop the sweep of ${lv} and free it; NULL-safe. */
void
mlive_free(struct mlive *lv)
{
	struct mlive_chan *lc;

	if (lv == NULL)
		return;
	ev_timer_stop(lv->m->loop, &lv->sweep);
	while ((lc = TAILQ_FIRST(&lv->live)) != NULL) {
		TAILQ_REMOVE(&lv->live, lc, entry);
		lc->on = 0;
	}
	while ((lc = TAILQ_FIRST(&lv->stale)) != NULL) {
		TAILQ_REMOVE(&lv->stale, lc, entry);
		lc->on = 0;
	}
	while (!TAILQ_EMPTY(&lv->gone_q))
		mlive_gone_del(lv, TAILQ_FIRST(&lv->gone_q));
	if (lv->gone != NULL)
		namemap_free(lv->gone);
	lv->magic = 0;
	free(lv);
}

/**
 * mlive_chan_start(lv, lc, id, mc, now_ms): the channel of ${lc}, of the
 * agent ${id} whose inventory writes go through ${mc} (both live as long
 * as ${lc}), is open and holds its agent's name at ${now_ms}: live
 * (unless ${lv} is NULL).
 */
void
mlive_chan_start(struct mlive *lv, struct mlive_chan *lc,
    const struct id_info *id, struct mcmd_chan *mc, int64_t now_ms)
{
	if (lv == NULL || lc->on)
		return;		/* no liveness (a test's world) */
	*lc = (struct mlive_chan){ .id = id, .mc = mc, .heard_ms = now_ms,
	    .written_ms = now_ms, .on = 1 };
	TAILQ_INSERT_TAIL(&lv->live, lc, entry);
	mlive_gone_back(lv, lc, now_ms);
}

/**
 * mlive_heard(lv, lc, now_ms, last_seq): news of the agent of ${lc} at
 * ${now_ms} (DATA, or its link's SEEN); its rows are stored up to
 * ${last_seq}.  A stale one is back.  Nothing if ${lc} is not live.
 */
void
mlive_heard(struct mlive *lv, struct mlive_chan *lc, int64_t now_ms,
    uint64_t last_seq)
{
	if (!lc->on)
		return;
	if (now_ms > lc->heard_ms)
		lc->heard_ms = now_ms;
	if (lc->stale_ms != 0) {
		TAILQ_REMOVE(&lv->stale, lc, entry);
		lv->nstale--;
		mlive_log(lc, "agent_back", "stale_ms",
		    now_ms - lc->stale_ms);
		lc->stale_ms = 0;
		TAILQ_INSERT_TAIL(&lv->live, lc, entry);
		mlive_write(lv, lc, lc->heard_ms, last_seq);
		return;
	}
	TAILQ_REMOVE(&lv->live, lc, entry);
	TAILQ_INSERT_TAIL(&lv->live, lc, entry);
	if (lc->heard_ms - lc->written_ms >= lv->write_ms)
		mlive_write(lv, lc, lc->heard_ms, last_seq);
}

/**
 * mlive_chan_stop(lv, lc, last_seq, back_ms): the channel of ${lc} ends,
 * or loses its agent's name, its rows stored up to ${last_seq}: its last
 * news goes to the store, it is no longer live.  If ${back_ms} is not 0,
 * a new OPEN of its agent took the name at ${back_ms}: a stale agent is
 * back (logged).  Nothing if it was not live.
 */
void
mlive_chan_stop(struct mlive *lv, struct mlive_chan *lc,
    uint64_t last_seq, int64_t back_ms)
{
	if (!lc->on)
		return;
	if (lc->stale_ms != 0) {
		TAILQ_REMOVE(&lv->stale, lc, entry);
		lv->nstale--;
		if (back_ms != 0)
			mlive_log(lc, "agent_back", "stale_ms",
			    back_ms - lc->stale_ms);
		else
			mlive_gone_add(lv, lc);
	} else
		TAILQ_REMOVE(&lv->live, lc, entry);
	mlive_write(lv, lc, lc->heard_ms, last_seq);
	lc->on = 0;
	lc->stale_ms = 0;
}

/** mlive_stale(lv): the channels stale now. */
uint64_t
mlive_stale(const struct mlive *lv)
{
	return lv->nstale;
}
