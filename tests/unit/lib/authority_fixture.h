/*
 * authority_fixture.h: what the signing-authority tests share: a CA made
 * with the library in a temporary directory (and another one), a token
 * key, CSRs and tokens made on demand, answers copied out of callbacks.
 */
#ifndef GW_AUTHORITY_FIXTURE_H
#define GW_AUTHORITY_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <ev.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "authority.h"
#include "crl.h"
#include "csr.h"
#include "enroll_dir.h"
#include "identity.h"
#include "pkifile.h"
#include "proto.h"
#include "token.h"
#include "x509_issue.h"

extern char tmp[64];		/* mkdtemp */
extern char dir[128];		/* the authority's CA */
extern char other[128];		/* another CA, no token key */
extern struct pki_rng rng;
extern uint8_t tkey[TOKEN_KEY_LEN];
extern uint8_t next_id;

/* One answer, copied out of the callback. */
struct answer {
	int			 calls;
	enum gw_enroll_status	 status;
	unsigned		 reason, retry_after;
	char			 rid[AUTH_RID_LEN + 1];
	char			 message[256];
	char			*chain;
};

void on_result(const struct authority_result *r, void *arg);
void answer_reset(struct answer *an);
void make_ca(const char *path, const char *name);
int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f);
int auth_setup(void **state);
int auth_teardown(void **state);
struct authority *open_auth(const char *d, unsigned pending_ttl, unsigned
    max_pending, const char *names, const char *hook);
size_t make_csr(unsigned rsa, const char *name, uint8_t *der, size_t cap);
void mint(const uint8_t *key, long long expires, unsigned uses, const char
    *names, char *tok, char *id);
void submit(struct authority *a, const uint8_t *csr, size_t len, const char
    *token, const uint8_t *cert, size_t certlen, struct answer *an, int sync);
void poll_rid(struct authority *a, const char *rid, struct answer *an);
unsigned used(const char *id);
void check_chain(const char *chain, const char *name);
int issued_lines(const char *name);

#endif /* GW_AUTHORITY_FIXTURE_H */
