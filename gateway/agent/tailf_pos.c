/*
 * tailf_pos.c: which files the file input follows and the room for their
 * positions (tailf_impl.h): a path or an inode followed already, a file
 * refused (logged once per path), a position evicted when the journal's
 * table is full, a position carried over to the name its file was
 * renamed to (a pattern that matches the rotated name too), and the rule
 * that no file a recorded position refers to (by its dev and ino, a
 * drained file's end included) is read again from its start.
 */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "journal.h"
#include "log.h"
#include "tailf_impl.h"

#define TAIL_REFUSED_LOG_EVERY	10.0	/* seconds, once paths are many */
#define TAIL_EVICT_RETRY	30.0	/* seconds after finding no victim */
#define TAIL_EVICT_BATCH	(POSMAP_MAX / 64)	/* evicted at once */

/** tail_followed(t, path): 1 if ${path} is followed by one of t's inputs. */
int
tail_followed(const struct tail *t, const char *path)
{
	for (size_t i = 0; i < t->nin; i++)
		for (size_t k = 0; k < t->in[i].nfiles; k++)
			if (strcmp(t->in[i].files[k]->path, path) == 0)
				return 1;
	return 0;
}

/**
 * tail_followed_ino(t, dev, ino): 1 if the file ${dev}, ${ino} is read by
 * one of t's inputs (under its path, or being drained).
 */
int
tail_followed_ino(const struct tail *t, uint64_t dev, uint64_t ino)
{
	const struct tail_file *f;

	for (size_t i = 0; i < t->nin; i++)
		for (size_t k = 0; k < t->in[i].nfiles; k++) {
			f = t->in[i].files[k];
			if (f->fd >= 0 && f->pos.dev == dev &&
			    f->pos.ino == ino)
				return 1;
		}
	return 0;
}

/** tail_stat(c, path, st): stat(2), or lstat(2) unless follow_symlinks. */
int
tail_stat(const struct tail_in_conf *c, const char *path, struct stat *st)
{
	return c->follow_symlinks ? stat(path, st) : lstat(path, st);
}

/* FNV-1a of ${s}. */
static uint64_t
tail_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/**
 * tail_refuse(in, path, why): ${path} is not followed (${why}: symlink,
 * positions): counted and logged once per path (the first
 * TAIL_REFUSED_LOG paths; past them, at most every 10 seconds).
 */
void
tail_refuse(struct tail_in *in, const char *path, const char *why)
{
	double now = ev_now(in->t->loop);
	uint64_t h = tail_hash(path);
	char esc[LOG_ESC_MAX];

	for (size_t i = 0; i < in->nrefused; i++)
		if (in->refused_h[i] == h)
			return;
	in->refused++;
	if (in->nrefused < TAIL_REFUSED_LOG)
		in->refused_h[in->nrefused++] = h;
	else if (now - in->refused_logged < TAIL_REFUSED_LOG_EVERY)
		return;
	in->refused_logged = now;
	log_warnx("event=file_refused input=%s reason=%s path=\"%s\" "
	    "refused=%llu", in->c->name, why, log_esc(esc, sizeof(esc), path,
	    LOG_ESC_STR, 0), (unsigned long long)in->refused);
}

struct tail_cand {
	int64_t		 mtime;		/* INT64_MIN: its path is gone */
	size_t		 i;		/* journal_pos_at's index */
};

