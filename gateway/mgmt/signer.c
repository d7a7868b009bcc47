/*
 * signer.c: the management server's side of enrollment.  A gateway
 * forwards ENROLL (the agent's CSR, token or request id, the source
 * address it saw, and for a renewal the certificate it verified); the
 * signing authority of [enroll] decides, in a process of its own that
 * alone reads the CA key (certs/pki/authority_proc.h), and the
 * answer goes back as ENROLL_RESULT with the gateway's ref.  Without
 * [enroll] ca_dir every request is refused (policy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority_proc.h"
#include "conn.h"
#include "link.h"
#include "log.h"
#include "mgmt.h"
#include "signer.h"

#define SIGNER_MAGIC	0x5369674eu	/* "SigN" */

/* A request the authority has not answered yet (a hook runs). */
struct signer_req {
	uint32_t		 magic;		/* SIGNER_MAGIC */
	struct mgmt		*m;
	struct link		*l;
	uint32_t		 ref;
	TAILQ_ENTRY(signer_req)	 entry;
};

/* Send ENROLL_RESULT for ${ref} on ${l}. */
static void
signer_answer(struct link *l, uint32_t ref, const struct authority_result *res)
{
	struct gw_frame f = { .type = GW_T_ENROLL_RESULT };

	authority_result_view(res, ref, &f.u.enroll_result);
	if (link_send(l, &f) != 0)
		log_warnx("event=enroll_answer_lost gateway=%s ref=%u "
		    "detail=\"no room on the link; the agent will retry\"",
		    link_gateway_name(l), ref);
}

static void
signer_done(const struct authority_result *res, void *arg)
{
	struct signer_req *r = arg;

	if (r == NULL || r->magic != SIGNER_MAGIC)
		abort();
	TAILQ_REMOVE(&r->m->signing, r, entry);
	signer_answer(r->l, r->ref, res);
	free(r);
}

/**
 * signer_request(m, l, f): ENROLL ${f} from link ${l}: hand it to the
 * authority; ENROLL_RESULT goes back on ${l} (now or when decided).
 */
void
signer_request(struct mgmt *m, struct link *l, const struct gw_frame *f)
{
	const struct gw_enroll *e = &f->u.enroll;
	struct authority_result no = { .status = GW_ENROLL_REFUSED };
	char token[1024], rid[128], source[128];
	struct authority_req ar = {
		.csr = e->csr.len ? e->csr.p : NULL,
		.csr_len = e->csr.len,
		.token = token, .request_id = rid, .source = source,
		.via = link_gateway_name(l),
		.client_cert = e->client_cert.len ? e->client_cert.p : NULL,
		.client_cert_len = e->client_cert.len,
	};
	struct signer_req *r;

	if (m->auth == NULL) {
		no.reason = GW_R_POLICY;
		snprintf(no.message, sizeof(no.message), "enrollment is not "
		    "enabled on management server %s", m->cfg->name);
		signer_answer(l, e->ref, &no);
		return;
	}
	if (gw_str_cstr(&e->token, token, sizeof(token)) != 0 ||
	    gw_str_cstr(&e->request_id, rid, sizeof(rid)) != 0 ||
	    gw_str_cstr(&e->source, source, sizeof(source)) != 0) {
		no.reason = GW_R_PROTOCOL;
		snprintf(no.message, sizeof(no.message), "malformed request");
		signer_answer(l, e->ref, &no);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		no.reason = GW_R_OVERLOAD;
		snprintf(no.message, sizeof(no.message), "out of memory");
		signer_answer(l, e->ref, &no);
		return;
	}
	r->magic = SIGNER_MAGIC;
	r->m = m;
	r->l = l;
	r->ref = e->ref;
	TAILQ_INSERT_TAIL(&m->signing, r, entry);
	authority_proc_submit(m->auth, &ar, signer_done, r);
}

/** signer_link_gone(m, l): forget the requests of closing link ${l}. */
void
signer_link_gone(struct mgmt *m, struct link *l)
{
	struct signer_req *r, *next;

	for (r = TAILQ_FIRST(&m->signing); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->l != l)
			continue;
		authority_proc_cancel(m->auth, r);
		TAILQ_REMOVE(&m->signing, r, entry);
		free(r);
	}
}

/**
 * signer_init(m, err, errlen): open the signing authority of [enroll]
 * (nothing if ca_dir is unset).  0, or -1 with ${err}.
 */
int
signer_init(struct mgmt *m, char *err, size_t errlen)
{
	struct authority_params p;

	TAILQ_INIT(&m->signing);
	if (m->cfg->enroll.ca_dir == NULL)
		return 0;
	authority_conf_params(&m->cfg->enroll, m->loop, NULL, &p);
	if ((m->auth = authority_proc_open(&p, m->cfg->enroll_signer_user,
	    err, errlen)) == NULL)
		return -1;
	log_info("event=enroll_authority ca_dir=%s names=%s hook=%s",
	    p.dir, p.names ? p.names : "*", p.hook ? p.hook : "-");
	return 0;
}

/** signer_free(m): forget every request, close the authority. */
void
signer_free(struct mgmt *m)
{
	struct signer_req *r;

	if (m->auth == NULL)
		return;
	while ((r = TAILQ_FIRST(&m->signing)) != NULL) {
		authority_proc_cancel(m->auth, r);
		TAILQ_REMOVE(&m->signing, r, entry);
		free(r);
	}
	authority_proc_close(m->auth);
	m->auth = NULL;
}
