/* box_impl.h: private to box*.c, which form module box. */
#include "box.h"

void box_count(struct box *);
