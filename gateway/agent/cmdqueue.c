/*
 * cmdqueue.c: how gw-agent answers COMMANDs (see cmdqueue.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdqueue.h"
#include "command.h"
#include "log.h"
#include "proto.h"

#define CMDQUEUE_MAGIC	0x436d6451u	/* "CmdQ" */

/* A taken id waiting for (or in) its handler. */
struct cmdqueue_item {
	uint64_t	 id;
	uint8_t		*body;
	size_t		 len;
	unsigned	 session;	/* the session it came on last */
};

struct cmdqueue {
	unsigned		 magic;		/* CMDQUEUE_MAGIC */
	struct cmdqueue_params	 p;
	struct cmdqueue_item	 items[GW_COMMANDS_INFLIGHT];	/* FIFO */
	size_t			 head, n;
	struct command		*run;		/* the head's handler */
	unsigned		 session;	/* sessions opened */
	int			 failed;	/* the journal failed */
};

/* The queue behind a callback's ${arg}; anything else aborts. */
static struct cmdqueue *
cmdqueue_arg(void *arg)
{
	struct cmdqueue *q = arg;

	if (q == NULL || q->magic != CMDQUEUE_MAGIC)
		abort();
	return q;
}

/* The journal (or memory) failed: stop taking commands, tell the owner. */
static void
cmdqueue_fail(struct cmdqueue *q, const char *what)
{
	char msg[512];

	q->failed = 1;
	snprintf(msg, sizeof(msg), "gw-agent: cannot record a command: %s",
	    what);
	log_errx("event=state_write_failed detail=\"%s\"", what);
	q->p.on_fatal(msg, q->p.arg);
}

static void
cmdqueue_send_result(struct cmdqueue *q, const struct cmdtab_result *r)
{
	if (q->p.send_result(r, q->p.arg) != 0)
		log_debug("event=result_not_sent id=%llu",
		    (unsigned long long)r->id);
}

/*
 * Record the result ${r} of a taken id (table, then journal) and send it
 * if ${answer}.  0, or -1 if it could not be recorded (then failed).
 */
static int
cmdqueue_record(struct cmdqueue *q, const struct cmdtab_result *r,
    int answer)
{
	if (cmdtab_done(q->p.tab, r) != 0) {
		cmdqueue_fail(q, strerror(errno));
		return -1;
	}
	if (q->p.journal != NULL &&
	    journal_cmd_result(q->p.journal, r) != 0) {
		cmdqueue_fail(q, journal_error(q->p.journal));
		return -1;
	}
	if (answer)
		cmdqueue_send_result(q, r);
	return 0;
}

static void cmdqueue_next(struct cmdqueue *q);

/* The head's handler ended: record, answer, run the next. */
static void
cmdqueue_done(const struct command_result *cr, void *arg)
{
	struct cmdqueue *q = cmdqueue_arg(arg);
	struct cmdqueue_item *it = &q->items[q->head];
	struct cmdtab_result r = { .id = cr->id, .outcome = cr->outcome,
	    .flags = cr->flags, .status = cr->status, .out = cr->out,
	    .len = cr->len };

	(void)cmdqueue_record(q, &r, it->session == q->session);
	command_free(q->run);	/* cr is gone */
	q->run = NULL;
	free(it->body);
	it->body = NULL;
	q->head = (q->head + 1) % GW_COMMANDS_INFLIGHT;
	q->n--;
	if (!q->failed)
		cmdqueue_next(q);
}

/* Start the head's handler (spawn failures come back through done). */
static void
cmdqueue_next(struct cmdqueue *q)
{
	struct command_params cp = { .program = q->p.program,
	    .agent = q->p.agent, .output_max = q->p.output_max,
	    .timeout = q->p.timeout };
	struct cmdqueue_item *it;

	while (q->run == NULL && q->n > 0) {
		it = &q->items[q->head];
		q->run = command_start(q->p.loop, &cp, it->id, it->body,
		    it->len, cmdqueue_done, q);
		if (q->run != NULL)
			return;
		/* Out of memory: the handler did not start. */
		cmdqueue_done(&(struct command_result){ .id = it->id,
		    .outcome = GW_OUT_SPAWN, .status = errno }, q);
		if (q->failed)
			return;
	}
}

