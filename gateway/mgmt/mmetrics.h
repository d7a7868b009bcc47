/*
 * mmetrics.h: gw-mgmt's metrics in the Prometheus text format, and its
 * health, on a small HTTP listener of their own ([metrics] listen; off
 * unless set), served by the common httpd.h: GET or HEAD, one request per
 * connection of at most HTTPD_REQ_MAX bytes, HTTPD_TIMEOUT, at most
 * HTTPD_CLIENTS at once.  /metrics: the group commit's latency and batch
 * sizes, rows stored, duplicates, store errors, links by gateway, agents
 * and command targets by state (one read of the store per scrape),
 * enrollment answers.  /healthz: 200 "ok" while the store answers that
 * read and the gateways' listener accepts, else 503 and why.  No
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

/* What the metrics show, read at each scrape. */
struct mmetrics_view {
	uint64_t		 stored, duplicates, commits;
	const struct commit_stats *st;		/* commit.c's */
	unsigned		 links, max_gateways;
	const char		**gw;		/* ready links' CNs, sorted */
	unsigned		 ngw;
	uint64_t		 accepted, refused;	/* gateways */
	int			 store_ok;	/* the reads below worked */
	char			 store_err[160];	/* else why */
	uint64_t		 online, offline;	/* agents */
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
 * mmetrics_view(m, v): fill ${v} with what is true of ${m} now (one read
 * of the store); mmetrics_view_free(v) frees what it holds.  Return 0,
 * or -1 if out of memory.
 */
int mmetrics_view(struct mgmt *m, struct mmetrics_view *v);

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
