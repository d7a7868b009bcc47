/*
 * mcmd.c: the commands of one agent channel (see mcmd.h; PROTOCOL.md
 * 9.7).  Each call here is one store statement of its own (store_cmd.h):
 * the group commit is never in a transaction between loop callbacks, and
 * these writes never join its batch, so no answer of one agent can roll
 * back another's rows.  Every id from the wire is checked against the
 * ids sent on the channel (1 .. 2^63-1 by construction) before the store
 * sees it, and the store checks it targets the channel's agent.  The
 * inventory writes (mcmd_up, mcmd_down) are queued and written once per
 * loop pass, in one transaction (see mcmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "frame.h"
#include "identity.h"
#include "log.h"
#include "mcmd.h"
#include "mgmt.h"
#include "store_agents.h"
#include "store_cmd.h"

#define MCMD_BATCH_MAGIC	0x4d426174u	/* "MBat" */

/* The inventory events of one channel not written yet (mcmd.h). */
struct mcmd_ev {
	TAILQ_ENTRY(mcmd_ev)	 entry;		/* on mcmd_batch.q */
	struct mcmd_chan	*mc;		/* its channel; NULL once gone */
	struct id_info		 id;		/* the agent, copied */
	char			*sans;		/* up: the extension, copied */
	int64_t			 not_after_ms;	/* up: the same */
	char			 via[GW_VIA_LEN_MAX + 1];	/* up: via */
	char			 gateway[ID_NAME_MAX];
	int			 up;		/* its OPEN_ACK came */
	int64_t			 opened_ms;	/* mcmd_up's time */
	int			 live;		/* news: a store_agent_state */
	int64_t			 seen_ms;	/* news: heard at, the latest */
	uint64_t		 last_seq;	/* news: stored up to */
	int64_t			 closed_ms;	/* 0: open still */
};

/* The loop's time, as the store keeps times. */
static int64_t
mcmd_now(const struct mgmt *m)
{
	return (int64_t)(ev_now(m->loop) * 1000.);
}

/* Log a store failure about ${mc}'s agent, once. */
static void
mcmd_store_failed(struct mgmt *m, const struct mcmd_chan *mc,
    const char *what)
{
	char ea[LOG_ESC_MAX], ed[LOG_ESC_MAX];

	log_errx("event=store_failed what=%s gateway=%s agent=%s "
	    "detail=\"%s\"", what, mc->gateway, log_esc(ea, sizeof(ea),
	    mc->id->name, LOG_ESC_STR, LOG_ESC_BARE), log_esc(ed, sizeof(ed),
	    store_errmsg(m->store), LOG_ESC_STR, 0));
}

/* ev_prepare: the loop is about to wait; write this pass's events. */
static void
mcmd_batch_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct mcmd_batch *b = w->data;

	(void)loop;
	(void)revents;
	if (b == NULL || b->magic != MCMD_BATCH_MAGIC)
		abort();
	mcmd_batch_flush(b);
}

/** mcmd_batch_init(b): set up ${b}, empty. */
void
mcmd_batch_init(struct mcmd_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->magic = MCMD_BATCH_MAGIC;
	TAILQ_INIT(&b->q);
	ev_prepare_init(&b->prepare, mcmd_batch_cb);
	b->prepare.data = b;
}

/* Free the entries of ${b} (their channels no longer point at them). */
static void
mcmd_batch_clear(struct mcmd_batch *b)
{
	struct mcmd_ev *ev;

	while ((ev = TAILQ_FIRST(&b->q)) != NULL) {
		TAILQ_REMOVE(&b->q, ev, entry);
		if (ev->mc != NULL)
			ev->mc->ev = NULL;
		free(ev->sans);
		free(ev);
	}
	b->n = 0;
	if (b->m != NULL)
		ev_prepare_stop(b->m->loop, &b->prepare);
}

