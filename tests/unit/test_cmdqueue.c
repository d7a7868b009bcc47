/*
 * test_cmdqueue.c: how gw-agent answers COMMANDs (cmdqueue.c, PROTOCOL.md
 * 9.7) with real handlers (/bin/cat and small #! programs) and a real
 * journal: COMMAND_ACK then RESULT, one at a time in order; a repeated
 * COMMAND answered by COMMAND_ACK (queued or running) or the RESULT again
 * (finished); no-handler; a result that finished on an older session
 * waits for the COMMAND again; an id taken before a restart and never
 * finished is answered lost and never run; a full queue takes nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>

#include "cmdqueue.h"
#include "cmdtab.h"
#include "journal.h"
#include "proto.h"
#include "sendq.h"

#define MAX_SENT	64

/* What the queue sent: COMMAND_ACK (outcome -1) or RESULT. */
static struct {
	uint64_t	 id;
	int		 outcome;
	int32_t		 status;
	char		 out[64];
} sent[MAX_SENT];
static unsigned nsent, nresults, want_results, nfatal;
static char dir[64], state_path[96];
static struct cmdtab *tab;
static struct journal *jn;
static struct sendq *sq;
static struct cmdqueue *q;

static int
send_ack(uint64_t id, void *arg)
{
	(void)arg;
	assert_true(nsent < MAX_SENT);
	sent[nsent].id = id;
	sent[nsent++].outcome = -1;
	return 0;
}

static int
send_result(const struct cmdtab_result *r, void *arg)
{
	(void)arg;
	assert_true(nsent < MAX_SENT);
	sent[nsent].id = r->id;
	sent[nsent].outcome = (int)r->outcome;
	sent[nsent].status = r->status;
	snprintf(sent[nsent].out, sizeof(sent[nsent].out), "%.*s",
	    (int)r->len, (const char *)r->out);
	nsent++;
	if (++nresults == want_results)
		ev_break(ev_default_loop(0), EVBREAK_ALL);
	return 0;
}

static void
on_fatal(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	nfatal++;
}

