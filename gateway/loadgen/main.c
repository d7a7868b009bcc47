/*
 * gw-loadgen: simulate many agents, each with its own certificate, against
 * one gateway, in one process and one event loop (loadgen.h).
 *
 *   gw-loadgen --gateway ADDR --certs DIR --ca FILE --agents N
 *              [--mode idle|send|storm|handshake|sink] [--hold SECS]
 *              [--events E] [--size B] [--connect-rate R] [--inflight K]
 *              [--server-name NAME] [--timeout SECS] [--connect-timeout SECS]
 *              [--rate EVENTS_PER_S] [--heartbeat SECS] [--tls12]
 *              [--failback-hold SECS] [--seconds S] [--handshakes H] [--resume]
 *              [--legacy-acks]
 *              [--plain [--sink ADDR] [--window W]]
 *
 * DIR holds NAME.crt and NAME.key pairs (gw-cert issue-many); the first N
 * in name order are used.  Output: "all_open agents=N connect_s=S" once
 * all are open, in storm mode "all_back agents=N at=EPOCH" once all have
 * reconnected, then one line of key=value figures at the end.  Exit 0
 * if every agent did its part, 1 otherwise (the first error is printed).
 * Loopback only is the intended use: it is a benchmark tool.
 * --heartbeat: each agent's PING interval (as gw-agent, 5 s; the gateway's,
 * if shorter); an agent that hears nothing for three of them takes the
 * gateway for hung.  A longer one keeps a busy generator's agents from
 * doing so.
 * --gateway takes gw-agent's list too (G1|G2|G3,G4: gwlist.h): each agent
 * orders a group by the hash of its name (its certificate file's name),
 * moves on as gw-agent does and, with --failback-hold, comes back to its
 * first gateway once that one has been up so long (not in --plain or
 * --mode handshake, which take one address).
 *
 * --mode handshake (hs.h): for S seconds (default 5; or until H in all),
 * at most K agents at a time connect, complete a mutual TLS handshake,
 * close and start again, in turn; the last line counts the handshakes
 * the gateway accepted, per second, how many it resumed, and failures.
 * --resume keeps each agent's ticket between its connections (after a
 * warm-up that gives each its first, printed as "warm agents=N"); without
 * it every handshake is a full one.  Exit 1 if any failed or none
 * completed.  --tls12 (any mode) offers TLS 1.2 only.  --legacy-acks: the
 * agents' HELLO does not offer ACKCREDIT (agents of before it: credit in
 * CREDIT frames only).
 *
 * --plain: the plain 1:1 mode (plain.h) for measuring a general TLS relay
 * with the same certificates and record pattern: raw mutual TLS to ADDR
 * (the relay), each event one TLS record, at most W (32, gatewayd's
 * default agent_window) unacknowledged; --sink listens where the relay
 * forwards to and acknowledges each event with one byte.  --plain --mode
 * storm: each client is open once one event of its is acknowledged; when
 * the relay (restarted) closes it, it connects again after gw-agent's
 * backoff (at most 5 s), offering its ticket, and is back at that event's
 * acknowledgement again; the lines printed are the same.  `--mode sink
 * --sink ADDR` runs only that sink (a process of its own: a relay holds
 * two descriptors per agent, the generator and the sink one each), until
 * SIGTERM or --timeout.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>

#include "client_session.h"
#include "hs.h"
#include "loadgen.h"
#include "log.h"
#include "plain.h"

static void
usage(void)
{
	fprintf(stderr, "usage: gw-loadgen --gateway ADDR --certs DIR --ca FILE "
	    "--agents N\n"
	    "                  [--mode idle|send|storm|handshake|sink] "
	    "[--hold SECS] [--events E]\n"
	    "                  [--size B] [--connect-rate R] [--inflight K] "
	    "[--server-name NAME]\n"
	    "                  [--timeout SECS] [--connect-timeout SECS] "
	    "[--rate EVENTS_PER_S]\n"
	    "                  [--heartbeat SECS] [--tls12] "
	    "[--failback-hold SECS]\n"
	    "                  [--seconds S] [--handshakes H] [--resume]\n"
	    "                  [--legacy-acks]\n"
	    "                  [--plain [--sink ADDR] [--window W]]\n");
	exit(2);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first ${n} certificates (DIR/NAME.crt) by name; NULL if fewer. */
