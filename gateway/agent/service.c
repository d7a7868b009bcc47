/*
 * service.c: gw-agent's service mode (see service.h): start, reload and
 * drain; the inputs are known only through their input_ops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ev.h>

#include "agent_config.h"
#include "agent_core.h"
#include "client_session.h"
#include "inputs.h"
#include "journal.h"
#include "log.h"
#include "renew.h"
#include "sdnotify.h"
#include "sendq.h"
#include "service.h"
#include "sink_ctl.h"
#include "tls_conf.h"

#define SERVICE_MAGIC	0x41675376u	/* "AgSv" */

struct service {
	unsigned		 magic;		/* SERVICE_MAGIC */
	struct agent_core	 core;
	struct agent_config	 cfg;
	struct agent_opts	 o;
	struct sink		*sink;
	void			*in[INPUT_KINDS_MAX];	/* running, or NULL */
	ev_signal		 sighup, sigterm, sigint;
	ev_timer		 drain;
	ev_timer		 failing;	/* the sink failed: stop next */
	char			 fail_msg[300];
	int			 stopping;
};

static const char *const service_level[] = { "debug", "info", "warn",
    "error" };

/* The service behind a callback's ${arg}; anything else aborts. */
static struct service *
service_arg(void *arg)
{
	struct service *s = arg;

	if (s == NULL || s->magic != SERVICE_MAGIC)
		abort();
	return s;
}

/* Print the errors of a configuration file. */
static void
service_print_errors(const char *err)
{
	fprintf(stderr, "%s", err);
	if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
		fputc('\n', stderr);
}

/**
 * service_check(path): --check-config: load ${path} and its TLS files,
 * print every error on stderr.  0 if good, else 2.
 */
int
service_check(const char *path)
{
	struct agent_config c;
	struct tls_conf *tls;
	char err[8192];
	int n;

	n = agent_config_load(&c, path, NULL, input_kinds, input_nkinds, err,
	    sizeof(err));
	if (n == 0) {
		tls = tls_conf_new(&(struct tls_conf_params){ .cert = c.cert,
		    .key = c.key, .ca = c.ca, .tls12 = 1 }, err, sizeof(err));
		if (tls == NULL) {
			fprintf(stderr, "%s: [agent] cert, key, ca: %s\n", path,
			    err);
			n = 1;
		}
		tls_conf_free(tls);
	} else
		service_print_errors(err);
	agent_config_free(&c);
	return n == 0 ? 0 : 2;
}

/* Stop every input: they take no more (what they pushed is delivered). */
static void
service_stop_inputs(struct service *s)
{
	for (size_t i = 0; i < s->cfg.nkinds; i++)
		if (s->in[i] != NULL)
			s->cfg.kinds[i]->stop(s->in[i]);
}

/* Acknowledgements: recorded, then the inputs waiting get room. */
static void
service_on_acked(uint64_t seq, void *arg)
{
	struct service *s = service_arg(arg);

	/* Not recorded: the events are resent, the store deduplicates. */
	if (journal_ack(s->core.journal, s->core.q, seq, 0) != 0)
		log_warnx("event=state_write_failed detail=\"%s\"",
		    journal_error(s->core.journal));
	sink_acked(s->sink);
}

static void
service_on_fatal(void *arg)
{
	service_stop_inputs(service_arg(arg));
}

static void
service_kick(void *arg)
{
	client_session_kick(service_arg(arg)->core.sess);
}

/*
 * The sink failed, inside an input's call (sink_push, sink_commit): the
 * inputs are stopped from the loop, once that call has returned, never
 * under it (a stop frees an input's connections; the input is told
 * SINK_ERR and returns first).  The sink refuses every push from now on.
 */
static void
service_sink_fail(const char *msg, void *arg)
{
	struct service *s = service_arg(arg);

	if (ev_is_active(&s->failing))
		return;
	snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
	ev_timer_set(&s->failing, 0., 0.);
	ev_timer_start(s->core.loop, &s->failing);
}

static void
service_failing_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = service_arg(w->data);

	(void)loop;
	(void)revents;
	service_stop_inputs(s);
	client_session_fail(s->core.sess, CLIENT_ST_FAIL, s->fail_msg);
}

/* Start kind ${i} with the running configuration; 0 or -1 (logged). */
static int
service_start_kind(struct service *s, size_t i, const void *conf)
{
	const struct input_ops *k = s->cfg.kinds[i];
	char err[512], e[LOG_ESC_MAX];

	err[0] = '\0';
	if ((s->in[i] = k->start(s->core.loop, s->sink, conf, err,
	    sizeof(err))) != NULL)
		return 0;
	log_errx("event=input_start_failed kind=%s detail=\"%s\"", k->section,
	    log_esc(e, sizeof(e), err, LOG_ESC_STR, 0));
	return -1;
}

