/* box.h: module box (box.c, box_count.c, box_impl.h) owns struct box. */
#ifndef BOX_H
#define BOX_H

#include <stddef.h>
#include <sys/queue.h>
#include <sys/time.h>

enum box_state { BOX_EMPTY, BOX_FULL };

struct item {
	TAILQ_ENTRY(item)	 link;	/* box.c's */
	int			 v;
};

struct tally {
	int			 hits;
	int			 last[4];
};

struct box {
	int			 n;
	struct tally		 tally;	/* embedded: written with box */
	TAILQ_HEAD(, item)	 items;
	union {
		int		 i;
		long		 l;
	};
	struct timeval		 tv;	/* the system's: not counted */
	struct item		*first;	/* another object, not box */
	int			*count;
	enum box_state		 state;	/* box_set_state's alone */
	unsigned		 magic;	/* BOX_MAGIC */
};

void box_init(struct box *);
void box_add(struct box *, struct item *);
void box_hit(struct box *);
void box_set_state(struct box *, enum box_state);

#endif
