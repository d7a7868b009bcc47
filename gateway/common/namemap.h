/*
 * namemap.h: name -> owner pointer, an open-addressing hash table of
 * pointers only (8 bytes a slot, at most 3/4 full): the name is read from
 * the owner through the key function, so an index of 15,000 sessions costs
 * 11-21 bytes a session.  Linear probing, backward-shift deletion.
 */
#ifndef GW_NAMEMAP_H
#define GW_NAMEMAP_H

#include <stddef.h>

struct namemap;

/**
 * namemap_new(key): an empty map whose values' names are ${key}(v), or
 * NULL on allocation failure.  A value's name must not change while it is
 * in the map.
 */
struct namemap *namemap_new(const char *(*key)(const void *v));

/** namemap_free(m): free ${m}; namemap_free(NULL) is a no-op. */
void namemap_free(struct namemap *m);

/**
 * namemap_put(m, v): add ${v} under its name, which must not be in ${m};
 * 0, or -1 (ENOMEM).
 */
int namemap_put(struct namemap *m, void *v);

/** namemap_get(m, name): the value named ${name}, or NULL. */
void *namemap_get(const struct namemap *m, const char *name);

/** namemap_del(m, v): remove ${v} if it is in ${m} (by its name). */
void namemap_del(struct namemap *m, const void *v);

/** namemap_count(m): number of entries. */
size_t namemap_count(const struct namemap *m);

#endif /* GW_NAMEMAP_H */
