/*
 * gw-mgmt: the management-server endpoint.  Gateways connect over mutual
 * TLS; every DATA they relay is stored exactly once in the SQLite store and
 * acknowledged only once its transaction is durable.
 *
 *   gw-mgmt -c FILE [--log-level LEVEL]     run
 *   gw-mgmt --check-config FILE             validate FILE and its files
 *   gw-mgmt export (-c FILE | --db PATH) [--after ID] [--follow]
 *                                           stored messages as JSON Lines
 *   gw-mgmt command send|list|show ...      commands to agents (cli.h)
 *   gw-mgmt agents (-c FILE | --db PATH)    the agents the store knows
 *   gw-mgmt status (-c FILE | --metrics ADDR)
 *                                           a running one's metrics, told
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commit.h"
#include "conn.h"
#include "export.h"
#include "link.h"
#include "log.h"
#include "mchan.h"
#include "mdial.h"
#include "mgmt.h"
#include "mlive.h"
#include "mmetrics.h"
#include "mstatus.h"
#include "net.h"
#include "proto.h"
#include "retain.h"
#include "signer.h"

#define ACCEPT_BATCH	64
#define FOLLOW_POLL	0.2	/* seconds between polls in export --follow */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gw-mgmt -c FILE [--log-level LEVEL]\n"
	    "       gw-mgmt --check-config FILE\n"
	    "       gw-mgmt export (-c FILE | --db PATH) [--after ID] "
	    "[--follow]\n"
	    "       gw-mgmt command send|list|show (-c FILE | --db PATH) ...\n"
	    "       gw-mgmt agents (-c FILE | --db PATH) [--state S] "
	    "[--match GLOB] [--json]\n"
	    "       gw-mgmt status (-c FILE | --metrics ADDR)\n");
	exit(2);
}

