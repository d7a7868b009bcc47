/*
 * gatewayd: the gateway daemon.  Privileged set-up first (configuration,
 * keys, listening socket), then one libev loop until SIGTERM/SIGINT.
 *
 *   gatewayd [-c FILE]            run (default: the embedded configuration)
 *   gatewayd --check-config FILE  validate FILE and the files it names
 */
#include <errno.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "conn.h"
#include "enroll.h"
#include "enroll_conn.h"
#include "gw.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "sdnotify.h"
#include "status.h"
#include "tls_conf.h"
#include "tls_ticket.h"
#include "upstream.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: gatewayd [-c FILE] [--log-level LEVEL]\n"
	    "       gatewayd --check-config FILE\n"
	    "       gatewayd status [-c FILE] [--metrics ADDR]\n"
	    "Without -c, gatewayd runs on its embedded default configuration\n"
	    "(conf/gateway.ini) with paths relative to the working directory.\n");
	exit(2);
}

static int
load_config(const char *file, struct gw_config *cfg)
{
	char err[8192] = "";
	int n;

	if (file != NULL)
		n = gw_config_load_file(file, cfg, err, sizeof(err));
	else
		n = gw_config_load_string(gw_config_default_text,
		    "<embedded gateway.ini>", ".", cfg, err, sizeof(err));
	if (n != 0) {
		fputs(err, stderr);
		fprintf(stderr, "%s: %d error%s\n", file ? file : "config", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	return 0;
}

/*
 * Build the TLS configurations: this loads every certificate and key.
 * The enrollment listener authenticates only itself: it sends its chain
 * with the CA that new agents pin.
 */
static int
load_tls(struct gw *gw, const struct gw_config *cfg, char *err, size_t errlen)
{
	struct tls_conf_params ep = {
		.cert = cfg->cert, .key = cfg->key,
		.chain = cfg->enroll_chain ? cfg->enroll_chain : cfg->agent_ca,
		.server = 1, .tls12 = cfg->tls12, .anon_peer = 1,
	};
	struct tls_conf_params ap = {
		.cert = cfg->cert, .key = cfg->key, .ca = cfg->agent_ca,
		.crl = cfg->crl, .server = 1, .tls12 = cfg->tls12,
		.tickets = gw->tickets,
	};
	struct tls_conf_params up = {
		.cert = cfg->up_cert ? cfg->up_cert : cfg->cert,
		.key = cfg->up_key ? cfg->up_key : cfg->key,
		.ca = cfg->ca, .server = 0, .tls12 = 1,
	};

	if ((gw->agent_tls = tls_conf_new(&ap, err, errlen)) == NULL ||
	    (gw->up_tls = tls_conf_new(&up, err, errlen)) == NULL ||
	    (cfg->enroll_listen != NULL &&
	    (gw->enroll_tls = tls_conf_new(&ep, err, errlen)) == NULL)) {
		tls_conf_free(gw->agent_tls);
		tls_conf_free(gw->up_tls);
		gw->agent_tls = gw->up_tls = NULL;
		return -1;
	}
	return 0;
}

struct reload {
	struct gw		*gw;
	struct gw_config	*cfg;
	const char		*file;		/* NULL: the embedded default */
	int			 level_set;	/* --log-level: it stays */
};

/* What the agents' listener accepts under ${cfg}. */
static struct listener_limits
agent_limits(struct gw *gw, const struct gw_config *cfg)
{
	return (struct listener_limits){ "agents", &gw->nagents,
	    cfg->max_agents, cfg->handshake_rate,
	    cfg->handshake_rate_per_source, &gw->nhandshakes,
	    cfg->max_handshakes, cfg->first_byte_timeout, cfg->max_silent,
	    cfg->silent_per_source, cfg->ipv6_prefix };
}

/* What the enrollment listener accepts under ${cfg}. */
static struct listener_limits
enroll_limits(struct gw *gw, const struct gw_config *cfg)
{
	return (struct listener_limits){ "enroll", &gw->nenroll,
	    cfg->enroll_max_clients, cfg->enroll_rate,
	    cfg->enroll_rate_per_source, NULL, 0, cfg->first_byte_timeout,
	    cfg->max_silent, cfg->silent_per_source, cfg->ipv6_prefix };
}

/* systemd's view (Type=notify): `systemctl status` shows this line. */
static void
notify_status(struct gw *gw, const char *state)
{
	(void)sd_notifyf("%sSTATUS=%u agents; %u of %u links ready; server %s",
	    state, gw->nagents, upstream_ready(gw), gw->nup, gw->active >= 0 ?
	    gw->cfg->servers[gw->active] : "none");
}

/*
 * SIGHUP: read the configuration again and apply everything a running
 * gateway can change without dropping sessions: certificates, key, CAs,
 * CRL (new handshakes use them at once), the agent name policy, limits and
 * timeouts, the log level, and the management servers (servers_reload:
 * new ones join, removed ones are drained).  Live sessions of agents now
 * revoked or no longer allowed are closed with the reason.  The keys that
 * need a restart keep their running values, and are named.  A bad file
 * changes nothing and says why.
 */
static void
on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct reload *r = w->data;
	struct gw *gw = r->gw;
	struct gw_config nc, old;
	struct listener_limits lim;
	struct gw tmp;
	char err[8192] = "", *nl, changed[512];
	int n;

	(void)loop;
	(void)revents;
	(void)sd_notify_reloading();
	if (r->file != NULL)
		n = gw_config_load_file(r->file, &nc, err, sizeof(err));
	else
		n = gw_config_load_string(gw_config_default_text,
		    "<embedded gateway.ini>", ".", &nc, err, sizeof(err));
	memset(&tmp, 0, sizeof(tmp));
	tmp.tickets = gw->tickets;	/* resumption: as started */
	if (n == 0 && load_tls(&tmp, &nc, err, sizeof(err)) != 0)
		n = 1;
	if (n != 0) {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		log_errx("event=reload_failed errors=%d detail=\"%s\" "
		    "(the running configuration stays%s)", n, err, n > 1 ?
		    "; gatewayd --check-config lists every error" : "");
		gw_config_free(&nc);
		notify_status(gw, "READY=1\n");
		return;
	}
	if (gw_config_keep(r->cfg, &nc, changed, sizeof(changed)) > 0)
		log_warnx("event=reload_partial restart_needed=\"%s\" "
		    "(running values kept until a restart)", changed);
	tls_conf_free(gw->agent_tls);	/* live sessions keep their refs */
	tls_conf_free(gw->up_tls);
	gw->agent_tls = tmp.agent_tls;
	gw->up_tls = tmp.up_tls;
	if (tmp.enroll_tls != NULL && gw->enroll_tls != NULL) {
		tls_conf_free(gw->enroll_tls);
		gw->enroll_tls = tmp.enroll_tls;
	} else
		tls_conf_free(tmp.enroll_tls);
	old = *r->cfg;
	*r->cfg = nc;
	servers_reload(gw, &old);
	gw_config_free(&old);
	lim = agent_limits(gw, r->cfg);
	listener_set_limits(gw->listener, &lim);
	lim = enroll_limits(gw, r->cfg);
	listener_set_limits(gw->enroll_listener, &lim);
	if (!r->level_set)
		log_init("gatewayd", r->cfg->log_level);
	log_to_syslog(r->cfg->log_syslog);
	log_info("event=reloaded closed=%u servers=%u",
	    agent_revalidate_all(gw), gw->nsrv);
	notify_status(gw, "READY=1\n");
}

#define GW_TRIM_EVERY	10.0		/* seconds between checks */
#define GW_TRIM_FREE	(8u << 20)	/* free heap the allocator may keep */

/*
 * Every GW_TRIM_EVERY: after a flood (thousands of connections gone at
 * once), glibc keeps the freed heap: give it back to the system once it is
 * over GW_TRIM_FREE.  And tell systemd how things are.
 */
static void
on_trim(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mallinfo2 mi = mallinfo2();

	(void)loop;
	(void)revents;
	notify_status(w->data, "");
	if (mi.fordblks <= GW_TRIM_FREE)
		return;
	malloc_trim(0);
	log_debug("event=memory_trimmed free_kib=%zu", mi.fordblks / 1024);
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gw *gw = w->data;

	(void)revents;
	log_warnx("event=drain_timeout agents_left=%u", gw->nagents);
	ev_break(loop, EVBREAK_ALL);
}

/*
 * SIGTERM/SIGINT: drain (stop accepting, GOAWAY to agents, wait for their
 * ACKs up to drain_timeout), then stop.  A second signal stops at once.
 */
static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct gw *gw = w->data;

	(void)revents;
	if (gw->draining || gw->cfg->drain_timeout <= 0) {
		log_info("event=stopping signal=%d agents=%u", w->signum,
		    gw->nagents);
		(void)sd_notifyf("STOPPING=1");
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	log_info("event=draining signal=%d agents=%u deadline_s=%.1f",
	    w->signum, gw->nagents, gw->cfg->drain_timeout);
	(void)sd_notifyf("STOPPING=1\nSTATUS=draining %u agents",
	    gw->nagents);
	gw->draining = 1;
	listener_stop(gw->listener);
	if (gw->enroll_listener != NULL)
		listener_stop(gw->enroll_listener);
	ev_timer_init(&gw->drain_timer, on_drain_timeout,
	    gw->cfg->drain_timeout, 0.);
	gw->drain_timer.data = gw;
	ev_timer_start(loop, &gw->drain_timer);
	agent_drain_all(gw);
	if (gw_is_drained(gw))
		ev_break(loop, EVBREAK_ALL);
}

/*
 * [gateway] user: once the sockets are bound and the keys loaded, run as
 * that user (its groups too), and check there is no way back to root.
 */
static int
drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (user == NULL)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "[gateway] user: no user '%s'", user);
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "[gateway] user: cannot become '%s': %s",
		    user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "[gateway] user: could get root back");
		return -1;
	}
	log_info("event=privileges_dropped user=%s uid=%u gid=%u", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct gw_config cfg;
	struct gw gw;
	const char *file = NULL, *level = NULL;
	char err[512];
	ev_signal sigterm, sigint, sighup;
	ev_timer trim;
	struct reload reload;
	struct listener_limits alim, elim;
	enum log_level lvl;
	int check = 0, ch, rc = 1;

	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'C':
			file = optarg;
			check = 1;
			break;
		case 'l':
			level = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	memset(&cfg, 0, sizeof(cfg));
	memset(&gw, 0, sizeof(gw));
	reload.gw = &gw;
	reload.cfg = &cfg;
	reload.file = file;
	TAILQ_INIT(&gw.no_link);
	TAILQ_INIT(&gw.starved);
	if (load_config(file, &cfg) != 0)
		goto out;
	lvl = cfg.log_level;
	reload.level_set = level != NULL;
	if (level != NULL && log_level_parse(level, &lvl) != 0) {
		fprintf(stderr, "gatewayd: bad --log-level %s\n", level);
		goto out;
	}
	log_init("gatewayd", lvl);
	if (!check)
		log_to_syslog(cfg.log_syslog);
	gw.cfg = &cfg;
	/* Ticket keys: once per process (a reload keeps them); a check
	 * writes no file. */
	if (cfg.resumption && (tls_rng_setup(err, sizeof(err)) != 0 ||
	    (gw.tickets = tls_ticket_new(check ? NULL : cfg.ticket_keys,
	    (uint32_t)cfg.ticket_lifetime, err, sizeof(err))) == NULL)) {
		fprintf(stderr, "%s: %s\n", cfg.file ? cfg.file : "config", err);
		goto out;
	}
	if (load_tls(&gw, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg.file ? cfg.file : "config", err);
		goto out;
	}
	if (check) {
		printf("%s: OK\n", file);
		rc = 0;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	gw.loop = EV_DEFAULT;
	limits_init(&gw.limits, gw.loop);
	alim = agent_limits(&gw, &cfg);
	elim = enroll_limits(&gw, &cfg);
	if ((gw.listener = listener_new(&gw, cfg.listen, &alim, agent_accept,
	    err, sizeof(err))) == NULL ||
	    (cfg.enroll_listen != NULL && (gw.enroll_listener = listener_new(&gw,
	    cfg.enroll_listen, &elim, enroll_conn_accept, err,
	    sizeof(err))) == NULL) ||
	    enroll_init(&gw, err, sizeof(err)) != 0 ||
	    (cfg.metrics_listen != NULL && (gw.metrics = metrics_new(&gw,
	    cfg.metrics_listen, err, sizeof(err))) == NULL) ||
	    drop_privileges(cfg.user, err, sizeof(err)) != 0) {
		log_errx("event=start_failed detail=\"%s\"", err);
		goto out;
	}
	gw.nup = cfg.connections;
	if ((gw.up = calloc(gw.nup, sizeof(*gw.up))) == NULL)
		goto out;
	for (unsigned i = 0; i < gw.nup; i++)
		if ((gw.up[i] = upstream_new(&gw, i, 0)) == NULL)
			goto out;
	if (servers_init(&gw) != 0)
		goto out;
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	servers_start(&gw);
	listener_start(gw.listener);
	if (gw.enroll_listener != NULL)
		listener_start(gw.enroll_listener);
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	sigterm.data = sigint.data = &gw;
	ev_signal_start(gw.loop, &sigterm);
	ev_signal_start(gw.loop, &sigint);
	ev_signal_init(&sighup, on_hup, SIGHUP);
	sighup.data = &reload;
	ev_signal_start(gw.loop, &sighup);
	ev_timer_init(&trim, on_trim, GW_TRIM_EVERY, GW_TRIM_EVERY);
	trim.data = &gw;
	ev_timer_start(gw.loop, &trim);
	log_info("event=started name=%s listen=%s servers=\"%s\" links=%u "
	    "max_agents=%u enroll=%s enroll_mode=%s metrics=%s", cfg.name,
	    cfg.listen, cfg.server, gw.nup, cfg.max_agents,
	    cfg.enroll_listen ? cfg.enroll_listen : "off",
	    cfg.enroll_local ? "local" : "forward",
	    cfg.metrics_listen ? cfg.metrics_listen : "off");
	notify_status(&gw, "READY=1\n");
	ev_run(gw.loop, 0);
	if (gw.draining)
		log_info("event=drained agents_left=%u", gw.nagents);
	ev_timer_stop(gw.loop, &gw.drain_timer);
	ev_timer_stop(gw.loop, &trim);
	rc = 0;
out:
	gw.stopping = 1;
	metrics_free(gw.metrics);
	listener_free(gw.listener);
	listener_free(gw.enroll_listener);
	enroll_conn_stop_all(&gw);
	agent_stop_all(&gw, GW_R_SHUTDOWN, "gateway stopping");
	if (gw.loop != NULL)
		enroll_free(&gw);
	if (gw.loop != NULL)
		servers_stop(&gw);
	if (gw.up != NULL)
		for (unsigned i = 0; i < gw.nup; i++)
			upstream_free(gw.up[i]);
	free(gw.up);
	conn_reap();	/* what was closed above is freed now */
	if (gw.loop != NULL) {
		limits_stop(&gw.limits);
		log_info("event=stopped accepted=%llu refused=%llu "
		    "frames_up=%llu frames_down=%llu",
		    (unsigned long long)gw.agents_accepted,
		    (unsigned long long)gw.agents_refused,
		    (unsigned long long)gw.frames_up,
		    (unsigned long long)gw.frames_down);
	}
	tls_conf_free(gw.agent_tls);
	tls_conf_free(gw.up_tls);
	tls_conf_free(gw.enroll_tls);
	tls_ticket_free(gw.tickets);
	gw_config_free(&cfg);
	return rc;
}