/* The store_agents_mark form of entry ${ev}. */
static void
mcmd_ev_store(const struct mcmd_ev *ev, struct store_agent_ev *out)
{
	*out = (struct store_agent_ev){
		.agent = {
			.issuer = ev->id.issuer,
			.name = ev->id.name,
			.subject = ev->id.subject,
			.san = ev->id.san,
			.serial = ev->id.serial,
			.fingerprint = ev->id.fp_hex,
			.gateway = ev->gateway,
			.peer = ev->id.peer,
			.sans = ev->sans,
			.not_after_ms = ev->not_after_ms,
			.via = ev->via,
		},
		.up = ev->up,
		.opened_ms = ev->opened_ms,
		.live = (enum store_agent_state)ev->live,
		.seen_ms = ev->seen_ms,
		.last_seq = ev->last_seq,
		.closed_ms = ev->closed_ms,
	};
}

/**
 * mcmd_batch_flush(b): write what ${b} holds now (the store must be
 * open): store_agents_mark, or nothing if the store is in a transaction.
 */
void
mcmd_batch_flush(struct mcmd_batch *b)
{
	struct store_agent_ev *evs;
	const struct mcmd_ev *ev;
	char ed[LOG_ESC_MAX];
	size_t i = 0;

	if (b->n == 0 || b->m == NULL) {
		mcmd_batch_clear(b);
		return;
	}
	if (store_in_txn(b->m->store))
		return;		/* never joins the group commit's: later */
	if ((evs = calloc(b->n, sizeof(*evs))) != NULL) {
		TAILQ_FOREACH(ev, &b->q, entry)
			mcmd_ev_store(ev, &evs[i++]);
		b->writes++;
	}
	if (evs == NULL || store_agents_mark(b->m->store, evs, b->n) != 0) {
		b->dropped += b->n;
		log_errx("event=store_failed what=agents_mark events=%zu "
		    "detail=\"%s\"", b->n, evs == NULL ? "out of memory" :
		    log_esc(ed, sizeof(ed), store_errmsg(b->m->store),
		    LOG_ESC_STR, 0));
	}
	free(evs);
	mcmd_batch_clear(b);
}

/**
 * mcmd_batch_free(b): write what ${b} holds (mcmd_batch_flush) and free
 * it; the channels that queued it are gone.
 */
void
mcmd_batch_free(struct mcmd_batch *b)
{
	if (b->m != NULL && b->m->store != NULL)
		mcmd_batch_flush(b);
	mcmd_batch_clear(b);
	b->magic = 0;
}

/* The entry of ${mc} on its batch, made if none; NULL if out of memory. */
static struct mcmd_ev *
mcmd_ev_get(struct mgmt *m, struct mcmd_chan *mc)
{
	struct mcmd_batch *b = mc->batch;
	struct mcmd_ev *ev;

	if (mc->ev != NULL)
		return mc->ev;
	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		log_errx("event=store_failed what=agent_inventory "
		    "detail=\"out of memory\"");
		return NULL;
	}
	ev->mc = mc;
	ev->id = *mc->id;
	snprintf(ev->gateway, sizeof(ev->gateway), "%s", mc->gateway);
	TAILQ_INSERT_TAIL(&b->q, ev, entry);
	b->n++;
	mc->ev = ev;
	b->m = m;
	if (!ev_is_active(&b->prepare))
		ev_prepare_start(m->loop, &b->prepare);
	return ev;
}

/**
 * mcmd_chan_init(mc, id, gateway, batch): set up ${mc}, for the agent
 * ${id} on a link of gateway ${gateway}, its inventory writes queued on
 * ${batch} (all three must live as long as ${mc}).
 */
void
mcmd_chan_init(struct mcmd_chan *mc, const struct id_info *id,
    const char *gateway, struct mcmd_batch *batch)
{
	memset(mc, 0, sizeof(*mc));
	mc->id = id;
	mc->gateway = gateway;
	mc->batch = batch;
}

/**
 * mcmd_up(m, mc, sans, not_after_ms, via): the channel of ${mc} is open
 * (OPEN_ACK): its agent goes online in the store's agents table with the
 * SANs and notAfter of OPEN's identity extension and its via (NULL, 0 and
 * NULL without them; queued: written this loop pass).
 */
