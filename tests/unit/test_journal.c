/*
 * test_journal.c: gw-agent's persistent queue: lines, numbers, acks and
 * the input offset survive a reopen; a torn last record (a crash in a
 * write) is dropped, not fatal; garbage is refused with the byte offset;
 * a journal holding more lines than the queue allows (lowered since) is
 * replayed whole, the queue taking nothing new until acks bring it under
 * its caps; links planted
 * at the journal's or its temporary's name are not written through.
 * Command ids and results survive a reopen, a taken id without a result
 * comes back lost, and the file keeps only the newest results.  A rewrite
 * that fails (a full disk) leaves the file exactly as it was, whichever
 * rewrite it was; a write that fails halfway is retried from where it
 * stopped; a command record repeated is read once, the first standing.
 * (Commit records and positions: test_journal_replay.c.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmdtab.h"
#include "journal.h"
#include "journal_fixture.h"
#include "sendq.h"

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
	assert_int_equal(journal_commit(j), 0);
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
	assert_int_equal(journal_commit(j), 0);
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
	assert_null(journal_open(path, q, fresh_ct(), &off, err, sizeof(err)));
	assert_non_null(strstr(err, "corrupt at byte"));
	sendq_free(q);
}

/*
 * A journal holding more lines than the queue now allows (the operator
 * lowered it) is replayed whole: every line queued, past the caps, and
 * nothing new pushed until acks bring the queue back under them.
 */
static void
test_over_queue(void **state)
{
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	uint64_t off;
	char line[8];

	(void)state;
	j = reopen(&q, 8, &off);
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "l%d", i);
		assert_int_equal(sendq_push(q, line, 2), 0);
		assert_int_equal(journal_line(j, line, 2), 0);
	}
	assert_int_equal(journal_commit(j), 0);
	journal_close(j);
	sendq_free(q);

	j = reopen(&q, 4, &off);
	assert_int_equal(sendq_len(q), 8);
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "l%d", i);
		assert_non_null(e = sendq_get(q, (size_t)i));
		assert_memory_equal(e->body, line, 2);
	}
	assert_true(sendq_over(q));
	assert_true(sendq_full(q));
	assert_false(sendq_room(q, 1));
	assert_int_equal(sendq_push(q, "new", 3), -1);
	/* The lines are numbered 1..8 as sent; acks bring it down. */
	assert_int_equal(sendq_number(q, 8), 8);
	assert_int_equal(sendq_ack(q, 4), 4);
	assert_int_equal(journal_ack(j, q, 4, off), 0);
	assert_false(sendq_over(q));
	assert_true(sendq_full(q));
	assert_int_equal(sendq_push(q, "new", 3), -1);
	assert_int_equal(sendq_ack(q, 5), 1);
	assert_int_equal(journal_ack(j, q, 5, off), 0);
	assert_false(sendq_full(q));
	assert_int_equal(sendq_push(q, "new", 3), 0);
	assert_int_equal(sendq_len(q), 4);
	journal_close(j);
	sendq_free(q);

	/* The byte cap, set after the replay, holds the inputs back too. */
	j = reopen(&q, 8, &off);
	assert_int_equal(sendq_len(q), 3);
	sendq_set_bytes(q, 2);
	assert_true(sendq_over(q));
	assert_false(sendq_room(q, 1));
	journal_close(j);
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
	assert_null(journal_open(path, q, fresh_ct(), &off, buf, sizeof(buf)));
	sendq_free(q);
}

/* The result of a finished command, output ${out}. */
static void
finish(struct journal *j, uint64_t id, const char *out, size_t len)
{
	struct cmdtab_result r = { .id = id, .outcome = GW_OUT_EXITED,
	    .flags = GW_RESULT_TRUNCATED, .status = -7,
	    .out = (const uint8_t *)out, .len = len };

	assert_int_equal(cmdtab_done(ct, &r), 0);
	assert_int_equal(journal_cmd_result(j, &r), 0);
}

/* Taken ids and results survive; taken without a result: lost. */
static void
test_commands_survive_reopen(void **state)
{
	struct cmdtab_result r;
	struct sendq *q;
	struct journal *j;
	uint64_t off;

	(void)state;
	j = reopen(&q, 10, &off);
	take(j, 5);
	take(j, 9);
	finish(j, 5, "out", 3);
	assert_int_equal(cmdtab_lookup(ct, 9, &r), CMDTAB_TAKEN);
	journal_close(j);		/* stopped while 9 ran */
	sendq_free(q);
	for (int pass = 0; pass < 2; pass++) {	/* lost is kept as such */
		j = reopen(&q, 10, &off);
		assert_int_equal(cmdtab_lookup(ct, 5, &r), CMDTAB_DONE);
		assert_int_equal(r.outcome, GW_OUT_EXITED);
		assert_int_equal(r.flags, GW_RESULT_TRUNCATED);
		assert_int_equal(r.status, -7);
		assert_int_equal(r.len, 3);
		assert_memory_equal(r.out, "out", 3);
		assert_int_equal(cmdtab_lookup(ct, 9, &r), CMDTAB_DONE);
		assert_int_equal(r.outcome, GW_OUT_LOST);
		assert_int_equal(r.len, 0);
		assert_int_equal(cmdtab_lookup(ct, 7, &r), CMDTAB_UNKNOWN);
		journal_close(j);
		sendq_free(q);
	}
}

