/*
 * tls_world.c: the fixed TLS world of fuzz_tls and fuzz_ticket (see
 * tls_world.h).  Files go through a private temporary directory because
 * tls_conf_new and tls_ticket_new load files, as the daemons do; the
 * directory is removed once loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/platform_time.h>

#include "crl.h"
#include "identity.h"
#include "pkifile.h"
#include "support_check.h"
#include "tls_rng.h"
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

static int64_t world_now = TLS_WORLD_TIME;

#ifdef MBEDTLS_PLATFORM_TIME_ALT
static mbedtls_time_t
world_time(mbedtls_time_t *t)
{
	if (t != NULL)
		*t = (mbedtls_time_t)world_now;
	return (mbedtls_time_t)world_now;
}
#endif

/* mbedTLS's ticket ages (--wrap=mbedtls_ms_time): the same clock. */
mbedtls_ms_time_t __wrap_mbedtls_ms_time(void);

mbedtls_ms_time_t
__wrap_mbedtls_ms_time(void)
{
	return (mbedtls_ms_time_t)world_now * 1000;
}

/**
 * tls_world_clock(t): mbedTLS's clocks (mbedtls_time, mbedtls_ms_time)
 * read ${t} from now on (TLS_WORLD_TIME after tls_world_init).  Stay
 * within [TLS_WORLD_TIME, TLS_WORLD_TIME + TLS_WORLD_LIFETIME): beyond,
 * the ticket key is due and would be replaced by a random one.
 */
void
tls_world_clock(int64_t t)
{
	world_now = t;
}

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
    const char *name, const char *not_after, struct pki_ca *ca,
    struct pki_rng *rng, char *err, size_t errlen)
{
	static unsigned char crt[8192], key[8192];
	struct pki_req req = { .role = role, .name = name };
	char path[512];

	snprintf(req.not_before, sizeof(req.not_before), "20250101000000");
	snprintf(req.not_after, sizeof(req.not_after), "%s", not_after);
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

/* The serial of the certificate in ${dir}/${file}.crt into ${r}. */
static int
world_serial(const char *dir, const char *file, struct pki_revoked *r)
{
	mbedtls_x509_crt crt;
	char path[512];
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s.crt", dir, file);
	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse_file(&crt, path) == 0 &&
	    crt.serial.len <= sizeof(r->serial)) {
		memcpy(r->serial, crt.serial.p, crt.serial.len);
		r->len = crt.serial.len;
		rc = 0;
	}
	mbedtls_x509_crt_free(&crt);
	return rc;
}

/* The ticket key file: one fixed key, made at TLS_WORLD_TIME. */
static int
world_ticket_keys(const char *dir, char *err, size_t errlen)
{
	struct tls_world_rng r = { 0x71c4, 0x71c4 };
	unsigned char k[4 + 32];
	char line[128], path[512];
	int n;

	world_random(&r, k, sizeof(k));
	n = snprintf(line, sizeof(line), "%lld ", (long long)TLS_WORLD_TIME);
	for (size_t i = 0; i < sizeof(k); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%02x",
		    i == 4 ? " " : "", k[i]);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	snprintf(path, sizeof(path), "%s/ticket.keys", dir);
	return pki_write_file(path, (unsigned char *)line, (size_t)n, 0600,
	    err, errlen);
}

