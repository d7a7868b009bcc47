/*
 * status.c: `gatewayd status`: read a running gatewayd's metrics endpoint
 * ([metrics] listen of its configuration, or --metrics ADDR) and print a
 * summary for a human: health and upstream links, the management servers
 * (which is in use, failures), agents, handshake failures, data and ACK
 * latency, limits hit, and certificates or a CRL that expire soon.
 * Exit 0 if it is healthy, 1 if not (or unreachable), 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "net.h"
#include "status.h"

#define ST_MAX		(1u << 20)	/* the largest answer we read */
#define ST_SOON		(30 * 86400)	/* "expires soon": 30 days */

struct sample {
	char	*key;		/* name{labels} */
	double	 v;
};

struct scrape {
	char		*text;
	struct sample	*s;
	size_t		 n;
};

/* GET /metrics from ${addr}; the body into sc->text.  0 or -1 (why). */
static int
st_fetch(const char *addr, struct scrape *sc, char *err, size_t errlen)
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
	    (sc->text = malloc(ST_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (len < ST_MAX && (n = read(fd, sc->text + len, ST_MAX - len)) > 0)
		len += (size_t)n;
	if (n < 0 || len == ST_MAX) {	/* cut off: no half a picture */
		snprintf(err, errlen, "%s: %s", addr, n < 0 ?
		    strerror(errno) : "answer too large");
		close(fd);
		return -1;
	}
	close(fd);
	sc->text[len] = '\0';
	if (strncmp(sc->text, "HTTP/1.0 200", 12) != 0 ||
	    (body = strstr(sc->text, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "%s: not a gatewayd metrics answer", addr);
		return -1;
	}
	memmove(sc->text, body + 4, strlen(body + 4) + 1);
	return 0;
}

/* Split the text into samples (comments skipped). */
static int
st_parse(struct scrape *sc)
{
	size_t cap = 0;
	char *line, *save = NULL, *sp;

	for (line = strtok_r(sc->text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || (sp = strrchr(line, ' ')) == NULL)
			continue;
		if (sc->n == cap) {
			struct sample *ns = realloc(sc->s, (cap = cap ? cap * 2 :
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

/* The value of ${key} (exact), or ${dflt}. */
static double
st_val(const struct scrape *sc, const char *key, double dflt)
{
	for (size_t i = 0; i < sc->n; i++)
		if (strcmp(sc->s[i].key, key) == 0)
			return sc->s[i].v;
	return dflt;
}

/* The value of label ${label} in ${key}, into ${out}. */
static const char *
st_label(const char *key, const char *label, char *out, size_t len)
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

/* "name: reason N, reason N" for a family by reason, or "none". */
static void
st_reasons(const struct scrape *sc, const char *title, const char *family,
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
			    st_label(sc->s[i].key, label, l, sizeof(l)),
			    sc->s[i].v);
		}
	printf("%s\n", any ? "" : " none");
}

/* The smallest bucket bound that holds ${q} of the ACK histogram. */
static double
st_quantile(const struct scrape *sc, double q)
{
	const char *f = "gatewayd_ack_latency_seconds_bucket{le=\"";
	double count = st_val(sc, "gatewayd_ack_latency_seconds_count", 0);

	for (size_t i = 0; i < sc->n; i++)
		if (strncmp(sc->s[i].key, f, strlen(f)) == 0 &&
		    sc->s[i].v >= q * count)
			return strtod(sc->s[i].key + strlen(f), NULL);
	return -1;
}

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

static void
st_print(const char *addr, const struct scrape *sc)
{
	double ready = st_val(sc, "gatewayd_upstream_links{state=\"ready\"}", 0),
	    links = ready + st_val(sc,
	    "gatewayd_upstream_links{state=\"not_ready\"}", 0);
	const char *f = "gatewayd_server_up{";
	char srv[80], key[160], l[64];
	double last, acks;

	printf("gatewayd at %s: %s (%.0f of %.0f upstream links ready)\n",
	    addr, ready > 0 ? "healthy" : "UNHEALTHY", ready, links);
	printf("management servers:\n");
	for (size_t i = 0; i < sc->n; i++) {
		if (strncmp(sc->s[i].key, f, strlen(f)) != 0)
			continue;
		st_label(sc->s[i].key, "server", srv, sizeof(srv));
		snprintf(key, sizeof(key), "gatewayd_server_active{server=\"%s\"}",
		    srv);
		printf("  %-22s priority %s  %-4s %-6s", srv,
		    st_label(sc->s[i].key, "priority", l, sizeof(l)),
		    sc->s[i].v > 0 ? "up" : "down",
		    st_val(sc, key, 0) > 0 ? "in use" : "");
		snprintf(key, sizeof(key), "gatewayd_server_connects_total"
		    "{server=\"%s\"}", srv);
		printf("  connects %.0f\n", st_val(sc, key, 0));
	}
	st_reasons(sc, "server failures", "gatewayd_server_failures_total",
	    "reason");
	last = st_val(sc, "gatewayd_server_last_move_seconds", 0);
	printf("failovers: %.0f, fail-backs: %.0f",
	    st_val(sc, "gatewayd_server_moves_total{kind=\"failover\"}", 0),
	    st_val(sc, "gatewayd_server_moves_total{kind=\"failback\"}", 0));
	if (last > 0)
		printf("; the last %.0f s ago", difftime(time(NULL),
		    (time_t)last));
	printf("\n");
	printf("agents: %.0f connected, %.0f in handshake (max %.0f); "
	    "accepted %.0f (resumed %.0f), refused by policy %.0f\n",
	    st_val(sc, "gatewayd_agents{state=\"authenticated\"}", 0),
	    st_val(sc, "gatewayd_agents{state=\"handshake\"}", 0),
	    st_val(sc, "gatewayd_agents_max", 0),
	    st_val(sc, "gatewayd_agents_accepted_total", 0),
	    st_val(sc, "gatewayd_handshakes_resumed_total", 0),
	    st_val(sc, "gatewayd_agents_refused_total", 0));
	st_reasons(sc, "handshake failures", "gatewayd_handshakes_failed_total",
	    "reason");
	st_reasons(sc, "sessions closed", "gatewayd_sessions_closed_total",
	    "reason");
	acks = st_val(sc, "gatewayd_ack_latency_seconds_count", 0);
	printf("data: %.0f frames up, %.0f down; %.0f bytes awaiting ACK, "
	    "%.0f reserved for credit (budget %.0f)",
	    st_val(sc, "gatewayd_frames_total{direction=\"up\"}", 0),
	    st_val(sc, "gatewayd_frames_total{direction=\"down\"}", 0),
	    st_val(sc, "gatewayd_replay_bytes", 0),
	    st_val(sc, "gatewayd_replay_reserved_bytes", 0),
	    st_val(sc, "gatewayd_replay_budget_bytes", 0));
	if (acks > 0)
		printf("; ACK within %g s for half, %g s for 99 %% of %.0f",
		    st_quantile(sc, 0.5), st_quantile(sc, 0.99), acks);
	printf("\n");
	printf("credit stalls: %.0f window used up (ACKs lag), %.0f replay "
	    "memory full; %.0f agents waiting for memory now\n",
	    st_val(sc, "gatewayd_credit_stalls_total{cause=\"window\"}", 0),
	    st_val(sc, "gatewayd_credit_stalls_total{cause=\"budget\"}", 0),
	    st_val(sc, "gatewayd_agents_waiting_for_memory", 0));
	st_reasons(sc, "limits hit", "gatewayd_limit_hits_total", "limit");
	printf("certificates:\n");
	st_date("agents (server)", st_val(sc,
	    "gatewayd_certificate_expiry_seconds{cert=\"agents\"}", 0));
	st_date("upstream (client)", st_val(sc,
	    "gatewayd_certificate_expiry_seconds{cert=\"upstream\"}", 0));
	st_date("CRL issued", st_val(sc, "gatewayd_crl_last_update_seconds",
	    0));
	st_date("CRL next update", st_val(sc,
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
	if (st_fetch(addr, &sc, err, sizeof(err)) != 0 || st_parse(&sc) != 0) {
		fprintf(stderr, "gatewayd status: %s\n", err[0] ? err :
		    "out of memory");
		goto out;
	}
	st_print(addr, &sc);
	rc = st_val(&sc, "gatewayd_upstream_links{state=\"ready\"}", 0) > 0 ?
	    0 : 1;
out:
	free(sc.text);
	free(sc.s);
	gw_config_free(&cfg);
	return rc;
}
