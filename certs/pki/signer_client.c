/*
 * signer_client.c: the client of the signing authority in a process of
 * its own (see signer_client.h): the parent's side (open, submit, cancel,
 * close).  The signer's side is the program gw-signer (gw_signer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signer_client.h"
#include "log.h"

#define SC_MAGIC	0x5369436cu	/* "SiCl" */
#define SC_MAX_INFLIGHT	1024
#define SC_MSG_MAX	SIGNER_MSG_MAX
#define SC_VIA_MAX	SIGNER_VIA_MAX
#define SC_FD		SIGNER_FD
#define SC_NARGS	SIGNER_NARGS

/* A request sent to the signer; cb NULL once cancelled. */
struct sc_req {
	uint32_t		 ref;
	authority_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(sc_req)	 q;
};

struct signer_client {
	uint32_t		 magic;		/* SC_MAGIC */
	struct ev_loop		*loop;
	int			 fd;		/* -1: the signer is gone */
	pid_t			 pid;
	ev_io			 io;
	ev_child		 child;
	TAILQ_HEAD(, sc_req)	 reqs;
	unsigned		 n;
	uint32_t		 next_ref;
	uint8_t			*buf;		/* SC_MSG_MAX */
};

/* ${p}, the data of one of our watchers, or abort. */
static struct signer_client *
sc_of(void *p)
{
	struct signer_client *sc = p;

	if (sc == NULL || sc->magic != SC_MAGIC)
		abort();
	return sc;
}

/* Call ${cb} with a refusal made here. */
static void
sc_refuse(authority_cb cb, void *arg, unsigned reason, const char *msg)
{
	struct authority_result r;

	authority_result_make(&r, GW_ENROLL_REFUSED, reason, 0, NULL, NULL,
	    "%s", msg);
	cb(&r, arg);
}

static void
sc_req_free(struct signer_client *sc, struct sc_req *r)
{
	TAILQ_REMOVE(&sc->reqs, r, q);
	sc->n--;
	free(r);
}

/*
 * The signer is gone (or misbehaved): close its socket and refuse every
 * request in flight.  A callback may submit or cancel: take one at a time.
 */
static void
sc_lost(struct signer_client *sc, const char *why)
{
	struct sc_req *r;

	if (sc->fd >= 0) {
		log_errx("event=signer_lost pid=%d detail=\"%s; local "
		    "enrollment is refused until a restart\"", (int)sc->pid,
		    why);
		ev_io_stop(sc->loop, &sc->io);
		close(sc->fd);
		sc->fd = -1;
	}
	while ((r = TAILQ_FIRST(&sc->reqs)) != NULL) {
		authority_cb cb = r->cb;
		void *arg = r->arg;

		sc_req_free(sc, r);
		if (cb != NULL)
			sc_refuse(cb, arg, GW_R_INTERNAL,
			    "the signing process is gone, retry later");
	}
}

/* One ENROLL_RESULT from the signer, ${n} bytes of sc->buf. */
static void
sc_result(struct signer_client *sc, size_t n)
{
	struct authority_result res;
	struct gw_frame f;
	struct sc_req *r;
	size_t used;
	char *chain = NULL;

	if (gw_frame_decode(sc->buf, n, SC_MSG_MAX, &f, &used) != GW_OK ||
	    used != n || f.type != GW_T_ENROLL_RESULT) {
		sc_lost(sc, "the signer sent a malformed message");
		if (sc->pid > 0)
			kill(sc->pid, SIGKILL);
		return;
	}
	TAILQ_FOREACH(r, &sc->reqs, q)
		if (r->ref == f.u.enroll_result.ref)
			break;
	if (r == NULL) {
		log_warnx("event=signer_result_unknown ref=%u",
		    f.u.enroll_result.ref);
		return;
	}
	authority_cb cb = r->cb;
	void *arg = r->arg;

	sc_req_free(sc, r);
	if (cb == NULL)
		return;		/* cancelled */
	if (f.u.enroll_result.chain.len > 0) {
		if ((chain = malloc(f.u.enroll_result.chain.len + 1)) == NULL) {
			sc_refuse(cb, arg, GW_R_INTERNAL, "out of memory");
			return;
		}
		memcpy(chain, f.u.enroll_result.chain.p,
		    f.u.enroll_result.chain.len);
		chain[f.u.enroll_result.chain.len] = '\0';
	}
	authority_result_from_view(&res, &f.u.enroll_result, chain);
	cb(&res, arg);
	free(chain);
}

