/*
 * signer.c: the management server's side of enrollment.  A gateway
 * forwards ENROLL (the agent's CSR, token or request id, the source
 * address it saw, and for a renewal the certificate it verified); the
 * signing authority of [enroll] decides, in a process of its own that
 * alone reads the CA key (certs/pki/signer_client.h), and the
 * answer goes back as ENROLL_RESULT with the gateway's ref, through the
 * reply callback of the request (the caller's: signer.c knows no link).
 * Without [enroll] ca_dir every request is refused (policy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer_client.h"
#include "conn.h"
#include "log.h"
#include "mgmt.h"
#include "signer.h"

#define SIGNER_MAGIC	0x5369674eu	/* "SigN" */

/* A request the authority has not answered yet (a hook runs). */
struct signer_req {
	uint32_t		 magic;		/* SIGNER_MAGIC */
	struct mgmt		*m;
	signer_reply_fn		*reply;
	void			*arg;		/* ${reply}'s */
	const char		*via;		/* the gateway's CN */
	uint32_t		 ref;
	TAILQ_ENTRY(signer_req)	 entry;
};

/*
 * Send ENROLL_RESULT for ${ref} of ${via} through ${reply}(${arg}),
 * counted in ${s}.
 */
static void
signer_answer(struct signer *s, signer_reply_fn *reply, void *arg,
    const char *via, uint32_t ref, const struct authority_result *res)
{
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };

	authority_result_view(res, ref, &f.u.enroll_result);
	if (f.u.enroll_result.status <= GW_ENROLL_STATUS_MAX)
		s->answers[f.u.enroll_result.status]++;
	if (reply(arg, &f) != 0)
		log_warnx("event=enroll_answer_lost gateway=%s ref=%u "
		    "detail=\"no room on the link; the agent will retry\"",
		    via, ref);
}

static void
signer_done(const struct authority_result *res, void *arg)
{
	struct signer_req *r = arg;

	if (r == NULL || r->magic != SIGNER_MAGIC)
		abort();
	TAILQ_REMOVE(&r->m->signer->pending, r, entry);
	signer_answer(r->m->signer, r->reply, r->arg, r->via, r->ref, res);
	free(r);
}

/**
 * signer_request(m, f, via, reply, arg): ENROLL ${f} from gateway ${via}:
 * hand it to the authority; ENROLL_RESULT goes to ${reply}(${arg}) (now
 * or when decided).  ${via} and ${arg} must live until
 * signer_forget(${m}, ${arg}).
 */
void
signer_request(struct mgmt *m, const struct gw_frame *f, const char *via,
    signer_reply_fn *reply, void *arg)
{
	const struct gw_enroll *e = &f->u.enroll;
	struct authority_result no;
	struct authority_req_buf rb;
	struct authority_req ar;
	struct signer_req *r;

	if (m->signer->auth == NULL) {
		authority_result_make(&no, GW_ENROLL_REFUSED, GW_R_POLICY, 0,
		    NULL, NULL, "enrollment is not enabled on management "
		    "server %s", m->cfg->name);
		signer_answer(m->signer, reply, arg, via, e->ref, &no);
		return;
	}
	if (authority_req_from_enroll(e, via, &rb, &ar) != 0) {
		authority_result_make(&no, GW_ENROLL_REFUSED, GW_R_PROTOCOL, 0,
		    NULL, NULL, "malformed request");
		signer_answer(m->signer, reply, arg, via, e->ref, &no);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		authority_result_make(&no, GW_ENROLL_REFUSED, GW_R_OVERLOAD, 0,
		    NULL, NULL, "out of memory");
		signer_answer(m->signer, reply, arg, via, e->ref, &no);
		return;
	}
	r->magic = SIGNER_MAGIC;
	r->m = m;
	r->reply = reply;
	r->arg = arg;
	r->via = via;
	r->ref = e->ref;
	TAILQ_INSERT_TAIL(&m->signer->pending, r, entry);
	signer_client_submit(m->signer->auth, &ar, signer_done, r);
}

/** signer_forget(m, arg): forget the requests answered to ${arg}. */
void
signer_forget(struct mgmt *m, const void *arg)
{
	struct signer_req *r, *next;

	for (r = TAILQ_FIRST(&m->signer->pending); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->arg != arg)
			continue;
		signer_client_cancel(m->signer->auth, r);
		TAILQ_REMOVE(&m->signer->pending, r, entry);
		free(r);
	}
}

/**
 * signer_new(m, err, errlen): the signer's part of ${m}, for its owner to
 * store in m->signer; it opens the signing authority of [enroll] of
 * m->cfg on m->loop (none if ca_dir is unset).  NULL with ${err} if it
 * cannot.
 */
struct signer *
signer_new(struct mgmt *m, char *err, size_t errlen)
{
	struct authority_params p;
	struct signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	TAILQ_INIT(&s->pending);
	if (m->cfg->enroll.ca_dir == NULL)
		return s;
	signer_conf_params(&m->cfg->enroll, m->loop, NULL, &p);
	if ((s->auth = signer_client_open(&p,
	    m->cfg->enroll_signer_user, err, errlen)) == NULL) {
		free(s);
		return NULL;
	}
	log_info("event=enroll_authority ca_dir=%s names=%s hook=%s",
	    p.dir, p.names ? p.names : "*", p.hook ? p.hook : "-");
	return s;
}

/**
 * signer_free(s): forget every request of ${s}, close its authority, free
 * ${s}; NULL-safe.
 */
void
signer_free(struct signer *s)
{
	struct signer_req *r;

	if (s == NULL)
		return;
	if (s->auth == NULL)
		goto done;
	while ((r = TAILQ_FIRST(&s->pending)) != NULL) {
		signer_client_cancel(s->auth, r);
		TAILQ_REMOVE(&s->pending, r, entry);
		free(r);
	}
	signer_client_close(s->auth);
done:
	free(s);
}
