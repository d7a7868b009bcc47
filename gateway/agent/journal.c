/*
 * journal.c: gw-agent's persistent queue (see journal.h): its records
 * written, committed and synced, the file rewritten compactly
 * (journal_replay.c reads it back at start).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "journal_impl.h"

#define JOURNAL_COMPACT	(32u * 1024 * 1024)	/* rewrite past this size */

/**
 * journal_fail(j, what): set j->err to ${what} failed (errno's reason);
 * return -1.
 */
int
journal_fail(struct journal *j, const char *what)
{
	snprintf(j->err, sizeof(j->err), "%s: %s: %s", j->path, what,
	    strerror(errno));
	return -1;
}

static int
journal_flush(struct journal *j)
{
	size_t off = 0;
	ssize_t n;
	int rc = 0;

	while (off < j->used) {
		if ((n = pwrite(j->f.fd, j->buf + off, j->used - off,
		    (off_t)(j->f.size + off))) < 0) {
			if (errno == EINTR)
				continue;
			rc = journal_fail(j, "write");
			break;
		}
		off += (size_t)n;
	}
	/* What was written stays so: a retry goes on after it, not again. */
	memmove(j->buf, j->buf + off, j->used - off);
	j->used -= off;
	j->f.size += off;
	return rc;
}

/* Where the next record starts: the file's bytes and the buffered ones. */
static uint64_t
journal_mark(const struct journal *j)
{
	return j->f.size + j->used;
}

/*
 * A record begun at ${at} failed: drop what of it is buffered, cut what of
 * it reached the file, so that the journal ends with a whole record.
 * Return -1 (the error of the failure stays, unless the cut fails too:
 * then nothing more is written to this file).
 */
static int
journal_undo(struct journal *j, uint64_t at)
{
	if (j->f.size <= at) {
		j->used = (size_t)(at - j->f.size);
		return -1;
	}
	j->used = 0;
	if (ftruncate(j->f.fd, (off_t)at) != 0) {
		j->f.broken = 1;
		return journal_fail(j, "ftruncate");
	}
	j->f.size = at;
	return -1;
}

/* Fail if a torn record could not be cut from the file (journal_undo). */
static int
journal_broken(struct journal *j)
{
	if (!j->f.broken)
		return 0;
	snprintf(j->err, sizeof(j->err), "%s: a torn record could not be "
	    "cut", j->path);
	return -1;
}

