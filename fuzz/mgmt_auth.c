/*
 * mgmt_auth.c: signer_client.h for fuzz_mgmt (see mgmt_env.h): the
 * signer's requests wait here until the harness answers them
 * (MGMT_ANSWER), or are answered at once (MGMT_ENROLL's flag, or no room).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signer_client.h"
#include "fuzz.h"
#include "mgmt_env.h"
#include "mgmt_env_impl.h"

#define MG_HELD		8	/* enrollment requests held */

struct signer_client {
	int	 open;
};

static struct {
	authority_cb	 cb;
	void		*arg;
} held[MG_HELD];
static int auth_now;

void
mg_auth_reset(void)
{
	memset(held, 0, sizeof(held));
	auth_now = 0;
}

void
mg_auth_done(void)
{
	for (unsigned i = 0; i < MG_HELD; i++)
		FUZZ_CHECK(held[i].cb == NULL);	/* signer_free cancelled */
}

void
mgmt_auth_now(int now)
{
	auth_now = now;
}

/* signer_client.h: requests wait here until the harness answers them. */

struct signer_client *
signer_client_open(const struct authority_params *p, const char *user,
    char *err, size_t errlen)
{
	struct signer_client *a;

	(void)p;
	(void)user;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->open = 1;
	return a;
}

void
signer_client_close(struct signer_client *a)
{
	if (a == NULL)
		return;
	FUZZ_CHECK(a->open);
	free(a);
}

void
signer_client_submit(struct signer_client *a,
    const struct authority_req *req, authority_cb cb, void *arg)
{
	struct authority_result r = { .status = GW_ENROLL_REFUSED,
	    .reason = GW_R_OVERLOAD };

	FUZZ_CHECK(a->open);
	FUZZ_CHECK(req->token != NULL && req->request_id != NULL &&
	    req->source != NULL && req->via != NULL && req->via[0] != '\0');
	snprintf(r.message, sizeof(r.message), "fuzz: at once");
	for (unsigned i = 0; !auth_now && i < MG_HELD; i++)
		if (held[i].cb == NULL) {
			held[i].cb = cb;
			held[i].arg = arg;
			return;
		}
	cb(&r, arg);		/* as without a hook: before returning */
}

void
signer_client_cancel(struct signer_client *a, void *arg)
{
	FUZZ_CHECK(a->open);
	for (unsigned i = 0; i < MG_HELD; i++)
		if (held[i].arg == arg)
			held[i].cb = NULL, held[i].arg = NULL;
}

void
mgmt_answer(unsigned status)
{
	struct authority_result r = { .status = status % 3,
	    .reason = GW_R_DENIED, .retry_after = 5,
	    .request_id = "0123456789abcdef0123456789abcdef",
	    .chain = "-----BEGIN CERTIFICATE-----\n" };

	snprintf(r.message, sizeof(r.message), "fuzz: answered");
	for (unsigned i = 0; i < MG_HELD; i++)
		if (held[i].cb != NULL) {
			authority_cb cb = held[i].cb;
			void *arg = held[i].arg;

			held[i].cb = NULL;
			held[i].arg = NULL;
			cb(&r, arg);
			return;
		}
}