/* The file keeps the newest results; older ids come back lost. */
static void
test_commands_bounded(void **state)
{
	static char out[10000];
	struct cmdtab_result r;
	struct sendq *q;
	struct journal *j;
	struct stat st;
	uint64_t off;
	off_t bound = CMDTAB_RESULTS * (sizeof(out) + 19) +
	    JOURNAL_CMD_COMPACT + 4096;

	(void)state;
	memset(out, 'o', sizeof(out));
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_push(q, "line", 4), 0);
	assert_int_equal(journal_line(j, "line", 4), 0);
	for (uint64_t id = 1; id <= 300; id++) {
		take(j, id);
		finish(j, id, out, sizeof(out));
		assert_int_equal(stat(path, &st), 0);
		assert_true(st.st_size <= bound);
	}
	journal_close(j);
	sendq_free(q);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 1);	/* the lines are kept too */
	for (uint64_t id = 1; id <= 300; id++)
		assert_int_equal(cmdtab_lookup(ct, id, &r), id <= 300 -
		    CMDTAB_RESULTS ? CMDTAB_LOST : CMDTAB_DONE);
	assert_int_equal(cmdtab_lookup(ct, 301, &r), CMDTAB_UNKNOWN);
	assert_int_equal(cmdtab_lookup(ct, 300, &r), CMDTAB_DONE);
	assert_int_equal(r.len, sizeof(out));
	journal_close(j);
	sendq_free(q);
}

/* A torn result record is dropped; a result with a bad outcome is not. */
static void
test_commands_torn_and_bad(void **state)
{
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	char err[256];
	int fd;

	(void)state;
	j = reopen(&q, 10, &off);
	journal_close(j);
	sendq_free(q);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "R\x05\0\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\x09\0\0\0abc", 23), 23);
	close(fd);
	j = reopen(&q, 10, &off);
	assert_int_equal(cmdtab_lookup(ct, 5, &(struct cmdtab_result){ 0 }),
	    CMDTAB_UNKNOWN);
	journal_close(j);
	sendq_free(q);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "R\x05\0\0\0\0\0\0\0\x09\0\0\0\0\0"
	    "\0\0\0\0", 19), 19);
	close(fd);
	q = sendq_new(10);
	assert_null(journal_open(path, q, fresh_ct(), &off, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "corrupt at byte"));
	sendq_free(q);
}

/* The file is still ${b} (${len} bytes). */
static void
assert_file(const unsigned char *b, size_t len)
{
	unsigned char *now;
	size_t nlen;

	now = slurp(path, &nlen);
	assert_int_equal(nlen, len);
	assert_memory_equal(now, b, len);
	free(now);
}

/*
 * A rewrite of the command records that cannot be written leaves the file
 * as it was, even once closed: it reopens with the same lines, ids and
 * results (the one being recorded comes back lost), not as corrupt.
 */
