/*
 * posmap.h: the positions of followed files, keyed by the path followed:
 * a bounded table in memory (the journal's state, journal.h, written by
 * it alone).  A position says where in which file reading goes on: the
 * file's device and inode, the offset of the first byte not yet read, and
 * a fingerprint (the bytes just before that offset, at most POS_FP_MAX),
 * by which a file whose inode was reused, or that was truncated and grew
 * again, is told from the file read.  Pure: no I/O.
 */
#ifndef GW_POSMAP_H
#define GW_POSMAP_H

#include <stddef.h>
#include <stdint.h>

#define POS_FP_MAX	64	/* fingerprint bytes */
#define POS_KEY_MAX	4096	/* a key's bytes (a path) */
#define POSMAP_MAX	8192	/* positions kept */

struct file_pos {
	uint64_t	 dev;
	uint64_t	 ino;
	uint64_t	 off;		/* the first byte not read yet */
	uint8_t		 fplen;		/* min(off, POS_FP_MAX) */
	unsigned char	 fp[POS_FP_MAX]; /* the bytes before off */
};

struct posmap;

/** posmap_new(): an empty table, or NULL (errno). */
struct posmap *posmap_new(void);

/**
 * posmap_set(m, key, p): the position of ${key} (a C string of at most
 * POS_KEY_MAX bytes) is ${p} now.  0, or -1: the key is too long, the
 * table holds POSMAP_MAX keys already, or memory ran out.
 */
int posmap_set(struct posmap *m, const char *key, const struct file_pos *p);

/** posmap_get(m, key, p): 1 and ${p} set if ${key} has a position, else 0. */
int posmap_get(const struct posmap *m, const char *key, struct file_pos *p);

/** posmap_del(m, key): ${key} has no position now (none: nothing done). */
void posmap_del(struct posmap *m, const char *key);

/**
 * posmap_at(m, i, p): the key of the ${i}th position (0-based, in no
 * particular order; a set or del renumbers), ${p} set; NULL past the end.
 */
const char *posmap_at(const struct posmap *m, size_t i, struct file_pos *p);

/** posmap_free(m): NULL-safe. */
void posmap_free(struct posmap *m);

#endif /* GW_POSMAP_H */
