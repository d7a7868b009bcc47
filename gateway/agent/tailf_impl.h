/*
 * tailf_impl.h: what the parts of the file input share (tailf.c: its life,
 * the inputs' passes and the glob scans; tailf_read.c: lines read and
 * pushed; tailf_find.c: positions checked, rotations and truncations
 * found; tailf_pos.c: what is followed already, files refused, room for
 * positions, positions carried to a rotated file's new name, a drained
 * file's end recorded and no file a position refers to read from 0).
 */
#ifndef GW_TAILF_IMPL_H
#define GW_TAILF_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <ev.h>

#include "event.h"
#include "posmap.h"
#include "sink.h"
#include "tail_conf.h"

#define TAIL_MAGIC	0x5461696cu	/* "Tail" */
#define TAIL_IN_MAGIC	0x5461496eu	/* "TaIn" */
/*
 * Bytes read of a file per pass, which bounds a batch (committed at the
 * end of the pass; the journal's K keeps a batch of any size whole).
 */
#define TAIL_PASS	(1024 * 1024)
#define TAIL_REFUSED_LOG 64	/* paths refused that are logged once each */

/* What reading a file gave (tail_pump). */
#define TAIL_DONE	0	/* at its end */
#define TAIL_MORE	1	/* more to read: another pass soon */
#define TAIL_BLOCKED	2	/* the sink is full (t->blocked) */
#define TAIL_ERR	3	/* the file cannot be read (logged) */

struct tail;
struct tail_in;

struct tail_file {
	struct tail_in	*in;
	char		*path;		/* as followed: the position's key */
	int		 fd;		/* the file read; -1: none */
	struct file_pos	 pos;		/* its dev, ino; off: first byte not
					   consumed, fp: the bytes before */
	char		*buf;		/* bytes [off, off + len) read */
	size_t		 len, cap;	/* cap: max_line + 1 */
	double		 partial_since;	/* a last line without newline
					   since; 0: none */
	int		 skipping;	/* dropping a long line */
	int		 splitting;	/* in a long line being split */
	int		 draining;	/* fd is not path's file any more:
					   read it to its end, then path
					   from its start */
	uint64_t	 last_size;	/* at the last pass */
	int64_t		 last_mtime;	/* ns */
	int		 idle;		/* passes at its end, not grown */
	int		 dirty;		/* pos not recorded yet */
	int		 failed;	/* its position cannot be recorded: not
					   read any more (fd closed) */
};

struct tail_in {
	unsigned	 magic;		/* TAIL_IN_MAGIC */
	struct tail	*t;
	const struct tail_in_conf *c;
	struct tail_file **files;
	size_t		 nfiles;
	ev_timer	 timer;		/* every poll; 0: more to read */
	double		 last_scan;
	uint64_t	 split, dropped, lost;	/* long lines, data lost */
	uint64_t	 split_logged, dropped_logged;
	double		 long_logged;
	int		 full_logged;	/* max_files reached, logged */
	uint64_t	 refused;	/* files refused (tail_refuse) */
	uint64_t	 refused_h[TAIL_REFUSED_LOG]; /* ... paths logged */
	size_t		 nrefused;
	double		 refused_logged;
};

struct tail {
	unsigned	 magic;		/* TAIL_MAGIC */
	struct ev_loop	*loop;
	struct sink	*sink;
	struct journal	*j;		/* NULL: positions in memory only */
	const struct tail_conf *conf;
	struct tail_in	*in;
	size_t		 nin;
	struct sink_waiter w;
	int		 blocked;	/* waiting for room */
	int		 stopped;
	int		 starting;	/* the first scan: read_from */
	int		 pending;	/* pushed or recorded, not committed */
	double		 evict_failed;	/* no position to evict found then */
	int		 evict_again;	/* a file left since: look again */
	struct event	 ev;
};

/* tailf_read.c */

/**
 * tail_pump(t, f): read ${f} from its position and push its lines, up to
 * its end or TAIL_PASS bytes: TAIL_DONE, TAIL_MORE, TAIL_BLOCKED or
 * TAIL_ERR.
 */
int tail_pump(struct tail *t, struct tail_file *f);

/**
 * tail_commit(t, in): record the positions of ${in}'s files that moved
 * and commit what was pushed (sink_commit).  0 or -1 (logged).
 */
int tail_commit(struct tail *t, struct tail_in *in);