/* The running inputs, reported. */
static size_t
service_ninputs(const struct service *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->cfg.nkinds; i++)
		n += s->in[i] != NULL;
	return n;
}

/*
 * Kind ${i} on reload to the new configuration ${nc}: started, freed,
 * reloaded; where the running input keeps its old configuration, the old
 * one is swapped into ${nc} (the new one is then freed with the old).
 */
static void
service_reload_kind(struct service *s, size_t i, struct agent_config *nc)
{
	const struct input_ops *k = s->cfg.kinds[i];
	char err[512], e[LOG_ESC_MAX];
	int any = k->conf_any(nc->kconf[i]);

	if (s->in[i] == NULL) {
		if (any && service_start_kind(s, i, nc->kconf[i]) == 0)
			log_info("event=input_started kind=%s", k->section);
		return;
	}
	if (!any) {
		k->stop(s->in[i]);
		k->free(s->in[i]);
		s->in[i] = NULL;
		log_info("event=input_freed kind=%s", k->section);
		return;
	}
	err[0] = '\0';
	if (k->reload == NULL)
		log_warnx("event=reload_restart_needed section=%s (the input "
		    "runs on as it was until a restart)", k->section);
	else if (k->reload(s->in[i], nc->kconf[i], err, sizeof(err)) != 0)
		log_errx("event=input_reload_failed kind=%s detail=\"%s\" (it "
		    "runs on as it was)", k->section,
		    log_esc(e, sizeof(e), err, LOG_ESC_STR, 0));
	else
		return;
	agent_config_swap_kind(&s->cfg, nc, i);
}

/* The errors of a refused reload, one log line each (at most 8). */
static void
service_reload_failed(int n, char *err)
{
	char *line, *save = NULL, e[LOG_ESC_MAX];
	int i = 0;

	log_errx("event=reload_failed errors=%d (the running configuration "
	    "stays)", n);
	for (line = strtok_r(err, "\n", &save); line != NULL && i < 8;
	    line = strtok_r(NULL, "\n", &save), i++)
		log_errx("event=reload_failed error=\"%s\"",
		    log_esc(e, sizeof(e), line, LOG_ESC_STR, 0));
}

/*
 * SIGHUP: read the file again.  A broken file changes nothing; a good one
 * applies the log level and the log, drain_timeout and each kind's
 * sections; the [agent] keys that need a restart keep their running values
 * and are named.
 */
static void
service_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct service *s = service_arg(w->data);
	struct agent_config nc, old;
	char err[8192], changed[512];
	int n;

	(void)loop;
	(void)revents;
	if (s->stopping) {
		log_warnx("event=reload_ignored reason=stopping");
		return;
	}
	(void)sd_notify_reloading();
	n = agent_config_load(&nc, s->cfg.file, NULL, input_kinds,
	    input_nkinds, err, sizeof(err));
	if (n != 0) {
		service_reload_failed(n, err);
		agent_config_free(&nc);
		(void)sd_notifyf("READY=1\nSTATUS=reload failed: %d errors", n);
		return;
	}
	log_init("gw-agent", nc.log_level);
	log_to_syslog(nc.log_syslog);
	if (agent_config_keep(&s->cfg, &nc, changed, sizeof(changed)) > 0)
		log_warnx("event=reload_restart_needed keys=\"%s\" (running "
		    "values kept until a restart)", changed);
	for (size_t i = 0; i < s->cfg.nkinds; i++)
		service_reload_kind(s, i, &nc);
	old = s->cfg;
	s->cfg = nc;
	agent_config_free(&old);
	log_info("event=reloaded file=%s inputs=%zu log_level=%s",
	    s->cfg.file, service_ninputs(s), service_level[s->cfg.log_level]);
	(void)sd_notifyf("READY=1\nSTATUS=%zu inputs running",
	    service_ninputs(s));
}

static void
service_drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct service *s = service_arg(w->data);

	(void)revents;
	log_warnx("event=drain_timeout left=%zu (kept in the journal for the "
	    "next start)", sendq_len(s->core.q));
	ev_break(loop, EVBREAK_ALL);
}

