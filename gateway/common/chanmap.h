/*
 * chanmap.h: channel id -> owner pointer, an open-addressing hash table
 * with linear probing and backward-shift deletion (no tombstones), so a
 * table that sees millions of channels come and go stays compact.
 */
#ifndef GW_CHANMAP_H
#define GW_CHANMAP_H

#include <stddef.h>
#include <stdint.h>

struct chanmap;

/** chanmap_new(): an empty map, or NULL on allocation failure. */
struct chanmap *chanmap_new(void);

/** chanmap_free(m): free ${m}; chanmap_free(NULL) is a no-op. */
void chanmap_free(struct chanmap *m);

/** chanmap_put(m, id, v): map ${id} (non-zero) to ${v}; 0, or -1 (ENOMEM). */
int chanmap_put(struct chanmap *m, uint32_t id, void *v);

/** chanmap_get(m, id): the value of ${id}, or NULL. */
void *chanmap_get(const struct chanmap *m, uint32_t id);

/** chanmap_del(m, id): remove ${id} if present. */
void chanmap_del(struct chanmap *m, uint32_t id);

/** chanmap_count(m): number of entries. */
size_t chanmap_count(const struct chanmap *m);

/**
 * chanmap_next(m, it, v): iterate: set ${it} to 0 before the first call;
 * return the next id (and its value in ${v}) or 0 at the end.  The map must
 * not change during the iteration (collect, then act).
 */
uint32_t chanmap_next(const struct chanmap *m, size_t *it, void **v);

#endif /* GW_CHANMAP_H */