/** tail_consume(f, n): the first ${n} bytes of f->buf are read. */
void tail_consume(struct tail_file *f, size_t n);

/* tailf_find.c */

/**
 * tail_resume(t, f): open f->path (or, if its position says so, the
 * rotated or copied file to finish first) and set where reading starts.
 * 0, or -1 if nothing can be read (logged).
 */
int tail_resume(struct tail *t, struct tail_file *f);

/**
 * tail_check(t, f): before a pass: f->path renamed, gone or truncated?
 * Sets f->draining, or moves to the copy of a truncated file.
 */
void tail_check(struct tail *t, struct tail_file *f);

/**
 * tail_find(path, follow, pos, found): an open descriptor of the file of
 * ${path}'s directory named ${path}'s base name and more (app.log.1)
 * holding ${pos}: the same inode, or a copy whose bytes before pos->off
 * are pos->fp; -1 if none.  ${found} gets its dev and ino.  A symlink is
 * not opened unless ${follow}.
 */
int tail_find(const char *path, int follow, const struct file_pos *pos,
    struct file_pos *found);

/** tail_fp_ok(fd, pos): 1 if the bytes before pos->off are pos->fp. */
int tail_fp_ok(int fd, const struct file_pos *pos);

/**
 * tail_open(path, follow, pos, size): open ${path} (a regular file, not a
 * symlink unless ${follow}) for reading, its dev and ino into ${pos}, its
 * size into ${size}; -1 (errno: ELOOP for a symlink).
 */
int tail_open(const char *path, int follow, struct file_pos *pos,
    uint64_t *size);

/* tailf_pos.c */

/** tail_followed(t, path): 1 if ${path} is followed by one of t's inputs. */
int tail_followed(const struct tail *t, const char *path);

/**
 * tail_followed_ino(t, dev, ino): 1 if the file ${dev}, ${ino} is read by
 * one of t's inputs (under its path, or being drained).
 */
int tail_followed_ino(const struct tail *t, uint64_t dev, uint64_t ino);

struct stat;

/** tail_stat(c, path, st): stat(2), or lstat(2) unless follow_symlinks. */
int tail_stat(const struct tail_in_conf *c, const char *path,
    struct stat *st);

/**
 * tail_refuse(in, path, why): ${path} is not followed (${why}: symlink,
 * positions): counted and logged once per path (the first
 * TAIL_REFUSED_LOG paths; past them, at most every 10 seconds).
 */
void tail_refuse(struct tail_in *in, const char *path, const char *why);

/**
 * tail_pos_new(t, f): record the position of ${f}, a file followed now;
 * if the journal's table is full, the positions of files not followed
 * (gone, or else written last the longest ago) are forgotten to make room
 * (POSMAP_MAX / 64 at once).
 * 0, or -1 (nothing recorded: the file is not to be followed).
 */
int tail_pos_new(struct tail *t, struct tail_file *f);

/**
 * tail_renamed(t, f): f's file left its path for another name that f's
 * pattern matches too: f is followed under that name from now on (its
 * position moves with it; the path is scanned as a new file).  1 if so.
 */
int tail_renamed(struct tail *t, struct tail_file *f);

/** tail_owner(t, path): the input whose pattern matches ${path}, or NULL. */
struct tail_in *tail_owner(struct tail *t, const char *path);

/**
 * tail_pos_drained(t, fd, pos): the file of ${pos} (open as ${fd}) was
 * read to pos->off and closed (drained after a rotation, its path's key
 * going on with another file): its position is recorded under its dev and
 * ino, so that the file, found later under any name, goes on from there
 * (tail_pos_ino).  Not if it was deleted: its inode is free for a new file.
 */
void tail_pos_drained(struct tail *t, int fd, const struct file_pos *pos);

/**
 * tail_pos_ino(t, fd, pos): a file about to be read from its start (open
 * as ${fd}, its dev and ino in ${pos}) that a recorded position refers
 * to, under any key (a drained file's, or a path's), and that still holds
 * what that position says was read: ${pos} gets that position and 1 (a
 * drained file's record is forgotten: taken); else 0.
 */
int tail_pos_ino(struct tail *t, int fd, struct file_pos *pos);

/**
 * tail_carry(t): on start, before the first scans: each kept position
 * whose file left its path for another name its input's pattern matches
 * goes on under that name (its path's file, if any, is read from its
 * start).
 */
void tail_carry(struct tail *t);

#endif /* GW_TAILF_IMPL_H */