/* SIGTERM, SIGINT: no more input; wait for acknowledgements, bounded. */
static void
service_on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct service *s = service_arg(w->data);
	size_t left = sendq_len(s->core.q);

	(void)revents;
	if (s->stopping)
		return;
	s->stopping = 1;
	(void)sd_notifyf("STOPPING=1\nSTATUS=draining %zu events", left);
	log_info("event=stopping queued=%zu drain_timeout=%g", left,
	    s->cfg.drain_timeout);
	service_stop_inputs(s);
	if (left == 0 || s->cfg.drain_timeout <= 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	client_session_eof(s->core.sess);
	ev_timer_set(&s->drain, s->cfg.drain_timeout, 0.);
	ev_timer_start(loop, &s->drain);
}

/* The core and the sink, then every kind with something to run. */
static int
service_build(struct service *s)
{
	char err[256];
	int rc;

	agent_opts_config(&s->o, &s->cfg);
	if (s->o.renew > 0)
		renew_recover(s->o.key, s->o.cert);
	if ((rc = agent_core_build(&s->core, &s->o, err, sizeof(err))) != 0) {
		if (rc == AGENT_CORE_USAGE)
			fprintf(stderr, "gw-agent: %s: [agent] %s\n",
			    s->cfg.file, err);
		return -1;
	}
	if ((s->sink = sink_new(&(struct sink_params){ .q = s->core.q,
	    .journal = s->core.journal, .kick = service_kick,
	    .fail = service_sink_fail, .arg = s })) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < s->cfg.nkinds; i++)
		if (s->cfg.kinds[i]->conf_any(s->cfg.kconf[i]) &&
		    service_start_kind(s, i, s->cfg.kconf[i]) != 0)
			return -1;
	return 0;
}

/* The signals, the session; run until stopped: the exit status. */
static int
service_run(struct service *s)
{
	struct ev_loop *loop = s->core.loop;
	char e[LOG_ESC_MAX];

	ev_signal_init(&s->sighup, service_on_hup, SIGHUP);
	ev_signal_init(&s->sigterm, service_on_term, SIGTERM);
	ev_signal_init(&s->sigint, service_on_term, SIGINT);
	s->sighup.data = s->sigterm.data = s->sigint.data = s;
	ev_signal_start(loop, &s->sighup);
	ev_signal_start(loop, &s->sigterm);
	ev_signal_start(loop, &s->sigint);
	client_session_start(s->core.sess);
	log_info("event=started name=%s file=%s inputs=%zu kinds=%zu "
	    "queued=%zu", log_esc(e, sizeof(e), s->core.name, LOG_ESC_STR, 0),
	    s->cfg.file, service_ninputs(s), s->cfg.nkinds,
	    sendq_len(s->core.q));
	(void)sd_notifyf("READY=1\nSTATUS=%zu inputs running; %zu events "
	    "queued", service_ninputs(s), sendq_len(s->core.q));
	ev_run(loop, 0);
	ev_timer_stop(loop, &s->drain);
	ev_timer_stop(loop, &s->failing);
	ev_signal_stop(loop, &s->sighup);
	ev_signal_stop(loop, &s->sigterm);
	ev_signal_stop(loop, &s->sigint);
	if (!s->stopping)
		return agent_core_exit_status(&s->core);
	log_info("event=stopped left=%zu", sendq_len(s->core.q));
	return 0;
}

/* Free the inputs, the sink, the core, the configuration. */
static void
service_free(struct service *s)
{
	for (size_t i = 0; i < s->cfg.nkinds; i++)
		if (s->in[i] != NULL)
			s->cfg.kinds[i]->free(s->in[i]);
	sink_free(s->sink);
	agent_core_free(&s->core);
	agent_config_free(&s->cfg);
	free(s);
}

/**
 * service_main(path): run the service on the configuration file ${path}
 * until SIGTERM (0 once drained or at drain_timeout), or until the
 * session fails (1) or is refused (3); 2 for a bad file.
 */
int
service_main(const char *path)
{
	struct service *s;
	char err[8192];
	int rc = 1;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		fprintf(stderr, "gw-agent: %s\n", strerror(errno));
		return 1;
	}
	s->magic = SERVICE_MAGIC;
	agent_core_init(&s->core, service_on_acked, service_on_fatal, s);
	ev_init(&s->drain, service_drain_cb);
	s->drain.data = s;
	ev_init(&s->failing, service_failing_cb);
	s->failing.data = s;
	if (agent_config_load(&s->cfg, path, NULL, input_kinds, input_nkinds,
	    err, sizeof(err)) != 0) {
		service_print_errors(err);
		rc = 2;
	} else {
		log_init("gw-agent", s->cfg.log_level);
		log_to_syslog(s->cfg.log_syslog);
		if (service_build(s) == 0)
			rc = service_run(s);
	}
	service_free(s);
	return rc;
}