/* A queued (or running) id: where, or NULL. */
static struct cmdqueue_item *
cmdqueue_find(struct cmdqueue *q, uint64_t id)
{
	for (size_t i = 0; i < q->n; i++) {
		struct cmdqueue_item *it =
		    &q->items[(q->head + i) % GW_COMMANDS_INFLIGHT];

		if (it->id == id)
			return it;
	}
	return NULL;
}

/* A new id: taken (durably), acknowledged, then queued or answered. */
static void
cmdqueue_take(struct cmdqueue *q, uint64_t id, const uint8_t *body,
    size_t len)
{
	struct cmdqueue_item *it;
	uint8_t *copy = NULL;

	if (q->n == GW_COMMANDS_INFLIGHT) {
		log_warnx("event=command_deferred id=%llu queued=%zu",
		    (unsigned long long)id, q->n);	/* sent again */
		return;
	}
	if ((q->p.program != NULL && (copy = malloc(len > 0 ? len : 1)) ==
	    NULL) || cmdtab_take(q->p.tab, id) != 0) {
		free(copy);
		log_warn("event=command_deferred id=%llu",
		    (unsigned long long)id);
		return;
	}
	if (q->p.journal != NULL && journal_cmd_taken(q->p.journal, id) != 0) {
		free(copy);
		cmdqueue_fail(q, journal_error(q->p.journal));
		return;
	}
	log_info("event=command_taken id=%llu bytes=%zu",
	    (unsigned long long)id, len);
	(void)q->p.send_ack(id, q->p.arg);
	if (q->p.program == NULL) {
		(void)cmdqueue_record(q, &(struct cmdtab_result){ .id = id,
		    .outcome = GW_OUT_NO_HANDLER }, 1);
		return;
	}
	if (len > 0)
		memcpy(copy, body, len);
	it = &q->items[(q->head + q->n) % GW_COMMANDS_INFLIGHT];
	*it = (struct cmdqueue_item){ .id = id, .body = copy, .len = len,
	    .session = q->session };
	q->n++;
	cmdqueue_next(q);
}

/**
 * cmdqueue_command(q, id, body, len): answer COMMAND(${id}, ${body} of
 * ${len} bytes, copied) received on the current session.
 */
void
cmdqueue_command(struct cmdqueue *q, uint64_t id, const uint8_t *body,
    size_t len)
{
	struct cmdtab_result r;
	struct cmdqueue_item *it;

	if (q->failed)
		return;
	switch (cmdtab_lookup(q->p.tab, id, &r)) {
	case CMDTAB_UNKNOWN:
		cmdqueue_take(q, id, body, len);
		return;
	case CMDTAB_TAKEN:	/* queued or running: acknowledged again */
		if ((it = cmdqueue_find(q, id)) != NULL)
			it->session = q->session;
		(void)q->p.send_ack(id, q->p.arg);
		return;
	case CMDTAB_DONE:
		log_info("event=command_again id=%llu outcome=%s",
		    (unsigned long long)id, gw_outcome_str(r.outcome));
		cmdqueue_send_result(q, &r);
		return;
	case CMDTAB_LOST:
		log_info("event=command_again id=%llu outcome=lost",
		    (unsigned long long)id);
		cmdqueue_send_result(q, &(struct cmdtab_result){ .id = id,
		    .outcome = GW_OUT_LOST });
		return;
	}
}

/**
 * cmdqueue_session(q): a session opened: from now on answer only the ids
 * received on it.
 */
void
cmdqueue_session(struct cmdqueue *q)
{
	q->session++;
}

/**
 * cmdqueue_new(p): a queue with the parameters ${p} (copied; the strings,
 * table and journal outlive it).  NULL on out of memory.
 */
struct cmdqueue *
cmdqueue_new(const struct cmdqueue_params *p)
{
	struct cmdqueue *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->magic = CMDQUEUE_MAGIC;
	q->p = *p;
	q->session = 1;
	return q;
}

/**
 * cmdqueue_free(q): free ${q}; a running handler is killed (its id stays
 * taken without a result: lost after a restart).  NULL-safe.
 */
void
cmdqueue_free(struct cmdqueue *q)
{
	if (q == NULL)
		return;
	command_free(q->run);
	for (size_t i = 0; i < q->n; i++)
		free(q->items[(q->head + i) % GW_COMMANDS_INFLIGHT].body);
	q->magic = 0;
	free(q);
}
