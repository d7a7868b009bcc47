/*
 * namemap.c: name -> pointer hash of pointers only (namemap.h): linear
 * probing, backward-shift deletion, capacity a power of two kept at most
 * 3/4 full.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namemap.h"

struct namemap {
	void		**s;	/* NULL: empty */
	size_t		  cap;	/* power of two */
	size_t		  n;
	const char	*(*key)(const void *v);
};

/* FNV-1a, 64 bits: names are short; the table's mask takes the low bits. */
static size_t
namemap_hash(const char *name, size_t cap)
{
	uint64_t h = 14695981039346656037ull;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ull;
	return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

/**
 * namemap_new(key): an empty map whose values' names are ${key}(v), or
 * NULL on allocation failure.  A value's name must not change while it is
 * in the map.
 */
struct namemap *
namemap_new(const char *(*key)(const void *v))
{
	struct namemap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->cap = 64;
	m->key = key;
	if ((m->s = calloc(m->cap, sizeof(*m->s))) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

/** namemap_free(m): free ${m}; namemap_free(NULL) is a no-op. */
void
namemap_free(struct namemap *m)
{
	if (m == NULL)
		return;
	free(m->s);
	free(m);
}

static int
namemap_grow(struct namemap *m)
{
	void **old = m->s;
	size_t oldcap = m->cap, i, j;

	if ((m->s = calloc(oldcap * 2, sizeof(*m->s))) == NULL) {
		m->s = old;
		return -1;
	}
	m->cap = oldcap * 2;
	for (i = 0; i < oldcap; i++) {
		if (old[i] == NULL)
			continue;
		for (j = namemap_hash(m->key(old[i]), m->cap); m->s[j] != NULL;
		    j = (j + 1) & (m->cap - 1))
			;
		m->s[j] = old[i];
	}
	free(old);
	return 0;
}

/**
 * namemap_put(m, v): add ${v} under its name, which must not be in ${m};
 * 0, or -1 (ENOMEM).
 */
int
namemap_put(struct namemap *m, void *v)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3 && namemap_grow(m) != 0)
		return -1;
	for (i = namemap_hash(m->key(v), m->cap); m->s[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		;
	m->s[i] = v;
	m->n++;
	return 0;
}

/* The slot of ${name}, or of the empty slot that ends its probe. */
static size_t
namemap_find(const struct namemap *m, const char *name)
{
	size_t i;

	for (i = namemap_hash(name, m->cap); m->s[i] != NULL;
	    i = (i + 1) & (m->cap - 1))
		if (strcmp(m->key(m->s[i]), name) == 0)
			break;
	return i;
}

/** namemap_get(m, name): the value named ${name}, or NULL. */
void *
namemap_get(const struct namemap *m, const char *name)
{
	return m->s[namemap_find(m, name)];
}

/** namemap_del(m, v): remove ${v} if it is in ${m} (by its name). */
void
namemap_del(struct namemap *m, const void *v)
{
	size_t i = namemap_find(m, m->key(v)), j, home;

	if (m->s[i] != v)
		return;
	m->s[i] = NULL;
	m->n--;
	/* Backward shift: move up what probed past the hole. */
	for (j = (i + 1) & (m->cap - 1); m->s[j] != NULL;
	    j = (j + 1) & (m->cap - 1)) {
		home = namemap_hash(m->key(m->s[j]), m->cap);
		/* Stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->s[i] = m->s[j];
		m->s[j] = NULL;
		i = j;
	}
}

/** namemap_count(m): number of entries. */
size_t
namemap_count(const struct namemap *m)
{
	return m->n;
}