static int
world_files(const char *dir, char *err, size_t errlen)
{
	static unsigned char crl[4096];
	struct pki_revoked gone[2] = { { .serial = { 0x7f, 0x01 }, .len = 2,
	    .when = "20250601000000" }, { .when = "20250601000000" } };
	struct pki_rng rng;
	struct pki_ca ca;
	char path[512];
	int rc = -1;

	memset(&ca, 0, sizeof(ca));
	if (tls_world_pki_rng(&rng) != 0) {
		snprintf(err, errlen, "drbg seed failed");
		goto out;
	}
	/* The first three as before: the same bytes as older seeds. */
	if (world_issue(dir, "ca", PKI_ROLE_CA, "fuzz-ca", "20350101000000",
	    NULL, &rng, err, errlen) != 0 ||
	    pki_ca_load(&ca, dir, &rng, err, errlen) != 0 ||
	    world_issue(dir, "gw", PKI_ROLE_GATEWAY, TLS_WORLD_NAME,
	    "20350101000000", &ca, &rng, err, errlen) != 0 ||
	    world_issue(dir, "agent", PKI_ROLE_AGENT, TLS_WORLD_AGENT_NAME,
	    "20350101000000", &ca, &rng, err, errlen) != 0 ||
	    world_issue(dir, "revoked", PKI_ROLE_AGENT, "agent-revoked",
	    "20350101000000", &ca, &rng, err, errlen) != 0 ||
	    world_issue(dir, "expired", PKI_ROLE_AGENT, "agent-expired",
	    "20291231000000", &ca, &rng, err, errlen) != 0)
		goto out;
	if (world_serial(dir, "revoked", &gone[1]) != 0) {
		snprintf(err, errlen, "revoked.crt: no serial");
		goto out;
	}
	/* The CRL, and the same list with a nextUpdate long gone. */
	if (pki_crl_write(&ca, &rng, gone, 2, 1, crl, sizeof(crl), err,
	    errlen) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/crl-stale.pem", dir);
	if (pki_write_file(path, crl, strlen((char *)crl), 0644, err,
	    errlen) != 0 ||
	    pki_crl_write(&ca, &rng, gone, 2, 3650, crl, sizeof(crl), err,
	    errlen) != 0 || world_ticket_keys(dir, err, errlen) != 0)
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
    struct tls_ticket *tickets, const char *crlfile, char *err,
    size_t errlen)
{
	char cert[512], key[512], ca[512], crl[512];
	struct tls_conf_params p = { .server = server, .tls12 = tls12 != 0,
	    .no_tls13 = tls12 == 2, .anon_peer = anon, .tickets = tickets };
	struct tls_conf *tc;

	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, server ? "gw" : "agent");
	snprintf(key, sizeof(key), "%s/%s.key", dir, server ? "gw" : "agent");
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crl, sizeof(crl), "%s/%s", dir, crlfile);
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

