/* box.c: module box, with box_count.c (they share box_impl.h). */
#include "box_impl.h"

/* A struct of box.c's own; user.c has another of the same name. */
struct ctx {
	int			 k;
};

void
box_init(struct box *b)
{
	struct ctx c;

	c.k = 0;
	b->n = c.k;
	b->tally.hits = 0;
	TAILQ_INIT(&b->items);
	b->i = 0;
	b->tv.tv_sec = 0;
	b->first = NULL;
	b->magic = 7;
}

void
box_add(struct box *b, struct item *it)
{
	TAILQ_INSERT_TAIL(&b->items, it, link);
	it->v = b->n;
}

/* The one setter of a box's state. */
void
box_set_state(struct box *b, enum box_state st)
{
	b->state = st;
}
