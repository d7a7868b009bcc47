/*
 * tailf_impl.h: what the parts of the file input share (tailf.c: its life,
 * the inputs' passes and the glob scans; tailf_read.c: lines read and
 * pushed; tailf_find.c: positions checked, rotations and truncations
 * found).
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
	int		 seen;		/* glob scan mark */
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
 * tail_find(path, pos): an open descriptor of the file of ${path}'s
 * directory named ${path}'s base name and more (app.log.1) holding
 * ${pos}: the same inode, or a copy whose bytes before pos->off are
 * pos->fp; -1 if none.  ${st_out} gets its dev and ino.
 */
int tail_find(const char *path, const struct file_pos *pos,
    struct file_pos *found);

/** tail_fp_ok(fd, pos): 1 if the bytes before pos->off are pos->fp. */
int tail_fp_ok(int fd, const struct file_pos *pos);

/** tail_open(path, pos): open ${path} (a regular file) for reading, its
 * dev and ino into ${pos}; -1 (errno). */
int tail_open(const char *path, struct file_pos *pos, uint64_t *size);

#endif /* GW_TAILF_IMPL_H */
