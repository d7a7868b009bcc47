/*
 * test_journal_replay.c: gw-agent's journal read back at start, its commit
 * records and positions.  Followed files' positions survive reopens (and
 * so the rewrite each open makes), a forgotten one stays forgotten, a
 * torn position record is dropped and a bad one refused, and a key too
 * long is not recorded.
 * A batch (lines, offset, positions) counts once committed by its K: one
 * torn before it (the buffer filled in its middle) is dropped at replay,
 * the committed ones kept; a file of an older gw-agent (no K) replays
 * whole; an empty file or a K alone is an empty journal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmdtab.h"
#include "journal.h"
#include "journal_fixture.h"
#include "sendq.h"

static struct file_pos
mkpos(uint64_t ino, uint64_t off, const char *fp)
{
	struct file_pos p = { .dev = 2049, .ino = ino, .off = off };

	p.fplen = (uint8_t)strlen(fp);
	memcpy(p.fp, fp, p.fplen);
	return p;
}

static void
test_positions_survive_reopen(void **state)
{
	struct sendq *q;
	struct journal *j;
	struct file_pos a = mkpos(77, 1000, "line 9\n");
	struct file_pos b = mkpos(78, 5, "ab\n");
	struct file_pos got;
	uint64_t off;
	size_t n;

	(void)state;
	j = reopen(&q, 10, &off);
	assert_int_equal(journal_pos_set(j, "/var/log/a.log", &a), 0);
	assert_int_equal(journal_pos_set(j, "/var/log/b.log", &b), 0);
	a.off = 2000;			/* moved on: the last record stands */
	assert_int_equal(journal_pos_set(j, "/var/log/a.log", &a), 0);
	assert_int_equal(journal_pos_set(j, "/var/log/c.log", &b), 0);
	assert_int_equal(journal_pos_forget(j, "/var/log/c.log"), 0);
	assert_int_equal(journal_pos_forget(j, "/never"), 0);
	assert_int_equal(journal_commit(j), 0);
	journal_close(j);
	sendq_free(q);
	/* Twice: the first open rewrites the file from its state. */
	for (int round = 0; round < 2; round++) {
		j = reopen(&q, 10, &off);
		assert_int_equal(journal_pos_get(j, "/var/log/a.log", &got), 1);
		assert_int_equal(got.dev, 2049);
		assert_int_equal(got.ino, 77);
		assert_int_equal(got.off, 2000);
		assert_int_equal(got.fplen, 7);
		assert_memory_equal(got.fp, "line 9\n", 7);
		assert_int_equal(journal_pos_get(j, "/var/log/b.log", &got), 1);
		assert_int_equal(got.ino, 78);
		assert_int_equal(journal_pos_get(j, "/var/log/c.log", &got), 0);
		for (n = 0; journal_pos_at(j, n, &got) != NULL; n++)
			;
		assert_int_equal(n, 2);
		journal_close(j);
		sendq_free(q);
	}
}

