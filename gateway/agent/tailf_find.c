/*
 * tailf_find.c: where a followed file is read from (tailf_impl.h).  On
 * start, the position the journal kept is checked against the file at its
 * path (device, inode, size, fingerprint); on each pass, the path is
 * checked for a rename (another inode there, or none) and the file for a
 * truncation (smaller than the position or than at the last pass, or
 * other bytes before the position).  What
 * was not read of a file renamed or copied away is found among its
 * siblings (app.log.1...) by inode or by fingerprint.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "tailf_impl.h"

#define TAIL_SIBLINGS	4096	/* directory entries looked at, at most */

/**
 * tail_open(path, follow, pos, size): open ${path} (a regular file, not a
 * symlink unless ${follow}) for reading, its dev and ino into ${pos}, its
 * size into ${size}; -1 (errno: ELOOP for a symlink).
 */
int
tail_open(const char *path, int follow, struct file_pos *pos, uint64_t *size)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	    (follow ? 0 : O_NOFOLLOW))) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || S_ISREG(st.st_mode) == 0)
			errno = EINVAL;
		close(fd);
		return -1;
	}
	pos->dev = (uint64_t)st.st_dev;
	pos->ino = (uint64_t)st.st_ino;
	*size = (uint64_t)st.st_size;
	return fd;
}

/** tail_fp_ok(fd, pos): 1 if the bytes before pos->off are pos->fp. */
int
tail_fp_ok(int fd, const struct file_pos *pos)
{
	unsigned char b[POS_FP_MAX];
	ssize_t n;

	if (pos->fplen == 0)
		return 1;
	do
		n = pread(fd, b, pos->fplen, (off_t)(pos->off - pos->fplen));
	while (n < 0 && errno == EINTR);
	return n == pos->fplen && memcmp(b, pos->fp, pos->fplen) == 0;
}

/* 1 if ${fd} (of ${size} bytes) holds ${pos}: by inode if ${by_ino}. */
static int
tail_holds(int fd, uint64_t size, const struct file_pos *pos,
    const struct file_pos *got, int by_ino)
{
	if (size < pos->off || !tail_fp_ok(fd, pos))
		return 0;
	if (by_ino)
		return got->dev == pos->dev && got->ino == pos->ino;
	return pos->fplen > 0;	/* no fingerprint: no copy to tell */
}

/*
 * The sibling of ${dir} named ${base}... holding ${pos}, by inode if
 * ${by_ino}, else by fingerprint: its descriptor, or -1.
 */
static int
tail_scan(const char *dir, const char *base, int follow,
    const struct file_pos *pos, int by_ino, struct file_pos *found)
{
	char p[PATH_MAX];
	struct dirent *d;
	struct file_pos got;
	uint64_t size;
	size_t blen = strlen(base);
	DIR *dp;
	int fd = -1, seen = 0;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while (fd < 0 && seen++ < TAIL_SIBLINGS && (d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, base, blen) != 0 ||
		    d->d_name[blen] == '\0')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, d->d_name) >=
		    sizeof(p) || (fd = tail_open(p, follow, &got, &size)) < 0)
			continue;
		if (!tail_holds(fd, size, pos, &got, by_ino)) {
			close(fd);
			fd = -1;
		}
	}
	closedir(dp);
	if (fd >= 0) {
		found->dev = got.dev;
		found->ino = got.ino;
	}
	return fd;
}

/**
 * tail_find(path, follow, pos, found): an open descriptor of the file of
 * ${path}'s directory named ${path}'s base name and more (app.log.1)
 * holding ${pos}: the same inode, or a copy whose bytes before pos->off
 * are pos->fp; -1 if none.  ${found} gets its dev and ino.  A symlink is
 * not opened unless ${follow}.
 */
int
tail_find(const char *path, int follow, const struct file_pos *pos,
    struct file_pos *found)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	if ((fd = tail_scan(dir, slash + 1, follow, pos, 1, found)) < 0)
		fd = tail_scan(dir, slash + 1, follow, pos, 0, found);
	return fd;
}

/* Read ${fd} (holding f->pos) first: a rotated file or a copy. */
static void
tail_drain_from(struct tail_file *f, int fd, const struct file_pos *found,
    const char *why)
{
	char esc[LOG_ESC_MAX];

	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->pos.dev = found->dev;
	f->pos.ino = found->ino;
	f->len = 0;
	f->partial_since = 0;
	f->draining = 1;
	f->dirty = 1;
	log_info("event=file_resume input=%s path=\"%s\" from=%s offset=%llu",
	    f->in->c->name, log_esc(esc, sizeof(esc), f->path, LOG_ESC_STR,
	    0), why, (unsigned long long)f->pos.off);
}

/* Nothing holds what f->pos says was not read yet: from f's start. */
static void
tail_lost(struct tail_file *f, const char *why)
{
	char esc[LOG_ESC_MAX];

	f->in->lost++;
	log_warnx("event=file_lost_data input=%s path=\"%s\" reason=%s "
	    "offset=%llu lost=unknown", f->in->c->name, log_esc(esc,
	    sizeof(esc), f->path, LOG_ESC_STR, 0), why,
	    (unsigned long long)f->pos.off);
	f->pos.off = 0;
	f->pos.fplen = 0;
	f->len = 0;
	f->partial_since = 0;
	f->dirty = 1;
}

