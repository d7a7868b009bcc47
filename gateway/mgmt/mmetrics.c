/*
 * mmetrics.c: gw-mgmt's metrics and health (mmetrics.h): what they say;
 * the HTTP part is the common httpd.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commit.h"
#include "httpd.h"
#include "link.h"
#include "log.h"
#include "mgmt.h"
#include "mmetrics.h"
#include "prom.h"
#include "signer.h"

#define MMETRICS_MAGIC	0x4d4d7472u	/* "MMtr" */

/* Seconds between two reads of the store's counts. */
#define MMETRICS_REFRESH	10.

struct mmetrics {
	uint32_t	 magic;		/* MMETRICS_MAGIC */
	struct mgmt	*m;
	struct httpd	*h;
	ev_timer	 refresh;	/* mm_refresh_cb */
	struct store_counts counts;	/* the last read that worked */
	int		 store_ok;	/* the last read worked */
	ev_tstamp	 read_at;	/* when it was made */
	char		 err[160];	/* the last error logged, or "" */
};

static int
mm_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Log the store's error ${err} ("": none) once per change. */
static void
mm_log_store(struct mmetrics *mm, const char *err)
{
	char e[LOG_ESC_MAX];

	if (strncmp(mm->err, err, sizeof(mm->err) - 1) == 0)
		return;
	if (*err == '\0')
		log_info("event=metrics_store_up");
	else
		log_warnx("event=metrics_store_down detail=\"%s\"",
		    log_esc(e, sizeof(e), err, LOG_ESC_STR, 0));
	snprintf(mm->err, sizeof(mm->err), "%s", err);
}

/* Read the store's counts (cheap counting queries) into the cache. */
static void
mm_read_store(struct mmetrics *mm)
{
	struct store_counts c;

	mm->read_at = ev_now(mm->m->loop);
	mm->store_ok = store_cmd_counts(mm->m->store, &c) == 0;
	if (mm->store_ok)
		mm->counts = c;		/* else the last known stay shown */
	mm_log_store(mm, mm->store_ok ? "" : store_errmsg(mm->m->store));
}

/* ev_timer callback: refresh the cache of the store's counts. */
static void
mm_refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mmetrics *mm = w->data;

	(void)loop;
	(void)revents;
	if (mm == NULL || mm->magic != MMETRICS_MAGIC) {
		log_errx("event=bug detail=\"metrics timer: bad object\"");
		abort();
	}
	mm_read_store(mm);
}

/**
 * mmetrics_view(mm, v): fill ${v} with what is true of ${mm}'s gw-mgmt
 * now, the store's counts from the cache (no read of the store);
 * mmetrics_view_free(v) frees what it holds.  Return 0, or -1 if out of
 * memory.
 */
int
mmetrics_view(struct mmetrics *mm, struct mmetrics_view *v)
{
	struct mgmt *m = mm->m;

	memset(v, 0, sizeof(*v));
	v->stored = m->commit->stored;
	v->duplicates = m->commit->duplicates;
	v->commits = m->commit->commits;
	v->st = &m->commit->st;
	v->links = m->links->n;
	v->max_gateways = m->cfg->max_gateways;
	v->accepted = m->links->accepted;
	v->refused = m->links->refused;
	v->enroll = m->signer != NULL ? m->signer->answers : NULL;
	v->listening = m->lfd >= 0 && ev_is_active(&m->accept_io);
	v->store_ok = mm->store_ok;
	v->store_age = ev_now(m->loop) - mm->read_at;
	v->online = mm->counts.online;
	v->offline = mm->counts.offline;
	v->stale = mm->counts.stale;
	memcpy(v->cmds, mm->counts.cmds, sizeof(v->cmds));
	if (v->links > 0) {
		if ((v->gw = calloc(v->links, sizeof(*v->gw))) == NULL)
			return -1;
		v->ngw = link_gateways(m->links, v->gw, v->links);
		qsort(v->gw, v->ngw, sizeof(*v->gw), mm_strcmp);
	}
	return 0;
}

/** mmetrics_view_free(v): free what mmetrics_view put in ${v}. */
void
mmetrics_view_free(struct mmetrics_view *v)
{
	free(v->gw);
	v->gw = NULL;
}

