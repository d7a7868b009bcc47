/*
 * agent_core.c: the queue, journal, session and commands both modes of
 * gw-agent run on (see agent_core.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ev.h>
#include <mbedtls/x509_crt.h>

#include "agent_core.h"
#include "client_session.h"
#include "cmdqueue.h"
#include "cmdtab.h"
#include "conn.h"
#include "gwlist.h"
#include "journal.h"
#include "log.h"
#include "net.h"
#include "renew.h"
#include "sendq.h"
#include "tls_conf.h"

/* The core behind a callback's ${arg}; anything else aborts. */
static struct agent_core *
agent_core_arg(void *arg)
{
	struct agent_core *a = arg;

	if (a == NULL || a->magic != AGENT_CORE_MAGIC)
		abort();
	return a;
}

static void
agent_core_on_acked(uint64_t seq, void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	a->on_acked(seq, a->arg);
}

/*
 * Lines were numbered: make the numbers durable before sending.  A number
 * not journaled stops the agent: sent, it could be reused after a restart.
 */
static int
agent_core_before_send(void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	if (a->seq_lost)
		return -1;		/* logged by agent_core_on_number */
	if (a->journal == NULL || journal_sync(a->journal) == 0)
		return 0;
	log_errx("event=state_write_failed detail=\"%s\"",
	    journal_error(a->journal));
	return -1;
}

static void
agent_core_on_number(uint64_t seq, void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	if (a->seq_lost || journal_seq(a->journal, seq) == 0)
		return;
	a->seq_lost = 1;
	log_errx("event=state_write_failed detail=\"%s\"",
	    journal_error(a->journal));
}

static void
agent_core_on_open(void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	if (a->renew != NULL)
		renew_open(a->renew);
	cmdqueue_session(a->cmdq);
}

/* The session's COMMANDs to the queue, its answers back to the session. */
static void
agent_core_on_command(uint64_t id, const uint8_t *body, size_t len,
    void *arg)
{
	cmdqueue_command(agent_core_arg(arg)->cmdq, id, body, len);
}

static int
agent_core_send_ack(uint64_t id, void *arg)
{
	return client_session_command_ack(agent_core_arg(arg)->sess, id);
}

static int
agent_core_send_result(const struct cmdtab_result *r, void *arg)
{
	return client_session_result(agent_core_arg(arg)->sess, r->id,
	    r->outcome, r->flags, r->status, r->out, r->len);
}

static void
agent_core_cmd_fatal(const char *msg, void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	a->on_fatal(a->arg);
	client_session_fail(a->sess, CLIENT_ST_FAIL, msg);
}

static void
agent_core_on_enroll(const struct gw_enroll_result *r, void *arg)
{
	struct agent_core *a = agent_core_arg(arg);

	if (a->renew != NULL)
		renew_result(a->renew, r);
}

/* --state: replay the journal into the queue. */
static int
agent_core_journal(struct agent_core *a, const struct agent_opts *o)
{
	char err[256];

	a->journal = journal_open(o->state, a->q, a->cmdtab, &a->offset,
	    err, sizeof(err));
	if (a->journal == NULL) {
		fprintf(stderr, "gw-agent: %s\n", err);
		return -1;
	}
	sendq_on_number(a->q, agent_core_on_number, a);
	log_info("event=state_loaded file=%s queued=%zu offset=%llu",
	    o->state, sendq_len(a->q), (unsigned long long)a->offset);
	return 0;
}

/* The session on --gateway's list, and --renew's renewal. */
static int
agent_core_session(struct agent_core *a, const struct agent_opts *o,
    char *why, size_t whylen)
{
	struct client_session_params sp = {
		.heartbeat = o->heartbeat, .failback_hold = o->failback_hold,
		.connect_timeout = o->connect_timeout,
		.server_name = o->server_name, .tls = a->tls, .queue = a->q,
		.on_acked = agent_core_on_acked,
		.before_send = agent_core_before_send,
		.on_open = agent_core_on_open,
		.on_enroll = agent_core_on_enroll,
		.on_command = agent_core_on_command, .arg = a
	};
	char err[128];
	int n;

	if ((a->gwlist = strdup(o->gateway)) == NULL)
		goto nomem;
	/* Groups (G1|G2) in this agent's own order: its name's hash. */
	if ((n = gwlist_parse(a->gwlist, a->name, sp.gateways,
	    CLIENT_MAX_GATEWAYS, err, sizeof(err))) < 0) {
		snprintf(why, whylen, "--gateway: %s", err);
		return AGENT_CORE_USAGE;
	}
	/* Every one now: a typo must not wait for the failover to it. */
	for (int i = 0; i < n; i++)
		if (net_dial_addr_ok(sp.gateways[i], err, sizeof(err)) != 0) {
			snprintf(why, whylen, "--gateway: %s", err);
			return AGENT_CORE_USAGE;
		}
	sp.ngateways = (size_t)n;
	if ((a->sess = client_session_new(a->loop, &sp)) == NULL)
		goto nomem;
	if (o->renew > 0 && (a->renew = renew_new(&(struct renew_params){
	    .loop = a->loop, .sess = a->sess, .key = o->key,
	    .cert = o->cert, .ca = o->ca, .share = o->renew,
	    .tls = &a->tls })) == NULL)
		goto nomem;
	return 0;
nomem:
	fprintf(stderr, "gw-agent: %s\n", strerror(errno));
	return AGENT_CORE_ERR;
}