void
mcmd_up(struct mgmt *m, struct mcmd_chan *mc, const char *sans,
    int64_t not_after_ms, const char *via)
{
	struct mcmd_ev *ev;
	int64_t now = mcmd_now(m);

	if ((ev = mcmd_ev_get(m, mc)) == NULL)
		return;
	ev->id = *mc->id;	/* named now */
	free(ev->sans);
	/* Out of memory: the store gets "" (logged), the rest goes on. */
	if ((ev->sans = strdup(sans != NULL ? sans : "")) == NULL)
		log_errx("event=store_failed what=agent_inventory "
		    "detail=\"out of memory\"");
	ev->not_after_ms = not_after_ms;
	snprintf(ev->via, sizeof(ev->via), "%s", via != NULL ? via : "");
	ev->up = 1;
	ev->opened_ms = now;
	mc->up_ms = now;
}

/**
 * mcmd_news(m, mc, live, seen_ms, last_seq): news of the agent of ${mc}'s
 * channel (up): it is ${live} (online, stale), heard at ${seen_ms} (0: not
 * heard now), its rows stored up to ${last_seq} (queued, as mcmd_up's;
 * the latest of a loop pass wins, times and seqs only grow).
 */
void
mcmd_news(struct mgmt *m, struct mcmd_chan *mc, int live, int64_t seen_ms,
    uint64_t last_seq)
{
	struct mcmd_ev *ev;

	if (mc->up_ms == 0 || (ev = mcmd_ev_get(m, mc)) == NULL)
		return;
	ev->opened_ms = mc->up_ms;
	ev->live = live;
	if (seen_ms > ev->seen_ms)
		ev->seen_ms = seen_ms;
	if (last_seq > ev->last_seq)
		ev->last_seq = last_seq;
}

/**
 * mcmd_down(m, mc): the channel of ${mc}, which held its agent's name, is
 * going: its agent goes offline (if mcmd_up put it online; queued, as
 * mcmd_up's).  ${mc} may be freed once this returns.
 */
void
mcmd_down(struct mgmt *m, struct mcmd_chan *mc)
{
	struct mcmd_ev *ev;

	if (mc->up_ms == 0)
		return;
	if ((ev = mcmd_ev_get(m, mc)) != NULL) {
		ev->opened_ms = mc->up_ms;
		ev->closed_ms = mcmd_now(m);
		ev->mc = NULL;
	}
	mc->ev = NULL;
	mc->up_ms = 0;
}

/* The slot of command ${id} on ${mc}, or -1. */
static int
mcmd_slot(const struct mcmd_chan *mc, int64_t id)
{
	for (unsigned i = 0; i < mc->n; i++)
		if (mc->slot[i].id == id)
			return (int)i;
	return -1;
}

/* Free slot ${i} of ${mc} (the last one moves there). */
static void
mcmd_slot_free(struct mcmd_chan *mc, unsigned i)
{
	mc->slot[i] = mc->slot[--mc->n];
}

/* One round of mcmd_deliver. */
struct mcmd_round {
	struct mgmt		*m;
	struct mcmd_chan	*mc;
	mcmd_send_fn		 send;
	void			*arg;
	int			 blocked;	/* a COMMAND found no room */
};

/* store_cmd_pending's callback: send COMMAND ${d} if it has a slot. */
static int
mcmd_one(const struct store_delivery *d, void *arg)
{
	struct mcmd_round *r = arg;
	struct mcmd_chan *mc = r->mc;
	struct gw_frame f = { .type = GW_T_COMMAND };
	char ea[LOG_ESC_MAX];
	int i = mcmd_slot(mc, d->id);

	if (i < 0 && mc->n == GW_COMMANDS_INFLIGHT)
		return 0;	/* its turn comes when one is answered */
	f.u.data.seq = (uint64_t)d->id;
	f.u.data.body.p = d->body;
	f.u.data.body.len = (uint32_t)d->len;
	switch (r->send(r->arg, &f)) {
	case MCMD_SENT:
		break;
	case MCMD_NO_ROOM:
		r->blocked = 1;
		return 1;
	default:
		log_warnx("event=command_too_big gateway=%s agent=%s id=%lld "
		    "bytes=%zu", mc->gateway, log_esc(ea, sizeof(ea),
		    mc->id->name, LOG_ESC_STR, LOG_ESC_BARE),
		    (long long)d->id, d->len);
		return 0;
	}
	if (i < 0) {
		i = (int)mc->n++;
		mc->slot[i].id = d->id;
		mc->slot[i].acked = 0;
	}
	mc->slot[i].expires_ms = d->expires_ms;
	mc->slot[i].seen = 1;
	return 0;
}

