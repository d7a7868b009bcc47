/*
 * mchan_poll.c: the server-wide command timers of gw-mgmt's channels
 * (struct mchan_all's resend and poll, started by mchan_set_init): the
 * resend round (expiry, then each open channel owed commands is sent
 * them again) and the poll that sends new commands to their agents'
 * open channels at once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "chanmap.h"
#include "log.h"
#include "mchan.h"
#include "mchan_impl.h"
#include "mcmd.h"
#include "mgmt.h"
#include "namemap.h"
#include "store_cmd.h"

/* The open channel holding the name of agent (${issuer}, ${name}), or NULL. */
static struct mchan *
mchan_of_agent(struct mgmt *m, const char *issuer, const char *name)
{
	char key[ID_DN_MAX + ID_NAME_MAX];
	struct mchan *ch;

	if (m->chans->agents == NULL || (size_t)snprintf(key, sizeof(key),
	    "%s\n%s", issuer, name) >= sizeof(key) ||
	    (ch = namemap_get(m->chans->agents, key)) == NULL)
		return NULL;
	return ch->state == MCHAN_OPEN ? ch : NULL;
}

/* store_cmd_pending_agents' callback: that agent's channel is due. */
static int
mchan_due(const char *issuer, const char *agent, void *arg)
{
	struct mgmt *m = arg;
	struct mchan *ch;

	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	if ((ch = mchan_of_agent(m, issuer, agent)) != NULL)
		mcmd_set_due(&ch->cmd);
	return 0;
}

/* Log a store failure of the commands' timers, once. */
static void
mchan_store_failed(struct mgmt *m, const char *what)
{
	char ed[LOG_ESC_MAX];

	log_errx("event=store_failed what=%s detail=\"%s\"", what,
	    log_esc(ed, sizeof(ed), store_errmsg(m->store), LOG_ESC_STR, 0));
}

/**
 * mchan_resend_cb(loop, w, revents): the resend round, every [commands]
 * resend: expiry, then the agents with commands without a RESULT (one
 * query), then each open channel holding the name of one of them, or
 * waiting for a RESULT, is sent its agent's pending commands (again): one
 * store query per such channel, none for the others.  A store failure
 * ends the round (logged once).
 */
void
mchan_resend_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mgmt *m = w->data;
	struct mchan_set *s;
	struct mchan *ch;
	unsigned n = 0;
	size_t it;
	void *v;

	(void)loop;
	(void)revents;
	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	if (mcmd_expire(m) != 0)
		return;
	if (store_cmd_pending_agents(m->store, (int64_t)(ev_now(m->loop) *
	    1000.), mchan_due, m) < 0) {
		mchan_store_failed(m, "command_pending_agents");
		return;
	}
	TAILQ_FOREACH(s, &m->chans->sets, set_entry) {
		it = 0;
		while (chanmap_next(s->chans, &it, &v) != 0) {
			ch = v;
			if (ch->state != MCHAN_OPEN || !mchan_holds(m, ch) ||
			    !mcmd_in_round(&ch->cmd))
				continue;
			n++;
			if (mchan_deliver(ch, 1) != 0)
				return;
		}
	}
	log_debug("event=commands_resend channels=%u", n);
}

/* store_cmd_new's callback: a new command to an agent open here. */
static int
mchan_new_cmd(const struct store_delivery *d, void *arg)
{
	struct mgmt *m = arg;
	struct mchan *ch;

	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	if ((ch = mchan_of_agent(m, d->issuer, d->agent)) != NULL)
		mcmd_offer(&ch->cmd, d, mchan_send_command, ch);
	return 0;
}

/**
 * mchan_poll_cb(loop, w, revents): the poll, every MCHAN_POLL s: the commands made since the last one
 * (`gw-mgmt command send`, maybe another server of the group) go to the
 * open channels of their targets at once, not at the next round: one
 * cheap query when none is new.  The first poll only takes the cursor
 * (what is older went at each channel's OPEN_ACK, or goes on a round).
 */
void
mchan_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mgmt *m = w->data;
	struct mchan_all *a;

	(void)loop;
	(void)revents;
	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	a = m->chans;
	if (!a->cursor_set) {
		if (store_cmd_last(m->store, &a->cursor) != 0) {
			mchan_store_failed(m, "command_last");
			return;
		}
		a->cursor_set = 1;
		return;
	}
	if (store_cmd_new(m->store, &a->cursor, (int64_t)(ev_now(m->loop) *
	    1000.), mchan_new_cmd, m) < 0)
		mchan_store_failed(m, "command_new");
}