static void
sc_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct signer_client *sc = sc_of(w->data);
	ssize_t n;

	(void)loop;
	(void)revents;
	/* A few messages a wakeup: the signer cannot starve the loop. */
	for (int i = 0; i < 16 && sc->fd >= 0; i++) {
		n = recv(sc->fd, sc->buf, SC_MSG_MAX, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			sc_lost(sc, n == 0 ? "the signer closed its socket" :
			    strerror(errno));
			return;
		}
		sc_result(sc, (size_t)n);
	}
}

static void
sc_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct signer_client *sc = sc_of(w->data);

	(void)revents;
	ev_child_stop(loop, w);
	if (WIFSIGNALED(w->rstatus))
		log_errx("event=signer_exited pid=%d signal=%d", w->rpid,
		    WTERMSIG(w->rstatus));
	else
		log_errx("event=signer_exited pid=%d status=%d", w->rpid,
		    WEXITSTATUS(w->rstatus));
	sc->pid = -1;
	sc_lost(sc, "the signer exited");
}

/** signer_client_submit(sc, req, cb, arg): see signer_client.h. */
void
signer_client_submit(struct signer_client *sc,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	struct gw_frame f = { .type = GW_T_ENROLL };
	struct sc_req *r;
	size_t vialen = req->via != NULL ? strlen(req->via) : 0;
	int len;

	if (sc->fd < 0) {
		sc_refuse(cb, arg, GW_R_INTERNAL, "local signing is off: its "
		    "process died (see the log); restart the program");
		return;
	}
	if (sc->n >= SC_MAX_INFLIGHT) {
		sc_refuse(cb, arg, GW_R_OVERLOAD,
		    "too many signing requests in progress, retry later");
		return;
	}
	if (++sc->next_ref == 0)
		sc->next_ref = 1;
	f.u.enroll = (struct gw_enroll){
		.ref = sc->next_ref,
		.request_id = gw_str_text(req->request_id),
		.token = gw_str_text(req->token),
		.csr = gw_str_bytes(req->csr,
		    req->csr != NULL ? req->csr_len : 0),
		.source = gw_str_text(req->source),
		.client_cert = gw_str_bytes(req->client_cert,
		    req->client_cert != NULL ? req->client_cert_len : 0),
	};
	if ((req->csr != NULL && req->csr_len > 65535) ||
	    (req->client_cert != NULL && req->client_cert_len > 65535) ||
	    vialen > SC_VIA_MAX ||
	    (len = gw_frame_encode(sc->buf, SC_MSG_MAX - SC_VIA_MAX, &f)) < 0) {
		sc_refuse(cb, arg, GW_R_PROTOCOL, "malformed request");
		return;
	}
	memcpy(sc->buf + len, req->via, vialen);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		sc_refuse(cb, arg, GW_R_OVERLOAD, "out of memory");
		return;
	}
	if (send(sc->fd, sc->buf, (size_t)len + vialen,
	    MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		free(r);
		sc_refuse(cb, arg, errno == EAGAIN ? GW_R_OVERLOAD :
		    GW_R_INTERNAL, "the signing process is busy, retry later");
		return;
	}
	r->ref = f.u.enroll.ref;
	r->cb = cb;
	r->arg = arg;
	TAILQ_INSERT_TAIL(&sc->reqs, r, q);
	sc->n++;
}

