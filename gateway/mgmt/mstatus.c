/*
 * mstatus.c: `gw-mgmt status`: read a running gw-mgmt's metrics endpoint
 * ([metrics] listen of its configuration, or --metrics ADDR; the common
 * scrape.h) and print a summary for a human: health, links by gateway,
 * what the group commit stored and how fast, store errors, agents and
 * command targets by state, enrollment answers.  Exit 0 if it is healthy
 * (the store answers, the gateways' listener accepts), 1 if not (or
 * unreachable), 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "mgmt_config.h"
#include "mstatus.h"
#include "scrape.h"

/* The links by gateway, and the gateways accepted and refused. */
static void
ms_links(const struct scrape *sc)
{
	const char *f = "gw_mgmt_links{";
	char gw[128];
	int any = 0;

	printf("links: %.0f open (max %.0f):",
	    scrape_val(sc, "gw_mgmt_links_open", 0),
	    scrape_val(sc, "gw_mgmt_links_max", 0));
	for (size_t i = 0; i < sc->n; i++)
		if (strncmp(sc->s[i].key, f, strlen(f)) == 0)
			printf("%s %s %.0f", any++ ? "," : "",
			    scrape_label(sc->s[i].key, "gateway", gw,
			    sizeof(gw)), sc->s[i].v);
	printf("%s; gateways accepted %.0f, refused %.0f\n", any ? "" :
	    " none ready",
	    scrape_val(sc, "gw_mgmt_gateways_total{result=\"accepted\"}", 0),
	    scrape_val(sc, "gw_mgmt_gateways_total{result=\"refused\"}", 0));
}

static void
ms_print(const char *addr, const struct scrape *sc, int healthy)
{
	const char *h = "gw_mgmt_commit_seconds";
	double n = scrape_val(sc, "gw_mgmt_commit_seconds_count", 0),
	    rows = scrape_val(sc, "gw_mgmt_batch_rows_sum", 0);

	printf("gw-mgmt at %s: %s (store %s, gateways' listener %s)\n", addr,
	    healthy ? "healthy" : "UNHEALTHY",
	    scrape_val(sc, "gw_mgmt_store_up", 0) > 0 ? "answers" : "DOWN",
	    scrape_val(sc, "gw_mgmt_listener_up", 0) > 0 ? "up" : "DOWN");
	ms_links(sc);
	printf("stored: %.0f rows, %.0f duplicates, in %.0f commits",
	    scrape_val(sc, "gw_mgmt_rows_stored_total", 0),
	    scrape_val(sc, "gw_mgmt_duplicates_total", 0),
	    scrape_val(sc, "gw_mgmt_commits_total", 0));
	if (n > 0)
		printf("; %.1f rows a batch, commit within %g s for half, %g s "
		    "for 99 %% of %.0f", rows / n, scrape_quantile(sc, h, 0.5),
		    scrape_quantile(sc, h, 0.99), n);
	printf("\nstore errors: %.0f\n",
	    scrape_val(sc, "gw_mgmt_store_errors_total", 0));
	printf("agents: %.0f online, %.0f offline, %.0f stale\n",
	    scrape_val(sc, "gw_mgmt_agents{state=\"online\"}", 0),
	    scrape_val(sc, "gw_mgmt_agents{state=\"offline\"}", 0),
	    scrape_val(sc, "gw_mgmt_agents{state=\"stale\"}", 0));
	scrape_reasons(sc, "command targets", "gw_mgmt_commands", "state");
	scrape_reasons(sc, "enrollment answers",
	    "gw_mgmt_enroll_answers_total", "status");
}

/* The address of [metrics] listen of ${file} into ${cfg}, or NULL. */
static const char *
ms_addr(const char *file, struct mgmt_config *cfg)
{
	char err[8192] = "";
	int n;

	/* A file broken since the start still names the address. */
	n = mgmt_config_load(file, cfg, err, sizeof(err));
	if (n != 0 && cfg->metrics_listen != NULL)
		fprintf(stderr, "gw-mgmt status: %s has %d error%s "
		    "(gw-mgmt --check-config %s); asking [metrics] listen = "
		    "%s anyway\n", file, n, n == 1 ? "" : "s", file,
		    cfg->metrics_listen);
	else if (n != 0)
		fputs(err, stderr);
	else if (cfg->metrics_listen == NULL)
		fprintf(stderr, "gw-mgmt status: %s has no [metrics] listen "
		    "(or give --metrics ADDR)\n", file);
	return cfg->metrics_listen;
}

/**
 * mstatus_main(argc, argv): `gw-mgmt status (-c FILE | --metrics ADDR)`
 * (argv[0] is "status").  Return the exit code: 0 healthy, 1 unhealthy or
 * unreachable, 2 usage.
 */
int
mstatus_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct scrape sc = { NULL, NULL, 0 };
	struct mgmt_config cfg;
	const char *file = NULL, *addr = NULL;
	char err[512];
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1)
		switch (ch) {
		case 'c': file = optarg; break;
		case 'm': addr = optarg; break;
		default: goto usage;
		}
	if (optind != argc || (file == NULL) == (addr == NULL))
		goto usage;
	memset(&cfg, 0, sizeof(cfg));
	if (addr == NULL && (addr = ms_addr(file, &cfg)) == NULL) {
		mgmt_config_free(&cfg);
		return 1;
	}
	if (scrape_fetch(addr, &sc, err, sizeof(err)) != 0)
		fprintf(stderr, "gw-mgmt status: %s\n", err);
	else {
		rc = scrape_val(&sc, "gw_mgmt_store_up", 0) > 0 &&
		    scrape_val(&sc, "gw_mgmt_listener_up", 0) > 0 ? 0 : 1;
		ms_print(addr, &sc, rc == 0);
	}
	scrape_free(&sc);
	mgmt_config_free(&cfg);
	return rc;
usage:
	fprintf(stderr, "usage: gw-mgmt status (-c FILE | --metrics ADDR)\n");
	return 2;
}
