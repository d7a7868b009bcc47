/*
 * gatewayd: the gateway daemon.  Privileged set-up first (configuration,
 * keys, listening socket), then one libev loop until SIGTERM/SIGINT.
 *
 *   gatewayd [-c FILE]            run (default: the embedded configuration)
 *   gatewayd --check-config FILE  validate FILE and the files it names
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "args.h"
#include "chan.h"
#include "config.h"
#include "conn.h"
#include "downlink.h"
#include "enroll.h"
#include "enroll_conn.h"
#include "gw.h"
#include "handover.h"
#include "identity.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "sdnotify.h"
#include "servers.h"
#include "srvaccept.h"
#include "status.h"
#include "tls_conf.h"
#include "tls_rng.h"
#include "tls_ticket.h"
#include "upstream.h"
#include "workers.h"

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
	/* mode = accept: the same keys and CA, the servers dial in. */
	struct tls_conf_params sp = up;
	/* [downstream]: inner gateways are a server's clients. */
	struct tls_conf_params dp = {
		.cert = cfg->cert, .key = cfg->key, .ca = cfg->down_ca,
		.crl = cfg->crl, .server = 1, .tls12 = cfg->tls12,
	};

	sp.server = 1;
	if ((gw->agent_tls = tls_conf_new(&ap, err, errlen)) == NULL ||
	    (gw->up_tls = tls_conf_new(&up, err, errlen)) == NULL ||
	    (cfg->up_accept &&
	    (gw->srv_tls = tls_conf_new(&sp, err, errlen)) == NULL) ||
	    (cfg->enroll_listen != NULL &&
	    (gw->enroll_tls = tls_conf_new(&ep, err, errlen)) == NULL) ||
	    (cfg->down_listen != NULL &&
	    (gw->down_tls = tls_conf_new(&dp, err, errlen)) == NULL)) {
		tls_conf_free(gw->agent_tls);
		tls_conf_free(gw->up_tls);
		tls_conf_free(gw->srv_tls);
		tls_conf_free(gw->enroll_tls);
		gw->agent_tls = gw->up_tls = gw->srv_tls = NULL;
		gw->enroll_tls = NULL;
		return -1;
	}
	return 0;
}

/* Free the TLS configurations of ${g} (live sessions keep their refs). */
static void
tls_free_set(struct gw *g)
{
	tls_conf_free(g->agent_tls);
	tls_conf_free(g->up_tls);
	tls_conf_free(g->srv_tls);
	tls_conf_free(g->enroll_tls);
	tls_conf_free(g->down_tls);
	g->agent_tls = g->up_tls = g->srv_tls = NULL;
	g->enroll_tls = g->down_tls = NULL;
}

/*
 * ${*cur} becomes ${new} if both exist; else ${new} is dropped: the
 * enrollment and downstream listeners exist only if they did at start.
 */
static void
tls_take_opt(struct tls_conf **cur, struct tls_conf *new)
{
	if (new != NULL && *cur != NULL) {
		tls_conf_free(*cur);
		*cur = new;
	} else
		tls_conf_free(new);
}

/* A reload: ${gw} takes the TLS configurations of ${tmp} (load_tls). */
static void
tls_take(struct gw *gw, struct gw *tmp)
{
	tls_conf_free(gw->agent_tls);	/* live sessions keep their refs */
	tls_conf_free(gw->up_tls);
	tls_conf_free(gw->srv_tls);
	gw->agent_tls = tmp->agent_tls;
	gw->up_tls = tmp->up_tls;
	gw->srv_tls = tmp->srv_tls;
	tls_take_opt(&gw->enroll_tls, tmp->enroll_tls);
	tls_take_opt(&gw->down_tls, tmp->down_tls);
}

/*
 * Our name in OPEN's via (GW_CAP_CHAIN) is the CN of the certificate our
 * upstream links present (cfg->via_name, config.c); say once if it is no
 * valid via name: agents' paths are then not sent.
 */
static void
via_name_check(const struct gw_config *cfg)
{
	if (cfg->via_name[0] == '\0')
		log_warnx("event=no_via_name detail=\"the upstream certificate's "
		    "CN is no gateway name of OPEN's via: agents' paths are "
		    "not sent\"");
}

