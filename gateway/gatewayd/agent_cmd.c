/*
 * agent_cmd.c: a session's commands (PROTOCOL.md 9.7): the COMMANDs it
 * relays to its agent, and the COMMAND_ACKs and RESULTs it takes back and
 * relays to the server on its channel.
 *
 * A COMMAND whose payload is above what the agent can take (cmd_max: its
 * HELLO's max_payload, and its output buffer less a header) is never
 * relayed: the agent would close on it (too-big) and get it again at its
 * next OPEN, or it would never fit its output.  It is dropped and logged
 * (event=command_too_big) each time the server sends it, and stays queued
 * there until it expires.
 *
 * When the session agreed COMMANDS (its HELLO_ACK's caps), it remembers
 * the ids of the COMMANDs it relayed that no RESULT answered yet, at most
 * GW_COMMANDS_INFLIGHT of them: a repeated id takes no new slot, a
 * COMMAND beyond them is not relayed (the server sends it again).  The
 * agent may answer only those: a COMMAND_ACK or RESULT for another id, or
 * from a session that did not agree COMMANDS, ends the session with ERROR
 * unexpected.  A RESULT frees its id's slot.  So what goes up follows
 * what the server sent: one COMMAND_ACK per COMMAND relayed (a repeated
 * one without a new COMMAND is dropped) and one RESULT per id.
 *
 * The agent answers every COMMAND, so when the server resends one before
 * the agent's RESULT reaches it, the agent answers it twice (ACK, RESULT,
 * RESULT): the last GW_COMMANDS_INFLIGHT ids answered by a RESULT are
 * remembered too, and a COMMAND_ACK or RESULT for one of them (and no
 * slot) is dropped, not punished.  A COMMAND for such an id takes a slot
 * again, and its answer goes up again.
 *
 * The ids are allocated with the first COMMAND and kept until the session
 * ends: most agents never get a command, and an idle session costs one
 * pointer; one that got some costs sizeof(struct agent_cmds), 272 bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "agent_impl.h"
#include "chan.h"
#include "conn.h"
#include "gw.h"
#include "log.h"

_Static_assert(GW_COMMANDS_INFLIGHT <= 32, "acked is a 32-bit mask");
_Static_assert(GW_COMMANDS_INFLIGHT == 16, "command_refused says 16");

/*
 * The ids relayed to an agent and not yet answered by a RESULT; the last
 * ids answered by one (a ring).
 */
struct agent_cmds {
	uint32_t	 n;
	uint32_t	 acked;		/* bit i: id[i]'s COMMAND_ACK went up
					   since its last COMMAND */
	uint64_t	 id[GW_COMMANDS_INFLIGHT];
	uint32_t	 nanswered;	/* in answered[] */
	uint32_t	 next;		/* answered[next]: the next to go */
	uint64_t	 answered[GW_COMMANDS_INFLIGHT];
};

/* The slot of ${id} in ${a}'s ids, or -1. */
static int
agent_cmd_find(const struct agent *a, uint64_t id)
{
	const struct agent_cmds *m = a->cmds;

	for (uint32_t i = 0; m != NULL && i < m->n; i++)
		if (m->id[i] == id)
			return (int)i;
	return -1;
}

/* Remember ${id} (not there yet) in a free slot.  0, or -1 if none. */
static int
agent_cmd_add(struct agent *a, uint64_t id)
{
	if (a->cmds == NULL &&
	    (a->cmds = calloc(1, sizeof(*a->cmds))) == NULL)
		return -1;
	if (a->cmds->n == GW_COMMANDS_INFLIGHT)
		return -1;
	a->cmds->acked &= ~(1u << a->cmds->n);
	a->cmds->id[a->cmds->n++] = id;
	return 0;
}

/* Forget slot ${i}: the last one takes its place. */
static void
agent_cmd_del(struct agent *a, int i)
{
	struct agent_cmds *m = a->cmds;
	uint32_t last = m->n - 1;

	m->id[i] = m->id[last];
	m->acked = (m->acked & ~(1u << i)) |
	    (((m->acked >> last) & 1u) << i);
	m->acked &= ~(1u << last);
	m->n--;
}

/* 1 if ${id} is among the last ids ${a}'s agent answered by a RESULT. */
static int
agent_cmd_answered(const struct agent *a, uint64_t id)
{
	const struct agent_cmds *m = a->cmds;

	for (uint32_t i = 0; m != NULL && i < m->nanswered; i++)
		if (m->answered[i] == id)
			return 1;
	return 0;
}

/* The RESULT for slot ${i} came: free it, remember its id as answered. */
static void
agent_cmd_done(struct agent *a, int i)
{
	struct agent_cmds *m = a->cmds;
	uint64_t id = m->id[i];

	agent_cmd_del(a, i);
	if (agent_cmd_answered(a, id))
		return;
	m->answered[m->next] = id;	/* the oldest goes */
	m->next = (m->next + 1) % GW_COMMANDS_INFLIGHT;
	if (m->nanswered < GW_COMMANDS_INFLIGHT)
		m->nanswered++;
}

/* ${a}'s name, escaped for a log line into ${buf} (LOG_ESC_MAX bytes). */
static const char *
agent_cmd_who(const struct agent *a, char *buf)
{
	return log_esc(buf, LOG_ESC_MAX, agent_name(a), LOG_ESC_STR,
	    LOG_ESC_BARE);
}