/**
 * mcmd_deliver(m, mc, send, arg): send on the channel of ${mc} (open)
 * a COMMAND for each of its agent's pending commands, through
 * ${send}(${arg}), at most GW_COMMANDS_INFLIGHT without a RESULT, oldest
 * first, until one finds no room; clears what mcmd_set_due set.  Return
 * 0, or -1 if the store failed (not logged: the caller logs once for
 * many channels).
 */
int
mcmd_deliver(struct mgmt *m, struct mcmd_chan *mc, mcmd_send_fn send,
    void *arg)
{
	struct mcmd_round r = { m, mc, send, arg, 0 };
	int64_t now = mcmd_now(m);

	mc->due = 0;
	for (unsigned i = 0; i < mc->n; i++)
		mc->slot[i].seen = 0;
	if (store_cmd_pending(m->store, mc->id->issuer, mc->id->name, now,
	    GW_COMMANDS_INFLIGHT, mcmd_one, &r) < 0)
		return -1;
	if (r.blocked)
		return 0;
	/*
	 * A slot no longer pending was answered (here or elsewhere) or
	 * expired unacknowledged: free it.  One acknowledged stays pending
	 * after its expiry (the agent runs it; store_cmd_pending returns it
	 * until its RESULT), so its COMMAND is sent again and the agent
	 * answers from its journal.
	 */
	for (unsigned i = mc->n; i-- > 0;)
		if (!mc->slot[i].seen)
			mcmd_slot_free(mc, i);
	return 0;
}

/**
 * mcmd_offer(mc, d, send, arg): command ${d} (of store_cmd_new: made
 * since the last poll) for the agent of ${mc}'s channel (open): send its
 * COMMAND through ${send}(${arg}) unless it went on this channel already
 * or GW_COMMANDS_INFLIGHT are without a RESULT; if it finds no room (or
 * is not sent for the bound), the next resend round sends it.  Calls
 * nothing of the store: store_cmd_new's callback may call it.
 */
void
mcmd_offer(struct mcmd_chan *mc, const struct store_delivery *d,
    mcmd_send_fn send, void *arg)
{
	struct mcmd_round r = { NULL, mc, send, arg, 0 };

	if (mcmd_slot(mc, d->id) >= 0)
		return;		/* sent here already (at its OPEN_ACK) */
	(void)mcmd_one(d, &r);
	if (r.blocked || mcmd_slot(mc, d->id) < 0)
		mc->due = 1;	/* the round sends it */
}

/**
 * mcmd_set_due(mc): the agent of ${mc} has commands without a RESULT
 * (store_cmd_pending_agents): the next mcmd_in_round says so.  Calls
 * nothing of the store.
 */
void
mcmd_set_due(struct mcmd_chan *mc)
{
	mc->due = 1;
}

/**
 * mcmd_in_round(mc): 1 if the resend round has work on ${mc}: its agent
 * has commands without a RESULT (mcmd_set_due since its last
 * mcmd_deliver), or COMMANDs sent on it wait for one (whose slots the
 * round frees once answered elsewhere or expired); else 0.
 */
int
mcmd_in_round(const struct mcmd_chan *mc)
{
	return mc->due || mc->n > 0;
}

/*
 * Log an answer of ${mc}'s agent not taken: ${why}.  A gateway may send
 * any number: the 1st, 2nd, 4th, 8th, ... of the channel are logged, with
 * the count, so the log grows with its logarithm.
 */
static void
mcmd_ignored(struct mcmd_chan *mc, const struct gw_frame *f, uint64_t id,
    const char *why)
{
	char ea[LOG_ESC_MAX];

	mc->ignored++;
	if ((mc->ignored & (mc->ignored - 1)) != 0)
		return;
	log_warnx("event=command_answer_ignored gateway=%s channel=%u "
	    "agent=%s type=%s id=%llu why=\"%s\" count=%llu", mc->gateway,
	    f->channel, log_esc(ea, sizeof(ea), mc->id->name, LOG_ESC_STR,
	    LOG_ESC_BARE), gw_type_str(f->type), (unsigned long long)id, why,
	    (unsigned long long)mc->ignored);
}