/* The agents' listener took a socket. */
static void
on_agent_accept(void *arg, int fd)
{
	agent_accept(gw_of(arg), fd);
}

/* The enrollment listener took a socket. */
static void
on_enroll_accept(void *arg, int fd)
{
	enroll_conn_accept(gw_of(arg), fd);
}

/* The downstream listener took a socket (an inner gateway). */
static void
on_down_accept(void *arg, int fd)
{
	downlink_accept(gw_of(arg), fd);
}

/* What the metrics show now (metrics_view_fn). */
static void
gw_metrics_view(void *arg, struct metrics_view *v)
{
	const struct gw *gw = gw_of(arg);
	const struct agent_counts *n = agent_counts(gw);

	v->stats = &gw->stats;
	v->agents = n->agents;
	v->handshakes = n->handshakes;
	v->max_agents = gw->cfg->max_agents;
	v->silent_agents = listener_silent(gw->listener);
	v->silent_enroll = listener_silent(gw->enroll_listener);
	v->starved = agent_starved_count(gw);
	v->replay_bytes = chan_replay_bytes(gw);
	v->reserved_bytes = n->reserved_bytes;
	v->budget = gw->cfg->buffer_budget;
	v->limit_hits = gw->limits.total;
	/* mode = accept: a pool; each server may hold `connections`. */
	v->links = gw->cfg->up_accept ? gw->cfg->nservers *
	    gw->cfg->connections : gw->nup;
	v->links_ready = upstream_ready(gw);
	v->serving = servers_serving(gw);
	v->srv = servers_peers(gw, &v->nsrv);
	v->servers = gw->cfg->servers;
	v->active = servers_active(gw);
	v->enroll_conns = *enroll_conn_counter(gw);
	v->agent_tls = gw->agent_tls;
	v->up_tls = gw->up_tls;
	v->worker = gw->worker;
	v->nworkers = gw->nworkers;
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
	const struct agent_counts *n = agent_counts(gw);

	/* One bound: direct agents and relayed sessions (agent.h). */
	return (struct listener_limits){ "agents", &n->sessions,
	    cfg->max_agents, cfg->handshake_rate,
	    cfg->handshake_rate_per_source, &n->handshakes,
	    cfg->max_handshakes, cfg->first_byte_timeout, cfg->max_silent,
	    cfg->silent_per_source, cfg->ipv6_prefix };
}

/* What the enrollment listener accepts under ${cfg}. */
static struct listener_limits
enroll_limits(struct gw *gw, const struct gw_config *cfg)
{
	return (struct listener_limits){ "enroll", enroll_conn_counter(gw),
	    cfg->enroll_max_clients, cfg->enroll_rate,
	    cfg->enroll_rate_per_source, NULL, 0, cfg->first_byte_timeout,
	    cfg->max_silent, cfg->silent_per_source, cfg->ipv6_prefix };
}

/* What the downstream listener accepts under ${cfg}. */
static struct listener_limits
down_limits(struct gw *gw, const struct gw_config *cfg)
{
	return (struct listener_limits){ "downstream", downlink_counter(gw),
	    cfg->down_max_links, 100, 0, NULL, 0, cfg->first_byte_timeout,
	    cfg->max_silent, cfg->silent_per_source, cfg->ipv6_prefix };
}

/* systemd's view (Type=notify): `systemctl status` shows this line. */
static void
notify_status(struct gw *gw, const char *state)
{
	int active = servers_active(gw);

	(void)sd_notifyf("%sSTATUS=%u agents; %u of %u links ready; server %s",
	    state, agent_counts(gw)->agents, upstream_ready(gw), gw->nup,
	    active >= 0 ? gw->cfg->servers[active] : "none");
}

/*
 * The file of ${r} read into ${nc}, its TLS configurations into ${tmp}:
 * the number of errors, the first in ${err}.
 */