/**
 * agent_cmd_relay(a, f): relay the server's COMMAND ${f} to ${a}'s agent,
 * remembering its id if the session agreed COMMANDS (not relayed, and
 * logged, beyond GW_COMMANDS_INFLIGHT ids, or above what the agent can
 * take: a->cmd_max).
 */
void
agent_cmd_relay(struct agent *a, const struct gw_frame *f)
{
	struct gw_frame d = *f;
	uint64_t id = f->u.data.seq;
	int i = -1, added = 0;
	char en[LOG_ESC_MAX];

	if (8 + (uint64_t)f->u.data.body.len > a->cmd_max) {
		log_warnx("event=command_too_big agent=%s id=%llu len=%u "
		    "max=%u reason=\"above the agent's max_payload or "
		    "agent_output_buffer\"", agent_cmd_who(a, en),
		    (unsigned long long)id, 8 + f->u.data.body.len,
		    a->cmd_max);
		return;		/* the server keeps it until it expires */
	}
	if (a->caps & GW_CAP_COMMANDS) {
		if ((i = agent_cmd_find(a, id)) >= 0)
			a->cmds->acked &= ~(1u << i);	/* may ACK again */
		else if (agent_cmd_add(a, id) != 0) {
			log_warnx("event=command_refused agent=%s id=%llu "
			    "reason=\"%s\"", agent_cmd_who(a, en),
			    (unsigned long long)id, a->cmds == NULL ?
			    "out of memory" : "16 commands without RESULT");
			return;
		} else
			added = 1;
	}
	d.channel = 0;
	if (conn_send(a->c, &d) != 0) {
		log_warnx("event=command_dropped agent=%s id=%llu len=%u "
		    "reason=\"agent output full\"", agent_cmd_who(a, en),
		    (unsigned long long)id, f->u.data.body.len);
		if (added)	/* it never reached the agent */
			agent_cmd_del(a, agent_cmd_find(a, id));
		return;
	}
	stats_down(&a->gw->stats, f->u.data.body.len);
}

/* Relay answer ${f} (about ${id}) up; log it if dropped.  Return rc. */
static int
agent_cmd_up(struct agent *a, const struct gw_frame *f, uint64_t id)
{
	const char *why = "";
	char en[LOG_ESC_MAX];
	int rc;

	if ((rc = chan_answer(&a->ch, f, &why)) == 0)
		return 0;
	agent_cmd_who(a, en);
	if (rc > 0)	/* the server sends the COMMAND again */
		log_debug("event=answer_dropped agent=%s type=%s id=%llu "
		    "reason=\"%s\"", en, gw_type_str(f->type),
		    (unsigned long long)id, why);
	else
		log_warnx("event=answer_dropped agent=%s type=%s id=%llu "
		    "reason=\"%s\"", en, gw_type_str(f->type),
		    (unsigned long long)id, why);
	return rc;
}

/**
 * agent_cmd_answer(a, f): the agent of open session ${a} sent COMMAND_ACK
 * or RESULT ${f}: check it answers a COMMAND relayed to it, and relay it
 * to the server (chan_answer); drop it if its id was answered by a RESULT
 * lately.  Return CONN_OK, or CONN_CLOSED_RC if ${a} was closed (ERROR
 * protocol or unexpected).
 */
int
agent_cmd_answer(struct agent *a, const struct gw_frame *f)
{
	uint64_t id = f->type == GW_T_RESULT ? f->u.result.id : f->u.ack.seq;
	char text[128], en[LOG_ESC_MAX];
	int i;

	if (f->channel != 0) {
		snprintf(text, sizeof(text), "%s on a non-zero channel",
		    gw_type_str(f->type));
		agent_close(a, GW_R_PROTOCOL, text);
		return CONN_CLOSED_RC;
	}
	if ((a->caps & GW_CAP_COMMANDS) == 0) {
		snprintf(text, sizeof(text), "%s, but its HELLO did not "
		    "announce COMMANDS", gw_type_str(f->type));
		agent_close(a, GW_R_UNEXPECTED, text);
		return CONN_CLOSED_RC;
	}
	if ((i = agent_cmd_find(a, id)) < 0 && agent_cmd_answered(a, id)) {
		log_debug("event=answer_dropped agent=%s type=%s id=%llu "
		    "reason=\"already answered by a RESULT\"",
		    agent_cmd_who(a, en), gw_type_str(f->type),
		    (unsigned long long)id);
		return CONN_OK;	/* a resend crossed the RESULT: no harm */
	}
	if (i < 0) {
		snprintf(text, sizeof(text), "%s for command %llu, which this "
		    "session did not relay", gw_type_str(f->type),
		    (unsigned long long)id);
		agent_close(a, GW_R_UNEXPECTED, text);
		return CONN_CLOSED_RC;
	}
	if (f->type == GW_T_RESULT)
		agent_cmd_done(a, i);	/* answered, whatever becomes of it */
	else if (a->cmds->acked & (1u << i))
		return CONN_OK;		/* no new COMMAND since: no need */
	if (agent_cmd_up(a, f, id) == 0 && f->type == GW_T_COMMAND_ACK)
		a->cmds->acked |= 1u << i;
	return CONN_OK;
}

/** agent_cmd_count(a): ids ${a} remembers (relayed, no RESULT yet). */
uint32_t
agent_cmd_count(const struct agent *a)
{
	return a->cmds != NULL ? a->cmds->n : 0;
}

/** agent_cmd_free(a): forget ${a}'s ids (it ends). */
void
agent_cmd_free(struct agent *a)
{
	free(a->cmds);
	a->cmds = NULL;
}