/** signer_client_cancel(sc, arg): the requester ${arg} is gone. */
void
signer_client_cancel(struct signer_client *sc, void *arg)
{
	struct sc_req *r;

	/* Kept until its answer comes: it still counts as in flight. */
	TAILQ_FOREACH(r, &sc->reqs, q)
		if (r->arg == arg && r->cb != NULL)
			r->cb = NULL;
}

/* The signer's side of fork: its socket as SC_FD, no other descriptor. */
static void
sc_child_exec(int fd, const char *path, char **argv)
{
	sigset_t none;
	long max;

	/* exec keeps the mask; the parent's loop may have blocked some. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (fd != SC_FD && dup2(fd, SC_FD) < 0)
		_exit(127);
	if (fcntl(SC_FD, F_SETFD, 0) != 0)
		_exit(127);
#ifdef SYS_close_range
	if (syscall(SYS_close_range, SC_FD + 1, ~0U, 0) != 0)
#endif
	{
		max = sysconf(_SC_OPEN_MAX);
		for (long i = SC_FD + 1; i < (max > 0 && max < 65536 ?
		    max : 65536); i++)
			close((int)i);
	}
	execv(path, argv);
	_exit(127);
}

/*
 * The signer program into ${path}: gw-signer beside the running program
 * (a build tree), else GW_SIGNER_RELPATH from the running program's
 * directory (an install: ../libexec/gatewayd/gw-signer from bin/).
 */
static int
sc_signer_path(char *path, size_t len, char *err, size_t errlen)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		snprintf(err, errlen, "signer: /proc/self/exe: %s",
		    strerror(errno));
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if ((size_t)snprintf(path, len, "%s/gw-signer", self) < len &&
	    access(path, X_OK) == 0)
		return 0;
	if ((size_t)snprintf(path, len, "%s/%s", self,
	    GW_SIGNER_RELPATH) < len && access(path, X_OK) == 0)
		return 0;
	snprintf(err, errlen, "signer: no gw-signer beside %s nor at %s/%s",
	    self, self, GW_SIGNER_RELPATH);
	return -1;
}

/* The signer's arguments: its name, SIGNER_ARG, then ${p}'s. */
struct sc_args {
	char	 name[64];
	char	 nums[SC_NARGS - 6][16];
	char	*argv[SC_NARGS + 1];
};

/* ${v} as the signer's argument vector, for ${user}. */
static void
sc_args(struct sc_args *v, const struct authority_params *p,
    const char *user)
{
	/* The numbers of ${p}, in the order the signer reads them. */
	const unsigned num[SC_NARGS - 6] = {
		p->cert_days, p->pending_ttl, p->max_pending, p->retry_after,
		p->hook_timeout, p->max_pending_per_source, p->new_per_source,
		p->renew_after, p->hook_max, p->hook_queue
	};

	snprintf(v->name, sizeof(v->name), "%s-signer",
	    program_invocation_short_name);
	v->argv[0] = v->name;
	v->argv[1] = (char *)SIGNER_ARG;
	v->argv[2] = (char *)(user != NULL ? user : "");
	v->argv[3] = (char *)p->dir;
	v->argv[4] = (char *)(p->names != NULL ? p->names : "");
	v->argv[5] = (char *)(p->hook != NULL ? p->hook : "");
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++) {
		snprintf(v->nums[i], sizeof(v->nums[i]), "%u", num[i]);
		v->argv[6 + i] = v->nums[i];
	}
	v->argv[SC_NARGS] = NULL;
}

/* Fork and exec the signer ${path} with ${argv}: sc->fd, sc->pid. */
static int
sc_spawn(struct signer_client *sc, const char *path, char **argv,
    char *err, size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "signer: socketpair: %s",
		    strerror(errno));
		return -1;
	}
	if ((sc->pid = fork()) < 0) {
		snprintf(err, errlen, "signer: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (sc->pid == 0) {
		close(sv[0]);
		sc_child_exec(sv[1], path, argv);
	}
	close(sv[1]);
	sc->fd = sv[0];
	return 0;
}

