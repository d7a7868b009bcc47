/*
 * test_authority.c: the signing authority (certs/authority.c) driven
 * directly, on a CA made with the library in a temporary directory: tokens
 * (issue, resend, used up, expired, forged, revoked, names), the pending
 * queue (approve, deny, expiry, sweep, overload), bad CSRs, renewals, and
 * the policy hook run through the event loop.
 */
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

static char tmp[64];		/* mkdtemp */
static char dir[128];		/* the authority's CA */
static char other[128];		/* another CA, no token key */
static struct pki_rng rng;
static uint8_t tkey[TOKEN_KEY_LEN];
static uint8_t next_id = 1;

/* One answer, copied out of the callback. */
struct answer {
	int			 calls;
	enum gw_enroll_status	 status;
	unsigned		 reason, retry_after;
	char			 rid[AUTH_RID_LEN + 1];
	char			 message[256];
	char			*chain;
};

static void
on_result(const struct authority_result *r, void *arg)
{
	struct answer *an = arg;

	an->calls++;
	an->status = r->status;
	an->reason = r->reason;
	an->retry_after = r->retry_after;
	snprintf(an->rid, sizeof(an->rid), "%s", r->request_id);
	snprintf(an->message, sizeof(an->message), "%s", r->message);
	free(an->chain);
	an->chain = r->chain != NULL ? strdup(r->chain) : NULL;
}

static void
answer_reset(struct answer *an)
{
	free(an->chain);
	memset(an, 0, sizeof(*an));
}

