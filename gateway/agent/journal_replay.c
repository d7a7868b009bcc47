/*
 * journal_replay.c: gw-agent's journal read back at start (journal.h): its
 * records parsed and applied to the queue, the command table and the
 * positions, what follows the last commit record 'K' dropped, a torn last
 * record dropped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "journal_impl.h"
#include "log.h"

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

#define JOURNAL_RES_HDR	19	/* 'R' id outcome flags status len */

/*
 * Replay the 'R' record at ${p} (before ${end}) into the command table
 * (if ${apply}): its size, 0 if torn, or -1 if it does not parse.
 */
static ssize_t
journal_replay_result(struct journal *j, const unsigned char *p,
    const unsigned char *end, int apply)
{
	struct cmdtab_result r, known;
	uint32_t len;

	if (end - p < JOURNAL_RES_HDR)
		return 0;
	len = le32(p + 15);
	if (len > JOURNAL_LINE_MAX)
		return -1;
	if ((size_t)(end - p) < JOURNAL_RES_HDR + (size_t)len)
		return 0;
	r = (struct cmdtab_result){ .id = le64(p + 1), .outcome = p[9],
	    .flags = p[10], .status = (int32_t)le32(p + 11),
	    .out = p + JOURNAL_RES_HDR, .len = len };
	if (r.id == 0 || r.outcome > GW_OUT_MAX ||
	    (r.flags & ~GW_RESULT_FLAGS_KNOWN) != 0)
		return -1;
	/* Answered already: the first result stands (it was sent). */
	if (apply && cmdtab_lookup(j->ct, r.id, &known) != CMDTAB_DONE &&
	    cmdtab_done(j->ct, &r) != 0)
		return -1;
	return JOURNAL_RES_HDR + (ssize_t)len;
}

/*
 * Replay the 'C' record of ${id} into the command table: taken, unless the
 * table knows ${id} already (taken, answered or lost: the first record
 * stands).  0, or -1 if it does not parse.
 */
static int
journal_replay_taken(struct journal *j, uint64_t id)
{
	struct cmdtab_result known;

	if (id == 0)
		return -1;
	if (cmdtab_lookup(j->ct, id, &known) != CMDTAB_UNKNOWN)
		return 0;
	return cmdtab_take(j->ct, id);
}

/*
 * Replay the 'P' or 'X' record at ${p} (before ${end}) into the positions
 * (if ${apply}): its size, 0 if torn, or -1 if it does not parse.
 */
static ssize_t
journal_replay_pos(struct journal *j, const unsigned char *p,
    const unsigned char *end, int apply)
{
	char key[POS_KEY_MAX + 1];
	struct file_pos pos;
	size_t len, hdr = *p == 'P' ? JOURNAL_POS_HDR : 5;

	if ((size_t)(end - p) < 5)
		return 0;
	len = le32(p + 1);
	if (len > hdr - 5 + POS_FP_MAX + POS_KEY_MAX || len < hdr - 5)
		return -1;
	if ((size_t)(end - p) < 5 + len)
		return 0;
	pos = (struct file_pos){ 0 };
	if (*p == 'P') {
		pos.dev = le64(p + 5);
		pos.ino = le64(p + 13);
		pos.off = le64(p + 21);
		pos.fplen = p[29];
		if (pos.fplen > POS_FP_MAX || pos.fplen > len - (hdr - 5) ||
		    pos.fplen > pos.off)
			return -1;
		memcpy(pos.fp, p + hdr, pos.fplen);
	}
	memcpy(key, p + hdr + pos.fplen, len - (hdr - 5) - pos.fplen);
	key[len - (hdr - 5) - pos.fplen] = '\0';
	if (strlen(key) != len - (hdr - 5) - pos.fplen || key[0] == '\0')
		return -1;		/* a NUL inside, or no key */
	if (apply && *p == 'X')
		posmap_del(j->pos, key);
	else if (apply && posmap_set(j->pos, key, &pos) != 0)
		return -1;
	return (ssize_t)(5 + len);
}

/* How journal_replay_rec treats a record. */
#define JOURNAL_PARSE	0	/* only its size */
#define JOURNAL_APPLY	1	/* applied (queue, table, positions) */
#define JOURNAL_UNCOMMITTED 2	/* after the last K: L O P X parsed only */

/* 1 if a record of ${type} belongs to an input's batch (L O P X). */
static int
journal_batched(unsigned char type)
{
	return type == 'L' || type == 'O' || type == 'P' || type == 'X';
}

/*
 * The record at ${p} (before ${end}), treated as ${how}: its size, 0 if
 * torn, -1 if it does not parse (or cannot be applied), -2 if memory
 * for its line ran out (j->err says so).
 */