/* The queue of COMMANDs; GW_AGENT is the CN of our certificate. */
static int
agent_core_commands(struct agent_core *a, const struct agent_opts *o)
{
	struct cmdqueue_params cp = { .loop = a->loop,
	    .program = o->on_command, .agent = a->name,
	    .output_max = o->command_output, .timeout = o->command_timeout,
	    .tab = a->cmdtab, .journal = a->journal,
	    .send_ack = agent_core_send_ack,
	    .send_result = agent_core_send_result,
	    .on_fatal = agent_core_cmd_fatal, .arg = a };
	mbedtls_x509_crt crt;
	struct id_info id;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, o->cert) == 0 &&
	    id_from_crt(&crt, "", &id) == 0)
		snprintf(a->name, sizeof(a->name), "%s", id.name);
	mbedtls_x509_crt_free(&crt);
	if ((a->cmdq = cmdqueue_new(&cp)) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * agent_core_init(a, on_acked, on_fatal, arg): an empty core (nothing to
 * free yet) calling the mode back with ${arg}.
 */
void
agent_core_init(struct agent_core *a,
    void (*on_acked)(uint64_t seq, void *arg), void (*on_fatal)(void *arg),
    void *arg)
{
	memset(a, 0, sizeof(*a));
	a->magic = AGENT_CORE_MAGIC;
	a->on_acked = on_acked;
	a->on_fatal = on_fatal;
	a->arg = arg;
}

/**
 * agent_core_build(a, o, err, errlen): build ${a} (agent_core_init'ed)
 * from ${o}: TLS, queue, journal, loop, commands, session.
 * 0, AGENT_CORE_ERR (printed) or AGENT_CORE_USAGE (${err}).  The strings
 * of ${o} must outlive ${a}.
 */
int
agent_core_build(struct agent_core *a, const struct agent_opts *o,
    char *err, size_t errlen)
{
	a->tls = tls_conf_new(&(struct tls_conf_params){ .cert = o->cert,
	    .key = o->key, .ca = o->ca, .tls12 = 1 }, err, errlen);
	if (a->tls == NULL) {
		fprintf(stderr, "gw-agent: %s\n", err);
		return AGENT_CORE_ERR;
	}
	if ((a->q = sendq_new(o->queue)) == NULL ||
	    (a->cmdtab = cmdtab_new()) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return AGENT_CORE_ERR;
	}
	if (o->state != NULL && agent_core_journal(a, o) != 0)
		return AGENT_CORE_ERR;
	/* After the replay: what the journal held is taken whole. */
	sendq_set_bytes(a->q, o->queue_bytes);
	if (sendq_over(a->q))
		log_warnx("event=queue_over_cap held=%zu queue=%lu bytes=%zu "
		    "queue_bytes=%lu", sendq_len(a->q), o->queue,
		    sendq_bytes(a->q), o->queue_bytes);
	if ((a->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		fprintf(stderr, "gw-agent: cannot start the event loop\n");
		return AGENT_CORE_ERR;
	}
	if (agent_core_commands(a, o) != 0)
		return AGENT_CORE_ERR;
	return agent_core_session(a, o, err, errlen);
}

/**
 * agent_core_exit_status(a): how the session ended, as gw-agent's exit
 * status (0 done, 1 failed, 3 refused), its message printed.
 */
int
agent_core_exit_status(const struct agent_core *a)
{
	const char *msg = client_session_msg(a->sess);

	switch (client_session_status(a->sess)) {
	case CLIENT_ST_DONE:
		return 0;
	case CLIENT_ST_REFUSED:
		fprintf(stderr, "%s\n", msg);
		return 3;
	default:
		fprintf(stderr, "%s\n", msg[0] != '\0' ? msg :
		    "gw-agent: stopped");
		return 1;
	}
}

/** agent_core_free(a): free what agent_core_build() made (any part). */
void
agent_core_free(struct agent_core *a)
{
	renew_free(a->renew);
	cmdqueue_free(a->cmdq);
	client_session_free(a->sess);
	conn_reap();
	journal_close(a->journal);
	cmdtab_free(a->cmdtab);
	free(a->gwlist);
	sendq_free(a->q);
	tls_conf_free(a->tls);
}
