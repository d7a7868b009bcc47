/*
 * journal_fixture.c: what the unit tests of gw-agent's journal share (see
 * journal_fixture.h): a journal in a temporary directory, reopened into a
 * fresh queue and command table, and its file read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmdtab.h"
#include "journal.h"
#include "journal_fixture.h"
#include "sendq.h"

char dir[64], path[96];
struct cmdtab *ct;

/** fresh_ct(): a fresh command table for journal_open (the last one freed). */
struct cmdtab *
fresh_ct(void)
{
	cmdtab_free(ct);
	assert_non_null(ct = cmdtab_new());
	return ct;
}

/**
 * file_limit(max): files may grow to ${max} bytes at most (a write past it
 * fails with EFBIG, as on a full disk), or without bound if ${max} is 0.
 */
void
file_limit(rlim_t max)
{
	struct rlimit rl;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = max != 0 ? max : rl.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/** setup(state), teardown(state): cmocka's (a temporary directory). */
int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/gwjournal.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	return 0;
}

int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	file_limit(0);			/* if a test failed under one */
	cmdtab_free(ct);
	ct = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void
on_number(uint64_t seq, void *arg)
{
	assert_int_equal(journal_seq(arg, seq), 0);
}

/**
 * reopen(q, cap, off): open the journal at ${path}, replaying into a fresh
 * queue of ${cap} (*${q}), the input offset into ${off}.
 */
struct journal *
reopen(struct sendq **q, size_t cap, uint64_t *off)
{
	char err[256];
	struct journal *j;

	*q = sendq_new(cap);
	assert_non_null(*q);
	j = journal_open(path, *q, fresh_ct(), off, err, sizeof(err));
	if (j == NULL)
		fail_msg("journal_open: %s", err);
	sendq_on_number(*q, on_number, j);
	return j;
}

/** take(j, id): command ${id} taken, in the table and the journal. */
void
take(struct journal *j, uint64_t id)
{
	assert_int_equal(cmdtab_take(ct, id), 0);
	assert_int_equal(journal_cmd_taken(j, id), 0);
}

/** slurp(p, len): the whole file ${p} (malloc'd), its size in ${len}. */
unsigned char *
slurp(const char *p, size_t *len)
{
	unsigned char *b;
	struct stat st;
	int fd;

	assert_true((fd = open(p, O_RDONLY)) >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_non_null(b = malloc((size_t)st.st_size + 1));
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/** file_size(): the size of the journal file now. */
rlim_t
file_size(void)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (rlim_t)st.st_size;
}