static int
reload_read(struct reload *r, struct gw_config *nc, struct gw *tmp,
    char *err, size_t errlen)
{
	int n;

	if (r->file != NULL)
		n = gw_config_load_file(r->file, nc, err, errlen);
	else
		n = gw_config_load_string(gw_config_default_text,
		    "<embedded gateway.ini>", ".", nc, err, errlen);
	memset(tmp, 0, sizeof(*tmp));
	tmp->tickets = r->gw->tickets;	/* resumption: as started */
	if (n == 0 && load_tls(tmp, nc, err, errlen) != 0)
		n = 1;
	return n;
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
	struct gw *gw = gw_of(r->gw);
	struct gw_config nc, old;
	struct listener_limits lim;
	struct gw tmp;
	char err[8192] = "", *nl, changed[512];
	int n;

	(void)loop;
	(void)revents;
	(void)sd_notify_reloading();
	n = reload_read(r, &nc, &tmp, err, sizeof(err));
	if (n == 0 && nc.up_accept != r->cfg->up_accept) {
		snprintf(err, sizeof(err), "[upstream] mode: cannot change "
		    "from %s to %s on reload: restart gatewayd",
		    r->cfg->up_accept ? "accept" : "dial",
		    nc.up_accept ? "accept" : "dial");
		n = 1;
	}
	if (n != 0) {
		tls_free_set(&tmp);
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
	tls_take(gw, &tmp);
	old = *r->cfg;
	*r->cfg = nc;
	via_name_check(r->cfg);
	servers_reload(gw, &old);
	gw_config_free(&old);
	lim = agent_limits(gw, r->cfg);
	listener_set_limits(gw->listener, &lim);
	lim = enroll_limits(gw, r->cfg);
	listener_set_limits(gw->enroll_listener, &lim);
	srvaccept_reload(gw->srvaccept);
	lim = down_limits(gw, r->cfg);
	listener_set_limits(gw->down_listener, &lim);
	if (!r->level_set)
		log_init("gatewayd", r->cfg->log_level);
	log_to_syslog(r->cfg->log_syslog);
	log_info("event=reloaded closed=%u servers=%u",
	    agent_revalidate_all(gw), r->cfg->nservers);
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
	notify_status(gw_of(w->data), "");
	if (mi.fordblks <= GW_TRIM_FREE)
		return;
	malloc_trim(0);
	log_debug("event=memory_trimmed free_kib=%zu", mi.fordblks / 1024);
}

static void
on_drain_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct gw *gw = gw_of(w->data);

	(void)revents;
	log_warnx("event=drain_timeout agents_left=%u",
	    agent_counts(gw)->agents);
	ev_break(loop, EVBREAK_ALL);
}

/*
 * SIGTERM/SIGINT: drain (stop accepting, GOAWAY to agents, wait for their
 * ACKs up to drain_timeout), then stop.  A second signal stops at once.
 */
static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct gw *gw = gw_of(w->data);

	(void)revents;
	if (gw->draining || gw->cfg->drain_timeout <= 0) {
		log_info("event=stopping signal=%d agents=%u", w->signum,
		    agent_counts(gw)->agents);
		(void)sd_notifyf("STOPPING=1");
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	log_info("event=draining signal=%d agents=%u deadline_s=%.1f",
	    w->signum, agent_counts(gw)->agents, gw->cfg->drain_timeout);
	(void)sd_notifyf("STOPPING=1\nSTATUS=draining %u agents",
	    agent_counts(gw)->agents);
	gw->draining = 1;
	listener_stop(gw->listener);
	if (gw->enroll_listener != NULL)
		listener_stop(gw->enroll_listener);
	listener_stop(gw->down_listener);
	downlink_drain_all(gw);
	ev_timer_init(&gw->drain_timer, on_drain_timeout,
	    gw->cfg->drain_timeout, 0.);
	gw->drain_timer.data = gw;
	ev_timer_start(loop, &gw->drain_timer);
	agent_drain_all(gw);
	if (gw_is_drained(gw))
		ev_break(loop, EVBREAK_ALL);
}

/* What main() builds and runs: the gateway and the process's watchers. */
struct daemon {
	struct gw_config	 cfg;
	struct gw		 gw;
	struct reload		 reload;
	ev_signal		 sigterm, sigint, sighup;
	ev_timer		 trim;
};

/*
 * Read the configuration of ${a}, start logging, load the ticket keys and
 * the TLS configurations (every certificate and key): all that
 * --check-config checks.  0, or -1 once the error is printed.
 */
