/*
 * status.c: `gatewayd status`: read a running gatewayd's metrics endpoint
 * ([metrics] listen of its configuration, or --metrics ADDR) and print a
 * summary for a human: health and upstream links, the management servers
 * (which is in use, failures), agents, handshake failures, data and ACK
 * latency, limits hit, and certificates or a CRL that expire soon.
 * Exit 0 if it is healthy, 1 if not (or unreachable), 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "scrape.h"
#include "status.h"

#define ST_SOON		(30 * 86400)	/* "expires soon": 30 days */

/* A date (Unix time) and how far it is, with a warning when soon. */
static void
st_date(const char *what, double t)
{
	time_t tt = (time_t)t, now = time(NULL);
	char d[32];

	if (t <= 0)		/* not in the scrape: no such certificate */
		return;
	strftime(d, sizeof(d), "%Y-%m-%d %H:%M UTC", gmtime(&tt));
	printf("  %-22s %s (%s%.0f days)%s\n", what, d, tt < now ? "-" : "",
	    (tt < now ? now - tt : tt - now) / 86400.0,
	    tt < now ? "  PAST" : tt - now < ST_SOON ? "  SOON" : "");
}

/* The data line: frames, replay memory, latency, gatewayd's own share. */
static void
st_data(const struct scrape *sc)
{
	double acks;

	acks = scrape_val(sc, "gatewayd_ack_latency_seconds_count", 0);
	printf("data: %.0f frames up, %.0f down; %.0f bytes awaiting ACK, "
	    "%.0f reserved for credit (budget %.0f)",
	    scrape_val(sc, "gatewayd_frames_total{direction=\"up\"}", 0),
	    scrape_val(sc, "gatewayd_frames_total{direction=\"down\"}", 0),
	    scrape_val(sc, "gatewayd_replay_bytes", 0),
	    scrape_val(sc, "gatewayd_replay_reserved_bytes", 0),
	    scrape_val(sc, "gatewayd_replay_budget_bytes", 0));
	if (acks > 0)
		printf("; ACK within %g s for half, %g s for 99 %% of %.0f",
		    scrape_quantile(sc, "gatewayd_ack_latency_seconds", 0.5),
		    scrape_quantile(sc, "gatewayd_ack_latency_seconds", 0.99),
		    acks);
	printf("\n");
	if (scrape_val(sc, "gatewayd_data_residence_seconds_count", 0) > 0)
		printf("held by gatewayd, 99 %% within: DATA %g s (read to "
		    "written up), ACK %g s (read to written to the agent)\n",
		    scrape_quantile(sc, "gatewayd_data_residence_seconds", 0.99),
		    scrape_quantile(sc, "gatewayd_ack_residence_seconds", 0.99));
}

/* [gateway] workers > 1: which worker answered; what it shows is its own. */
static void
st_worker(const struct scrape *sc)
{
	const char *f = "gatewayd_workers{";
	char w[16];

	for (size_t i = 0; i < sc->n; i++)
		if (strncmp(sc->s[i].key, f, strlen(f)) == 0 && sc->s[i].v > 1)
			printf("worker %s of %.0f: its own figures below (each "
			    "worker's metrics are on [metrics] listen's port + "
			    "its index)\n", scrape_label(sc->s[i].key, "worker",
			    w, sizeof(w)), sc->s[i].v);
}

