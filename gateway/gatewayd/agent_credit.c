/*
 * agent_credit.c: credit for agents' DATA against buffer_budget, the
 * gateway's one bound on replay memory.
 *
 * Credit cannot be taken back (docs/PROTOCOL.md 9.4), and each frame of
 * it lets the agent make us keep up to max_payload bytes until the
 * management server ACKs them.  So every frame of credit granted reserves
 * max_payload bytes of the budget; DATA turns the reservation into the
 * bytes it really carries (the rest goes back), the ACK frees those.  At
 * all times
 *
 *	replay_bytes + reserved_bytes <= buffer_budget
 *
 * (a reload that lowers the budget: again once enough has been ACKed).
 * Credit is granted only against memory reserved, the first window too:
 * an agent may start with less than its window, or with none, and wait.
 *
 * Fairness: agents that wait for memory queue on gw->agents->starved and
 * are fed oldest first as memory comes back; an agent not first in line
 * queues behind them.  Unused credit is what an agent can hold without sending:
 * it may hold at most its share of the budget among the open sessions
 * (agent_share: at least one frame, at most its window), so an agent that
 * takes credit and sends nothing keeps that much from the others, never
 * more, and gets no more until it uses it; its credit comes back when it
 * sends, or when its session ends.
 */
#include "agent_impl.h"
#include "conn.h"

/* Frames of credit the budget can still back. */
static uint32_t
agent_budget_frames(const struct gw *gw)
{
	uint64_t used = chan_replay_bytes(gw) + gw->agents->n.reserved_bytes;

	if (used >= gw->cfg->buffer_budget)
		return 0;
	return (uint32_t)((gw->cfg->buffer_budget - used) /
	    gw->cfg->max_payload);
}

/* The most unused credit one agent may hold (see the top). */
static uint32_t
agent_share(const struct gw *gw)
{
	uint64_t n = gw->cfg->buffer_budget / gw->cfg->max_payload;

	if (gw->agents->n.open > 1)
		n /= gw->agents->n.open;
	if (n > gw->cfg->agent_window)
		n = gw->cfg->agent_window;
	return n > 0 ? (uint32_t)n : 1;
}

static void
agent_starve(struct agent *a)
{
	if (!a->on_starved) {
		limit_hit(&a->gw->limits, LIMIT_BUFFER_BUDGET);
		TAILQ_INSERT_TAIL(&a->gw->agents->starved, a, starved);
		a->on_starved = 1;
		stats_stall(&a->gw->stats, STATS_STALL_BUDGET);
	}
}

static void
agent_unstarve(struct agent *a)
{
	if (a->on_starved) {
		TAILQ_REMOVE(&a->gw->agents->starved, a, starved);
		a->on_starved = 0;
	}
}

/**
 * agent_grant(a): grant ${a} the credit it is owed, as much as memory can
 * back and its share allows; if it gets none for want of memory (or others
 * wait before it), it waits on gw->agents->starved.  Return -1 if it
 * waits there now, else 0 (granted, nothing to grant, or its output is
 * full: retried from agent_on_writable).
 */
int
agent_grant(struct agent *a)
{
	struct gw *gw = a->gw;
	struct gw_frame f = { .type = GW_T_CREDIT };
	uint32_t n, share, room;

	if (a->state != AGENT_OPEN || a->credit_owed == 0 ||
	    (share = agent_share(gw)) <= a->credit) {
		agent_unstarve(a);	/* wants nothing now */
		return 0;
	}
	n = share - a->credit;
	if (n > a->credit_owed)
		n = a->credit_owed;
	if (n > (room = agent_budget_frames(gw)))
		n = room;
	if (n == 0 || (!TAILQ_EMPTY(&gw->agents->starved) &&
	    TAILQ_FIRST(&gw->agents->starved) != a)) {
		agent_starve(a);
		return -1;
	}
	/* Out of line before the send: a full output must not block it. */
	agent_unstarve(a);
	if ((a->caps & GW_CAP_ACKCREDIT) && a->ack_todo != 0)
		a->credit_fold += n;	/* rides the ACK owed */
	else {
		f.u.credit.n = n;
		if (conn_send(a->c, &f) != 0) {
			conn_notify_writable(a->c);
			return 0;
		}
	}
	a->credit += n;
	a->credit_owed -= n;
	gw->agents->n.reserved_bytes += (uint64_t)n * gw->cfg->max_payload;
	return 0;
}

/*
 * Memory came back: feed those waiting for it, oldest first.  Each grant
 * that does not return -1 takes its agent off the list, so the loop ends.
 */
static void
agent_feed(struct gw *gw)
{
	struct agent *s;

	while (!gw->stopping &&
	    (s = TAILQ_FIRST(&gw->agents->starved)) != NULL &&
	    agent_budget_frames(gw) > 0)
		if (agent_grant(s) != 0)
			break;
}

/**
 * agent_credit_open(a): HELLO_ACK is sent: ${a} is owed its window, and
 * gets what memory can back of it now.
 */
void
agent_credit_open(struct agent *a)
{
	a->gw->agents->n.open++;
	a->credit_owed = a->gw->cfg->agent_window;
	(void)agent_grant(a);
}

/**
 * agent_credit_used(a): DATA (at most max_payload bytes) took one credit
 * of ${a} and is kept in its ring (chan_push counted its bytes): its
 * reservation becomes those bytes; what it did not need goes to those
 * waiting.
 */
void
agent_credit_used(struct agent *a)
{
	struct gw *gw = a->gw;

	gw->agents->n.reserved_bytes -= gw->cfg->max_payload;
	if (--a->credit == 0)
		stats_stall(&gw->stats, STATS_STALL_WINDOW);
	agent_feed(gw);
}

/**
 * agent_credit_back(a, n): ${n} DATA of ${a} are ACKed (their bytes have
 * left chan_replay_bytes): give back their credit, in quarter-window
 * batches (with each ACK if it agreed GW_CAP_ACKCREDIT), and the memory
 * to those waiting.
 */
void
agent_credit_back(struct agent *a, uint32_t n)
{
	a->credit_owed += n;
	/* An ACK owed carries credit for free (ACKCREDIT): grant it all. */
	if (a->credit_owed >= (a->gw->cfg->agent_window + 3) / 4 ||
	    chan_ring_len(&a->ch) == 0 ||
	    ((a->caps & GW_CAP_ACKCREDIT) && a->ack_todo != 0))
		(void)agent_grant(a);
	agent_feed(a->gw);
}

/**
 * agent_credit_close(a, was_open): ${a} ends (its ring already freed):
 * release the memory reserved for its unused credit, to those waiting;
 * ${was_open}: it had been past HELLO_ACK (it shared the budget).
 */
void
agent_credit_close(struct agent *a, int was_open)
{
	struct gw *gw = a->gw;

	agent_unstarve(a);
	gw->agents->n.reserved_bytes -= (uint64_t)a->credit *
	    gw->cfg->max_payload;
	a->credit = 0;
	if (was_open)
		gw->agents->n.open--;
	agent_feed(gw);
}