static int
configure(struct daemon *d, const struct gw_args *a)
{
	struct gw_config *cfg = &d->cfg;
	struct gw *gw = &d->gw;
	enum log_level lvl;
	char err[512];

	if (load_config(a->file, cfg) != 0)
		return -1;
	lvl = cfg->log_level;
	d->reload.level_set = a->level != NULL;
	if (a->level != NULL && log_level_parse(a->level, &lvl) != 0) {
		fprintf(stderr, "gatewayd: bad --log-level %s\n", a->level);
		return -1;
	}
	log_init("gatewayd", lvl);
	if (!a->check)
		log_to_syslog(cfg->log_syslog);
	gw->cfg = cfg;
	/* Ticket keys: once per process (a reload keeps them); a check
	 * writes no file. */
	if (cfg->resumption && (tls_rng_setup(err, sizeof(err)) != 0 ||
	    (gw->tickets = tls_ticket_new(a->check ? NULL : cfg->ticket_keys,
	    (uint32_t)cfg->ticket_lifetime, err, sizeof(err))) == NULL)) {
		fprintf(stderr, "%s: %s\n", cfg->file ? cfg->file : "config",
		    err);
		return -1;
	}
	if (load_tls(gw, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", cfg->file ? cfg->file : "config",
		    err);
		return -1;
	}
	via_name_check(cfg);
	return 0;
}

/*
 * A listener on ${addr}, or (${wf}: a worker) on ${fd}, the socket the
 * parent made.  NULL: see ${err}.
 */
static struct listener *
build_listener(struct gw *gw, const char *addr, int fd,
    const struct worker_fds *wf, const struct listener_limits *lim,
    listener_accept_fn *fn, char *err, size_t errlen)
{
	if (wf == NULL)
		return listener_new(gw->loop, &gw->limits, addr, lim, fn, gw,
		    err, errlen);
	return listener_new_fd(gw->loop, &gw->limits, fd, lim, fn, gw, err,
	    errlen);
}

/*
 * The listeners: the agents', enrollment's and [downstream]'s, on their
 * addresses, or (${wf}: a worker) on the sockets the parent made: worker 0
 * alone has the last two.  0, or -1 with the reason in ${err}.
 */
static int
build_listeners(struct gw *gw, const struct gw_config *cfg,
    const struct worker_fds *wf, char *err, size_t errlen)
{
	struct listener_limits alim, elim, dlim;

	alim = agent_limits(gw, cfg);
	elim = enroll_limits(gw, cfg);
	dlim = down_limits(gw, cfg);
	if ((gw->listener = build_listener(gw, cfg->listen, wf ? wf->listen :
	    -1, wf, &alim, on_agent_accept, err, errlen)) == NULL)
		return -1;
	if (cfg->enroll_listen != NULL && (wf == NULL || wf->enroll >= 0) &&
	    (gw->enroll_listener = build_listener(gw, cfg->enroll_listen,
	    wf ? wf->enroll : -1, wf, &elim, on_enroll_accept, err,
	    errlen)) == NULL)
		return -1;
	if (cfg->down_listen != NULL && (wf == NULL || wf->down >= 0) &&
	    (gw->down_listener = build_listener(gw, cfg->down_listen,
	    wf ? wf->down : -1, wf, &dlim, on_down_accept, err,
	    errlen)) == NULL)
		return -1;
	return 0;
}

/*
 * Privileged set-up: the listeners, enrollment (and its signer), the
 * metrics, then drop privileges; then the links and the failover
 * controller.  ${wf}: a worker's sockets (workers.h), or NULL: one
 * process binds its own.  0, or -1 (logged).
 */