/* A histogram from counts per bucket (not cumulative). */
static void
mm_hist(struct prom_buf *b, const char *n, const char *help,
    const uint64_t *le, unsigned nb, double (*bound)(unsigned),
    uint64_t count, double sum)
{
	uint64_t cum = 0;

	prom_head(b, n, "histogram", help);
	for (unsigned i = 0; i < nb; i++) {
		cum += le[i];
		prom_printf(b, "%s_bucket{le=\"%g\"} %llu\n", n, bound(i),
		    (unsigned long long)cum);
	}
	/* %.17g: a sum of rows prints as the integer it is. */
	prom_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count "
	    "%llu\n", n, (unsigned long long)count, n, sum, n,
	    (unsigned long long)count);
}

static double
mm_rows_bound(unsigned i)
{
	return commit_rows_bound(i);
}

/* The group commit and the store. */
static void
mm_commit(struct prom_buf *b, const struct mmetrics_view *v)
{
	const struct commit_stats *st = v->st;

	mm_hist(b, "gw_mgmt_commit_seconds", "Time a batch waits on the "
	    "store: from the start of its commit to the end (ACKs sent).",
	    st->lat_le, COMMIT_LAT_BUCKETS, commit_lat_bound, st->lat_count,
	    st->lat_sum);
	prom_lat_hist(b, "gw_mgmt_data_commit_seconds", "From DATA read from a "
	    "gateway (the loop's wake-up) to the end of the transaction that "
	    "stored it (its ACK follows).", st->data_le, st->data_count,
	    st->data_sum);
	mm_hist(b, "gw_mgmt_batch_rows", "DATA rows in a committed batch.",
	    st->rows_le, COMMIT_ROWS_BUCKETS, mm_rows_bound, st->rows_count,
	    (double)st->rows_sum);
	prom_one(b, "gw_mgmt_commits_total", "counter",
	    "Transactions of the group commit.", v->commits);
	prom_one(b, "gw_mgmt_rows_stored_total", "counter",
	    "DATA rows stored (new ones).", v->stored);
	prom_one(b, "gw_mgmt_duplicates_total", "counter", "DATA rows the "
	    "store had already (resent after a lost ACK).", v->duplicates);
	prom_one(b, "gw_mgmt_store_errors_total", "counter", "Store failures: "
	    "a batch failed, a row was refused, an OPEN could not be read.",
	    st->store_errors);
	prom_one(b, "gw_mgmt_store_up", "gauge",
	    "1 if the store answered its last read (the view's).",
	    v->store_ok);
	prom_head(b, "gw_mgmt_store_view_age_seconds", "gauge", "Age of the "
	    "last read of the store's counts (agents, commands, store_up).");
	prom_printf(b, "gw_mgmt_store_view_age_seconds %.3f\n", v->store_age);
	prom_one(b, "gw_mgmt_listener_up", "gauge",
	    "1 if the gateways' listener accepts.", v->listening);
}

/* The links, by gateway CN (escaped: a CN is the peer's text). */
static void
mm_links(struct prom_buf *b, const struct mmetrics_view *v)
{
	unsigned i, j;

	prom_one(b, "gw_mgmt_links_open", "gauge", "Gateway connections, "
	    "any state.", v->links);
	prom_one(b, "gw_mgmt_links_max", "gauge", "max_gateways.",
	    v->max_gateways);
	prom_two(b, "gw_mgmt_gateways_total", "counter", "Gateways accepted "
	    "or refused after their handshake.", "result", "accepted",
	    v->accepted, "refused", v->refused);
	prom_head(b, "gw_mgmt_links", "gauge",
	    "Ready links, by gateway certificate CN.");
	for (i = 0; i < v->ngw; i = j) {
		for (j = i + 1; j < v->ngw && strcmp(v->gw[i], v->gw[j]) == 0;
		    j++)
			;
		prom_printf(b, "gw_mgmt_links{gateway=\"");
		prom_label(b, v->gw[i]);
		prom_printf(b, "\"} %u\n", j - i);
	}
}

/* The agents and commands in the store; the enrollment answers. */
static void
mm_store_enroll(struct prom_buf *b, const struct mmetrics_view *v)
{
	prom_two(b, "gw_mgmt_agents", "gauge", "Agents the store knows, by "
	    "state.", "state", "online", v->online, "offline", v->offline);
	prom_printf(b, "gw_mgmt_agents{state=\"stale\"} %llu\n",
	    (unsigned long long)v->stale);
	prom_head(b, "gw_mgmt_commands", "gauge",
	    "Command targets (one per command and agent), by state.");
	for (unsigned i = 0; i < STORE_CMD_NSTATES; i++)
		prom_printf(b, "gw_mgmt_commands{state=\"%s\"} %llu\n",
		    store_cmd_state_str((enum store_cmd_state)i),
		    (unsigned long long)v->cmds[i]);
	prom_head(b, "gw_mgmt_enroll_answers_total", "counter",
	    "Answers to enrollment and renewal requests, by status.");
	for (unsigned i = 0; i <= GW_ENROLL_STATUS_MAX; i++)
		prom_printf(b, "gw_mgmt_enroll_answers_total{status=\"%s\"} "
		    "%llu\n", gw_enroll_status_str(i), (unsigned long long)
		    (v->enroll != NULL ? v->enroll[i] : 0));
}