static int
tail_cand_cmp(const void *a, const void *b)
{
	const struct tail_cand *x = a, *y = b;

	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/*
 * The positions of files not followed, those whose path is gone first,
 * then by the time their file was written last: into ${c} (POSMAP_MAX),
 * sorted.  How many.
 */
static size_t
tail_victims(struct tail *t, struct tail_cand *c)
{
	struct file_pos p;
	struct stat st;
	const char *key;
	size_t n = 0;

	for (size_t i = 0; n < POSMAP_MAX &&
	    (key = journal_pos_at(t->j, i, &p)) != NULL; i++) {
		if (tail_followed(t, key))
			continue;
		c[n].i = i;
		c[n++].mtime = lstat(key, &st) != 0 ? INT64_MIN :
		    (int64_t)st.st_mtime;
	}
	qsort(c, n, sizeof(*c), tail_cand_cmp);
	return n;
}

/*
 * The journal's table is full: forget the positions of the
 * TAIL_EVICT_BATCH files not followed that are gone or were written last
 * the longest ago (a batch: looking costs a pass over the table).  0, or
 * -1 if there is none (not looked for again for TAIL_EVICT_RETRY unless a
 * file stopped being followed meanwhile).
 */
static int
tail_evict(struct tail *t)
{
	char esc[LOG_ESC_MAX], *keys[TAIL_EVICT_BATCH];
	struct tail_cand *c;
	struct file_pos p;
	double now = ev_now(t->loop);
	size_t n, k = 0;

	if (!t->evict_again && now - t->evict_failed < TAIL_EVICT_RETRY)
		return -1;
	if ((c = calloc(POSMAP_MAX, sizeof(*c))) == NULL)
		return -1;
	if ((n = tail_victims(t, c)) == 0) {
		t->evict_failed = now;
		t->evict_again = 0;
	}
	for (; k < n && k < TAIL_EVICT_BATCH; k++)	/* before renumbering */
		keys[k] = strdup(journal_pos_at(t->j, c[k].i, &p));
	free(c);
	n = 0;
	for (size_t i = 0; i < k; i++)
		if (keys[i] != NULL && journal_pos_forget(t->j, keys[i]) == 0)
			n++;
	if (n > 0) {
		t->pending = 1;
		log_info("event=file_positions_evicted count=%zu "
		    "oldest=\"%s\"", n, log_esc(esc, sizeof(esc), keys[0] ?
		    keys[0] : "", LOG_ESC_STR, 0));
	}
	for (size_t i = 0; i < k; i++)
		free(keys[i]);
	return n > 0 ? 0 : -1;
}

/**
 * tail_pos_new(t, f): record the position of ${f}, a file followed now;
 * if the journal's table is full, the positions of files not followed
 * (gone, or else written last the longest ago) are forgotten to make room
 * (POSMAP_MAX / 64 at once).
 * 0, or -1 (nothing recorded: the file is not to be followed).
 */
int
tail_pos_new(struct tail *t, struct tail_file *f)
{
	struct file_pos p;

	if (t->j == NULL)
		return 0;
	if (!journal_pos_get(t->j, f->path, &p) &&
	    journal_pos_at(t->j, POSMAP_MAX - 1, &p) != NULL &&
	    tail_evict(t) != 0)
		return -1;
	if (journal_pos_set(t->j, f->path, &f->pos) != 0)
		return -1;
	f->dirty = 0;
	t->pending = 1;
	return 0;
}

/*
 * A match of ${c}'s pattern, other than ${path} and not followed, that is
 * the file ${dev}, ${ino}: into ${out}; 0, or -1 if none.
 */
static int
tail_match_ino(const struct tail *t, const struct tail_in_conf *c,
    const char *path, uint64_t dev, uint64_t ino, char *out, size_t outlen)
{
	struct stat st;
	glob_t g;
	int rc = -1;

	if (glob(c->path, GLOB_NOSORT, NULL, &g) != 0)
		return -1;
	for (size_t k = 0; k < g.gl_pathc && rc != 0; k++) {
		const char *p = g.gl_pathv[k];

		if (strcmp(p, path) == 0 || tail_conf_excluded(c, p) ||
		    tail_followed(t, p) || tail_stat(c, p, &st) != 0 ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != dev ||
		    (uint64_t)st.st_ino != ino)
			continue;
		if ((size_t)snprintf(out, outlen, "%s", p) < outlen)
			rc = 0;
	}
	globfree(&g);
	return rc;
}

/**
 * tail_renamed(t, f): f's file left its path for another name that f's
 * pattern matches too: f is followed under that name from now on (its
 * position moves with it; the path is scanned as a new file).  1 if so.
 */
int
tail_renamed(struct tail *t, struct tail_file *f)
{
	char to[PATH_MAX], esc[LOG_ESC_MAX], esc2[LOG_ESC_MAX], *p;

	if (tail_match_ino(t, f->in->c, f->path, f->pos.dev, f->pos.ino, to,
	    sizeof(to)) != 0 || (p = strdup(to)) == NULL)
		return 0;
	if (t->j != NULL && journal_pos_forget(t->j, f->path) != 0) {
		free(p);
		return 0;
	}
	log_info("event=file_renamed input=%s path=\"%s\" to=\"%s\" "
	    "offset=%llu", f->in->c->name, log_esc(esc, sizeof(esc), f->path,
	    LOG_ESC_STR, 0), log_esc(esc2, sizeof(esc2), p, LOG_ESC_STR, 0),
	    (unsigned long long)f->pos.off);
	free(f->path);
	f->path = p;
	f->dirty = 1;
	t->pending = 1;
	return 1;
}

/*
 * The key a drained file's end is recorded under: no path (paths are
 * absolute), gone for the eviction (tail_victims), matched by no pattern.
 */
static void
tail_drained_key(char *buf, size_t len, uint64_t dev, uint64_t ino)
{
	snprintf(buf, len, "drained:%llu:%llu", (unsigned long long)dev,
	    (unsigned long long)ino);
}

/**
 * tail_pos_drained(t, fd, pos): the file of ${pos} (open as ${fd}) was
 * read to pos->off and closed (drained after a rotation, its path's key
 * going on with another file): its position is recorded under its dev and
 * ino, so that the file, found later under any name, goes on from there
 * (tail_pos_ino).  Not if it was deleted: its inode is free for a new file.
 */
void
tail_pos_drained(struct tail *t, int fd, const struct file_pos *pos)
{
	char key[64], esc[LOG_ESC_MAX];
	struct file_pos p;
	struct stat st;

	if (t->j == NULL || pos->off == 0)
		return;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink == 0)
		return;		/* deleted: its inode is free for another */
	tail_drained_key(key, sizeof(key), pos->dev, pos->ino);
	if (!journal_pos_get(t->j, key, &p) &&
	    journal_pos_at(t->j, POSMAP_MAX - 1, &p) != NULL &&
	    tail_evict(t) != 0)
		return;
	if (journal_pos_set(t->j, key, pos) != 0) {
		log_warnx("event=file_position_error err=\"%s\"", log_esc(esc,
		    sizeof(esc), journal_error(t->j), LOG_ESC_STR, 0));
		return;
	}
	t->pending = 1;
}

