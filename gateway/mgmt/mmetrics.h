/*
 * mmetrics.h: gw-mgmt's metrics in the Prometheus text format, and its
 * health, on a small HTTP listener of their own ([metrics] listen; off
 * unless set), served by the common httpd.h: GET or HEAD, one request per
 * connection of at most HTTPD_REQ_MAX bytes, HTTPD_TIMEOUT, at most
 * HTTPD_CLIENTS at once.  /metrics: the group commit's latency and batch
 * sizes, rows stored, duplicates, store errors, links by gateway, agents
 * and command targets by state (counted by the store every 10 s into a
 * cache a scrape serves, with its age; never a read of the store per
 * request), enrollment answers.  /healthz: 200 "ok" while the last read
 * worked and the gateways' listener accepts, else 503 and why ("store
 * unavailable": the store's details go to the log, once per change).  No
 * authentication: bind it to loopback or a management interface
 * (SECURITY.md).
 */
#ifndef GW_MGMT_MMETRICS_H
#define GW_MGMT_MMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store_cmd.h"

struct commit_stats;
struct mgmt;
struct mmetrics;

/* What the metrics show, made at each scrape. */
struct mmetrics_view {
	uint64_t		 stored, duplicates, commits;
	const struct commit_stats *st;		/* commit.c's */
	unsigned		 links, max_gateways;
	const char		**gw;		/* ready links' CNs, sorted */
	unsigned		 ngw;
	uint64_t		 accepted, refused;	/* gateways */
	int			 store_ok;	/* the last read worked */
	double			 store_age;	/* seconds since it */
	uint64_t		 online, offline, stale;	/* agents */
	uint64_t		 cmds[STORE_CMD_NSTATES];	/* targets */
	const uint64_t		*enroll;	/* by status, or NULL */
	int			 listening;	/* gateways' listener on */
};

/**
 * mmetrics_new(m, addr, err, errlen): serve the metrics of ${m} on
 * ${addr}, on m->loop.  Return the listener, or NULL with the reason in
 * ${err}.
 */
struct mmetrics *mmetrics_new(struct mgmt *m, const char *addr, char *err,
    size_t errlen);

/**
 * mmetrics_view(mm, v): fill ${v} with what is true of ${mm}'s gw-mgmt
 * now, the store's counts from the cache (no read of the store);
 * mmetrics_view_free(v) frees what it holds.  Return 0, or -1 if out of
 * memory.
 */
int mmetrics_view(struct mmetrics *mm, struct mmetrics_view *v);

/** mmetrics_view_free(v): free what mmetrics_view put in ${v}. */
void mmetrics_view_free(struct mmetrics_view *v);

/**
 * mmetrics_render(v, buf, len): the metrics of ${v}, Prometheus text
 * format, into ${buf}.  Return the length it needs (as snprintf: a result
 * of ${len} or more means truncated).
 */
size_t mmetrics_render(const struct mmetrics_view *v, char *buf, size_t len);

/** mmetrics_free(mm): close the listener and its connections; NULL-safe. */
void mmetrics_free(struct mmetrics *mm);

#endif /* GW_MGMT_MMETRICS_H */
