/*
 * chanmap.c: channel id -> pointer hash, linear probing, backward-shift
 * deletion.  Capacity is a power of two kept at most 3/4 full.
 */
#include <stdlib.h>

#include "chanmap.h"

struct slot {
	uint32_t	 id;	/* 0: empty */
	void		*v;
};

struct chanmap {
	struct slot	*s;
	size_t		 cap;	/* power of two */
	size_t		 n;
};

static size_t
chanmap_hash(uint32_t id, size_t cap)
{
	return (size_t)((id * 2654435761u) & (cap - 1));
}

/** chanmap_new(): an empty map, or NULL on allocation failure. */
struct chanmap *
chanmap_new(void)
{
	struct chanmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->cap = 64;
	if ((m->s = calloc(m->cap, sizeof(*m->s))) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

/** chanmap_free(m): free ${m}; chanmap_free(NULL) is a no-op. */
void
chanmap_free(struct chanmap *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

static int
chanmap_grow(struct chanmap *m)
{
	struct slot *old = m->s;
	size_t oldcap = m->cap, i, j;

	if ((m->s = calloc(oldcap * 2, sizeof(*m->s))) == NULL) {
		m->s = old;
		return -1;
	}
	m->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == 0)
			continue;
		for (j = chanmap_hash(old[i].id, m->cap); m->s[j].id != 0;
		    j = (j + 1) & (m->cap - 1))
			;
		m->s[j] = old[i];
	}
	free(old);
	return 0;
}

/** chanmap_put(m, id, v): map ${id} (non-zero) to ${v}; 0, or -1 (ENOMEM). */
int
chanmap_put(struct chanmap *m, uint32_t id, void *v)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3 && chanmap_grow(m) != 0)
		return -1;
	for (i = chanmap_hash(id, m->cap); m->s[i].id != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->s[i].id == id) {
			m->s[i].v = v;
			return 0;
		}
	m->s[i].id = id;
	m->s[i].v = v;
	m->n++;
	return 0;
}

/** chanmap_get(m, id): the value of ${id}, or NULL. */
void *
chanmap_get(const struct chanmap *m, uint32_t id)
{
	size_t i;

	if (id == 0)
		return NULL;
	for (i = chanmap_hash(id, m->cap); m->s[i].id != 0;
	    i = (i + 1) & (m->cap - 1))
		if (m->s[i].id == id)
			return m->s[i].v;
	return NULL;
}

/** chanmap_del(m, id): remove ${id} if present. */
void
chanmap_del(struct chanmap *m, uint32_t id)
{
	size_t mask = m->cap - 1, i, j, h;

	if (id == 0)
		return;
	for (i = chanmap_hash(id, m->cap); m->s[i].id != id; i = (i + 1) & mask)
		if (m->s[i].id == 0)
			return;
	/* Backward shift: pull later members of the cluster into the hole. */
	for (j = (i + 1) & mask; m->s[j].id != 0; j = (j + 1) & mask) {
		h = chanmap_hash(m->s[j].id, m->cap);
		/* Move j to i unless its home h lies cyclically in (i, j]. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			m->s[i] = m->s[j];
			i = j;
		}
	}
	m->s[i].id = 0;
	m->s[i].v = NULL;
	m->n--;
}

/** chanmap_count(m): number of entries. */
size_t
chanmap_count(const struct chanmap *m)
{
	return m->n;
}

/**
 * chanmap_next(m, it, v): iterate: set ${it} to 0 before the first call;
 * return the next id (and its value in ${v}) or 0 at the end.  The map must
 * not change during the iteration (collect, then act).
 */
uint32_t
chanmap_next(const struct chanmap *m, size_t *it, void **v)
{
	for (; *it < m->cap; (*it)++)
		if (m->s[*it].id != 0) {
			*v = m->s[*it].v;
			return m->s[(*it)++].id;
		}
	return 0;
}