static void
test_commands_failed_rewrite(void **state)
{
	static char big[50000];
	struct cmdtab_result r;
	struct sendq *q;
	struct journal *j;
	struct stat st;
	unsigned char *before;
	uint64_t off, id = 0, rem;
	size_t len;
	char tmpf[128];

	(void)state;
	snprintf(tmpf, sizeof(tmpf), "%s.tmp", path);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_push(q, "line", 4), 0);
	assert_int_equal(journal_line(j, "line", 4), 0);
	assert_int_equal(journal_offset(j, 5), 0);
	assert_int_equal(journal_commit(j), 0);
	assert_int_equal(stat(path, &st), 0);
	take(j, 1000);				/* running still */
	/*
	 * Command records ('C' 9 bytes, 'R' 19 + output) up to 28 bytes short
	 * of JOURNAL_CMD_COMPACT: big results, then 64 small ones, which push
	 * the big ones out of the table (the rewrite is small: all of it is
	 * buffered when its write fails).
	 */
	rem = JOURNAL_CMD_COMPACT - 28 - 9 - CMDTAB_RESULTS * (9 + 19 + 1);
	while (rem > 0) {
		len = rem - 28 > sizeof(big) ? sizeof(big) - 10000 : rem - 28;
		take(j, ++id);
		finish(j, id, big, len);
		rem -= 28 + len;
	}
	for (int i = 0; i < CMDTAB_RESULTS; i++) {
		take(j, ++id);
		finish(j, id, "s", 1);
	}
	off = (uint64_t)st.st_size;
	assert_int_equal(stat(path, &st), 0);	/* no rewrite yet */
	assert_int_equal(st.st_size, off + JOURNAL_CMD_COMPACT - 28);
	/* The next result is a rewrite instead, on a full disk. */
	take(j, ++id);
	before = slurp(path, &len);
	r = (struct cmdtab_result){ .id = id, .outcome = GW_OUT_EXITED,
	    .out = (const uint8_t *)"s", .len = 1 };
	assert_int_equal(cmdtab_done(ct, &r), 0);
	file_limit(512);
	assert_int_equal(journal_cmd_result(j, &r), -1);
	file_limit(0);
	assert_non_null(strstr(journal_error(j), "write"));
	assert_file(before, len);
	assert_int_not_equal(access(tmpf, F_OK), 0);
	journal_close(j);			/* the agent stops */
	sendq_free(q);
	assert_file(before, len);
	free(before);

	j = reopen(&q, 10, &off);
	assert_int_equal(off, 5);
	assert_int_equal(sendq_len(q), 1);
	assert_int_equal(cmdtab_lookup(ct, id - 1, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_EXITED);
	assert_int_equal(r.len, 1);
	assert_int_equal(cmdtab_lookup(ct, id, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_LOST);	/* never run again */
	assert_int_equal(cmdtab_lookup(ct, 1000, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_LOST);
	assert_int_equal(cmdtab_lookup(ct, 1, &r), CMDTAB_LOST);
	assert_int_equal(cmdtab_lookup(ct, 1001, &r), CMDTAB_UNKNOWN);
	journal_close(j);
	sendq_free(q);
}

/*
 * The rewrite when acknowledgements have grown the file (past 32 MiB) that
 * cannot be written leaves the file as it was: the lines come back.
 */
static void
test_failed_rewrite_on_ack(void **state)
{
	static char line[1024 * 1024];
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	unsigned char *before;
	uint64_t off;
	size_t len;

	(void)state;
	memset(line, 'x', sizeof(line));
	j = reopen(&q, 64, &off);
	for (int i = 0; i < 33; i++) {
		assert_int_equal(sendq_push(q, line, sizeof(line)), 0);
		assert_int_equal(journal_line(j, line, sizeof(line)), 0);
	}
	assert_int_equal(journal_commit(j), 0);
	assert_int_equal(sendq_hello(q, 0), 0);
	assert_int_equal(sendq_number(q, 1), 1);
	assert_int_equal(journal_sync(j), 0);
	assert_int_equal(sendq_ack(q, 1), 1);
	before = slurp(path, &len);
	file_limit(512);
	assert_int_equal(journal_ack(j, q, 1, 0), -1);
	file_limit(0);
	assert_file(before, len);
	journal_close(j);
	sendq_free(q);
	assert_file(before, len);
	free(before);

	j = reopen(&q, 64, &off);
	assert_int_equal(sendq_len(q), 33);	/* the ack was not kept */
	e = sendq_next(q);
	assert_int_equal(e->seq, 1);
	assert_int_equal(e->len, sizeof(line));
	journal_close(j);
	sendq_free(q);
}

/* A write that fails halfway goes on where it stopped when retried. */
static void
test_write_retried(void **state)
{
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	struct stat st;
	uint64_t off;

	(void)state;
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_push(q, "first", 5), 0);
	assert_int_equal(journal_line(j, "first", 5), 0);
	assert_int_equal(journal_commit(j), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(sendq_push(q, "second", 6), 0);
	assert_int_equal(journal_line(j, "second", 6), 0);
	file_limit((rlim_t)st.st_size + 3);	/* 3 bytes, then full */
	assert_int_equal(journal_commit(j), -1);
	file_limit(0);
	assert_int_equal(journal_commit(j), 0);	/* its K written once */
	journal_close(j);
	sendq_free(q);

	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 2);
	sendq_advance(q);
	e = sendq_next(q);
	assert_int_equal(e->len, 6);
	assert_memory_equal(e->body, "second", 6);
	journal_close(j);
	sendq_free(q);
}

/*
 * A command record repeated (as an older gw-agent's failed rewrite left
 * it) is read once: the first record of an id stands.
 */
static void
test_commands_repeated(void **state)
{
	struct cmdtab_result r;
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	int fd;

	(void)state;
	j = reopen(&q, 10, &off);
	take(j, 5);
	finish(j, 5, "out", 3);
	take(j, 9);
	journal_close(j);
	sendq_free(q);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "C\x09\0\0\0\0\0\0\0" "C\x05\0\0\0\0\0\0\0"
	    "R\x05\0\0\0\0\0\0\0\x02\0\0\0\0\0\x03\0\0\0new", 40), 40);
	close(fd);
	for (int pass = 0; pass < 2; pass++) {
		j = reopen(&q, 10, &off);
		assert_int_equal(cmdtab_lookup(ct, 5, &r), CMDTAB_DONE);
		assert_int_equal(r.outcome, GW_OUT_EXITED);
		assert_int_equal(r.status, -7);
		assert_int_equal(r.len, 3);
		assert_memory_equal(r.out, "out", 3);
		assert_int_equal(cmdtab_lookup(ct, 9, &r), CMDTAB_DONE);
		assert_int_equal(r.outcome, GW_OUT_LOST);
		journal_close(j);
		sendq_free(q);
	}
}