static void
st_print(const char *addr, const struct scrape *sc)
{
	double ready = scrape_val(sc, "gatewayd_upstream_links{state=\"ready\"}", 0),
	    links = ready + scrape_val(sc,
	    "gatewayd_upstream_links{state=\"not_ready\"}", 0);
	const char *f = "gatewayd_server_up{";
	char srv[80], key[160], l[64];
	double last;

	printf("gatewayd at %s: %s (%.0f of %.0f upstream links ready)\n",
	    addr, ready > 0 ? "healthy" : "UNHEALTHY", ready, links);
	st_worker(sc);
	printf("management servers:\n");
	for (size_t i = 0; i < sc->n; i++) {
		if (strncmp(sc->s[i].key, f, strlen(f)) != 0)
			continue;
		scrape_label(sc->s[i].key, "server", srv, sizeof(srv));
		snprintf(key, sizeof(key), "gatewayd_server_active{server=\"%s\"}",
		    srv);
		printf("  %-22s priority %s  %-4s %-6s", srv,
		    scrape_label(sc->s[i].key, "priority", l, sizeof(l)),
		    sc->s[i].v > 0 ? "up" : "down",
		    scrape_val(sc, key, 0) > 0 ? "in use" : "");
		snprintf(key, sizeof(key), "gatewayd_server_connects_total"
		    "{server=\"%s\"}", srv);
		printf("  connects %.0f\n", scrape_val(sc, key, 0));
	}
	scrape_reasons(sc, "server failures", "gatewayd_server_failures_total",
	    "reason");
	last = scrape_val(sc, "gatewayd_server_last_move_seconds", 0);
	printf("failovers: %.0f, fail-backs: %.0f",
	    scrape_val(sc, "gatewayd_server_moves_total{kind=\"failover\"}", 0),
	    scrape_val(sc, "gatewayd_server_moves_total{kind=\"failback\"}", 0));
	if (last > 0)
		printf("; the last %.0f s ago", difftime(time(NULL),
		    (time_t)last));
	printf("\n");
	printf("agents: %.0f connected, %.0f in handshake (max %.0f); "
	    "accepted %.0f (resumed %.0f), refused by policy %.0f\n",
	    scrape_val(sc, "gatewayd_agents{state=\"authenticated\"}", 0),
	    scrape_val(sc, "gatewayd_agents{state=\"handshake\"}", 0),
	    scrape_val(sc, "gatewayd_agents_max", 0),
	    scrape_val(sc, "gatewayd_agents_accepted_total", 0),
	    scrape_val(sc, "gatewayd_handshakes_resumed_total", 0),
	    scrape_val(sc, "gatewayd_agents_refused_total", 0));
	scrape_reasons(sc, "handshake failures", "gatewayd_handshakes_failed_total",
	    "reason");
	scrape_reasons(sc, "sessions closed", "gatewayd_sessions_closed_total",
	    "reason");
	st_data(sc);
	printf("credit stalls: %.0f window used up (ACKs lag), %.0f replay "
	    "memory full; %.0f agents waiting for memory now\n",
	    scrape_val(sc, "gatewayd_credit_stalls_total{cause=\"window\"}", 0),
	    scrape_val(sc, "gatewayd_credit_stalls_total{cause=\"budget\"}", 0),
	    scrape_val(sc, "gatewayd_agents_waiting_for_memory", 0));
	scrape_reasons(sc, "limits hit", "gatewayd_limit_hits_total", "limit");
	printf("certificates:\n");
	st_date("agents (server)", scrape_val(sc,
	    "gatewayd_certificate_expiry_seconds{cert=\"agents\"}", 0));
	st_date("upstream (client)", scrape_val(sc,
	    "gatewayd_certificate_expiry_seconds{cert=\"upstream\"}", 0));
	st_date("CRL issued", scrape_val(sc, "gatewayd_crl_last_update_seconds",
	    0));
	st_date("CRL next update", scrape_val(sc,
	    "gatewayd_crl_next_update_seconds", 0));
}

/**
 * status_main(argc, argv): `gatewayd status [-c FILE] [--metrics ADDR]`
 * (argv[0] is "status").  Return the exit code.
 */
int
status_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct scrape sc = { NULL, NULL, 0 };
	struct gw_config cfg;
	const char *file = NULL, *addr = NULL;
	char err[8192] = "";
	int ch, n, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1)
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'm':
			addr = optarg;
			break;
		default:
			fprintf(stderr, "usage: gatewayd status [-c FILE] "
			    "[--metrics ADDR]\n");
			return 2;
		}
	memset(&cfg, 0, sizeof(cfg));
	if (addr == NULL) {
		/*
		 * A file broken since the start (its reload was refused)
		 * still names the address, which is when status is needed.
		 */
		n = file != NULL ? gw_config_load_file(file, &cfg, err,
		    sizeof(err)) : gw_config_load_string(gw_config_default_text,
		    "<embedded gateway.ini>", ".", &cfg, err, sizeof(err));
		if (n != 0 && cfg.metrics_listen != NULL)
			fprintf(stderr, "gatewayd status: %s has %d error%s "
			    "(gatewayd --check-config %s); asking [metrics] "
			    "listen = %s anyway\n", file ? file : "config", n,
			    n == 1 ? "" : "s", file ? file : "", cfg.metrics_listen);
		else if (n != 0) {
			fputs(err, stderr);
			goto out;
		}
		if ((addr = cfg.metrics_listen) == NULL) {
			fprintf(stderr, "gatewayd status: %s has no [metrics] "
			    "listen (or give --metrics ADDR)\n",
			    file ? file : "the embedded configuration");
			rc = 2;
			goto out;
		}
	}
	if (scrape_fetch(addr, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewayd status: %s\n", err);
		goto out;
	}
	st_print(addr, &sc);
	rc = scrape_val(&sc, "gatewayd_upstream_links{state=\"ready\"}", 0) > 0 ?
	    0 : 1;
out:
	scrape_free(&sc);
	gw_config_free(&cfg);
	return rc;
}