/* The certificates the invariants compare with, parsed. */
static int
world_certs(struct tls_world *w, const char *dir, char *err, size_t errlen)
{
	struct {
		mbedtls_x509_crt	*crt;
		const char		*file;
	} c[] = { { &w->agent, "agent.crt" }, { &w->revoked, "revoked.crt" },
	    { &w->expired, "expired.crt" }, { &w->ca, "ca.crt" } };
	char path[512];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, c[i].file);
		if (mbedtls_x509_crt_parse_file(c[i].crt, path) != 0) {
			snprintf(err, errlen, "%s: does not parse", path);
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/crl.pem", dir);
	if (mbedtls_x509_crl_parse_file(&w->crl, path) != 0) {
		snprintf(err, errlen, "%s: does not parse", path);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/crl-stale.pem", dir);
	if (mbedtls_x509_crl_parse_file(&w->crl_stale, path) != 0) {
		snprintf(err, errlen, "%s: does not parse", path);
		return -1;
	}
	return 0;
}

int
tls_world_init(struct tls_world *w, char *err, size_t errlen)
{
	static const char *const files[] = { "ca.crt", "ca.key", "gw.crt",
	    "gw.key", "agent.crt", "agent.key", "revoked.crt", "revoked.key",
	    "expired.crt", "expired.key", "crl.pem", "crl-stale.pem",
	    "ticket.keys" };
	char dir[] = "/tmp/gw-fuzz-tls.XXXXXX", path[512];
	int rc = -1;

	memset(w, 0, sizeof(*w));
	mbedtls_x509_crt_init(&w->agent);
	mbedtls_x509_crt_init(&w->revoked);
	mbedtls_x509_crt_init(&w->expired);
	mbedtls_x509_crt_init(&w->ca);
	mbedtls_x509_crl_init(&w->crl);
	mbedtls_x509_crl_init(&w->crl_stale);
	world_now = TLS_WORLD_TIME;
#ifdef MBEDTLS_PLATFORM_TIME_ALT
	mbedtls_platform_set_time(world_time);
#endif
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "mkdtemp failed");
		return -1;
	}
	/* As gatewayd's main: tls_ticket_new, then the agent port's conf. */
	snprintf(path, sizeof(path), "%s/ticket.keys", dir);
	if (world_files(dir, err, errlen) == 0 &&
	    tls_rng_setup(err, errlen) == 0 &&
	    (w->tickets = tls_ticket_new(path, TLS_WORLD_LIFETIME, err,
	    errlen)) != NULL &&
	    world_certs(w, dir, err, errlen) == 0 &&
	    (w->server[TLS_WORLD_AGENT] = world_conf(dir, 1, 1, 0, 1,
	    w->tickets, "crl.pem", err, errlen)) != NULL &&
	    (w->server[TLS_WORLD_AGENT13] = world_conf(dir, 1, 0, 0, 1,
	    w->tickets, "crl.pem", err, errlen)) != NULL &&
	    (w->server[TLS_WORLD_ENROLL] = world_conf(dir, 1, 1, 1, 1, NULL,
	    "crl.pem", err, errlen)) != NULL &&
	    (w->stale = world_conf(dir, 1, 1, 0, 1, w->tickets,
	    "crl-stale.pem", err, errlen)) != NULL &&
	    (w->client = world_conf(dir, 0, 1, 0, 1, NULL, "crl.pem", err,
	    errlen)) != NULL &&
	    (w->client12 = world_conf(dir, 0, 1, 0, 1, NULL, "crl.pem", err,
	    errlen)) != NULL &&
	    (w->client12_mfl = world_conf(dir, 0, 2, 0, 1, NULL, "crl.pem",
	    err, errlen)) != NULL &&
	    (w->client_anon = world_conf(dir, 0, 1, 1, 0, NULL, "crl.pem",
	    err, errlen)) != NULL) {
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

/**
 * tls_world_check_resumed(w, tc, peer): the invariants of a ticket that
 * ${tc}'s ticket parser accepted, leaving ${peer}: it carries the agent
 * certificate whose full handshake issued tickets (byte for byte: any
 * other is a forgery), authenticated within the ticket lifetime, now in
 * its validity period, not revoked, chaining to the CA under ${tc}'s CRL
 * (which must not be past its nextUpdate), with a name that agent_names
 * admits.  Aborts if one fails.
 */
void
tls_world_check_resumed(const struct tls_world *w, const struct tls_conf *tc,
    const struct tls_resumed *peer)
{
	const mbedtls_x509_crt *crt = peer->crt;
	const mbedtls_x509_crl *crl = tc == w->stale ? &w->crl_stale :
	    &w->crl;
	struct id_info id;
	uint32_t flags = 0;

	SUPPORT_CHECK(crt != NULL);
	SUPPORT_CHECK(crt->raw.len == w->agent.raw.len &&
	    memcmp(crt->raw.p, w->agent.raw.p, crt->raw.len) == 0);
	SUPPORT_CHECK(peer->auth_time <= world_now + 60 &&
	    world_now - peer->auth_time <= (int64_t)TLS_WORLD_LIFETIME);
	SUPPORT_CHECK(!mbedtls_x509_time_is_past(&crt->valid_to) &&
	    !mbedtls_x509_time_is_future(&crt->valid_from));
	SUPPORT_CHECK(!tls_conf_revoked(tc, crt));
	SUPPORT_CHECK(mbedtls_x509_crt_verify((mbedtls_x509_crt *)crt,
	    (mbedtls_x509_crt *)&w->ca, (mbedtls_x509_crl *)crl, NULL,
	    &flags, NULL, NULL) == 0 && flags == 0);
	SUPPORT_CHECK(id_from_crt(crt, "192.0.2.1:1", &id) == 0);
	SUPPORT_CHECK(id_policy_match(TLS_WORLD_POLICY, id.name));
}
