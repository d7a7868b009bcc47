/*
 * authority_fixture.c: see authority_fixture.h.
 */
#include "authority_fixture.h"

char tmp[64];		/* mkdtemp */
char dir[128];		/* the authority's CA */
char other[128];		/* another CA, no token key */
struct pki_rng rng;
uint8_t tkey[TOKEN_KEY_LEN];
uint8_t next_id = 1;


void
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

void
answer_reset(struct answer *an)
{
	free(an->chain);
	memset(an, 0, sizeof(*an));
}

void
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

int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

int
auth_setup(void **state)
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

int
auth_teardown(void **state)
{
	(void)state;
	pki_rng_free(&rng);
	return nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct authority *
open_auth(const char *d, unsigned pending_ttl, unsigned max_pending,
    const char *names, const char *hook)
{
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = d, .names = names, .cert_days = 30,
		.pending_ttl = pending_ttl, .max_pending = max_pending,
		.retry_after = 7, .hook = hook, .hook_timeout = 5,
	};
	struct authority *a;
	char err[256];

	a = authority_open(&p, err, sizeof(err));
	if (a == NULL)
		fail_msg("authority_open: %s", err);
	return a;
}

/* A CSR for ${name} with a new key: RSA of ${rsa} bits, or P-256. */
size_t
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
void
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
void
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

void
poll_rid(struct authority *a, const char *rid, struct answer *an)
{
	struct authority_req r = { .token = "", .request_id = rid,
	    .source = "192.0.2.7:40001", .via = "gw-test" };

	answer_reset(an);
	authority_submit(a, &r, on_result, an);
	assert_int_equal(an->calls, 1);
}

unsigned
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
void
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
int
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