static char **
list_certs(const char *dir, unsigned n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t len = 0, cap = 0;

	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		char *path;

		if (l < 5 || strcmp(e->d_name + l - 4, ".crt") != 0 ||
		    strcmp(e->d_name, "ca.crt") == 0)
			continue;
		if (len == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 256) *
			    sizeof(*v));

			if (nv == NULL)
				break;
			v = nv;
		}
		if ((path = malloc(strlen(dir) + l + 2)) == NULL)
			break;
		sprintf(path, "%s/%s", dir, e->d_name);
		v[len++] = path;
	}
	closedir(d);
	if (len < n) {
		for (size_t i = 0; i < len; i++)
			free(v[i]);
		free(v);
		errno = ENOENT;
		return NULL;
	}
	qsort(v, len, sizeof(*v), name_cmp);
	for (size_t i = n; i < len; i++)
		free(v[i]);
	return v;
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* --mode sink: only the plain mode's sink, until SIGTERM or --timeout. */
static int
run_sink(const struct lg_params *p)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct plain_sink *s;
	struct rlimit rl;
	ev_signal term;
	ev_timer deadline;
	char err[256];

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if ((s = plain_sink_new(loop, p->sink, p->size, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "gw-loadgen: sink: %s\n", err);
		return 1;
	}
	ev_signal_init(&term, on_stop, SIGTERM);
	ev_signal_start(loop, &term);
	ev_timer_init(&deadline, on_timeout, p->timeout, 0.);
	ev_timer_start(loop, &deadline);
	printf("sink listening=%s size=%u\n", p->sink, p->size);
	fflush(stdout);
	ev_run(loop, 0);
	plain_sink_free(s);
	return 0;
}

/* The handshake mode's last line: what it measured, as key=value words. */
static void
report_hs(const struct lg_params *p, const struct hs_result *r)
{
	printf("mode=%shandshake agents=%u", p->plain ? "plain-" : "",
	    p->agents);
	printf(" handshakes=%u handshakes_per_s=%.0f resumed=%u "
	    "failed=%u seconds=%.3f", r->handshakes, r->hs_s > 0 ?
	    r->handshakes / r->hs_s : 0, r->resumed, r->failed, r->hs_s);
	if (p->resume)
		printf(" warmup=%u", r->warmup);
	printf("%s\n", r->timed_out ? " timed_out=1" : "");
}

/* The last line of the other modes: what the run measured, likewise. */
static void
report(const struct lg_params *p, const struct lg_result *r)
{
	static const char *const modes[] = {
		"idle", "send", "storm", "handshake"
	};

	printf("mode=%s%s agents=%u", p->plain ? "plain-" : "",
	    modes[p->mode], p->agents);
	printf(" opened=%u failed=%u connect_s=%.3f connects_per_s=%.0f",
	    r->opened, r->failed, r->connect_s,
	    r->connect_s > 0 ? r->opened / r->connect_s : 0);
	if (p->mode == LG_SEND)
		printf(" events=%llu acked=%llu send_s=%.3f "
		    "msgs_per_s=%.0f lat_p50_ms=%.2f lat_p99_ms=%.2f "
		    "lat_max_ms=%.2f", (unsigned long long)r->sent,
		    (unsigned long long)r->acked, r->send_s,
		    r->send_s > 0 ? r->acked / r->send_s : 0,
		    r->lat_p50_ms, r->lat_p99_ms, r->lat_max_ms);
	if (p->mode == LG_STORM)
		printf(" back=%u resumed=%u first_back_at=%.3f "
		    "all_back_at=%.3f", r->back, r->resumed,
		    r->first_back_at, r->all_back_at);
	printf("%s\n", r->timed_out ? " timed_out=1" : "");
}