/* RESULT ${f} for the command of slot ${i}: to the store, first wins. */
static void
mcmd_result(struct mgmt *m, struct mcmd_chan *mc, unsigned i,
    const struct gw_frame *f)
{
	struct store_target t = {
		.command = mc->slot[i].id,
		.issuer = mc->id->issuer,
		.agent = mc->id->name,
		.outcome = f->u.result.outcome,
		.status = f->u.result.status,
		.truncated = (f->u.result.flags & GW_RESULT_TRUNCATED) != 0,
		.output = f->u.result.output.p,
		.len = f->u.result.output.len,
	};
	enum store_cmd_hit hit;
	char ea[LOG_ESC_MAX];

	if (store_cmd_result(m->store, &t, mcmd_now(m), &hit) != 0) {
		mcmd_store_failed(m, mc, "command_result");
		return;		/* the next round sends it again */
	}
	mcmd_slot_free(mc, i);
	if (hit == STORE_CMD_MISS) {
		mcmd_ignored(mc, f, f->u.result.id, "not a target of it");
		return;
	}
	log_info("event=command_result gateway=%s agent=%s id=%llu "
	    "outcome=%s status=%d bytes=%u%s", mc->gateway, log_esc(ea,
	    sizeof(ea), mc->id->name, LOG_ESC_STR, LOG_ESC_BARE),
	    (unsigned long long)f->u.result.id,
	    gw_outcome_str(f->u.result.outcome), (int)f->u.result.status,
	    (unsigned)f->u.result.output.len,
	    hit == STORE_CMD_KNOWN ? " (answered before: kept that)" : "");
}

/* COMMAND_ACK ${f} for the command of slot ${i}: delivered. */
static void
mcmd_ack(struct mgmt *m, struct mcmd_chan *mc, unsigned i,
    const struct gw_frame *f)
{
	enum store_cmd_hit hit;

	if (mc->slot[i].acked)
		return;		/* the agent answers each resend: known */
	if (store_cmd_ack(m->store, mc->slot[i].id, mc->id->issuer,
	    mc->id->name, mcmd_now(m), &hit) != 0) {
		mcmd_store_failed(m, mc, "command_ack");
		return;
	}
	if (hit == STORE_CMD_MISS) {
		mcmd_slot_free(mc, i);
		mcmd_ignored(mc, f, f->u.ack.seq, "not a target of it");
		return;
	}
	mc->slot[i].acked = 1;
	log_debug("event=command_delivered gateway=%s channel=%u id=%llu",
	    mc->gateway, f->channel, (unsigned long long)f->u.ack.seq);
}

/**
 * mcmd_answer(m, mc, f): COMMAND_ACK or RESULT ${f} read on the channel
 * of ${mc} (open): to the store if its id was sent there, else ignored;
 * either way logged.
 */
void
mcmd_answer(struct mgmt *m, struct mcmd_chan *mc, const struct gw_frame *f)
{
	uint64_t id = f->type == GW_T_RESULT ? f->u.result.id :
	    f->u.ack.seq;
	int i;

	/* A slot's id is a store's: 1 .. 2^63-1. */
	if (id == 0 || id > GW_SEQ_MAX ||
	    (i = mcmd_slot(mc, (int64_t)id)) < 0) {
		mcmd_ignored(mc, f, id, "not sent on this channel");
		return;
	}
	if (f->type == GW_T_RESULT)
		mcmd_result(m, mc, (unsigned)i, f);
	else
		mcmd_ack(m, mc, (unsigned)i, f);
}

/**
 * mcmd_expire(m): the targets still queued at their command's expiry
 * become expired in the store.  Return 0, or -1 (logged).
 */
int
mcmd_expire(struct mgmt *m)
{
	char ed[LOG_ESC_MAX];
	long n = 0, total = 0;

	/* A bounded number of statements per round: the loop waits. */
	for (unsigned round = 0; round < 16; round++) {
		if (store_cmd_expire(m->store, mcmd_now(m), &n) != 0) {
			log_errx("event=store_failed what=command_expire "
			    "detail=\"%s\"", log_esc(ed, sizeof(ed),
			    store_errmsg(m->store), LOG_ESC_STR, 0));
			return -1;
		}
		total += n;
		if (n < STORE_CMD_EXPIRE_BATCH)
			break;
	}
	if (total > 0)
		log_info("event=commands_expired targets=%ld", total);
	return 0;
}
