/*
 * test_journal.c: gw-agent's persistent queue: lines, numbers, acks and
 * the input offset survive a reopen; a torn last record (a crash in a
 * write) is dropped, not fatal; garbage is refused with the byte offset;
 * a journal never holds more lines than the queue allows; links planted
 * at the journal's or its temporary's name are not written through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "journal.h"
#include "sendq.h"

static char dir[64], path[96];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gwjournal.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void
on_number(uint64_t seq, void *arg)
{
	assert_int_equal(journal_seq(arg, seq), 0);
}

/* Open, replaying into a fresh queue of ${cap}. */
static struct journal *
reopen(struct sendq **q, size_t cap, uint64_t *off)
{
	char err[256];
	struct journal *j;

	*q = sendq_new(cap);
	assert_non_null(*q);
	j = journal_open(path, *q, off, err, sizeof(err));
	if (j == NULL)
		fail_msg("journal_open: %s", err);
	sendq_on_number(*q, on_number, j);
	return j;
}

static void
test_survives_reopen(void **state)
{
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	uint64_t off;

	(void)state;
	j = reopen(&q, 10, &off);
	assert_int_equal(off, 0);
	for (int i = 0; i < 4; i++) {
		char line[16];

		snprintf(line, sizeof(line), "line %d", i);
		assert_int_equal(sendq_push(q, line, strlen(line)), 0);
		assert_int_equal(journal_line(j, line, strlen(line)), 0);
	}
	assert_int_equal(journal_offset(j, 28), 0);
	assert_int_equal(sendq_hello(q, 41), 0);	/* numbers from 42 */
	assert_int_equal(sendq_number(q, 3), 3);	/* 42, 43, 44 */
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(sendq_ack(q, 42), 1);
	assert_int_equal(journal_ack(j, q, 42, 28), 0);
	journal_close(j);	/* as if killed after the last sync */
	sendq_free(q);

	j = reopen(&q, 10, &off);
	assert_int_equal(off, 28);
	assert_int_equal(sendq_len(q), 3);
	e = sendq_next(q);
	assert_int_equal(e->len, 6);
	assert_memory_equal(e->body, "line 1", 6);
	assert_int_equal(e->seq, 43);		/* the same number again */
	sendq_advance(q);
	sendq_advance(q);
	e = sendq_next(q);		/* never numbered: numbered now */
	assert_int_equal(e->seq, 45);
	journal_close(j);
	sendq_free(q);
}

static void
test_torn_tail_and_garbage(void **state)
{
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	char err[256];
	int fd;

	(void)state;
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_push(q, "whole", 5), 0);
	assert_int_equal(journal_line(j, "whole", 5), 0);
	journal_close(j);
	sendq_free(q);
	/* A line record cut in the middle of its body. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "L\x0a\0\0\0abc", 8), 8);
	close(fd);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 1);
	journal_close(j);
	sendq_free(q);
	/* Garbage: refused, with where. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "Z", 1), 1);
	close(fd);
	q = sendq_new(10);
	assert_null(journal_open(path, q, &off, err, sizeof(err)));
	assert_non_null(strstr(err, "corrupt at byte"));
	sendq_free(q);
}

static void
test_bounded_by_queue(void **state)
{
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	char err[256];

	(void)state;
	j = reopen(&q, 3, &off);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sendq_push(q, "x", 1), 0);
		assert_int_equal(journal_line(j, "x", 1), 0);
	}
	journal_close(j);
	sendq_free(q);
	q = sendq_new(2);
	assert_null(journal_open(path, q, &off, err, sizeof(err)));
	assert_non_null(strstr(err, "--queue"));
	sendq_free(q);
}

/* A link planted in the state directory is not written through. */
static void
test_planted_link(void **state)
{
	char tmpf[128], victim[128], buf[16] = "";
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	FILE *f;

	(void)state;
	snprintf(tmpf, sizeof(tmpf), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_non_null(f = fopen(victim, "w"));
	fputs("root's\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, tmpf), 0);	/* compaction's */
	j = reopen(&q, 3, &off);
	journal_close(j);
	sendq_free(q);
	assert_non_null(f = fopen(victim, "r"));
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "root's\n");
	unlink(path);
	assert_int_equal(symlink(victim, path), 0);	/* the journal's */
	q = sendq_new(3);
	assert_null(journal_open(path, q, &off, buf, sizeof(buf)));
	sendq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail_and_garbage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_by_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_planted_link, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