static int
journal_put(struct journal *j, const void *p, size_t len)
{
	const unsigned char *b = p;

	if (journal_broken(j) != 0)
		return -1;
	j->f.dirty = 1;
	while (len > 0) {
		size_t n = JOURNAL_BUF - j->used;

		if (n == 0) {
			if (journal_flush(j) != 0)
				return -1;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(j->buf + j->used, b, n);
		j->used += n;
		b += n;
		len -= n;
	}
	return 0;
}

static int
journal_rec64(struct journal *j, char type, uint64_t v)
{
	unsigned char r[9];

	uint64_t at = journal_mark(j);

	r[0] = (unsigned char)type;
	for (int i = 0; i < 8; i++)
		r[1 + i] = (unsigned char)(v >> (8 * i));
	if (journal_put(j, r, sizeof(r)) != 0)
		return journal_undo(j, at);
	return 0;
}

/** journal_line(j, p, len): record a queued line.  0 or -1. */
int
journal_line(struct journal *j, const char *p, size_t len)
{
	unsigned char h[5];
	uint64_t at = journal_mark(j);

	h[0] = 'L';
	for (int i = 0; i < 4; i++)
		h[1 + i] = (unsigned char)(len >> (8 * i));
	if (journal_put(j, h, sizeof(h)) != 0 || journal_put(j, p, len) != 0)
		return journal_undo(j, at);
	j->f.batch = 1;
	return 0;
}

/** journal_offset(j, off): record the input offset.  0 or -1. */
int
journal_offset(struct journal *j, uint64_t off)
{
	if (journal_rec64(j, 'O', off) != 0)
		return -1;
	j->f.offset = off;
	j->f.batch = 1;
	return 0;
}

/** journal_seq(j, seq): record a line's number.  0 or -1. */
int
journal_seq(struct journal *j, uint64_t seq)
{
	return journal_rec64(j, 'S', seq);
}

/* Append the 'P' record of ${key} at ${p}. */
static int
journal_pos_rec(struct journal *j, const char *key, const struct file_pos *p)
{
	unsigned char h[JOURNAL_POS_HDR];
	size_t klen = strlen(key);
	uint32_t len = (uint32_t)(JOURNAL_POS_HDR - 5 + p->fplen + klen);
	uint64_t at = journal_mark(j);

	h[0] = 'P';
	for (int i = 0; i < 4; i++)
		h[1 + i] = (unsigned char)(len >> (8 * i));
	for (int i = 0; i < 8; i++) {
		h[5 + i] = (unsigned char)(p->dev >> (8 * i));
		h[13 + i] = (unsigned char)(p->ino >> (8 * i));
		h[21 + i] = (unsigned char)(p->off >> (8 * i));
	}
	h[29] = p->fplen;
	if (journal_put(j, h, sizeof(h)) != 0 ||
	    journal_put(j, p->fp, p->fplen) != 0 ||
	    journal_put(j, key, klen) != 0)
		return journal_undo(j, at);
	j->f.batch = 1;
	return 0;
}

/**
 * journal_pos_set(j, key, p): record that the file followed as ${key} is
 * read up to ${p} (not committed: the next journal_commit commits it with
 * the lines pushed before it).  0, or -1: a write failed, or the key is longer
 * than POS_KEY_MAX, or POSMAP_MAX keys have positions already (nothing
 * recorded then).
 */
int
journal_pos_set(struct journal *j, const char *key, const struct file_pos *p)
{
	uint64_t at = journal_mark(j);

	if (p->fplen > POS_FP_MAX || strnlen(key, POS_KEY_MAX + 1) >
	    POS_KEY_MAX) {
		errno = EINVAL;
		return journal_fail(j, "position");
	}
	if (journal_pos_rec(j, key, p) != 0)
		return -1;
	if (posmap_set(j->pos, key, p) != 0) {
		journal_fail(j, "position");
		return journal_undo(j, at);
	}
	return 0;
}

/** journal_pos_get(j, key, p): 1 and ${p} set if ${key} has a position. */
int
journal_pos_get(const struct journal *j, const char *key, struct file_pos *p)
{
	return posmap_get(j->pos, key, p);
}

/** journal_pos_forget(j, key): record that ${key} has no position.  0/-1. */
int
journal_pos_forget(struct journal *j, const char *key)
{
	unsigned char h[5];
	struct file_pos p;
	size_t klen = strlen(key);
	uint64_t at = journal_mark(j);

	if (!posmap_get(j->pos, key, &p))
		return 0;
	h[0] = 'X';
	for (int i = 0; i < 4; i++)
		h[1 + i] = (unsigned char)(klen >> (8 * i));
	if (journal_put(j, h, sizeof(h)) != 0 ||
	    journal_put(j, key, klen) != 0)
		return journal_undo(j, at);
	j->f.batch = 1;
	posmap_del(j->pos, key);
	return 0;
}

/**
 * journal_pos_at(j, i, p): the ${i}th key with a position (posmap_at), or
 * NULL past the end.
 */
const char *
journal_pos_at(const struct journal *j, size_t i, struct file_pos *p)
{
	return posmap_at(j->pos, i, p);
}

/* Append every position (a rewrite). */
static int
journal_positions(struct journal *j)
{
	struct file_pos p;
	const char *key;

	for (size_t i = 0; (key = posmap_at(j->pos, i, &p)) != NULL; i++)
		if (journal_pos_rec(j, key, &p) != 0)
			return -1;
	return 0;
}

/* Append the 'R' record of ${r}. */
static int
journal_result(struct journal *j, const struct cmdtab_result *r)
{
	unsigned char h[19];
	uint32_t st = (uint32_t)r->status, len = (uint32_t)r->len;
	uint64_t at = journal_mark(j);

	h[0] = 'R';
	for (int i = 0; i < 8; i++)
		h[1 + i] = (unsigned char)(r->id >> (8 * i));
	h[9] = (unsigned char)r->outcome;
	h[10] = (unsigned char)r->flags;
	for (int i = 0; i < 4; i++) {
		h[11 + i] = (unsigned char)(st >> (8 * i));
		h[15 + i] = (unsigned char)(len >> (8 * i));
	}
	if (journal_put(j, h, sizeof(h)) != 0 ||
	    journal_put(j, r->out, r->len) != 0)
		return journal_undo(j, at);
	j->f.cmd_bytes += sizeof(h) + r->len;
	return 0;
}

/* Append the command table: its floor, its results, its taken ids. */
static int
journal_cmdtab(struct journal *j)
{
	struct cmdtab_result r;
	enum cmdtab_state st;

	if (cmdtab_floor(j->ct) != 0 &&
	    journal_rec64(j, 'F', cmdtab_floor(j->ct)) != 0)
		return -1;
	for (size_t i = 0; (st = cmdtab_get(j->ct, i, &r)) !=
	    CMDTAB_UNKNOWN; i++)
		if ((st == CMDTAB_DONE ? journal_result(j, &r) :
		    journal_rec64(j, 'C', r.id)) != 0)
			return -1;
	return 0;
}

/**
 * journal_sync(j): make what was recorded durable (fdatasync), without
 * committing an input's batch (journal_commit).  0/-1.
 */
int
journal_sync(struct journal *j)
{
	if (journal_broken(j) != 0)
		return -1;
	if (!j->f.dirty)
		return 0;
	if (journal_flush(j) != 0)
		return -1;
	if (fdatasync(j->f.fd) != 0)
		return journal_fail(j, "fdatasync");
	j->f.dirty = 0;
	return 0;
}

/*
 * Append the 'K' that commits the records before it.  What a record
 * appended later cannot cut off: the batch ends at its K whole.
 */
static int
journal_k(struct journal *j)
{
	uint64_t at = journal_mark(j);

	if (journal_put(j, "K", 1) != 0)
		return journal_undo(j, at);
	j->f.batch = 0;
	return 0;
}

/**
 * journal_commit(j): commit the lines, offsets and positions recorded
 * since the last commit (a 'K' record, if there are any), and sync.  The
 * inputs' commit (sink_commit, pipe_in), and only theirs: a sync of the
 * session, of a command or of journal_close (after an input failed in a
 * batch) commits nothing half-pushed.  0/-1.
 */
int
journal_commit(struct journal *j)
{
	if (j->f.batch && journal_k(j) != 0)
		return -1;
	return journal_sync(j);
}

/*
 * Make a rename into the directory of ${j}'s file durable: without it, a
 * power loss could bring the old file back.  0 or -1.
 */
static int
journal_sync_dir(struct journal *j)
{
	char dir[4096];
	char *slash;
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s", j->path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return journal_fail(j, "open its directory");
	if (fsync(fd) != 0)
		rc = journal_fail(j, "fsync its directory");
	close(fd);
	return rc;
}

/*
 * Rewrite the file from the queue and the offset: temp file, rename, sync
 * of the directory.  If the rename fails, the live file stays exactly as
 * it was, and so does ${j}; if the directory cannot be synced, the new
 * file is in place but -1 is returned.
 */
static int
journal_compact(struct journal *j, struct sendq *q, uint64_t off)
{
	char tmp[4096];
	struct journal_file live;
	const struct sendq_ent *e;
	int fd;

	if (journal_flush(j) != 0)	/* what the live file still lacks */
		return -1;
	live = j->f;
	snprintf(tmp, sizeof(tmp), "%s.tmp", j->path);
	/* A new file, never through a link planted in the state directory. */
	if ((unlink(tmp) != 0 && errno != ENOENT) || (fd = open(tmp,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return journal_fail(j, "create");
	j->f = (struct journal_file){ .fd = fd };
	if (journal_offset(j, off) != 0)
		goto fail;
	for (size_t i = 0; (e = sendq_get(q, i)) != NULL; i++)
		if (journal_line(j, e->body, e->len) != 0 ||
		    (e->seq != 0 && journal_seq(j, e->seq) != 0))
			goto fail;
	/* The K even with no record: a file of ours always has one. */
	if (journal_cmdtab(j) != 0 || journal_positions(j) != 0 ||
	    journal_k(j) != 0)
		goto fail;
	j->f.cmd_bytes = 0;
	if (journal_sync(j) != 0)
		goto fail;
	if (rename(tmp, j->path) != 0) {
		journal_fail(j, "rename");
		goto fail;
	}
	close(live.fd);
	return journal_sync_dir(j);
fail:
	/* Whatever the rewrite wrote or buffered goes with its file. */
	close(fd);
	(void)unlink(tmp);
	j->f = live;
	j->used = 0;
	return -1;
}

/**
 * journal_ack(j, q, seq, off): record an acknowledgement; rewrite the file
 * when it has grown large (from ${q} and the input offset ${off}).
 */
int
journal_ack(struct journal *j, struct sendq *q, uint64_t seq, uint64_t off)
{
	if (j->f.size + j->used > JOURNAL_COMPACT)
		return journal_compact(j, q, off);
	return journal_rec64(j, 'A', seq);
}

/**
 * journal_cmd_taken(j, id): record that COMMAND ${id} was taken, durably
 * (synced).  0 or -1.
 */
int
journal_cmd_taken(struct journal *j, uint64_t id)
{
	uint64_t at = journal_mark(j);

	if (journal_rec64(j, 'C', id) != 0)
		return -1;
	/* Not durable: not recorded at all (the id is taken again). */
	if (journal_sync(j) != 0)
		return journal_undo(j, at);
	j->f.cmd_bytes += 9;
	return 0;
}

/**
 * journal_cmd_result(j, r): record the result ${r}, durably (synced); the
 * file is rewritten from the queue and the command table instead when
 * command records have grown by JOURNAL_CMD_COMPACT (the table must hold
 * ${r} already).  0 or -1.
 */
int
journal_cmd_result(struct journal *j, const struct cmdtab_result *r)
{
	uint64_t at = journal_mark(j), cmd_bytes = j->f.cmd_bytes;

	if (j->f.cmd_bytes + 19 + r->len > JOURNAL_CMD_COMPACT)
		return journal_compact(j, j->q, j->f.offset);
	if (journal_result(j, r) != 0)
		return -1;
	if (journal_sync(j) != 0) {
		j->f.cmd_bytes = cmd_bytes;
		return journal_undo(j, at);
	}
	return 0;
}

/**
 * journal_open(path, q, ct, offset, err, errlen): open or create the
 * journal ${path}, replay it into the empty queue ${q} (whole, past its
 * caps if it must: sendq_over then says so) and the empty
 * command table ${ct} (both kept: they outlive the journal), set ${offset}
 * to the input offset it recorded (0 if new), and compact it.  Return NULL
 * with the reason in ${err}.
 */
struct journal *
journal_open(const char *path, struct sendq *q, struct cmdtab *ct,
    uint64_t *offset, char *err, size_t errlen)
{
	struct journal *j;

	*offset = 0;
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		free(j);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	j->q = q;
	j->ct = ct;
	if ((j->f.fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0) {
		journal_fail(j, "open");
		goto fail;
	}
	if ((j->pos = posmap_new()) == NULL) {
		journal_fail(j, "positions");
		goto fail;
	}
	if (journal_replay(j, q, offset) != 0)
		goto fail;
	/* Taken, never finished: never run again (9.7). */
	if (cmdtab_lose_taken(ct) != 0) {
		journal_fail(j, "replay");
		goto fail;
	}
	j->f.offset = *offset;
	if (journal_compact(j, q, *offset) != 0)
		goto fail;
	return j;
fail:
	snprintf(err, errlen, "%s", j->err);
	journal_close(j);
	return NULL;
}

/** journal_error(j): the last error, as text. */
const char *
journal_error(const struct journal *j)
{
	return j->err;
}

/** journal_close(j): sync and close; NULL-safe. */
void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->f.fd >= 0) {
		(void)journal_sync(j);
		close(j->f.fd);
	}
	posmap_free(j->pos);
	free(j->path);
	free(j);
}