static void
make_ca(const char *path, const char *name)
{
	static unsigned char crt[16384], key[16384];
	struct pki_req req = { .role = PKI_ROLE_CA, .name = name };
	char p[256], err[256];

	assert_int_equal(mkdir(path, 0700), 0);
	pki_validity(&req, 3650);
	assert_int_equal(pki_make(&req, NULL, &rng, crt, sizeof(crt), key,
	    sizeof(key), err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca.key", path);
	assert_int_equal(pki_write_file(p, key, strlen((char *)key), 0600,
	    err, sizeof(err)), 0);
	snprintf(p, sizeof(p), "%s/ca.crt", path);
	assert_int_equal(pki_write_file(p, crt, strlen((char *)crt), 0644,
	    err, sizeof(err)), 0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

static int
setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_authority.XXXXXX");
	if (mkdtemp(tmp) == NULL || pki_rng_init(&rng, err, sizeof(err)) != 0)
		return -1;
	snprintf(dir, sizeof(dir), "%s/ca", tmp);
	snprintf(other, sizeof(other), "%s/other", tmp);
	make_ca(dir, "test CA");
	make_ca(other, "other CA");
	/* What gw-cert token create does first. */
	if (ed_init(dir, err, sizeof(err)) != 0 ||
	    ed_token_key(dir, tkey, 1, err, sizeof(err)) != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pki_rng_free(&rng);
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct authority *
open_auth(const char *d, unsigned pending_ttl, unsigned max_pending,
    const char *names, const char *hook)
{
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = d, .names = names, .cert_days = 30,
		.pending_ttl = pending_ttl, .max_pending = max_pending,
		.retry_after = 7, .hook = hook, .hook_timeout = 1,
	};
	struct authority *a;
	char err[256];

	a = authority_open(&p, err, sizeof(err));
	if (a == NULL)
		fail_msg("authority_open: %s", err);
	return a;
}

/* A CSR for ${name} with a new key: RSA of ${rsa} bits, or P-256. */
static size_t
make_csr(unsigned rsa, const char *name, uint8_t *der, size_t cap)
{
	mbedtls_pk_context pk;
	char err[256];
	size_t len = 0;

	mbedtls_pk_init(&pk);
	if (rsa != 0) {		/* pki_genkey would refuse a weak one */
		assert_int_equal(mbedtls_pk_setup(&pk,
		    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
		assert_int_equal(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk),
		    mbedtls_ctr_drbg_random, &rng.drbg, rsa, 65537), 0);
	} else
		assert_int_equal(pki_genkey(&pk, 0, &rng, err, sizeof(err)), 0);
	assert_int_equal(pki_csr(&pk, name, &rng, der, cap, &len, err,
	    sizeof(err)), 0);
	mbedtls_pk_free(&pk);
	return len;
}

/* A token under ${key}; its id (hex) in ${id}. */
static void
mint(const uint8_t *key, long long expires, unsigned uses,
    const char *names, char *tok, char *id)
{
	struct token_terms t;

	memset(&t, 0, sizeof(t));
	memcpy(t.id, "tst-id", 6);
	t.id[7] = next_id++;
	t.expires = (uint64_t)expires;
	t.uses = (uint16_t)uses;
	snprintf(t.names, sizeof(t.names), "%s", names);
	assert_int_equal(token_mint(key, &t, tok, TOKEN_STR_MAX), 0);
	token_id_hex(t.id, id);
}

/* Submit; with no hook the answer comes before authority_submit returns. */
static void
submit(struct authority *a, const uint8_t *csr, size_t len,
    const char *token, const uint8_t *cert, size_t certlen,
    struct answer *an, int sync)
{
	struct authority_req r = {
		.csr = csr, .csr_len = len, .token = token ? token : "",
		.request_id = "", .source = "192.0.2.7:40000", .via = "gw-test",
		.client_cert = cert, .client_cert_len = certlen,
	};

	answer_reset(an);
	authority_submit(a, &r, on_result, an);
	if (sync)
		assert_int_equal(an->calls, 1);
}

static void
poll_rid(struct authority *a, const char *rid, struct answer *an)
{
	struct authority_req r = { .token = "", .request_id = rid,
	    .source = "192.0.2.7:40001", .via = "gw-test" };

	answer_reset(an);
	authority_submit(a, &r, on_result, an);
	assert_int_equal(an->calls, 1);
}

static unsigned
used(const char *id)
{
	unsigned n = 99;

	assert_int_equal(ed_token_used(dir, id, &n), 0);
	return n;
}

/*
 * ${chain} is a leaf for ${name} that verifies against DIR/ca.crt, with
 * the agent profile, followed by the CA certificate.
 */
static void
check_chain(const char *chain, const char *name)
{
	mbedtls_x509_crt crt, ca;
	struct id_info id;
	char path[256], dn[256], want[256];
	uint32_t flags = 0;

	assert_non_null(chain);
	mbedtls_x509_crt_init(&crt);
	mbedtls_x509_crt_init(&ca);
	snprintf(path, sizeof(path), "%s/ca.crt", dir);
	assert_int_equal(mbedtls_x509_crt_parse_file(&ca, path), 0);
	assert_int_equal(mbedtls_x509_crt_parse(&crt,
	    (const unsigned char *)chain, strlen(chain) + 1), 0);
	assert_non_null(crt.next);		/* the CA follows the leaf */
	assert_int_equal(crt.next->raw.len, ca.raw.len);
	assert_memory_equal(crt.next->raw.p, ca.raw.p, ca.raw.len);
	assert_int_equal(mbedtls_x509_crt_verify(&crt, &ca, NULL, NULL,
	    &flags, NULL, NULL), 0);
	assert_int_equal(flags, 0);
	assert_int_equal(id_from_crt(&crt, "", &id), 0);
	assert_string_equal(id.name, name);
	assert_string_equal(id.san, name);
	assert_true(mbedtls_x509_dn_gets(dn, sizeof(dn), &crt.subject) > 0);
	snprintf(want, sizeof(want), "CN=%s, O=gatewayd", name);
	assert_string_equal(dn, want);
	assert_false(crt.MBEDTLS_PRIVATE(ca_istrue));
	assert_int_equal(mbedtls_x509_crt_check_extended_key_usage(&crt,
	    MBEDTLS_OID_CLIENT_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)), 0);
	assert_int_not_equal(mbedtls_x509_crt_check_extended_key_usage(&crt,
	    MBEDTLS_OID_SERVER_AUTH,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)), 0);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&ca);
}

/* How many lines of DIR/issued.txt are about ${name}. */
static int
issued_lines(const char *name)
{
	char path[256], line[512], ser[80], nm[128], role[16];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%79s %127s %15s", ser, nm, role) == 3 &&
		    strcmp(nm, name) == 0 && strcmp(role, "agent") == 0)
			n++;
	fclose(f);
	return n;
}