/* Start reading the file of f->path (open, ${size} bytes) where
 * nothing says otherwise: its start, or its end on the first scan if
 * read_from = end. */
static void
tail_fresh(struct tail *t, struct tail_file *f, uint64_t size)
{
	f->pos.off = 0;
	f->pos.fplen = 0;
	if (t->starting && f->in->c->read_from == TAIL_FROM_END) {
		f->pos.off = size;
		f->pos.fplen = (uint8_t)(size < POS_FP_MAX ? size : POS_FP_MAX);
		if (pread(f->fd, f->pos.fp, f->pos.fplen,
		    (off_t)(size - f->pos.fplen)) != f->pos.fplen) {
			f->pos.off = 0;
			f->pos.fplen = 0;
		}
	}
	f->dirty = 1;
}

/**
 * tail_resume(t, f): open f->path (or, if its position says so, the
 * rotated or copied file to finish first) and set where reading starts.
 * 0, or -1 if nothing can be read (logged).
 */
int
tail_resume(struct tail *t, struct tail_file *f)
{
	struct file_pos kept, found, now;
	uint64_t size = 0;
	int fd, follow = f->in->c->follow_symlinks;
	int has = t->j != NULL && journal_pos_get(t->j, f->path, &kept);

	f->fd = tail_open(f->path, follow, &now, &size);
	if (!has) {
		if (f->fd < 0)
			return -1;
		f->pos = now;
		if (tail_pos_ino(t, f->fd, &f->pos))
			f->dirty = 1;	/* drained under another name */
		else
			tail_fresh(t, f, size);
		f->last_size = size;
		return 0;
	}
	if (f->fd >= 0 && now.dev == kept.dev && now.ino == kept.ino &&
	    size >= kept.off && tail_fp_ok(f->fd, &kept)) {
		f->pos = kept;
		f->last_size = size;
		return 0;
	}
	f->pos = kept;
	if ((fd = tail_find(f->path, follow, &kept, &found)) >= 0) {
		tail_drain_from(f, fd, &found, now.ino == kept.ino &&
		    f->fd >= 0 ? "copy" : "rotated");
		return 0;
	}
	if (f->fd < 0)
		return -1;
	f->pos.dev = now.dev;
	f->pos.ino = now.ino;
	tail_lost(f, now.ino != kept.ino || now.dev != kept.dev ?
	    "rotated_not_found" : size < kept.off ? "truncated_no_copy" :
	    "changed");
	/* Not from 0 a file whose own position is recorded elsewhere. */
	if (now.ino != kept.ino || now.dev != kept.dev)
		(void)tail_pos_ino(t, f->fd, &f->pos);
	return 0;
}

/* f's file is smaller than its position, or holds other bytes before it:
 * read its copy from there first, or else it from its start. */
static void
tail_truncated(struct tail_file *f, uint64_t size)
{
	char esc[LOG_ESC_MAX];
	struct file_pos found;
	int fd;

	log_info("event=file_truncated input=%s path=\"%s\" size=%llu "
	    "offset=%llu", f->in->c->name, log_esc(esc, sizeof(esc), f->path,
	    LOG_ESC_STR, 0), (unsigned long long)size,
	    (unsigned long long)f->pos.off);
	if ((fd = tail_find(f->path, f->in->c->follow_symlinks, &f->pos,
	    &found)) >= 0) {
		tail_drain_from(f, fd, &found, "copy");
		return;
	}
	tail_lost(f, "truncated_no_copy");
}

/**
 * tail_check(t, f): before a pass: f->path renamed, gone or truncated?
 * Sets f->draining, or moves to the copy of a truncated file.
 */
void
tail_check(struct tail *t, struct tail_file *f)
{
	char esc[LOG_ESC_MAX];
	struct stat st, fst;
	int64_t mtime;

	if (f->draining || f->fd < 0)
		return;
	if ((f->in->c->follow_symlinks ? stat(f->path, &st) :
	    lstat(f->path, &st)) != 0 || (uint64_t)st.st_dev != f->pos.dev ||
	    (uint64_t)st.st_ino != f->pos.ino) {
		if (tail_renamed(t, f))
			return;
		f->draining = 1;
		log_info("event=file_rotated input=%s path=\"%s\" offset=%llu",
		    f->in->c->name, log_esc(esc, sizeof(esc), f->path,
		    LOG_ESC_STR, 0), (unsigned long long)f->pos.off);
		return;
	}
	if (fstat(f->fd, &fst) != 0)
		return;
	mtime = (int64_t)fst.st_mtim.tv_sec * 1000000000 +
	    fst.st_mtim.tv_nsec;
	/* Smaller than at the last pass: truncated, whatever it holds. */
	if ((uint64_t)fst.st_size < f->pos.off ||
	    (uint64_t)fst.st_size < f->last_size ||
	    (((uint64_t)fst.st_size != f->last_size ||
	    mtime != f->last_mtime) && !tail_fp_ok(f->fd, &f->pos)))
		tail_truncated(f, (uint64_t)fst.st_size);
	f->last_size = (uint64_t)fst.st_size;
	f->last_mtime = mtime;
}
