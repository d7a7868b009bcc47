/*
 * posmap.c: the positions of followed files (posmap.h).  A small array
 * searched linearly: it holds what an agent follows (a few files, at most
 * POSMAP_MAX), read once per commit of each.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "posmap.h"

struct posmap_ent {
	char		*key;
	struct file_pos	 pos;
};

struct posmap {
	struct posmap_ent *ent;
	size_t		 n, cap;
};

/** posmap_new(): an empty table, or NULL (errno). */
struct posmap *
posmap_new(void)
{
	return calloc(1, sizeof(struct posmap));
}

static struct posmap_ent *
posmap_find(const struct posmap *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->ent[i].key, key) == 0)
			return &m->ent[i];
	return NULL;
}

/* Room for one more entry: 0, or -1 (the bound, or no memory). */
static int
posmap_grow(struct posmap *m)
{
	struct posmap_ent *ent;
	size_t cap;

	if (m->n < m->cap)
		return 0;
	if (m->n >= POSMAP_MAX) {
		errno = ENOSPC;
		return -1;
	}
	cap = m->cap == 0 ? 16 : m->cap * 2;
	if (cap > POSMAP_MAX)
		cap = POSMAP_MAX;
	if ((ent = reallocarray(m->ent, cap, sizeof(*ent))) == NULL)
		return -1;
	m->ent = ent;
	m->cap = cap;
	return 0;
}

/**
 * posmap_set(m, key, p): the position of ${key} (a C string of at most
 * POS_KEY_MAX bytes) is ${p} now.  0, or -1: the key is too long, the
 * table holds POSMAP_MAX keys already, or memory ran out.
 */
int
posmap_set(struct posmap *m, const char *key, const struct file_pos *p)
{
	struct posmap_ent *e;
	char *k;

	if (p->fplen > POS_FP_MAX || strnlen(key, POS_KEY_MAX + 1) >
	    POS_KEY_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((e = posmap_find(m, key)) != NULL) {
		e->pos = *p;
		return 0;
	}
	if (posmap_grow(m) != 0 || (k = strdup(key)) == NULL)
		return -1;
	m->ent[m->n].key = k;
	m->ent[m->n].pos = *p;
	m->n++;
	return 0;
}

/** posmap_get(m, key, p): 1 and ${p} set if ${key} has a position, else 0. */
int
posmap_get(const struct posmap *m, const char *key, struct file_pos *p)
{
	const struct posmap_ent *e;

	if ((e = posmap_find(m, key)) == NULL)
		return 0;
	*p = e->pos;
	return 1;
}

/** posmap_del(m, key): ${key} has no position now (none: nothing done). */
void
posmap_del(struct posmap *m, const char *key)
{
	struct posmap_ent *e;

	if ((e = posmap_find(m, key)) == NULL)
		return;
	free(e->key);
	*e = m->ent[--m->n];
}

/**
 * posmap_at(m, i, p): the key of the ${i}th position (0-based, in no
 * particular order; a set or del renumbers), ${p} set; NULL past the end.
 */
const char *
posmap_at(const struct posmap *m, size_t i, struct file_pos *p)
{
	if (i >= m->n)
		return NULL;
	*p = m->ent[i].pos;
	return m->ent[i].key;
}

/** posmap_free(m): NULL-safe. */
void
posmap_free(struct posmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->ent[i].key);
	free(m->ent);
	free(m);
}
