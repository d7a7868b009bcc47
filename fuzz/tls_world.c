/*
 * tls_world.c: the fixed TLS world of fuzz_tls (see tls_world.h).  Files
 * go through a private temporary directory because tls_conf_new loads
 * files, as the daemons do; the directory is removed once loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/platform_time.h>

#include "crl.h"
#include "pkifile.h"
#include "tls_world.h"
#include "x509_issue.h"

/* A side's random stream: splitmix64 from a fixed seed. */
struct tls_world_rng {
	uint64_t	 seed, state;
};

static struct tls_world_rng rng_server = { 0x5e41, 0 };
static struct tls_world_rng rng_client = { 0xc11e, 0 };

static int
world_random(void *p, unsigned char *out, size_t len)
{
	struct tls_world_rng *r = p;

	for (size_t i = 0; i < len; i++) {
		uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		out[i] = (unsigned char)(z ^ (z >> 31));
	}
	return 0;
}

void
tls_world_reset(void)
{
	rng_server.state = rng_server.seed;
	rng_client.state = rng_client.seed;
}

#ifdef MBEDTLS_PLATFORM_TIME_ALT
static mbedtls_time_t
world_time(mbedtls_time_t *t)
{
	if (t != NULL)
		*t = TLS_WORLD_TIME;
	return TLS_WORLD_TIME;
}
#endif

/* Constant "entropy": the keys are the same in every process. */
static int
world_entropy(void *p, unsigned char *out, size_t len)
{
	(void)p;
	memset(out, 0x5a, len);
	return 0;
}

int
tls_world_pki_rng(struct pki_rng *r)
{
	mbedtls_entropy_init(&r->entropy);
	mbedtls_ctr_drbg_init(&r->drbg);
	return mbedtls_ctr_drbg_seed(&r->drbg, world_entropy, NULL,
	    (const unsigned char *)"gatewayd fuzz world", 19) == 0 ? 0 : -1;
}

/* Issue ${name} for ${role} under ${ca} (NULL: the CA itself) into dir. */
static int
world_issue(const char *dir, const char *file, enum pki_role role,
    const char *name, struct pki_ca *ca, struct pki_rng *rng, char *err,
    size_t errlen)
{
	static unsigned char crt[8192], key[8192];
	struct pki_req req = { .role = role, .name = name };
	char path[512];

	snprintf(req.not_before, sizeof(req.not_before), "20250101000000");
	snprintf(req.not_after, sizeof(req.not_after), "20350101000000");
	if (role == PKI_ROLE_GATEWAY) {
		req.dns[0] = name;
		req.ndns = 1;
	}
	if (pki_make(&req, ca, rng, crt, sizeof(crt), key, sizeof(key), err,
	    errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.crt", dir, file);
	if (pki_write_file(path, crt, strlen((char *)crt), 0644, err,
	    errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s.key", dir, file);
	return pki_write_file(path, key, strlen((char *)key), 0600, err,
	    errlen);
}

static int
world_files(const char *dir, char *err, size_t errlen)
{
	static unsigned char crl[4096];
	struct pki_revoked gone = { .serial = { 0x7f, 0x01 }, .len = 2,
	    .when = "20250601000000" };
	struct pki_rng rng;
	struct pki_ca ca;
	char path[512];
	int rc = -1;

	memset(&ca, 0, sizeof(ca));
	if (tls_world_pki_rng(&rng) != 0) {
		snprintf(err, errlen, "drbg seed failed");
		goto out;
	}
	if (world_issue(dir, "ca", PKI_ROLE_CA, "fuzz-ca", NULL, &rng, err,
	    errlen) != 0 || pki_ca_load(&ca, dir, &rng, err, errlen) != 0 ||
	    world_issue(dir, "gw", PKI_ROLE_GATEWAY, TLS_WORLD_NAME, &ca,
	    &rng, err, errlen) != 0 ||
	    world_issue(dir, "agent", PKI_ROLE_AGENT, TLS_WORLD_AGENT_NAME,
	    &ca, &rng, err, errlen) != 0 ||
	    pki_crl_write(&ca, &rng, &gone, 1, 3650, crl, sizeof(crl), err,
	    errlen) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	rc = pki_write_file(path, crl, strlen((char *)crl), 0644, err, errlen);
out:
	pki_ca_free(&ca);
	pki_rng_free(&rng);
	return rc;
}

static struct tls_conf *
world_conf(const char *dir, int server, int tls12, int anon, int with_cert,
    char *err, size_t errlen)
{
	char cert[512], key[512], ca[512], crl[512];
	struct tls_conf_params p = { .server = server, .tls12 = tls12,
	    .anon_peer = anon };
	struct tls_conf *tc;

	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, server ? "gw" : "agent");
	snprintf(key, sizeof(key), "%s/%s.key", dir, server ? "gw" : "agent");
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crl, sizeof(crl), "%s/crl.pem", dir);
	if (with_cert) {
		p.cert = cert;
		p.key = key;
	}
	if (server && anon)
		p.chain = ca;		/* the enrollment port sends its CA */
	else
		p.ca = ca;
	if (server && !anon)
		p.crl = crl;
	if ((tc = tls_conf_new(&p, err, errlen)) == NULL)
		return NULL;
	/* Each side's random stream; the configuration is ours here. */
	mbedtls_ssl_conf_rng((mbedtls_ssl_config *)tls_conf_ssl(tc),
	    world_random, server ? &rng_server : &rng_client);
	return tc;
}

int
tls_world_init(struct tls_world *w, char *err, size_t errlen)
{
	static const char *const files[] = { "ca.crt", "ca.key", "gw.crt",
	    "gw.key", "agent.crt", "agent.key", "crl.pem" };
	char dir[] = "/tmp/gw-fuzz-tls.XXXXXX", path[512];
	int rc = -1;

	memset(w, 0, sizeof(*w));
#ifdef MBEDTLS_PLATFORM_TIME_ALT
	mbedtls_platform_set_time(world_time);
#endif
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "mkdtemp failed");
		return -1;
	}
	if (world_files(dir, err, errlen) == 0 &&
	    (w->server[TLS_WORLD_AGENT] = world_conf(dir, 1, 1, 0, 1, err,
	    errlen)) != NULL &&
	    (w->server[TLS_WORLD_AGENT13] = world_conf(dir, 1, 0, 0, 1, err,
	    errlen)) != NULL &&
	    (w->server[TLS_WORLD_ENROLL] = world_conf(dir, 1, 1, 1, 1, err,
	    errlen)) != NULL &&
	    (w->client = world_conf(dir, 0, 1, 0, 1, err, errlen)) != NULL &&
	    (w->client12 = world_conf(dir, 0, 1, 0, 1, err, errlen)) != NULL &&
	    (w->client_anon = world_conf(dir, 0, 1, 1, 0, err, errlen)) !=
	    NULL) {
		mbedtls_ssl_conf_max_tls_version(
		    (mbedtls_ssl_config *)tls_conf_ssl(w->client12),
		    MBEDTLS_SSL_VERSION_TLS1_2);
		rc = 0;
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(dir);
	return rc;
}