static void
test_positions_torn_and_bad(void **state)
{
	struct sendq *q;
	struct journal *j;
	struct file_pos p = mkpos(5, 3, "ab\n"), got;
	uint64_t off;
	char err[256], key[POS_KEY_MAX + 2];
	int fd;

	(void)state;
	j = reopen(&q, 10, &off);
	assert_int_equal(journal_pos_set(j, "/a", &p), 0);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(journal_pos_set(j, key, &p), -1);	/* too long */
	assert_int_equal(journal_commit(j), 0);
	journal_close(j);
	sendq_free(q);
	/* A position record cut in the middle: dropped, the one before kept. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "P\x40\0\0\0\x01\x02", 7), 7);
	close(fd);
	j = reopen(&q, 10, &off);
	assert_int_equal(journal_pos_get(j, "/a", &got), 1);
	assert_int_equal(got.off, 3);
	for (size_t i = 0; journal_pos_at(j, i, &got) != NULL; i++)
		assert_int_equal(got.ino, 5);
	journal_close(j);
	sendq_free(q);
	/* A fingerprint longer than the offset it is before: refused. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "P\x1b\0\0\0"
	    "\1\0\0\0\0\0\0\0" "\2\0\0\0\0\0\0\0" "\1\0\0\0\0\0\0\0"
	    "\2" "ab" "/", 5 + 27), 5 + 27);
	close(fd);
	q = sendq_new(10);
	assert_null(journal_open(path, q, fresh_ct(), &off, err, sizeof(err)));
	assert_non_null(strstr(err, "corrupt at byte"));
	sendq_free(q);
}

/* Put ${len} bytes at ${b} as the whole journal file (as a crash left it). */
static void
put_file(const void *b, size_t len)
{
	int fd;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
	    0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/* The last byte of the journal file. */
static int
last_byte(void)
{
	unsigned char *b;
	size_t len;
	int c;

	b = slurp(path, &len);
	assert_true(len > 0);
	c = b[len - 1];
	free(b);
	return c;
}

/*
 * A batch torn before its K (a kill -9 when the buffer had filled in the
 * middle of it: its first lines in the file, its offset and position not)
 * is dropped at replay, the committed batch before it kept; a command
 * taken after it is kept.  The rewrite at open ends with a K, and a
 * second open replays the same.
 */
static void
test_uncommitted_dropped(void **state)
{
	static char big[40000];
	struct file_pos p1 = mkpos(7, 10, "b\n"), p2 = mkpos(7, 90000, "x\n");
	struct file_pos got;
	struct cmdtab_result r;
	struct sendq *q;
	struct journal *j;
	unsigned char *snap;
	size_t snaplen, before;
	uint64_t off;

	(void)state;
	memset(big, 'x', sizeof(big));
	j = reopen(&q, 10, &off);
	assert_int_equal(last_byte(), 'K');	/* even a new file has one */
	assert_int_equal(sendq_push(q, "a", 1), 0);
	assert_int_equal(journal_line(j, "a", 1), 0);
	assert_int_equal(sendq_push(q, "b", 1), 0);
	assert_int_equal(journal_line(j, "b", 1), 0);
	assert_int_equal(journal_offset(j, 4), 0);
	assert_int_equal(journal_pos_set(j, "/f", &p1), 0);
	assert_int_equal(journal_commit(j), 0);
	assert_int_equal(last_byte(), 'K');
	before = file_size();
	/* Two big lines: the 64k buffer fills, the first reaches the file. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(sendq_push(q, big, sizeof(big)), 0);
		assert_int_equal(journal_line(j, big, sizeof(big)), 0);
	}
	snap = slurp(path, &snaplen);		/* what a kill -9 leaves */
	assert_true(snaplen > before + sizeof(big));
	assert_int_equal(journal_offset(j, 80004), 0);
	assert_int_equal(journal_pos_set(j, "/f", &p2), 0);
	journal_close(j);
	sendq_free(q);
	put_file(snap, snaplen);
	free(snap);
	for (int round = 0; round < 2; round++) {
		j = reopen(&q, 10, &off);
		assert_int_equal(sendq_len(q), 2);
		assert_int_equal(off, 4);
		assert_int_equal(journal_pos_get(j, "/f", &got), 1);
		assert_int_equal(got.off, 10);
		assert_int_equal(last_byte(), 'K');
		if (round == 0)
			take(j, 33);	/* after the last K: applies */
		journal_close(j);
		sendq_free(q);
	}

	/* Synced but not committed (journal_close's sync): dropped too. */
	j = reopen(&q, 10, &off);
	assert_int_equal(cmdtab_lookup(ct, 33, &r), CMDTAB_DONE);
	assert_int_equal(r.outcome, GW_OUT_LOST);
	assert_int_equal(sendq_push(q, "c", 1), 0);
	assert_int_equal(journal_line(j, "c", 1), 0);
	assert_int_equal(journal_offset(j, 6), 0);
	assert_int_equal(journal_sync(j), 0);
	journal_close(j);
	sendq_free(q);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 2);
	assert_int_equal(off, 4);
	journal_close(j);
	sendq_free(q);
}

/*
 * A journal of an older gw-agent has no K: replayed whole, in order (a
 * number applies to the line before it); rewritten with a K.
 */
static void
test_old_format_whole(void **state)
{
	static const char old[] =
	    "L\4\0\0\0old1" "S\5\0\0\0\0\0\0\0" "L\4\0\0\0old2"
	    "P\x1c\0\0\0" "\1\0\0\0\0\0\0\0" "\2\0\0\0\0\0\0\0"
	    "\x09\0\0\0\0\0\0\0" "\1" "\n" "/f" "O\x09\0\0\0\0\0\0\0";
	struct file_pos got;
	struct sendq *q;
	struct journal *j;
	const struct sendq_ent *e;
	uint64_t off;

	(void)state;
	put_file(old, sizeof(old) - 1);
	for (int round = 0; round < 2; round++) {
		j = reopen(&q, 10, &off);
		assert_int_equal(sendq_len(q), 2);
		assert_int_equal(off, 9);
		e = sendq_get(q, 0);
		assert_memory_equal(e->body, "old1", 4);
		assert_int_equal(e->seq, 5);
		e = sendq_get(q, 1);
		assert_memory_equal(e->body, "old2", 4);
		assert_int_equal(e->seq, 0);
		assert_int_equal(journal_pos_get(j, "/f", &got), 1);
		assert_int_equal(got.off, 9);
		assert_int_equal(last_byte(), 'K');
		journal_close(j);
		sendq_free(q);
	}
}

/*
 * An empty file and a K alone are empty journals; a first batch after the
 * K, torn before its own, is dropped (a file of ours is never read as an
 * older one); a record that does not parse after the last K is refused.
 */
static void
test_k_only_and_empty(void **state)
{
	static const char first[] = "KL\4\0\0\0lineO\5\0\0\0\0\0\0\0";
	struct sendq *q;
	struct journal *j;
	uint64_t off;
	char err[256];

	(void)state;
	put_file("", 0);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 0);
	assert_int_equal(off, 0);
	journal_close(j);
	sendq_free(q);
	put_file("K", 1);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 0);
	assert_int_equal(off, 0);
	journal_close(j);
	sendq_free(q);
	put_file(first, sizeof(first) - 1);
	j = reopen(&q, 10, &off);
	assert_int_equal(sendq_len(q), 0);
	assert_int_equal(off, 0);
	journal_close(j);
	sendq_free(q);
	put_file("KKL\4\0\0\0lineZ", 12);
	q = sendq_new(10);
	assert_null(journal_open(path, q, fresh_ct(), &off, err, sizeof(err)));
	assert_non_null(strstr(err, "corrupt at byte 11"));
	sendq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_uncommitted_dropped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_old_format_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_k_only_and_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_positions_survive_reopen,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions_torn_and_bad,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