static int
build(struct gw *gw, const struct gw_config *cfg,
    const struct worker_fds *wf)
{
	char err[512] = "";

	signal(SIGPIPE, SIG_IGN);
	gw->loop = EV_DEFAULT;
	limits_init(&gw->limits, gw->loop);
	if ((gw->chans = chan_all_new()) == NULL ||
	    (gw->agents = agent_all_new()) == NULL ||
	    (gw->downlinks = downlink_all_new()) == NULL ||
	    (gw->enroll_conns = enroll_conn_all_new()) == NULL) {
		log_errx("event=start_failed detail=\"out of memory\"");
		return -1;
	}
	if (build_listeners(gw, cfg, wf, err, sizeof(err)) != 0 ||
	    (gw->enroll = enroll_new(gw, err, sizeof(err))) == NULL ||
	    (cfg->metrics_listen != NULL && (gw->metrics = metrics_new(
	    gw->loop, &gw->limits, cfg->metrics_listen, wf ? wf->metrics : -1,
	    gw_metrics_view, gw, err, sizeof(err))) == NULL) ||
	    (cfg->up_accept && (gw->srvaccept = srvaccept_new(gw, err,
	    sizeof(err))) == NULL) ||
	    gw_drop_privileges(cfg->user, err, sizeof(err)) != 0) {
		log_errx("event=start_failed detail=\"%s\"", err);
		return -1;
	}
	/* mode = accept: a pool, `connections` for each possible server. */
	gw->nup = cfg->up_accept ? GW_MAX_SERVERS * cfg->connections :
	    cfg->connections;
	if ((gw->up = calloc(gw->nup, sizeof(*gw->up))) == NULL)
		return -1;
	for (unsigned i = 0; i < gw->nup; i++)
		if ((gw->up[i] = upstream_new(gw, i, 0)) == NULL)
			return -1;
	gw->pick_link = servers_pick;
	return (gw->servers = servers_new(gw)) != NULL ? 0 : -1;
}

/* Start everything ${d} built and run the loop until it stops. */
static void
run(struct daemon *d)
{
	const struct gw_config *cfg = &d->cfg;
	struct gw *gw = &d->gw;

	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	servers_start(gw);
	srvaccept_start(gw->srvaccept);
	listener_start(gw->listener);
	if (gw->enroll_listener != NULL)
		listener_start(gw->enroll_listener);
	if (gw->down_listener != NULL)
		listener_start(gw->down_listener);
	ev_signal_init(&d->sigterm, on_signal, SIGTERM);
	ev_signal_init(&d->sigint, on_signal, SIGINT);
	d->sigterm.data = d->sigint.data = gw;
	ev_signal_start(gw->loop, &d->sigterm);
	ev_signal_start(gw->loop, &d->sigint);
	ev_signal_init(&d->sighup, on_hup, SIGHUP);
	d->sighup.data = &d->reload;
	ev_signal_start(gw->loop, &d->sighup);
	workers_sigmask(SIG_UNBLOCK);	/* a worker: blocked since its fork */
	ev_timer_init(&d->trim, on_trim, GW_TRIM_EVERY, GW_TRIM_EVERY);
	d->trim.data = gw;
	ev_timer_start(gw->loop, &d->trim);
	log_info("event=started name=%s listen=%s upstream_mode=%s "
	    "upstream_listen=%s servers=\"%s\" links=%u max_agents=%u "
	    "enroll=%s enroll_mode=%s metrics=%s downstream=%s worker=%u "
	    "workers=%u", cfg->name,
	    cfg->listen, cfg->up_accept ? "accept" : "dial",
	    cfg->up_accept ? cfg->up_listen : "off", cfg->server,
	    cfg->up_accept ? cfg->connections : gw->nup, cfg->max_agents,
	    cfg->enroll_listen ? cfg->enroll_listen : "off",
	    cfg->enroll_local ? "local" : "forward",
	    cfg->metrics_listen ? cfg->metrics_listen : "off",
	    cfg->down_listen ? cfg->down_listen : "off", gw->worker,
	    gw->nworkers);
	notify_status(gw, "READY=1\n");
	ev_run(gw->loop, 0);
	if (gw->draining)
		log_info("event=drained agents_left=%u",
		    agent_counts(gw)->agents);
	ev_timer_stop(gw->loop, &gw->drain_timer);
	ev_timer_stop(gw->loop, &d->trim);
}

