/*
 * journal_impl.h: what the parts of gw-agent's journal share (journal.c:
 * the records written, commits, syncs and rewrites; journal_replay.c: the
 * file read back at start).  No one else includes it.
 */
#ifndef GW_JOURNAL_IMPL_H
#define GW_JOURNAL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "cmdtab.h"
#include "posmap.h"
#include "sendq.h"

#define JOURNAL_BUF	(64 * 1024)
#define JOURNAL_LINE_MAX (16u * 1024 * 1024)
#define JOURNAL_POS_HDR	(5 + 8 + 8 + 8 + 1)	/* 'P' len dev ino off fplen */

/* The file written: all that a rewrite changes, and puts back if it fails. */
struct journal_file {
	int		 fd;
	uint64_t	 offset;	/* the last input offset recorded */
	uint64_t	 cmd_bytes;	/* command bytes since the rewrite */
	uint64_t	 size;		/* bytes in the file */
	int		 dirty;		/* written since the last sync */
	int		 batch;		/* L O P X appended since the last K */
	int		 broken;	/* a torn record could not be undone */
};

struct journal {
	char		*path;
	struct journal_file f;
	struct sendq	*q;		/* what a rewrite writes */
	struct cmdtab	*ct;
	struct posmap	*pos;		/* followed files' positions */
	unsigned char	 buf[JOURNAL_BUF];	/* for f, not written yet */
	size_t		 used;
	char		 err[256];
};

/**
 * journal_fail(j, what): set j->err to ${what} failed (errno's reason);
 * return -1.
 */
int journal_fail(struct journal *j, const char *what);

/**
 * journal_replay(j, q, offset): replay the file of ${j} into ${q}, its
 * command table and its positions, ${offset} set to the input offset it
 * recorded; what follows the last K is dropped (journal_replay.c says
 * how).  0, or -1 (j->err says why).
 */
int journal_replay(struct journal *j, struct sendq *q, uint64_t *offset);

#endif /* GW_JOURNAL_IMPL_H */