/**
 * mmetrics_render(v, buf, len): the metrics of ${v}, Prometheus text
 * format, into ${buf}.  Return the length it needs (as snprintf: a result
 * of ${len} or more means truncated).
 */
size_t
mmetrics_render(const struct mmetrics_view *v, char *buf, size_t len)
{
	struct prom_buf b = { buf, len, 0 };

	mm_commit(&b, v);
	mm_links(&b, v);
	mm_store_enroll(&b, v);
	return b.off;
}

/* /healthz: ok, or why not (never the store's details), in ${a}. */
static int
mm_health(const struct mmetrics_view *v, struct httpd_answer *a)
{
	char why[200], *body;

	if (v->store_ok && v->listening) {
		httpd_text(a, 200, "ok\n");
		return 0;
	}
	if (!v->listening)
		snprintf(why, sizeof(why), "gateway listener is not accepting\n");
	else
		snprintf(why, sizeof(why), "store unavailable (%.0f s ago)\n",
		    v->store_age);
	if ((body = strdup(why)) == NULL)
		return -1;
	httpd_body(a, 503, NULL, body, strlen(body));
	return 0;
}

/* /metrics into ${a}. */
static int
mm_metrics(const struct mmetrics_view *v, struct httpd_answer *a)
{
	size_t len = mmetrics_render(v, NULL, 0);
	char *body;

	if ((body = malloc(len + 1)) == NULL)	/* + render's NUL */
		return -1;
	mmetrics_render(v, body, len + 1);
	httpd_body(a, 200, "text/plain; version=0.0.4; charset=utf-8", body,
	    len);
	return 0;
}

/* httpd_answer_fn: /metrics and /healthz, from what is true now and the
 * cache of the store's counts. */
static int
mm_answer(void *arg, const char *path, struct httpd_answer *a)
{
	struct mmetrics *mm = arg;
	struct mmetrics_view v;
	int rc;

	if (mm == NULL || mm->magic != MMETRICS_MAGIC) {
		log_errx("event=bug detail=\"metrics callback: bad object\"");
		abort();
	}
	if (strcmp(path, "/metrics") != 0 && strcmp(path, "/healthz") != 0) {
		httpd_text(a, 404, "/metrics or /healthz\n");
		return 0;
	}
	if (mmetrics_view(mm, &v) != 0)
		return -1;
	rc = strcmp(path, "/healthz") == 0 ? mm_health(&v, a) :
	    mm_metrics(&v, a);
	mmetrics_view_free(&v);
	return rc;
}

/**
 * mmetrics_new(m, addr, err, errlen): serve the metrics of ${m} on
 * ${addr}, on m->loop.  Return the listener, or NULL with the reason in
 * ${err}.
 */
struct mmetrics *
mmetrics_new(struct mgmt *m, const char *addr, char *err, size_t errlen)
{
	struct mmetrics *mm;

	if ((mm = calloc(1, sizeof(*mm))) == NULL ||
	    (mm->h = httpd_new(m->loop, mm_answer, mm)) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		free(mm);
		return NULL;
	}
	mm->magic = MMETRICS_MAGIC;
	mm->m = m;
	if (httpd_listen(mm->h, addr, err, errlen) != 0) {
		mmetrics_free(mm);
		return NULL;
	}
	mm_read_store(mm);
	ev_timer_init(&mm->refresh, mm_refresh_cb, MMETRICS_REFRESH,
	    MMETRICS_REFRESH);
	mm->refresh.data = mm;
	ev_timer_start(m->loop, &mm->refresh);
	return mm;
}

/** mmetrics_free(mm): close the listener and its connections; NULL-safe. */
void
mmetrics_free(struct mmetrics *mm)
{
	if (mm == NULL)
		return;
	ev_timer_stop(mm->m->loop, &mm->refresh);
	httpd_free(mm->h);
	mm->magic = 0;
	free(mm);
}