/*
 * An acknowledgement that cannot be written (a full disk) is not recorded
 * at all, neither its bytes copied into a full buffer nor those that
 * reached the file: lines recorded after it reopen, the file not corrupt.
 * ${room}: bytes the file may still grow by when the write fails.
 */
static void
ack_fails(rlim_t room)
{
	static char big[65532 - 9 - 5];
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	uint64_t off;

	memset(big, 'b', sizeof(big));
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_push(q, "first", 5), 0);
	assert_int_equal(journal_line(j, "first", 5), 0);
	/* Committed before numbered, as the agent does. */
	assert_int_equal(journal_commit(j), 0);
	assert_int_equal(sendq_hello(q, 0), 0);
	assert_int_equal(sendq_number(q, 1), 1);
	assert_int_equal(sendq_push(q, big, sizeof(big)), 0);
	assert_int_equal(journal_line(j, big, sizeof(big)), 0);
	/* The buffer holds 65532 bytes: 4 of the 'A' record fit. */
	file_limit(file_size() + room);
	assert_int_equal(journal_ack(j, q, 1, 0), -1);
	file_limit(0);
	assert_int_equal(sendq_push(q, "last", 4), 0);
	assert_int_equal(journal_line(j, "last", 4), 0);
	assert_int_equal(journal_commit(j), 0);
	journal_close(j);
	sendq_free(q);

	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 3);	/* the ack was not kept */
	e = sendq_next(q);
	assert_int_equal(e->seq, 1);
	assert_memory_equal(e->body, "first", 5);
	sendq_advance(q);
	assert_int_equal(sendq_next(q)->len, sizeof(big));
	sendq_advance(q);
	e = sendq_next(q);
	assert_int_equal(e->len, 4);
	assert_memory_equal(e->body, "last", 4);
	journal_close(j);
	sendq_free(q);
}

static void
test_failed_ack_not_torn(void **state)
{
	(void)state;
	ack_fails(0);		/* nothing of it reached the file */
	assert_int_equal(unlink(path), 0);
	ack_fails(65534);	/* 2 bytes of it did */
}

/*
 * A result that cannot be written in full (a full disk halfway through
 * it) leaves no part of it in the file; so does a taken id that cannot be
 * synced.  Records after them reopen: the id comes back lost.
 */
static void
test_failed_command_record_not_torn(void **state)
{
	static char out[100000];
	struct cmdtab_result r = { .id = 5, .outcome = GW_OUT_EXITED,
	    .out = (const uint8_t *)out, .len = sizeof(out) };
	struct sendq *q;
	struct journal *j;
	rlim_t size;
	uint64_t off;

	(void)state;
	memset(out, 'o', sizeof(out));
	j = reopen(&q, 10, &off);
	take(j, 5);
	size = file_size();
	assert_int_equal(cmdtab_done(ct, &r), 0);
	file_limit(size + 1000);	/* 1000 bytes of it, then full */
	assert_int_equal(journal_cmd_result(j, &r), -1);
	assert_int_equal(file_size(), size);
	file_limit(size + 4);		/* 4 bytes of it, then full */
	assert_int_equal(cmdtab_take(ct, 7), 0);
	assert_int_equal(journal_cmd_taken(j, 7), -1);
	file_limit(0);
	assert_int_equal(file_size(), size);
	take(j, 9);
	journal_close(j);
	sendq_free(q);

	j = reopen(&q, 10, &off);
	assert_int_equal(cmdtab_lookup(ct, 5, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_LOST);
	assert_int_equal(cmdtab_lookup(ct, 7, &r), CMDTAB_UNKNOWN);
	assert_int_equal(cmdtab_lookup(ct, 9, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_LOST);
	journal_close(j);
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
		cmocka_unit_test_setup_teardown(test_over_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_planted_link, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commands_survive_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commands_torn_and_bad,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_failed_rewrite,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rewrite_on_ack,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_retried, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_commands_repeated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_failed_ack_not_torn, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_failed_command_record_not_torn, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
