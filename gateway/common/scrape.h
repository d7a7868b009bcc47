/*
 * scrape.h: the client side of the metrics listeners, for the `status`
 * commands (gatewayd's status.c, gw-mgmt's mstatus.c): GET /metrics from
 * a running program (5 s, at most SCRAPE_MAX bytes, 200 only), split into
 * samples, looked up by name and labels.
 */
#ifndef GW_SCRAPE_H
#define GW_SCRAPE_H

#include <stddef.h>

#define SCRAPE_MAX	(1u << 20)	/* the largest answer read */

struct scrape_sample {
	char	*key;		/* name{labels} */
	double	 v;
};

/* A scrape: zero it before scrape_fetch; scrape_free frees it. */
struct scrape {
	char			*text;
	struct scrape_sample	*s;
	size_t			 n;
};

/**
 * scrape_fetch(addr, sc, err, errlen): GET /metrics from ${addr} and split
 * it into the samples of ${sc}.  Return 0, or -1 with why in ${err}.
 */
int scrape_fetch(const char *addr, struct scrape *sc, char *err,
    size_t errlen);

/** scrape_val(sc, key, dflt): the value of ${key} (exact), or ${dflt}. */
double scrape_val(const struct scrape *sc, const char *key, double dflt);

/**
 * scrape_label(key, label, out, len): the value of label ${label} in
 * ${key} into ${out}; return ${out}, or "" if it has none.
 */
const char *scrape_label(const char *key, const char *label, char *out,
    size_t len);

/**
 * scrape_reasons(sc, title, family, label): print "title: l1 N, l2 N" of
 * the non-zero samples of ${family} by ${label}, or "title: none".
 */
void scrape_reasons(const struct scrape *sc, const char *title,
    const char *family, const char *label);

/**
 * scrape_quantile(sc, hist, q): the smallest bucket bound of histogram
 * ${hist} that holds the share ${q} of its count, or -1.
 */
double scrape_quantile(const struct scrape *sc, const char *hist, double q);

/** scrape_free(sc): free what ${sc} holds; it may be zeroed only. */
void scrape_free(struct scrape *sc);

#endif /* GW_SCRAPE_H */