/* Close and free what was built of ${gw}, whatever the point reached. */
static void
teardown(struct gw *gw, struct gw_config *cfg)
{
	gw->stopping = 1;
	metrics_free(gw->metrics);
	listener_stop(gw->listener);	/* no session may start now */
	listener_stop(gw->enroll_listener);
	listener_stop(gw->down_listener);
	/* Each session closed gives its handshake slot back to its listener:
	 * the listeners are freed after the sessions. */
	enroll_conn_stop_all(gw);
	downlink_stop_all(gw, GW_R_SHUTDOWN, "gateway stopping");
	agent_stop_all(gw, GW_R_SHUTDOWN, "gateway stopping");
	listener_free(gw->listener);
	gw->listener = NULL;
	listener_free(gw->enroll_listener);
	gw->enroll_listener = NULL;
	listener_free(gw->down_listener);
	gw->down_listener = NULL;
	enroll_free(gw->enroll);
	gw->enroll = NULL;
	srvaccept_free(gw->srvaccept);	/* handshakes in progress close */
	gw->srvaccept = NULL;
	servers_free(gw->servers);
	gw->servers = NULL;
	if (gw->up != NULL)
		for (unsigned i = 0; i < gw->nup; i++)
			upstream_free(gw->up[i]);
	free(gw->up);
	conn_reap();	/* what was closed above is freed now */
	enroll_conn_all_free(gw->enroll_conns);
	gw->enroll_conns = NULL;
	downlink_all_free(gw->downlinks);
	gw->downlinks = NULL;
	agent_all_free(gw->agents);
	gw->agents = NULL;
	chan_all_free(gw->chans);
	gw->chans = NULL;
	if (gw->loop != NULL) {
		limits_stop(&gw->limits);
		log_info("event=stopped accepted=%llu refused=%llu "
		    "frames_up=%llu frames_down=%llu",
		    (unsigned long long)gw->stats.accepted,
		    (unsigned long long)gw->stats.refused,
		    (unsigned long long)gw->stats.frames_up,
		    (unsigned long long)gw->stats.frames_down);
	}
	tls_free_set(gw);
	tls_ticket_free(gw->tickets);
	gw_config_free(cfg);
}

/*
 * workers_check_fn: the file of ${arg} (a reload) and what it names; good,
 * the parent adopts it (and its TLS configurations), keeping the keys that
 * need a restart: a worker forked later runs it, even if the file has gone
 * bad since.
 */
static int
check_reload(void *arg, char *err, size_t errlen)
{
	struct reload *r = arg;
	struct gw_config nc, old;
	struct gw tmp;
	char changed[512];
	int n = reload_read(r, &nc, &tmp, err, errlen);

	if (n != 0) {
		tls_free_set(&tmp);
		gw_config_free(&nc);
		return n;
	}
	(void)gw_config_keep(r->cfg, &nc, changed, sizeof(changed));
	tls_take(r->gw, &tmp);
	old = *r->cfg;
	*r->cfg = nc;
	gw_config_free(&old);
	if (!r->level_set)
		log_init("gatewayd", r->cfg->log_level);
	log_to_syslog(r->cfg->log_syslog);
	return 0;
}

/*
 * [gateway] workers > 1: the parent supervises (workers.h) and returns its
 * exit status; a worker builds and runs as one gateway on the sockets the
 * parent made, its owner pipe handed to handover.h.
 */
static int
run_workers(struct daemon *d)
{
	struct workers_params p = { &d->cfg, d->gw.tickets, check_reload,
	    &d->reload };
	struct worker_fds wf;
	int r, status;

	if ((r = workers_run(&p, &wf, &status)) != WORKERS_CHILD)
		return r == WORKERS_DONE ? status : 1;
	d->gw.worker = wf.index;
	d->gw.nworkers = wf.n;
	if (build(&d->gw, &d->cfg, &wf) != 0)
		return 1;
	if (handover_start(&d->gw, wf.own) != 0) {
		log_errx("event=start_failed worker=%u detail=\"owner pipe\"",
		    wf.index);
		return 1;
	}
	run(d);
	handover_stop(&d->gw);
	return 0;
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct gw_args a;
	int rc = 1;

	if (argc > 1 && strcmp(argv[1], "status") == 0)
		return status_main(argc - 1, argv + 1);
	gw_args_parse(argc, argv, &a);
	memset(&d, 0, sizeof(d));
	d.gw.magic = GW_MAGIC;
	d.gw.nworkers = 1;
	d.reload.gw = &d.gw;
	d.reload.cfg = &d.cfg;
	d.reload.file = a.file;
	if (configure(&d, &a) == 0) {
		if (a.check) {
			printf("%s: OK\n", a.file);
			rc = 0;
		} else if (d.cfg.workers > 1)
			rc = run_workers(&d);
		else if (build(&d.gw, &d.cfg, NULL) == 0) {
			run(&d);
			rc = 0;
		}
	}
	teardown(&d.gw, &d.cfg);
	return rc;
}