static double
num(const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

static const struct option lg_opts[] = {
	{ "gateway", required_argument, NULL, 'g' },
	{ "certs", required_argument, NULL, 'd' },
	{ "ca", required_argument, NULL, 'c' },
	{ "agents", required_argument, NULL, 'n' },
	{ "mode", required_argument, NULL, 'm' },
	{ "hold", required_argument, NULL, 'H' },
	{ "events", required_argument, NULL, 'e' },
	{ "size", required_argument, NULL, 's' },
	{ "connect-rate", required_argument, NULL, 'r' },
	{ "inflight", required_argument, NULL, 'i' },
	{ "server-name", required_argument, NULL, 'N' },
	{ "timeout", required_argument, NULL, 't' },
	{ "plain", no_argument, NULL, 'P' },
	{ "sink", required_argument, NULL, 'S' },
	{ "window", required_argument, NULL, 'w' },
	{ "connect-timeout", required_argument, NULL, 'C' },
	{ "rate", required_argument, NULL, 'R' },
	{ "heartbeat", required_argument, NULL, 'B' },
	{ "seconds", required_argument, NULL, 'T' },
	{ "handshakes", required_argument, NULL, 'K' },
	{ "resume", no_argument, NULL, 'u' },
	{ "tls12", no_argument, NULL, '2' },
	{ "failback-hold", required_argument, NULL, 'F' },
	{ "legacy-acks", no_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 }
};

/* The mode named ${s} into ${p}; "sink": *${sink_only}. */
static void
parse_mode(const char *s, struct lg_params *p, int *sink_only)
{
	static const char *const names[] = {
		[LG_IDLE] = "idle", [LG_SEND] = "send", [LG_STORM] = "storm",
		[LG_HANDSHAKE] = "handshake"
	};

	if (strcmp(s, "sink") == 0) {
		*sink_only = 1;
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			p->mode = (enum lg_mode)i;
			return;
		}
	usage();
}

/*
 * The command line into ${p}, the certificates' directory into ${dir};
 * --mode sink into ${sink_only} (then nothing else is checked).  A bad
 * one: usage() (exit 2).
 */
static void
parse_args(int argc, char **argv, struct lg_params *p, const char **dir,
    int *sink_only)
{
	int ch, hs_opt = 0;

	while ((ch = getopt_long(argc, argv, "", lg_opts, NULL)) != -1) {
		switch (ch) {
		case 'g': p->gateway = optarg; break;
		case 'd': *dir = optarg; break;
		case 'c': p->ca = optarg; break;
		case 'n': p->agents = (unsigned)num(optarg, 1, 1000000); break;
		case 'm': parse_mode(optarg, p, sink_only); break;
		case 'H': p->hold = num(optarg, 0, 86400); break;
		case 'e': p->events = (unsigned)num(optarg, 1, 1e7); break;
		case 's': p->size = (unsigned)num(optarg, 1, 16384); break;
		case 'r': p->connect_rate = num(optarg, 1, 1e6); break;
		case 'i': p->inflight = (unsigned)num(optarg, 1, 1e6); break;
		case 'N': p->server_name = optarg; break;
		case 't': p->timeout = num(optarg, 0.1, 86400); break;
		case 'P': p->plain = 1; break;
		case 'S': p->sink = optarg; break;
		case 'w': p->window = (unsigned)num(optarg, 1, 65535); break;
		case 'C': p->connect_timeout = num(optarg, 0.1, 3600); break;
		case 'R': p->rate = num(optarg, 1, 1e8); break;
		case 'B': p->heartbeat = num(optarg, 0.1, 3600); break;
		case 'T': p->seconds = num(optarg, 0.1, 86400); hs_opt++; break;
		case 'K': p->handshakes = (unsigned)num(optarg, 1, 1e9);
			hs_opt++;
			break;
		case 'u': p->resume = 1; hs_opt++; break;
		case '2': p->tls12 = 1; break;
		case 'F': p->failback_hold = num(optarg, 0, 86400); break;
		case 'L': p->legacy_acks = 1; break;
		default: usage();
		}
	}
	if (*sink_only)
		return;
	if (p->gateway == NULL || *dir == NULL || p->ca == NULL ||
	    p->agents == 0 || (p->sink != NULL && !p->plain) ||
	    (hs_opt && p->mode != LG_HANDSHAKE))
		usage();
}

/* Run the handshake mode of ${p} and report it: the exit status. */
static int
run_hs(const struct lg_params *p)
{
	struct hs_result r;
	int rc;

	if ((rc = hs_run(EV_DEFAULT, p, &r)) == 0)
		report_hs(p, &r);
	if (r.first_error[0] != '\0')
		fprintf(stderr, "gw-loadgen: %s\n", r.first_error);
	if (rc != 0 || r.failed > 0 || r.timed_out)
		return 1;
	return r.handshakes > 0 ? 0 : 1;
}

/* Run the other modes of ${p} (lg_run) and report it: the exit status. */
static int
run_lg(const struct lg_params *p)
{
	struct lg_result r;
	int rc;

	if ((rc = lg_run(EV_DEFAULT, p, &r)) == 0)
		report(p, &r);
	if (r.first_error[0] != '\0')
		fprintf(stderr, "gw-loadgen: %s\n", r.first_error);
	if (rc != 0 || r.failed > 0 || r.timed_out)
		return 1;
	return r.opened == p->agents && r.acked == r.sent ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct lg_params p = { .mode = LG_IDLE, .server_name = "gateway",
	    .connect_rate = 500, .inflight = 100, .hold = 1, .events = 100,
	    .size = 200, .timeout = 120, .window = 32, .seconds = 5,
	    .connect_timeout = CLIENT_CONNECT_TIMEOUT, .heartbeat = 5.0,
	    .failback_hold = -1 };
	const char *dir = NULL;
	int sink_only = 0;
	struct rlimit rl;
	int rc;

	parse_args(argc, argv, &p, &dir, &sink_only);
	if (sink_only)
		return p.sink != NULL ? run_sink(&p) : (usage(), 2);
	if (p.resume && p.tls12) {
		fprintf(stderr, "gw-loadgen: --resume needs TLS 1.3 tickets: "
		    "not with --tls12\n");
		return 2;
	}
	if ((p.certs = list_certs(dir, p.agents)) == NULL) {
		fprintf(stderr, "gw-loadgen: %s: fewer than %u certificates "
		    "(gw-cert issue-many)\n", dir, p.agents);
		return 1;
	}
	/* One descriptor per agent, and a few more. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < p.agents + 64) {
		rl.rlim_cur = rl.rlim_max < p.agents + 64 ? rl.rlim_max :
		    p.agents + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	log_init("gw-loadgen", LOG_LVL_ERR);
	rc = p.mode == LG_HANDSHAKE ? run_hs(&p) : run_lg(&p);
	for (unsigned i = 0; i < p.agents; i++)
		free(p.certs[i]);
	free(p.certs);
	return rc;
}