/* A program in the test's directory: "#!/bin/sh" and ${text}. */
static const char *
script(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s\n", text);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

/* A queue running ${program}, with the journal if ${journaled}. */
static void
open_queue(const char *program, int journaled)
{
	struct cmdqueue_params p = { .loop = ev_default_loop(0),
	    .program = program, .agent = "agent-1", .output_max = 64,
	    .timeout = 30, .send_ack = send_ack,
	    .send_result = send_result, .on_fatal = on_fatal };
	char err[256];
	uint64_t off;

	assert_non_null(tab = cmdtab_new());
	if (journaled) {
		assert_non_null(sq = sendq_new(4));
		jn = journal_open(state_path, sq, tab, &off, err, sizeof(err));
		if (jn == NULL)
			fail_msg("journal_open: %s", err);
	}
	p.tab = tab;
	p.journal = jn;
	assert_non_null(q = cmdqueue_new(&p));
	nsent = nresults = want_results = nfatal = 0;
}

static void
close_queue(void)
{
	cmdqueue_free(q);
	journal_close(jn);
	sendq_free(sq);
	cmdtab_free(tab);
	q = NULL;
	jn = NULL;
	sq = NULL;
	tab = NULL;
}

static void
command(uint64_t id, const char *body)
{
	cmdqueue_command(q, id, (const uint8_t *)body, strlen(body));
}

/* Run the loop until ${n} results in all were sent. */
static void
wait_results(unsigned n)
{
	want_results = n;
	if (nresults < n)
		ev_run(ev_default_loop(0), 0);
	assert_int_equal(nresults, n);
}

static void
assert_sent(unsigned i, uint64_t id, int outcome, const char *out)
{
	assert_true(i < nsent);
	assert_int_equal(sent[i].id, id);
	assert_int_equal(sent[i].outcome, outcome);
	if (out != NULL)
		assert_string_equal(sent[i].out, out);
}

/* Two COMMANDs: ACK each, run in order, RESULT each; repeats answered. */
static void
test_ack_run_result_in_order(void **state)
{
	(void)state;
	open_queue("/bin/cat", 0);
	command(1, "one");
	command(2, "two");
	assert_int_equal(nsent, 2);
	assert_sent(0, 1, -1, NULL);
	assert_sent(1, 2, -1, NULL);
	command(2, "two");		/* queued: ACK again */
	assert_sent(2, 2, -1, NULL);
	wait_results(2);
	assert_sent(3, 1, GW_OUT_EXITED, "one");
	assert_sent(4, 2, GW_OUT_EXITED, "two");
	command(1, "one");		/* finished: its RESULT again */
	assert_int_equal(nsent, 6);
	assert_sent(5, 1, GW_OUT_EXITED, "one");
	close_queue();
}

/* Without --on-command: ACK, then RESULT no-handler at once. */
static void
test_no_handler(void **state)
{
	(void)state;
	open_queue(NULL, 0);
	command(4, "x");
	assert_int_equal(nsent, 2);
	assert_sent(0, 4, -1, NULL);
	assert_sent(1, 4, GW_OUT_NO_HANDLER, "");
	command(4, "x");
	assert_int_equal(nsent, 3);
	assert_sent(2, 4, GW_OUT_NO_HANDLER, "");
	close_queue();
}

/* A result finished after its session ended waits for the COMMAND. */
static void
test_result_waits_for_current_session(void **state)
{
	(void)state;
	open_queue(script("slowcat", "sleep 0.2; cat"), 0);
	command(3, "body");
	cmdqueue_session(q);		/* reconnected meanwhile */
	want_results = 1;
	ev_run(ev_default_loop(0), EVRUN_NOWAIT);
	while (cmdtab_lookup(tab, 3, &(struct cmdtab_result){ 0 }) !=
	    CMDTAB_DONE)
		ev_run(ev_default_loop(0), EVRUN_ONCE);
	assert_int_equal(nresults, 0);	/* not on the new session */
	assert_int_equal(nsent, 1);
	command(3, "body");		/* the server asks again */
	assert_int_equal(nresults, 1);
	assert_sent(1, 3, GW_OUT_EXITED, "body");
	close_queue();
}

/* Taken, then the agent stopped: after a restart, lost, never run. */
static void
test_lost_across_restart(void **state)
{
	char marker[128];

	(void)state;
	snprintf(marker, sizeof(marker), "%s/ran", dir);
	open_queue(script("sleeper", "sleep 60"), 1);
	command(8, "x");
	assert_sent(0, 8, -1, NULL);
	close_queue();			/* killed while it ran */
	open_queue(script("marker", "touch ran"), 1);
	command(8, "x");
	assert_int_equal(nsent, 1);
	assert_sent(0, 8, GW_OUT_LOST, "");
	ev_run(ev_default_loop(0), EVRUN_NOWAIT);
	assert_int_equal(access(marker, F_OK), -1);
	close_queue();
	open_queue(NULL, 1);		/* and so it stays */
	command(8, "x");
	assert_sent(0, 8, GW_OUT_LOST, "");
	close_queue();
}

/* At most GW_COMMANDS_INFLIGHT ids wait: the next is not taken. */
static void
test_queue_full(void **state)
{
	unsigned acks = 0;

	(void)state;
	open_queue(script("sleeper", "sleep 60"), 0);
	for (uint64_t id = 1; id <= GW_COMMANDS_INFLIGHT + 1; id++)
		command(id, "x");
	for (unsigned i = 0; i < nsent; i++)
		acks += sent[i].outcome == -1;
	assert_int_equal(acks, GW_COMMANDS_INFLIGHT);
	assert_int_equal(cmdtab_lookup(tab, GW_COMMANDS_INFLIGHT + 1,
	    &(struct cmdtab_result){ 0 }), CMDTAB_UNKNOWN);
	close_queue();
}

static int
group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/test_cmdqueue.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	return chdir(dir);		/* "touch ran" lands here */
}

static int
group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_run_result_in_order),
		cmocka_unit_test(test_no_handler),
		cmocka_unit_test(test_result_waits_for_current_session),
		cmocka_unit_test(test_lost_across_restart),
		cmocka_unit_test(test_queue_full),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
