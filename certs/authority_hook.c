/*
 * authority_hook.c: the policy hook, a child process watched by the event
 * loop (authority_hook.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <ev.h>
#include <mbedtls/pem.h>

#include "authority_hook.h"
#include "log.h"

struct auth_hook {
	struct authority	*a;
	struct auth_ctx		 x;
	authority_cb		 cb;		/* NULL: cancelled */
	void			*arg;
	pid_t			 pid;
	ev_child		 child;
	ev_timer		 timer;
	struct auth_hook	*next;
};

static void
auth_hook_unlink(struct auth_hook *h)
{
	struct auth_hook **pp;

	for (pp = &h->a->hooks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	ev_child_stop(h->a->p.loop, &h->child);
	ev_timer_stop(h->a->p.loop, &h->timer);
}

static void
auth_hook_on_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	struct auth_hook *h = w->data;
	int st = w->rstatus, verdict = AUTH_FAILED;

	(void)loop;
	(void)revents;
	auth_hook_unlink(h);
	if (WIFEXITED(st) && WEXITSTATUS(st) <= AUTH_PENDING)
		verdict = WEXITSTATUS(st);
	else if (WIFEXITED(st))
		snprintf(h->x.hook_why, sizeof(h->x.hook_why), "exit %d",
		    WEXITSTATUS(st));
	else if (h->x.hook_why[0] == '\0')
		snprintf(h->x.hook_why, sizeof(h->x.hook_why),
		    "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	auth_decide(h->a, &h->x, verdict, h->cb, h->arg);
	free(h);
}

static void
auth_hook_on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct auth_hook *h = w->data;

	(void)loop;
	(void)revents;
	snprintf(h->x.hook_why, sizeof(h->x.hook_why), "no answer in %us",
	    h->a->p.hook_timeout);
	kill(h->pid, SIGKILL);	/* auth_hook_on_exit follows */
}

/**
 * auth_hook_run(a, x, csr, len, cb, arg): ask the hook about request ${x};
 * its verdict goes to auth_decide(), then to ${cb} unless cancelled.
 */
void
auth_hook_run(struct authority *a, const struct auth_ctx *x,
    const uint8_t *csr, size_t len, authority_cb cb, void *arg)
{
	static unsigned char pem[16384];
	char env[7][200], *envp[9], *argv[2];
	posix_spawn_file_actions_t fa;
	struct auth_hook *h;
	size_t plen = 0;
	int fds[2] = { -1, -1 }, rc;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		struct auth_ctx y = *x;

		snprintf(y.hook_why, sizeof(y.hook_why), "out of memory");
		auth_decide(a, &y, AUTH_FAILED, cb, arg);
		return;
	}
	h->a = a;
	h->x = *x;
	h->cb = cb;
	h->arg = arg;
	snprintf(env[0], sizeof(env[0]), "GW_ENROLL_KIND=%s", x->kind);
	snprintf(env[1], sizeof(env[1]), "GW_ENROLL_NAME=%s", x->name);
	snprintf(env[2], sizeof(env[2]), "GW_ENROLL_SOURCE=%s", x->source);
	snprintf(env[3], sizeof(env[3]), "GW_ENROLL_VIA=%s", x->via);
	snprintf(env[4], sizeof(env[4]), "GW_ENROLL_KEY_FINGERPRINT=%s",
	    x->key_fp);
	snprintf(env[5], sizeof(env[5]), "GW_ENROLL_REQUEST_ID=%s", x->rid);
	snprintf(env[6], sizeof(env[6]), "GW_ENROLL_TOKEN_ID=%s", x->token_id);
	for (int i = 0; i < 7; i++)
		envp[i] = env[i];
	envp[7] = "PATH=/usr/local/bin:/usr/bin:/bin";
	envp[8] = NULL;
	argv[0] = a->hook;
	argv[1] = NULL;
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE REQUEST-----\n",
	    "-----END CERTIFICATE REQUEST-----\n", csr, len, pem, sizeof(pem),
	    &plen) != 0 || pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(h->x.hook_why, sizeof(h->x.hook_why),
		    "cannot prepare its input");
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	rc = posix_spawn(&h->pid, a->hook, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		snprintf(h->x.hook_why, sizeof(h->x.hook_why), "%s: %s",
		    a->hook, strerror(rc));
		close(fds[1]);
		goto fail;
	}
	/* A CSR is far below a pipe's buffer: this never blocks. */
	if (write(fds[1], pem, plen > 0 ? plen - 1 : 0) < 0 && errno != EPIPE)
		log_warn("event=enroll_hook_input rid=%s", x->rid);
	close(fds[1]);
	ev_child_init(&h->child, auth_hook_on_exit, h->pid, 0);
	h->child.data = h;
	ev_child_start(a->p.loop, &h->child);
	ev_timer_init(&h->timer, auth_hook_on_timeout, a->p.hook_timeout, 0.);
	h->timer.data = h;
	ev_timer_start(a->p.loop, &h->timer);
	h->next = a->hooks;
	a->hooks = h;
	return;
fail:
	auth_decide(a, &h->x, AUTH_FAILED, cb, arg);
	free(h);
}

/**
 * authority_cancel(a, arg): the requester ${arg} is gone: never call it.
 * A running hook still finishes and its decision is still recorded.
 */
void
authority_cancel(struct authority *a, void *arg)
{
	for (struct auth_hook *h = a->hooks; h != NULL; h = h->next)
		if (h->arg == arg)
			h->cb = NULL;
}

/** auth_hook_close_all(a): kill every running hook; no callbacks. */
void
auth_hook_close_all(struct authority *a)
{
	struct auth_hook *h;

	while ((h = a->hooks) != NULL) {
		auth_hook_unlink(h);
		kill(h->pid, SIGKILL);
		waitpid(h->pid, NULL, 0);
		free(h);
	}
}