static int
load_config(const char *file, struct mgmt_config *cfg)
{
	char err[8192] = "";
	int n;

	if ((n = mgmt_config_load(file, cfg, err, sizeof(err))) != 0) {
		fputs(err, stderr);
		fprintf(stderr, "%s: %d error%s\n", file, n, n == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

static volatile sig_atomic_t export_stop;

static void
export_on_signal(int sig)
{
	(void)sig;
	export_stop = 1;
}

#define EXPORT_MAGIC	0x45787074u	/* "Expt" */

/* Where export is: the id of the last row written. */
struct export_pos {
	uint32_t	 magic;		/* EXPORT_MAGIC */
	int64_t		 last;
};

static int
export_one(const struct store_row *r, void *arg)
{
	struct export_pos *pos = arg;

	if (pos == NULL || pos->magic != EXPORT_MAGIC)
		abort();
	if (export_json(stdout, r) != 0)
		return -1;
	pos->last = r->id;
	return 0;
}

/* gw-mgmt export: everything after --after, then (--follow) what comes. */
static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "after", required_argument, NULL, 'a' },
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct mgmt_config cfg;
	struct store_conf sc = { .type = STORE_SQLITE };
	const char *file = NULL, *db = NULL;
	struct store *s = NULL;
	struct export_pos pos = { .magic = EXPORT_MAGIC };
	int follow = 0, ch, rc = 1;
	char err[512], *end;

	memset(&cfg, 0, sizeof(cfg));
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'd': db = optarg; break;
		case 'a':
			errno = 0;
			pos.last = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || pos.last < 0)
				usage();
			break;
		case 'f': follow = 1; break;
		default: usage();
		}
	}
	if (optind != argc || (file == NULL) == (db == NULL))
		usage();
	if (file != NULL) {
		if (load_config(file, &cfg) != 0)
			return 1;
		db = cfg.database;
		sc.type = cfg.store_type;
		sc.conninfo = cfg.conninfo;
	}
	sc.path = db;
	if (sc.type == STORE_SQLITE && access(db, F_OK) != 0) {
		fprintf(stderr, "gw-mgmt: %s: %s\n", db, strerror(errno));
		goto out;
	}
	if ((s = store_open(&sc, 1, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-mgmt: %s\n", err);
		goto out;
	}
	signal(SIGINT, export_on_signal);
	signal(SIGTERM, export_on_signal);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		long n = store_scan(s, pos.last, export_one, &pos);

		if (n < 0 || fflush(stdout) != 0 || ferror(stdout)) {
			if (n < 0)
				fprintf(stderr, "gw-mgmt: %s\n",
				    store_errmsg(s));
			else if (errno != EPIPE)
				fprintf(stderr, "gw-mgmt: stdout: %s\n",
				    strerror(errno));
			goto out;
		}
		if (!follow || export_stop)
			break;
		nanosleep(&(struct timespec){ 0, (long)(FOLLOW_POLL * 1e9) },
		    NULL);
		if (export_stop)
			break;
	}
	rc = 0;
out:
	store_close(s);
	mgmt_config_free(&cfg);
	return rc;
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mgmt *m = w->data;

	(void)loop;
	(void)revents;
	if (m == NULL || m->magic != MGMT_MAGIC)
		abort();
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = net_accept(m->lfd);

		if (fd < 0) {
			if (errno != EAGAIN)
				log_warn("event=accept_failed");
			return;
		}
		link_accept(m, fd);
	}
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("event=stopping signal=%d", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

#define RELOAD_MAGIC	0x526c6f64u	/* "Rlod" */

/* What SIGHUP needs: the file, the running configuration, the server. */
struct reload {
	uint32_t		 magic;		/* RELOAD_MAGIC */
	const char		*file;
	struct mgmt_config	*cfg;		/* main()'s, m->cfg */
	struct mgmt		*m;
	int			 level_set;	/* --log-level wins */
};

/* Log each line of ${err} (file:line: [section] key: why) once. */
static void
reload_log_errors(char *err, int n)
{
	char *line, *save = NULL, e[LOG_ESC_MAX];

	for (line = strtok_r(err, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_errx("event=reload_error detail=\"%s\"",
		    log_esc(e, sizeof(e), line, LOG_ESC_STR, 0));
	log_errx("event=reload_failed errors=%d (the running configuration "
	    "stays)", n);
}

/*
 * The TLS configuration of ${nc}'s CRL with the running certificate, key
 * and gateway CA of ${cur} (their paths need a restart; the files are
 * read again).  NULL with ${err} if it cannot be made.
 */
static struct tls_conf *
reload_tls(const struct mgmt_config *cur, const struct mgmt_config *nc,
    char *err, size_t errlen)
{
	struct tls_conf_params tp = { .cert = cur->cert, .key = cur->key,
	    .ca = cur->gateway_ca, .crl = nc->crl, .server = 1,
	    .tls12 = cur->tls12 };

	return tls_conf_new(&tp, err, errlen);
}

/*
 * SIGHUP: read the configuration again.  Any error: log each, change
 * nothing.  Else apply what can change live: the log level (unless
 * --log-level), crl (new handshakes), agent_crl, gateway_names,
 * max_gateways, the timeouts, batch_max and batch_delay (the open batch is
 * committed first), [scope] sections (the next OPEN of every link),
 * [store] retain and max_rows (the next retention pass), [agents]
 * stale_after (the next sweep), [gateways] backoff (the next retry) and
 * the dialer's client TLS (mdial_reload: new dials); the
 * keys that need a restart keep their running values and are named.
 */
static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct reload *r = w->data;
	struct mgmt_config nc, old;
	struct tls_conf *tls;
	char err[8192] = "", changed[512];
	int n;

	(void)loop;
	(void)revents;
	if (r == NULL || r->magic != RELOAD_MAGIC)
		abort();
	if ((n = mgmt_config_load(r->file, &nc, err, sizeof(err))) == 0 &&
	    (tls = reload_tls(r->cfg, &nc, err, sizeof(err))) == NULL)
		n = 1;
	if (n != 0) {
		reload_log_errors(err, n);
		mgmt_config_free(&nc);
		return;
	}
	commit_now(r->m);	/* its rows were sized by batch_max */
	if (mgmt_config_keep(r->cfg, &nc, changed, sizeof(changed)) > 0)
		log_warnx("event=reload_partial restart_needed=\"%s\" "
		    "(running values kept until a restart)", changed);
	tls_conf_free(r->m->tls);	/* live links keep their refs */
	r->m->tls = tls;
	old = *r->cfg;
	*r->cfg = nc;
	mgmt_config_free(&old);
	if (mdial_reload(r->m->dial, err, sizeof(err)) != 0)
		log_errx("event=reload_error detail=\"[gateways] %s\" (the "
		    "gateways are dialed with the old TLS configuration)",
		    err);
	if (!r->level_set)
		log_init("gw-mgmt", r->cfg->log_level);
	retain_configure(r->m->retain);
	mlive_configure(r->m->live);
	log_info("event=reloaded scopes=%u max_gateways=%u batch_max=%u",
	    r->cfg->nscopes, r->cfg->max_gateways, r->cfg->batch_max);
}

/* What the command line asks for (gw-mgmt -c FILE, --check-config). */
struct main_args {
	const char	*file;		/* the configuration */
	const char	*level;		/* --log-level, or NULL */
	int		 check;		/* --check-config: validate only */
};

/* Parse the command line into ${a} (or exit 2 with the usage). */
static void
main_args(int argc, char **argv, struct main_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(a, 0, sizeof(*a));
	while ((ch = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': a->file = optarg; break;
		case 'C': a->file = optarg; a->check = 1; break;
		case 'l': a->level = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || a->file == NULL)
		usage();
}

/*
 * Build ${m} from ${a}: the configuration into ${cfg}, logging, TLS; unless
 * --check-config, the store, the listener, the loop, the parts of the
 * modules (commit, channels, links, signer).  0, 1 if --check-config found the
 * file good, or -1 (said).
 */
static int
main_build(const struct main_args *a, struct mgmt_config *cfg,
    struct mgmt *m)
{
	struct tls_conf_params tp;
	struct store_conf sc;
	enum log_level lvl;
	char err[512];

	if (load_config(a->file, cfg) != 0)
		return -1;
	lvl = cfg->log_level;
	if (a->level != NULL && log_level_parse(a->level, &lvl) != 0) {
		fprintf(stderr, "gw-mgmt: bad --log-level %s\n", a->level);
		return -1;
	}
	log_init("gw-mgmt", lvl);
	m->cfg = cfg;
	tp = (struct tls_conf_params){ .cert = cfg->cert, .key = cfg->key,
	    .ca = cfg->gateway_ca, .crl = cfg->crl, .server = 1,
	    .tls12 = cfg->tls12 };
	if ((m->tls = tls_conf_new(&tp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", a->file, err);
		return -1;
	}
	if (a->check) {
		printf("%s: OK\n", a->file);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (cfg->nscopes == 0)
		log_warnx("event=gateway_scope_unset detail=\"no [scope] "
		    "section: every gateway may open channels for any agent "
		    "of any CA\"");
	sc = (struct store_conf){ .type = cfg->store_type,
	    .path = cfg->database, .conninfo = cfg->conninfo };
	if ((m->store = store_open(&sc, 0, err, sizeof(err))) == NULL) {
		log_errx("event=start_failed detail=\"store %s\"", err);
		return -1;
	}
	if ((m->lfd = net_listen(cfg->listen, err, sizeof(err))) < 0) {
		log_errx("event=start_failed detail=\"%s\"", err);
		return -1;
	}
	m->loop = EV_DEFAULT;
	if ((m->commit = commit_new(m, &mchan_commit_ops)) == NULL ||
	    (m->chans = mchan_all_new()) == NULL ||
	    (m->links = link_all_new()) == NULL ||
	    (m->retain = retain_new(m)) == NULL ||
	    (m->live = mlive_new(m)) == NULL) {
		log_errx("event=start_failed detail=\"out of memory\"");
		return -1;
	}
	if ((m->signer = signer_new(m, err, sizeof(err))) == NULL) {
		log_errx("event=start_failed detail=\"[enroll] %s\"", err);
		return -1;
	}
	if (cfg->dial != NULL && (m->dial = mdial_new(m, err,
	    sizeof(err))) == NULL) {
		log_errx("event=start_failed detail=\"[gateways] %s\"", err);
		return -1;
	}
	if (cfg->metrics_listen != NULL && (m->metrics = mmetrics_new(m,
	    cfg->metrics_listen, err, sizeof(err))) == NULL) {
		log_errx("event=start_failed detail=\"[metrics] %s\"", err);
		return -1;
	}
	return 0;
}

/*
 * Run ${m} until SIGTERM or SIGINT (SIGHUP: ${r}); then make the open
 * batch durable and send its ACKs, and close every link.
 */
static void
main_run(struct mgmt *m, struct reload *r)
{
	const struct mgmt_config *cfg = m->cfg;
	ev_signal sigterm, sigint, sighup;

	ev_io_init(&m->accept_io, on_accept, m->lfd, EV_READ);
	m->accept_io.data = m;
	ev_io_start(m->loop, &m->accept_io);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(m->loop, &sigterm);
	ev_signal_start(m->loop, &sigint);
	ev_signal_init(&sighup, on_hup, SIGHUP);
	sighup.data = r;
	ev_signal_start(m->loop, &sighup);
	mdial_start(m->dial);
	log_info("event=started name=%s listen=%s dial=\"%s\" links=%u "
	    "store=%s batch_max=%u batch_delay_ms=%.1f metrics=%s", cfg->name,
	    cfg->listen, cfg->dial != NULL ? cfg->dial : "",
	    cfg->dial != NULL ? cfg->dial_links : 0,
	    cfg->store_type == STORE_POSTGRESQL ? "postgresql" :
	    cfg->database, cfg->batch_max, cfg->batch_delay * 1000,
	    cfg->metrics_listen != NULL ? cfg->metrics_listen : "off");
	ev_run(m->loop, 0);
	/* Make the open batch durable and send its ACKs before leaving. */
	commit_now(m);
	mdial_stop(m->dial);	/* the links it dialed are not dialed again */
	link_stop_all(m, GW_R_SHUTDOWN, "management server stopping");
	conn_reap();	/* the links closed above are freed now */
	log_info("event=stopped stored=%llu duplicates=%llu commits=%llu "
	    "gateways_accepted=%llu gateways_refused=%llu",
	    (unsigned long long)m->commit->stored,
	    (unsigned long long)m->commit->duplicates,
	    (unsigned long long)m->commit->commits,
	    (unsigned long long)m->links->accepted,
	    (unsigned long long)m->links->refused);
}

/* Free what main_build made of ${m} and ${cfg}, however far it got. */
static void
main_free(struct mgmt *m, struct mgmt_config *cfg)
{
	mmetrics_free(m->metrics);
	m->metrics = NULL;
	signer_free(m->signer);
	m->signer = NULL;
	mdial_free(m->dial);	/* its links are closed */
	m->dial = NULL;
	link_all_free(m->links);
	m->links = NULL;
	mchan_all_free(m->chans);
	m->chans = NULL;
	mlive_free(m->live);	/* after the channels: they leave it */
	m->live = NULL;
	retain_free(m->retain);
	m->retain = NULL;
	commit_free(m->commit);
	m->commit = NULL;
	if (m->lfd >= 0)
		close(m->lfd);
	store_close(m->store);
	tls_conf_free(m->tls);
	mgmt_config_free(cfg);
}

int
main(int argc, char **argv)
{
	struct main_args a;
	struct mgmt_config cfg;
	struct mgmt m;
	struct reload r;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "command") == 0)
		return cli_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "agents") == 0)
		return cli_agents(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "status") == 0)
		return mstatus_main(argc - 1, argv + 1);
	main_args(argc, argv, &a);
	memset(&cfg, 0, sizeof(cfg));
	memset(&m, 0, sizeof(m));
	m.magic = MGMT_MAGIC;
	m.lfd = -1;
	r = (struct reload){ .magic = RELOAD_MAGIC, .file = a.file,
	    .cfg = &cfg, .m = &m, .level_set = a.level != NULL };
	if ((rc = main_build(&a, &cfg, &m)) == 0)
		main_run(&m, &r);
	main_free(&m, &cfg);
	return rc < 0 ? 1 : 0;
}