static ssize_t
journal_replay_rec(struct journal *j, struct sendq *q, const unsigned char *p,
    const unsigned char *end, uint64_t *offset, int how)
{
	int apply = how == JOURNAL_APPLY ||
	    (how == JOURNAL_UNCOMMITTED && !journal_batched(*p));
	uint64_t v;
	uint32_t len;

	if (*p == 'K')
		return 1;
	if (*p == 'R')
		return journal_replay_result(j, p, end, apply);
	if (*p == 'P' || *p == 'X')
		return journal_replay_pos(j, p, end, apply);
	if (*p == 'L') {
		if (end - p < 5)
			return 0;
		if ((len = le32(p + 1)) > JOURNAL_LINE_MAX)
			return -1;
		if ((size_t)(end - p) < 5 + (size_t)len)
			return 0;
		/* Taken under earlier caps: never refused (journal.h). */
		if (apply && sendq_push_over(q, (const char *)p + 5,
		    len) != 0) {
			snprintf(j->err, sizeof(j->err), "%s: out of memory "
			    "for its lines", j->path);
			return -2;
		}
		return 5 + (ssize_t)len;
	}
	if (*p != 'O' && *p != 'S' && *p != 'A' && *p != 'C' && *p != 'F')
		return -1;
	if (end - p < 9)
		return 0;
	v = le64(p + 1);
	if (!apply)
		return 9;
	if (*p == 'O')
		*offset = v;
	else if (*p == 'S' && sendq_set_seq(q, v) != 0)
		return -1;
	else if (*p == 'A')
		(void)sendq_ack(q, v);
	else if (*p == 'C' && journal_replay_taken(j, v) != 0)
		return -1;
	else if (*p == 'F')
		cmdtab_set_floor(j->ct, v);
	return 9;
}

/*
 * Walk the ${len} bytes at ${data} up to a torn last record (a crash in a
 * write), treating each record before byte ${kend} as JOURNAL_APPLY and
 * the others as ${after}; count in ${uncommitted} those of a batch after
 * ${kend}, and set ${lastk} to the byte after the last K (0 if none).
 * 0, or -1 (j->err says why).
 */
static int
journal_walk(struct journal *j, struct sendq *q, const unsigned char *data,
    size_t len, uint64_t *offset, size_t kend, int after, size_t *lastk,
    size_t *uncommitted)
{
	const unsigned char *p = data, *end = data + len;
	ssize_t n;

	*lastk = 0;
	*uncommitted = 0;
	while (p < end) {
		n = journal_replay_rec(j, q, p, end, offset,
		    (size_t)(p - data) < kend ? JOURNAL_APPLY : after);
		if (n == -2)
			return -1;
		if (n < 0) {
			snprintf(j->err, sizeof(j->err), "%s: corrupt at byte "
			    "%zu", j->path, (size_t)(p - data));
			return -1;
		}
		if (n == 0)
			break;			/* torn */
		if ((size_t)(p - data) >= kend && journal_batched(*p))
			(*uncommitted)++;
		if (*p == 'K')
			*lastk = (size_t)(p - data) + 1;
		p += n;
	}
	return 0;
}

/* Read the whole file of ${j} into *${data} (malloc'd), *${len} bytes. */
static int
journal_read(struct journal *j, unsigned char **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;

	*data = NULL;
	*len = 0;
	if (fstat(j->f.fd, &st) != 0)
		return journal_fail(j, "fstat");
	if (st.st_size == 0)
		return 0;
	if ((*data = malloc((size_t)st.st_size)) == NULL)
		return journal_fail(j, "read");
	while (got < (size_t)st.st_size) {
		n = read(j->f.fd, *data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(*data);
			*data = NULL;
			return journal_fail(j, "read");
		}
		got += (size_t)n;
	}
	*len = got;
	return 0;
}

/**
 * journal_replay(j, q, offset): replay the file into ${q}.  A torn last
 * record (a crash in a write) is dropped; a command record repeated (as a
 * failed rewrite of an older gw-agent left it) is read once; anything else
 * that does not parse is an error.  An input's records (L O P X) count
 * once committed by a K: those after the last K are dropped (the input
 * reads the lines again from the position committed before them) and their
 * number logged.  The others apply wherever they are: S, A, C, R and F are
 * written by the session and the command queue, which never run between an
 * input's push and its commit (sink_push does not kick the session;
 * pipe_in records and commits in one drain), so they never refer to an
 * uncommitted line: the session numbers (S) only lines queued when it
 * runs, after before_send's sync.  A file with no K at all (an older
 * gw-agent's) is applied whole; ours always has one (the rewrite at open
 * ends with it).
 */
int
journal_replay(struct journal *j, struct sendq *q, uint64_t *offset)
{
	char esc[LOG_ESC_MAX];
	unsigned char *data;
	size_t len, kend, lastk, dropped;
	int rc;

	if (journal_read(j, &data, &len) != 0)
		return -1;
	/* First where the last K ends (and that the file parses). */
	if ((rc = journal_walk(j, q, data, len, offset, 0, JOURNAL_PARSE,
	    &kend, &dropped)) == 0)
		rc = journal_walk(j, q, data, len, offset,
		    kend == 0 ? SIZE_MAX : kend, JOURNAL_UNCOMMITTED, &lastk,
		    &dropped);
	free(data);
	if (rc == 0 && dropped > 0)
		log_info("event=state_uncommitted_dropped path=\"%s\" "
		    "records=%zu", log_esc(esc, sizeof(esc), j->path,
		    LOG_ESC_STR, 0), dropped);
	return rc;
}