static void
test_token_issue(void **state)
{
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 }, again = { 0 };
	struct ed_info info;
	uint8_t csr[CSR_DER_MAX], csr2[CSR_DER_MAX];
	char tok[TOKEN_STR_MAX], id[17], rid[ED_RID_LEN + 1], log[8192];
	size_t len = make_csr(0, "agent-1", csr, sizeof(csr)), n;
	int fd, saved;

	(void)state;
	mint(tkey, time(NULL) + 3600, 2, "", tok, id);
	/* The decision is logged, with the token's id, never the token. */
	snprintf(log, sizeof(log), "%s/log.txt", tmp);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-1");
	ed_rid(csr, len, rid);
	assert_string_equal(an.rid, rid);
	assert_int_equal(used(id), 1);
	assert_int_equal(issued_lines("agent-1"), 1);
	assert_int_equal(ed_state(dir, rid, &info, NULL), ED_ISSUED);
	assert_string_equal(info.kind, "token");
	assert_string_equal(info.token, id);
	assert_string_equal(info.source, "192.0.2.7:40000");
	assert_string_equal(info.via, "gw-test");
	assert_string_equal(info.key_desc, "EC P-256");
	assert_int_equal(pki_read_file(log, log, sizeof(log), &n), 0);
	assert_null(strstr(log, tok));
	assert_null(strstr(log, strrchr(tok, '.') + 1));  /* nor its MAC */
	assert_non_null(strstr(log, "event=enroll_issued name=agent-1 "
	    "source=192.0.2.7:40000 via=gw-test kind=token"));
	assert_non_null(strstr(log, id));

	/* Resent: the same certificate, no second use. */
	submit(a, csr, len, tok, NULL, 0, &again, 1);
	assert_int_equal(again.status, GW_ENROLL_ISSUED);
	assert_string_equal(again.chain, an.chain);
	assert_int_equal(used(id), 1);
	assert_int_equal(issued_lines("agent-1"), 1);
	/* A poll: the same. */
	poll_rid(a, rid, &again);
	assert_int_equal(again.status, GW_ENROLL_ISSUED);
	assert_string_equal(again.chain, an.chain);
	/* Its second use, for another CSR. */
	len = make_csr(0, "agent-1b", csr2, sizeof(csr2));
	submit(a, csr2, len, tok, NULL, 0, &again, 1);
	assert_int_equal(again.status, GW_ENROLL_ISSUED);
	check_chain(again.chain, "agent-1b");
	assert_int_equal(used(id), 2);
	answer_reset(&an);
	answer_reset(&again);
	authority_close(a);
}

static void
test_token_refused(void **state)
{
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 };
	uint8_t csr[CSR_DER_MAX], csr2[CSR_DER_MAX], okey[TOKEN_KEY_LEN];
	char tok[TOKEN_STR_MAX], id[17], rid[ED_RID_LEN + 1], err[256];
	size_t len = make_csr(0, "agent-2", csr, sizeof(csr));
	size_t len2 = make_csr(0, "agent-3", csr2, sizeof(csr2));

	(void)state;
	/* One use: a second, different CSR is refused. */
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_TOKEN_USED);
	assert_int_equal(used(id), 1);
	ed_rid(csr2, len2, rid);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);

	/* Expired. */
	mint(tkey, time(NULL) - 10, 5, "", tok, id);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_TOKEN_EXPIRED);
	assert_int_equal(used(id), 0);

	/* Forged: one character changed; another key. */
	mint(tkey, time(NULL) + 3600, 5, "", tok, id);
	tok[12] = tok[12] == 'A' ? 'B' : 'A';
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_TOKEN_INVALID);
	memset(okey, 7, sizeof(okey));
	mint(okey, time(NULL) + 3600, 5, "", tok, id);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_TOKEN_INVALID);
	submit(a, csr2, len2, "gwt1.garbage", NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_TOKEN_INVALID);

	/* Revoked (gw-cert token revoke). */
	mint(tkey, time(NULL) + 3600, 5, "", tok, id);
	assert_int_equal(ed_token_file(dir, id, ".revoked", "revoked\n", err,
	    sizeof(err)), 0);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_TOKEN_INVALID);
	assert_non_null(strstr(an.message, "revoked"));
	assert_int_equal(used(id), 0);

	/* A names pattern: another name is refused, and takes no use. */
	mint(tkey, time(NULL) + 3600, 1, "web-*", tok, id);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_POLICY);
	assert_int_equal(used(id), 0);
	len2 = make_csr(0, "web-1", csr2, sizeof(csr2));
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "web-1");
	assert_int_equal(used(id), 1);
	answer_reset(&an);
	authority_close(a);

	/* A CA directory without a token key: no token is valid there. */
	a = open_auth(other, 0, 0, NULL, NULL);
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_TOKEN_INVALID);
	authority_close(a);
	/* The authority's own names policy. */
	a = open_auth(dir, 0, 0, "agent-*", NULL);
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);	/* web-1 */
	assert_int_equal(an.reason, GW_R_POLICY);
	assert_int_equal(used(id), 0);
	answer_reset(&an);
	authority_close(a);
}