/**
 * tail_pos_ino(t, fd, pos): a file about to be read from its start (open
 * as ${fd}, its dev and ino in ${pos}) that a recorded position refers
 * to, under any key (a drained file's, or a path's), and that still holds
 * what that position says was read: ${pos} gets that position and 1 (a
 * drained file's record is forgotten: taken); else 0.
 */
int
tail_pos_ino(struct tail *t, int fd, struct file_pos *pos)
{
	char key[64];
	struct file_pos p;
	struct stat st;
	const char *k;

	if (t->j == NULL || fstat(fd, &st) != 0)
		return 0;
	for (size_t i = 0; (k = journal_pos_at(t->j, i, &p)) != NULL; i++) {
		if (p.off == 0 || p.dev != pos->dev || p.ino != pos->ino ||
		    (uint64_t)st.st_size < p.off || !tail_fp_ok(fd, &p))
			continue;
		*pos = p;
		tail_drained_key(key, sizeof(key), p.dev, p.ino);
		if (strcmp(k, key) == 0 &&
		    journal_pos_forget(t->j, key) == 0)
			t->pending = 1;
		return 1;
	}
	return 0;
}

/** tail_owner(t, path): the input whose pattern matches ${path}, or NULL. */
struct tail_in *
tail_owner(struct tail *t, const char *path)
{
	for (size_t i = 0; i < t->nin; i++)
		if (fnmatch(t->in[i].c->path, path, FNM_PATHNAME) == 0 &&
		    !tail_conf_excluded(t->in[i].c, path))
			return &t->in[i];
	return NULL;
}