/*
 * At start-up, before the loop runs: wait for the signer's "ok" and make
 * its socket non-blocking; else stop it, with its error in ${err}.
 */
static int
sc_wait_ready(struct signer_client *sc, char *err, size_t errlen)
{
	char msg[512];
	ssize_t n;

	do
		n = recv(sc->fd, msg, sizeof(msg) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || (size_t)n != strlen("ok") || memcmp(msg, "ok", 2) != 0) {
		if (n > 0) {
			msg[n] = '\0';
			for (ssize_t i = 0; i < n; i++)
				if (msg[i] < 0x20 || msg[i] == 0x7f)
					msg[i] = '?';
		}
		snprintf(err, errlen, "%s", n > 0 ? msg :
		    "signer: the signing process did not start");
	} else if (fcntl(sc->fd, F_SETFL, O_NONBLOCK) != 0) {
		snprintf(err, errlen, "signer: fcntl: %s", strerror(errno));
		kill(sc->pid, SIGKILL);
	} else
		return 0;
	close(sc->fd);
	while (waitpid(sc->pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/**
 * signer_client_open(p, user, err, errlen): start the signer with the
 * authority of ${p} (its loop is the caller's, for the signer's socket)
 * as ${user} (NULL: the caller's user) and wait until it has opened the
 * authority.  NULL on error, with "what: why" in ${err}.
 */
struct signer_client *
signer_client_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct signer_client *sc;
	struct sc_args v;
	char path[PATH_MAX];

	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (sc->buf = malloc(SC_MSG_MAX)) == NULL) {
		free(sc);
		snprintf(err, errlen, "signer: out of memory");
		return NULL;
	}
	sc->magic = SC_MAGIC;
	sc->loop = p->loop;
	sc->fd = -1;
	TAILQ_INIT(&sc->reqs);
	sc_args(&v, p, user);
	if (sc_signer_path(path, sizeof(path), err, errlen) != 0 ||
	    sc_spawn(sc, path, v.argv, err, errlen) != 0 ||
	    sc_wait_ready(sc, err, errlen) != 0) {
		free(sc->buf);
		free(sc);
		return NULL;
	}
	ev_io_init(&sc->io, sc_on_read, sc->fd, EV_READ);
	sc->io.data = sc;
	ev_io_start(sc->loop, &sc->io);
	ev_child_init(&sc->child, sc_on_exit, sc->pid, 0);
	sc->child.data = sc;
	ev_child_start(sc->loop, &sc->child);
	log_info("event=signer_started pid=%d user=%s", (int)sc->pid,
	    user != NULL ? user : "-");
	return sc;
}

/**
 * signer_client_close(sc): stop the signer (it kills its running hooks)
 * and wait for it; answer nothing more; free ${sc}.  NULL is a no-op.
 */
void
signer_client_close(struct signer_client *sc)
{
	struct sc_req *r;

	if (sc == NULL)
		return;
	while ((r = TAILQ_FIRST(&sc->reqs)) != NULL)
		sc_req_free(sc, r);
	if (sc->fd >= 0) {
		ev_io_stop(sc->loop, &sc->io);
		close(sc->fd);	/* the signer sees EOF and exits */
	}
	ev_child_stop(sc->loop, &sc->child);
	/* It exits on EOF; one that does not within 2 s is killed. */
	for (int i = 0; sc->pid > 0; i++) {
		pid_t w = waitpid(sc->pid, NULL, i < 200 ? WNOHANG : 0);

		if (w == sc->pid || (w < 0 && errno != EINTR))
			break;
		if (i == 200 - 1)
			kill(sc->pid, SIGKILL);
		if (w == 0)
			usleep(10000);
	}
	free(sc->buf);
	sc->magic = 0;
	free(sc);
}