static void
test_bad_csr(void **state)
{
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 };
	uint8_t csr[CSR_DER_MAX];
	char tok[TOKEN_STR_MAX], id[17];
	size_t len = make_csr(0, "agent-4", csr, sizeof(csr));

	(void)state;
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	csr[len - 1] ^= 1;	/* the last byte is in the signature */
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_BAD_CSR);
	assert_string_equal(an.message, "signature does not verify");
	len = make_csr(1024, "agent-4", csr, sizeof(csr));
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_BAD_CSR);
	assert_non_null(strstr(an.message, "1024"));
	assert_int_equal(used(id), 0);	/* checked before the token */
	/* Polls for ids never seen. */
	poll_rid(a, "0123456789abcdef0123456789abcdef", &an);
	assert_int_equal(an.reason, GW_R_REQUEST_UNKNOWN);
	poll_rid(a, "../../etc", &an);
	assert_int_equal(an.reason, GW_R_REQUEST_UNKNOWN);
	answer_reset(&an);
	authority_close(a);
}

static void
test_pending(void **state)
{
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 };
	struct ed_info info;
	uint8_t csr[CSR_DER_MAX], csr2[CSR_DER_MAX];
	char rid[ED_RID_LEN + 1], rid2[ED_RID_LEN + 1], name[ID_NAME_MAX];
	char err[256], path[256];
	size_t len = make_csr(0, "agent-5", csr, sizeof(csr));
	size_t len2 = make_csr(0, "agent-6", csr2, sizeof(csr2));
	struct stat st;

	(void)state;
	/* No token: pending, and a poll says so. */
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	assert_int_equal(an.retry_after, 7);
	ed_rid(csr, len, rid);
	assert_string_equal(an.rid, rid);
	poll_rid(a, rid, &an);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	assert_int_equal(ed_state(dir, rid, &info, NULL), ED_PENDING);
	assert_string_equal(info.kind, "pending");
	assert_int_equal(strlen(info.key_fp), 64);
	snprintf(path, sizeof(path), "%s/enroll/requests/%s/csr.pem", dir, rid);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The operator approves (gw-cert approve): the poll gets it. */
	assert_int_equal(authority_approve(dir, rid, 10, name, err,
	    sizeof(err)), 0);
	assert_string_equal(name, "agent-5");
	poll_rid(a, rid, &an);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-5");
	assert_int_equal(issued_lines("agent-5"), 1);
	assert_int_equal(authority_approve(dir, rid, 10, name, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not pending"));

	/* Denied (gw-cert deny): the poll and the resent CSR say why. */
	submit(a, csr2, len2, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	ed_rid(csr2, len2, rid2);
	assert_int_equal(authority_deny(dir, rid2, "unknown host", name, err,
	    sizeof(err)), 0);
	assert_string_equal(name, "agent-6");
	poll_rid(a, rid2, &an);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_DENIED);
	assert_string_equal(an.message, "unknown host");
	submit(a, csr2, len2, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_DENIED);
	assert_int_equal(authority_approve(dir, rid2, 10, name, err,
	    sizeof(err)), -1);
	assert_int_equal(issued_lines("agent-6"), 0);
	answer_reset(&an);
	authority_close(a);
}

/* Rewrite request ${rid}'s info: received and expires. */
static void
set_times(const char *rid, long long received, long long expires)
{
	static uint8_t der[CSR_DER_MAX];
	struct ed_info info;
	char err[256];
	size_t len;

	assert_int_equal(ed_state(dir, rid, &info, NULL), ED_PENDING);
	assert_int_equal(ed_csr(dir, rid, der, sizeof(der), &len, err,
	    sizeof(err)), 0);
	info.received = received;
	info.expires = expires;
	assert_int_equal(ed_create(dir, rid, der, len, &info, err,
	    sizeof(err)), 0);
}

static void
test_pending_expiry(void **state)
{
	struct authority *a = open_auth(dir, 60, 0, NULL, NULL), *b;
	struct answer an = { 0 };
	struct ed_info info;
	static uint8_t csr[CSR_DER_MAX], csr2[CSR_DER_MAX], csr3[CSR_DER_MAX];
	char rid[ED_RID_LEN + 1], tok[TOKEN_STR_MAX], id[17];
	long long now = time(NULL);
	size_t len = make_csr(0, "agent-7", csr, sizeof(csr)), len2, len3;

	(void)state;
	/* Received longer than pending_ttl ago: expired, removed. */
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	ed_rid(csr, len, rid);
	set_times(rid, now - 61, now + 3600);
	poll_rid(a, rid, &an);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_REQUEST_EXPIRED);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	poll_rid(a, rid, &an);
	assert_int_equal(an.reason, GW_R_REQUEST_UNKNOWN);
	/* Past its deadline on file, as the resent CSR finds it. */
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	set_times(rid, now, 1);
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_REQUEST_EXPIRED);
	/* A new authority sweeps expired requests away. */
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	set_times(rid, now - 61, now + 3600);
	b = open_auth(dir, 60, 2, NULL, NULL);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	authority_close(b);

	answer_reset(&an);
	authority_close(a);

	/*
	 * max_pending 2: a third request is refused; a token still gets
	 * through, and lifts a queued request out of the queue.
	 */
	a = open_auth(dir, 60, 2, NULL, NULL);
	len2 = make_csr(0, "agent-8", csr2, sizeof(csr2));
	len3 = make_csr(0, "agent-9", csr3, sizeof(csr3));
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	submit(a, csr2, len2, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	submit(a, csr3, len3, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	mint(tkey, time(NULL) + 3600, 2, "", tok, id);
	submit(a, csr3, len3, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	submit(a, csr2, len2, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-8");
	assert_int_equal(used(id), 2);
	ed_rid(csr2, len2, rid);
	assert_int_equal(ed_state(dir, rid, &info, NULL), ED_ISSUED);
	assert_string_equal(info.kind, "token");
	assert_string_equal(info.token, id);
	/* One queued again: room for another. */
	len3 = make_csr(0, "agent-10", csr3, sizeof(csr3));
	submit(a, csr3, len3, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	answer_reset(&an);
	authority_close(a);
}

/* A certificate for ${name} of ${role} from CA directory ${cadir}. */
static void
make_cert(const char *cadir, enum pki_role role, const char *name,
    mbedtls_x509_crt *crt)
{
	static unsigned char pem[16384], key[16384];
	struct pki_req req = { .role = role, .name = name };
	struct pki_ca ca;
	char err[256];

	assert_int_equal(pki_ca_load(&ca, cadir, &rng, err, sizeof(err)), 0);
	pki_validity(&req, 30);
	assert_int_equal(pki_make(&req, &ca, &rng, pem, sizeof(pem), key,
	    sizeof(key), err, sizeof(err)), 0);
	pki_ca_free(&ca);
	mbedtls_x509_crt_init(crt);
	assert_int_equal(mbedtls_x509_crt_parse(crt, pem,
	    strlen((char *)pem) + 1), 0);
}

static void
test_renewal(void **state)
{
	static unsigned char crl[65536];
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 };
	mbedtls_x509_crt mine, foreign, server;
	struct pki_revoked rv;
	struct pki_ca ca;
	uint8_t csr[CSR_DER_MAX];
	char err[256], path[256];
	size_t len;

	(void)state;
	make_cert(dir, PKI_ROLE_AGENT, "agent-r", &mine);
	make_cert(other, PKI_ROLE_AGENT, "agent-r", &foreign);
	make_cert(dir, PKI_ROLE_MGMT, "agent-r", &server);
	/* Its own CA's certificate, same name: issued. */
	len = make_csr(0, "agent-r", csr, sizeof(csr));
	submit(a, csr, len, NULL, mine.raw.p, mine.raw.len, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-r");
	/* Another name. */
	len = make_csr(0, "agent-other", csr, sizeof(csr));
	submit(a, csr, len, NULL, mine.raw.p, mine.raw.len, &an, 1);
	assert_int_equal(an.reason, GW_R_POLICY);
	/* Another CA; a server certificate. */
	len = make_csr(0, "agent-r", csr, sizeof(csr));
	submit(a, csr, len, NULL, foreign.raw.p, foreign.raw.len, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_POLICY);
	assert_non_null(strstr(an.message, "not issued by this CA"));
	submit(a, csr, len, NULL, server.raw.p, server.raw.len, &an, 1);
	assert_int_equal(an.reason, GW_R_POLICY);
	assert_non_null(strstr(an.message, "not a client certificate"));
	/* Revoked: the authority reads the new CRL. */
	assert_int_equal(pki_ca_load(&ca, dir, &rng, err, sizeof(err)), 0);
	memset(&rv, 0, sizeof(rv));
	memcpy(rv.serial, mine.serial.p, mine.serial.len);
	rv.len = mine.serial.len;
	memcpy(rv.when, "20240101000000", 15);
	assert_int_equal(pki_crl_write(&ca, &rng, &rv, 1, 7, crl, sizeof(crl),
	    err, sizeof(err)), 0);
	pki_ca_free(&ca);
	snprintf(path, sizeof(path), "%s/ca.crl", dir);
	assert_int_equal(pki_write_file(path, crl, strlen((char *)crl), 0644,
	    err, sizeof(err)), 0);
	submit(a, csr, len, NULL, mine.raw.p, mine.raw.len, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_REVOKED);
	/* An unreadable CRL fails closed. */
	assert_int_equal(pki_write_file(path, "junk", 4, 0644, err,
	    sizeof(err)), 0);
	submit(a, csr, len, NULL, mine.raw.p, mine.raw.len, &an, 1);
	assert_int_equal(an.reason, GW_R_INTERNAL);
	unlink(path);
	submit(a, csr, len, NULL, mine.raw.p, mine.raw.len, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	answer_reset(&an);
	mbedtls_x509_crt_free(&mine);
	mbedtls_x509_crt_free(&foreign);
	mbedtls_x509_crt_free(&server);
	authority_close(a);
}

static const char hook_sh[] =
    "#!/bin/sh\n"
    "out=\"$(dirname \"$0\")/hook.$GW_ENROLL_NAME\"\n"
    "case \"$GW_ENROLL_NAME\" in\n"
    "hook-deny*) ;;\n"			/* decides without reading */
    "*) cat >\"$out.csr\" ;;\n"
    "esac\n"
    "echo \"$GW_ENROLL_KIND $GW_ENROLL_REQUEST_ID $GW_ENROLL_TOKEN_ID"
    " $GW_ENROLL_KEY_FINGERPRINT $GW_ENROLL_SOURCE $GW_ENROLL_VIA\""
    " >\"$out.env\"\n"
    "case \"$GW_ENROLL_NAME\" in\n"
    "hook-sign*) exit 0 ;;\n"
    "hook-deny*) exit 1 ;;\n"
    "hook-wait*) exit 2 ;;\n"
    "hook-slow*) sleep 30; exit 0 ;;\n"
    "*) exit 7 ;;\n"
    "esac\n";

/* Submit to a hook: nothing before the loop runs; then one answer. */
static void
hook_submit(struct authority *a, const char *name, const char *token,
    struct answer *an, char *rid)
{
	uint8_t csr[CSR_DER_MAX];
	size_t len = make_csr(0, name, csr, sizeof(csr));
	double t0 = ev_time();

	ed_rid(csr, len, rid);
	submit(a, csr, len, token, NULL, 0, an, 0);
	assert_int_equal(an->calls, 0);
	while (an->calls == 0 && ev_time() - t0 < 10)
		ev_run(EV_DEFAULT, EVRUN_ONCE);
	assert_int_equal(an->calls, 1);
}

static void
read_hook_file(const char *name, const char *ext, char *buf, size_t cap)
{
	char path[256];
	size_t n;

	snprintf(path, sizeof(path), "%s/hook.%s.%s", tmp, name, ext);
	assert_int_equal(pki_read_file(path, buf, cap, &n), 0);
}

static void
test_hook(void **state)
{
	struct authority *a;
	struct answer an = { 0 }, gone = { 0 };
	struct ed_info info;
	uint8_t csr[CSR_DER_MAX];
	char hook[256], err[256], rid[ED_RID_LEN + 1], tok[TOKEN_STR_MAX];
	char id[17], want[512], buf[16384];
	size_t len;

	(void)state;
	snprintf(hook, sizeof(hook), "%s/hook.sh", tmp);
	assert_int_equal(pki_write_file(hook, hook_sh, sizeof(hook_sh) - 1,
	    0700, err, sizeof(err)), 0);
	a = open_auth(dir, 0, 0, NULL, hook);

	/* 0 signs, even without a token; the hook saw the request. */
	hook_submit(a, "hook-sign-1", NULL, &an, rid);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "hook-sign-1");
	read_hook_file("hook-sign-1", "csr", buf, sizeof(buf));
	assert_non_null(strstr(buf, "-----BEGIN CERTIFICATE REQUEST-----"));
	assert_non_null(strstr(buf, "-----END CERTIFICATE REQUEST-----"));
	assert_int_equal(ed_state(dir, rid, &info, NULL), ED_ISSUED);
	read_hook_file("hook-sign-1", "env", buf, sizeof(buf));
	snprintf(want, sizeof(want), "pending %s  %s 192.0.2.7:40000 "
	    "gw-test\n", rid, info.key_fp);
	assert_string_equal(buf, want);

	/* 1 denies; 2 queues, and a poll does not ask the hook again. */
	hook_submit(a, "hook-deny-1", NULL, &an, rid);
	assert_int_equal(an.reason, GW_R_DENIED);
	assert_string_equal(an.message, "denied by policy hook");
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	hook_submit(a, "hook-wait-1", tok, &an, rid);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	assert_int_equal(used(id), 1);
	read_hook_file("hook-wait-1", "env", buf, sizeof(buf));
	snprintf(want, sizeof(want), "token %s %s ", rid, id);
	assert_memory_equal(buf, want, strlen(want));
	poll_rid(a, rid, &an);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	/* The same CSR and token again: still pending, no second use. */
	assert_int_equal(ed_csr(dir, rid, csr, sizeof(csr), &len, err,
	    sizeof(err)), 0);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	assert_int_equal(used(id), 1);

	/* Anything else fails closed, and gives the token use back. */
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	hook_submit(a, "hook-odd-1", tok, &an, rid);
	assert_int_equal(an.reason, GW_R_INTERNAL);
	assert_non_null(strstr(an.message, "exit 7"));
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	assert_int_equal(used(id), 0);
	hook_submit(a, "hook-slow-1", tok, &an, rid);
	assert_int_equal(an.reason, GW_R_INTERNAL);
	assert_non_null(strstr(an.message, "no answer in 1s"));
	assert_int_equal(used(id), 0);
	hook_submit(a, "hook-sign-2", tok, &an, rid);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	assert_int_equal(used(id), 1);

	/* Cancelled: no callback, the decision is still recorded. */
	len = make_csr(0, "hook-sign-3", csr, sizeof(csr));
	ed_rid(csr, len, rid);
	submit(a, csr, len, NULL, NULL, 0, &gone, 0);
	authority_cancel(a, &gone);
	ev_run(EV_DEFAULT, 0);		/* until no hook is left */
	assert_int_equal(gone.calls, 0);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_ISSUED);

	/* Closed while a hook runs: killed, no callback, use given back. */
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	len = make_csr(0, "hook-slow-2", csr, sizeof(csr));
	ed_rid(csr, len, rid);
	submit(a, csr, len, tok, NULL, 0, &gone, 0);
	assert_int_equal(used(id), 1);
	authority_close(a);
	assert_int_equal(gone.calls, 0);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	assert_int_equal(used(id), 0);
	answer_reset(&an);
	answer_reset(&gone);
}

static void
test_open_errors(void **state)
{
	struct authority_params p = { .loop = EV_DEFAULT, .dir = tmp };
	struct ev_loop *loop;
	char err[256], hook[256];

	(void)state;
	/* Not a CA directory. */
	assert_null(authority_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "ca.crt"));
	/* A hook needs the default loop (ev_child) and must be runnable. */
	snprintf(hook, sizeof(hook), "%s/hook.sh", tmp);
	loop = ev_loop_new(EVFLAG_AUTO);
	p = (struct authority_params){ .loop = loop, .dir = dir, .hook = hook };
	assert_null(authority_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "default event loop"));
	ev_loop_destroy(loop);
	p.loop = EV_DEFAULT;
	p.hook = "/nonexistent/hook";
	assert_null(authority_open(&p, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/hook"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_issue),
		cmocka_unit_test(test_token_refused),
		cmocka_unit_test(test_bad_csr),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_pending_expiry),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_hook),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
