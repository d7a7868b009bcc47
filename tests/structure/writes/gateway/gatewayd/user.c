/* user.c: module user: it reads struct box and writes its own things,
 * but for the one line that test_check_structure_writes.sh removes or
 * swaps for another write. */
#include "box.h"

struct ctx {
	int			 k;
};

int
user_run(struct box *b)
{
	struct ctx c;
	struct item *it;
	int n = 0;

	c.k = b->n;
	TAILQ_FOREACH(it, &b->items, link)
		n += it->v;
	*b->count = n;		/* what count points to is not box */
	b->n = c.k + n;		/* the second writer */
	return n;
}
