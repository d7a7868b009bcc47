/*
 * gwlist.c: an agent's list of gateways, with groups (see gwlist.h).
 */
#include <stdio.h>
#include <string.h>

#include "gwlist.h"

/** gwlist_hash(name): the 32-bit FNV-1a hash of the string ${name}. */
uint32_t
gwlist_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0';
	    p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

/* ${s} without the spaces and tabs around it (written in place). */
static char *
gwlist_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/*
 * The weight of gateway ${addr} for the agent whose name hashes to ${h}:
 * the two hashes side by side through splitmix64's finalizer (a full
 * 64-bit mix: FNV-1a alone over the name and the address weighs gateways
 * whose addresses differ in a byte or two unevenly).
 */
static uint32_t
gwlist_weight(uint32_t h, const char *addr)
{
	uint64_t x = (uint64_t)h << 32 | gwlist_hash(addr);

	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (uint32_t)(x >> 32);
}

/*
 * Append the ${k} members ${m} but ${first} to ${out} from ${*n}, heaviest
 * first by gwlist_weight(${h}, ...), ties in the order written.
 */
static void
gwlist_rest(const char *const *m, size_t k, size_t first, uint32_t h,
    const char **out, size_t *n)
{
	uint32_t w[64], wi;	/* w[j]: the weight of out[*n + j] */
	size_t len = 0, j;

	for (size_t i = 0; i < k; i++) {
		if (i == first)
			continue;
		wi = gwlist_weight(h, m[i]);
		/* Insertion: after every member at least as heavy. */
		for (j = len; j > 0 && w[j - 1] < wi; j--) {
			w[j] = w[j - 1];
			out[*n + j] = out[*n + j - 1];
		}
		w[j] = wi;
		out[*n + j] = m[i];
		len++;
	}
	*n += len;
}

/*
 * Add the group ${g} ('|'-separated) to ${out} from ${*n}: first the
 * member ${h} modulo its size picks, then the others by their weight for
 * ${h} (gwlist_weight), heaviest first, ties in the order written.  0, or
 * -1 with ${err}.
 */
static int
gwlist_group(char *g, uint32_t h, const char **out, size_t max, size_t *n,
    char *err, size_t errlen)
{
	const char *m[64];
	size_t k = 0;
	char *tok, *save = NULL;

	if (g[0] == '|' || (g[0] != '\0' && g[strlen(g) - 1] == '|') ||
	    strstr(g, "||") != NULL) {
		snprintf(err, errlen, "an empty address in the group \"%s\"",
		    g);
		return -1;
	}
	for (tok = strtok_r(g, "|", &save); tok != NULL;
	    tok = strtok_r(NULL, "|", &save)) {
		tok = gwlist_trim(tok);
		if (tok[0] == '\0' || strpbrk(tok, " \t") != NULL) {
			snprintf(err, errlen, "an empty address or a space "
			    "inside one in a group");
			return -1;
		}
		if (k == sizeof(m) / sizeof(m[0]) || *n + k == max) {
			snprintf(err, errlen, "at most %zu gateways", max);
			return -1;
		}
		m[k++] = tok;
	}
	out[(*n)++] = m[h % k];
	gwlist_rest(m, k, h % k, h, out, n);
	return 0;
}

/**
 * gwlist_parse(spec, name, out, max, err, errlen): split ${spec} (written
 * in place: its separators become NULs) into at most ${max} addresses in
 * ${out}, in the priority order of the agent called ${name} (see the top).
 * Spaces around separators are allowed.  Return the number of addresses,
 * or -1 with a message in ${err} (no address, an empty one in a group,
 * more than ${max}).
 */
int
gwlist_parse(char *spec, const char *name, const char **out, size_t max,
    char *err, size_t errlen)
{
	uint32_t h = gwlist_hash(name);
	size_t n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(spec, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = gwlist_trim(tok);
		if (tok[0] == '\0')
			continue;	/* "G1,,G2" and a trailing ',': as before */
		if (strchr(tok, '|') == NULL) {
			/* Spaces inside also separate, as before. */
			char *a, *s2 = NULL;

			for (a = strtok_r(tok, " \t", &s2); a != NULL;
			    a = strtok_r(NULL, " \t", &s2)) {
				if (n == max) {
					snprintf(err, errlen,
					    "at most %zu gateways", max);
					return -1;
				}
				out[n++] = a;
			}
		} else if (gwlist_group(tok, h, out, max, &n, err, errlen) != 0)
			return -1;
	}
	if (n == 0) {
		snprintf(err, errlen, "no address");
		return -1;
	}
	return (int)n;
}
