/*
 * scrape.c: GET /metrics and its samples (scrape.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"
#include "scrape.h"

/* GET /metrics from ${addr}; the body into sc->text.  0 or -1 (why). */
static int
scrape_get(const char *addr, struct scrape *sc, char *err, size_t errlen)
{
	struct timeval tv = { 5, 0 };
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t len = 0;
	ssize_t n;
	char *body;
	int fd;

	if (net_parse_addr(addr, &ss, &sl) != 0) {
		snprintf(err, errlen, "bad address %s", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&ss, sl) != 0 ||
	    write(fd, "GET /metrics HTTP/1.0\r\n\r\n", 25) != 25 ||
	    (sc->text = malloc(SCRAPE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (len < SCRAPE_MAX &&
	    (n = read(fd, sc->text + len, SCRAPE_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len == SCRAPE_MAX) {	/* cut off: no half a picture */
		snprintf(err, errlen, "%s: %s", addr, n < 0 ?
		    strerror(errno) : "answer too large");
		close(fd);
		return -1;
	}
	close(fd);
	sc->text[len] = '\0';
	if (strncmp(sc->text, "HTTP/1.0 200", 12) != 0 ||
	    (body = strstr(sc->text, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "%s: not a metrics answer", addr);
		return -1;
	}
	memmove(sc->text, body + 4, strlen(body + 4) + 1);
	return 0;
}

/* Split the text into samples (comments skipped). */
static int
scrape_parse(struct scrape *sc)
{
	size_t cap = 0;
	char *line, *save = NULL, *sp;

	for (line = strtok_r(sc->text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (sp = strrchr(line, ' ')) == NULL)
			continue;
		if (sc->n == cap) {
			struct scrape_sample *ns = realloc(sc->s, (cap = cap ? cap * 2 :
			    128) * sizeof(*ns));

			if (ns == NULL)
				return -1;
			sc->s = ns;
		}
		*sp = '\0';
		sc->s[sc->n].key = line;
		sc->s[sc->n++].v = strtod(sp + 1, NULL);
	}
	return 0;
}

/** scrape_val(sc, key, dflt): the value of ${key} (exact), or ${dflt}. */
double
scrape_val(const struct scrape *sc, const char *key, double dflt)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->s[i].key, key) == 0)
			return sc->s[i].v;
	return dflt;
}

/**
 * scrape_label(key, label, out, len): the value of label ${label} in
 * ${key} into ${out}; return ${out}, or "" if it has none.
 */
const char *
scrape_label(const char *key, const char *label, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s=\"", label);
	if ((p = strstr(key, pat)) == NULL ||
	    (e = strchr(p += strlen(pat), '"')) == NULL)
		return "";
	snprintf(out, len, "%.*s", (int)(e - p), p);
	return out;
}

/**
 * scrape_reasons(sc, title, family, label): print "title: l1 N, l2 N" of
 * the non-zero samples of ${family} by ${label}, or "title: none".
 */
void
scrape_reasons(const struct scrape *sc, const char *title, const char *family,
    const char *label)
{
	size_t fl = strlen(family);
	char l[64];
	int any = 0;

	printf("%s:", title);
	for (size_t i = 0; i < sc->n; i++)
		if (strncmp(sc->s[i].key, family, fl) == 0 &&
		    sc->s[i].key[fl] == '{' && sc->s[i].v > 0) {
			printf("%s %s %.0f", any++ ? "," : "",
			    scrape_label(sc->s[i].key, label, l, sizeof(l)),
			    sc->s[i].v);
		}
	printf("%s\n", any ? "" : " none");
}

/**
 * scrape_quantile(sc, hist, q): the smallest bucket bound of histogram
 * ${hist} that holds the share ${q} of its count, or -1.
 */
double
scrape_quantile(const struct scrape *sc, const char *hist, double q)
{
	char f[128], cn[128];
	double count;

	snprintf(f, sizeof(f), "%s_bucket{le=\"", hist);
	snprintf(cn, sizeof(cn), "%s_count", hist);
	count = scrape_val(sc, cn, 0);
	for (size_t i = 0; i < sc->n; i++)
		if (strncmp(sc->s[i].key, f, strlen(f)) == 0 &&
		    sc->s[i].v >= q * count)
			return strtod(sc->s[i].key + strlen(f), NULL);
	return -1;
}

/**
 * scrape_fetch(addr, sc, err, errlen): GET /metrics from ${addr} and split
 * it into the samples of ${sc}.  Return 0, or -1 with why in ${err}.
 */
int
scrape_fetch(const char *addr, struct scrape *sc, char *err, size_t errlen)
{
	if (scrape_get(addr, sc, err, errlen) != 0)
		return -1;
	if (scrape_parse(sc) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/** scrape_free(sc): free what ${sc} holds; it may be zeroed only. */
void
scrape_free(struct scrape *sc)
{
	free(sc->text);
	free(sc->s);
	sc->text = NULL;
	sc->s = NULL;
	sc->n = 0;
}