/* A kept position whose file is under another name now (tail_carry). */
struct tail_move {
	char		*key, *to;
	const struct tail_in_conf *c;	/* its input's */
	struct file_pos	 p;
};

/*
 * The kept positions whose file left their path for another name their
 * input's pattern matches: into ${mv} (calloc'd, the caller frees).  How
 * many.
 */
static size_t
tail_moves(struct tail *t, struct tail_move **mv)
{
	char to[PATH_MAX];
	const struct tail_in *in;
	struct file_pos p, q;
	struct stat st;
	const char *k;
	size_t n = 0, m = 0;

	while (journal_pos_at(t->j, n, &p) != NULL)
		n++;
	if ((*mv = calloc(n + 1, sizeof(**mv))) == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if ((k = journal_pos_at(t->j, i, &p)) == NULL ||
		    (in = tail_owner(t, k)) == NULL ||
		    (tail_stat(in->c, k, &st) == 0 &&
		    (uint64_t)st.st_dev == p.dev &&
		    (uint64_t)st.st_ino == p.ino) ||
		    tail_match_ino(t, in->c, k, p.dev, p.ino, to,
		    sizeof(to)) != 0 ||
		    (journal_pos_get(t->j, to, &q) && q.dev == p.dev &&
		    q.ino == p.ino))
			continue;
		if (((*mv)[m].key = strdup(k)) == NULL ||
		    ((*mv)[m].to = strdup(to)) == NULL) {
			free((*mv)[m].key);
			break;
		}
		(*mv)[m].c = in->c;
		(*mv)[m++].p = p;
	}
	return m;
}

/**
 * tail_carry(t): on start, before the first scans: each kept position
 * whose file left its path for another name its input's pattern matches
 * goes on under that name (its path's file, if any, is read from its
 * start).  Every move is found first, then made (app.log.1 -> .2 and
 * app.log -> .1 at once: no name's file is read from 0 when a position
 * is carried to it).
 */
void
tail_carry(struct tail *t)
{
	char esc[LOG_ESC_MAX], esc2[LOG_ESC_MAX];
	struct tail_move *mv;
	struct file_pos now;
	struct stat st;
	size_t m = tail_moves(t, &mv);

	for (size_t i = 0; i < m; i++) {	/* each name left */
		memset(&now, 0, sizeof(now));
		if (tail_stat(mv[i].c, mv[i].key, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			now.dev = (uint64_t)st.st_dev;
			now.ino = (uint64_t)st.st_ino;
			(void)journal_pos_set(t->j, mv[i].key, &now);
		} else
			(void)journal_pos_forget(t->j, mv[i].key);
	}
	for (size_t i = 0; i < m; i++) {	/* ... then where it went */
		if (journal_pos_set(t->j, mv[i].to, &mv[i].p) != 0)
			continue;
		log_info("event=file_renamed path=\"%s\" to=\"%s\" "
		    "offset=%llu", log_esc(esc, sizeof(esc), mv[i].key,
		    LOG_ESC_STR, 0), log_esc(esc2, sizeof(esc2), mv[i].to,
		    LOG_ESC_STR, 0), (unsigned long long)mv[i].p.off);
	}
	for (size_t i = 0; i < m; i++) {
		free(mv[i].key);
		free(mv[i].to);
	}
	if (m > 0)
		t->pending = 1;
	free(mv);
}
