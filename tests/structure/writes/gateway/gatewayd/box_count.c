/* box_count.c: in module box (it includes box_impl.h). */
#include "box_impl.h"

void
box_count(struct box *b)
{
	b->tally.last[b->n % 4]++;
	b->n++;
}

void
box_hit(struct box *b)
{
	box_count(b);
}
