/*
 * test_policy.c: the agent admission policy (policy.c): every rule kind
 * against certificates written here (CN, issuer, DNS/IP/URI SANs), deny
 * rules beating allow rules, and bad values refused with file:line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "config.h"
#include "identity.h"
#include "policy.h"
#include "x509_issue.h"

static struct pki_rng prng;

/* A key pair and certificate, written by make(). */
struct cert {
	mbedtls_pk_context	key;
	mbedtls_x509_crt	crt;
	char			dn[64];
	unsigned char		pem[4096];
};

/*
 * make(c, dn, issuer, ca, sans...): a certificate for ${dn} signed by
 * ${issuer} (self-signed CA if NULL; ${ca}: a CA), with the SANs given as
 * "dns:", "ip:" (raw bytes are parsed) or "uri:" strings, NULL-terminated.
 */
static void
make(struct cert *c, const char *dn, struct cert *issuer, int ca, ...)
{
	mbedtls_x509write_cert w;
	mbedtls_x509_san_list san[4];
	unsigned char ip[4][16];
	static unsigned char serial = 1;
	char err[128];
	const char *s;
	size_t n = 0;
	va_list ap;

	memset(san, 0, sizeof(san));
	snprintf(c->dn, sizeof(c->dn), "%s", dn);
	mbedtls_pk_init(&c->key);
	mbedtls_x509_crt_init(&c->crt);
	assert_int_equal(pki_genkey(&c->key, 0, &prng, err, sizeof(err)), 0);
	mbedtls_x509write_crt_init(&w);
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	serial++;
	assert_int_equal(mbedtls_x509write_crt_set_serial_raw(&w, &serial,
	    1), 0);
	assert_int_equal(mbedtls_x509write_crt_set_validity(&w,
	    "20200101000000", "20991231235959"), 0);
	assert_int_equal(mbedtls_x509write_crt_set_subject_name(&w, dn), 0);
	assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&w,
	    issuer ? issuer->dn : dn), 0);
	mbedtls_x509write_crt_set_subject_key(&w, &c->key);
	mbedtls_x509write_crt_set_issuer_key(&w, issuer ? &issuer->key :
	    &c->key);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	assert_int_equal(mbedtls_x509write_crt_set_basic_constraints(&w, ca,
	    -1), 0);
	va_start(ap, ca);
	while ((s = va_arg(ap, const char *)) != NULL) {
		mbedtls_x509_san_list *l = &san[n];

		assert_true(n < 4);
		if (strncmp(s, "ip:", 3) == 0) {
			l->node.type = MBEDTLS_X509_SAN_IP_ADDRESS;
			if (inet_pton(AF_INET, s + 3, ip[n]) == 1)
				l->node.san.unstructured_name.len = 4;
			else {
				assert_int_equal(inet_pton(AF_INET6, s + 3,
				    ip[n]), 1);
				l->node.san.unstructured_name.len = 16;
			}
			l->node.san.unstructured_name.p = ip[n];
		} else {
			l->node.type = strncmp(s, "dns:", 4) == 0 ?
			    MBEDTLS_X509_SAN_DNS_NAME :
			    MBEDTLS_X509_SAN_UNIFORM_RESOURCE_IDENTIFIER;
			s = strchr(s, ':') + 1;
			l->node.san.unstructured_name.p = (unsigned char *)s;
			l->node.san.unstructured_name.len = strlen(s);
		}
		if (n > 0)
			san[n - 1].next = l;
		n++;
	}
	va_end(ap);
	if (n > 0)
		assert_int_equal(
		    mbedtls_x509write_crt_set_subject_alternative_name(&w,
		    san), 0);
	assert_int_equal(mbedtls_x509write_crt_pem(&w, c->pem,
	    sizeof(c->pem), mbedtls_ctr_drbg_random, &prng.drbg), 0);
	mbedtls_x509write_crt_free(&w);
	assert_int_equal(mbedtls_x509_crt_parse(&c->crt, c->pem,
	    strlen((char *)c->pem) + 1), 0);
}

static void
unmake(struct cert *c)
{
	mbedtls_pk_free(&c->key);
	mbedtls_x509_crt_free(&c->crt);
}

static void
fp_of(const struct cert *c, char *out)
{
	uint8_t fp[32];

	assert_int_equal(mbedtls_sha256(c->crt.raw.p, c->crt.raw.len, fp, 0),
	    0);
	strcpy(out, "sha256:");
	id_fp_hex(fp, out + 7);
}

/* A policy of "key=value" pairs, NULL-terminated; each must compile. */
static struct policy *
pol(const char *kv, ...)
{
	struct policy *p = policy_new();
	char why[256], key[64];
	va_list ap;

	assert_non_null(p);
	va_start(ap, kv);
	for (; kv != NULL; kv = va_arg(ap, const char *)) {
		const char *eq = strchr(kv, '=');

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
		why[0] = '\0';
		if (policy_set(p, key, eq + 1, why, sizeof(why)) != 0)
			fail_msg("%s: %s", kv, why);
	}
	va_end(ap);
	return p;
}

static int
ok(const struct policy *p, const struct cert *c, char *why)
{
	return policy_check(p, &c->crt, why, 128);
}

static struct cert ca1, ca2, ca1twin, a1, a2, twin, box, odd;

static int
setup(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(pki_rng_init(&prng, err, sizeof(err)), 0);
	make(&ca1, "CN=CA one,O=East", NULL, 1, NULL);
	make(&ca2, "CN=CA two,O=West", NULL, 1, NULL);
	make(&ca1twin, "CN=CA one,O=East", NULL, 1, NULL);	/* rekeyed */
	make(&a1, "CN=agent-1", &ca1, 0, "dns:agent-1", NULL);
	make(&a2, "CN=agent-2", &ca2, 0, "dns:agent-2", NULL);
	make(&twin, "CN=agent-3", &ca1twin, 0, NULL);
	make(&box, "CN=box-7", &ca1, 0, "dns:Box-7.Sensors.Example.NET",
	    "ip:10.1.2.3", "ip:2001:db8::7", "uri:spiffe://example.net/box/7",
	    NULL);
	make(&odd, "CN=agent 9", &ca1, 0, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unmake(&ca1); unmake(&ca2); unmake(&ca1twin); unmake(&a1);
	unmake(&a2); unmake(&twin); unmake(&box); unmake(&odd);
	pki_rng_free(&prng);
	return 0;
}

static void
test_empty_and_names(void **state)
{
	struct policy *p = policy_new();
	char why[128];

	(void)state;
	assert_int_equal(ok(p, &a1, why), 0);
	policy_free(p);
	assert_int_equal(ok(NULL, &a1, why), -1);	/* fails closed */
	p = pol("agent_names=agent-*, dmz-?", NULL);
	assert_int_equal(ok(p, &a1, why), 0);
	assert_int_equal(ok(p, &box, why), -1);
	assert_string_equal(why, "name not allowed by agent_names");
	/* A CN outside [A-Za-z0-9._-] never matches, as before. */
	assert_int_equal(ok(p, &odd, why), -1);
	policy_free(p);
	policy_free(NULL);
}

static void
test_issuer_dn(void **state)
{
	struct policy *p = pol("agent_issuers=*CN=CA two* | O=Nowhere*",
	    NULL);
	char why[128];

	(void)state;
	assert_int_equal(ok(p, &a2, why), 0);
	assert_int_equal(ok(p, &a1, why), -1);
	assert_string_equal(why, "issuer not allowed by agent_issuers");
	policy_free(p);
}

static void
test_issuer_fingerprint(void **state)
{
	char fp[80], why[256], v[128], path[] = "/tmp/test_policy.XXXXXX";
	struct policy *p;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fprintf(f, "%s%s%s", ca1.pem, ca2.pem, ca1twin.pem);
	fclose(f);
	fp_of(&ca1, fp);
	snprintf(v, sizeof(v), "agent_issuers=%s", fp);
	p = pol(v, NULL);
	assert_int_equal(policy_has_fingerprints(p), 1);
	assert_int_equal(policy_cas(p, path, why, sizeof(why)), 0);
	assert_int_equal(ok(p, &a1, why), 0);
	assert_int_equal(ok(p, &box, why), 0);
	assert_int_equal(ok(p, &a2, why), -1);
	assert_string_equal(why, "issuer not allowed by agent_issuers");
	/* Same DN, another key: the signature tells them apart. */
	assert_int_equal(ok(p, &twin, why), -1);
	assert_int_equal(ok(p, &twin, why), -1);	/* kept answers */
	assert_int_equal(ok(p, &a1, why), 0);
	policy_free(p);
	fp_of(&ca1twin, fp);
	snprintf(v, sizeof(v), "agent_issuers=%s", fp);
	p = pol(v, NULL);
	assert_int_equal(policy_cas(p, path, why, sizeof(why)), 0);
	assert_int_equal(ok(p, &twin, why), 0);
	assert_int_equal(ok(p, &a1, why), -1);
	assert_int_equal(ok(p, &box, why), -1);
	policy_free(p);

	/* A fingerprint that is no certificate of the bundle. */
	fp_of(&a1, fp);
	snprintf(v, sizeof(v), "agent_issuers=CN=x | %s", fp);
	p = pol(v, NULL);
	assert_int_equal(policy_cas(p, path, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no certificate of agent_ca"));
	policy_free(p);
	/* Without fingerprints nothing is read. */
	p = pol("agent_issuers=CN=x", NULL);
	assert_int_equal(policy_cas(p, "/nonexistent", why, sizeof(why)), 0);
	policy_free(p);
	unlink(path);
}

static void
test_sans(void **state)
{
	struct policy *p;
	char why[128];

	(void)state;
	p = pol("agent_san_dns=*.sensors.example.net", NULL);
	assert_int_equal(ok(p, &box, why), 0);	/* no case */
	assert_int_equal(ok(p, &a1, why), -1);
	assert_string_equal(why, "no DNS SAN allowed by agent_san_dns");
	policy_free(p);

	p = pol("agent_san_ip=192.0.2.0/24, 10.1.0.0/16", NULL);
	assert_int_equal(ok(p, &box, why), 0);
	assert_int_equal(ok(p, &a1, why), -1);
	assert_string_equal(why, "no IP SAN allowed by agent_san_ip");
	policy_free(p);
	p = pol("agent_san_ip=10.1.2.4/31, 10.1.2.0/31, 10.1.2.2/32", NULL);
	assert_int_equal(ok(p, &box, why), -1);
	policy_free(p);
	p = pol("agent_san_ip=2001:db8::/64", NULL);
	assert_int_equal(ok(p, &box, why), 0);
	policy_free(p);
	p = pol("agent_san_ip=10.1.2.3/32, 2001:db8::8", NULL);
	assert_int_equal(ok(p, &box, why), 0);
	policy_free(p);
	p = pol("agent_san_ip=0.0.0.0/0", NULL);	/* v4 only */
	assert_int_equal(ok(p, &box, why), 0);
	assert_int_equal(ok(p, &a1, why), -1);
	policy_free(p);

	p = pol("agent_san_uri=spiffe://example.net/box/*", NULL);
	assert_int_equal(ok(p, &box, why), 0);
	assert_int_equal(ok(p, &a1, why), -1);
	assert_string_equal(why, "no URI SAN allowed by agent_san_uri");
	policy_free(p);
	p = pol("agent_san_uri=SPIFFE://example.net/box/*", NULL);
	assert_int_equal(ok(p, &box, why), -1);	/* URIs keep case */
	policy_free(p);
}

static void
test_keys_and(void **state)
{
	struct policy *p;
	char why[128];

	(void)state;
	/* Each key set must match; within a key any item. */
	p = pol("agent_names=box-*", "agent_san_ip=10.0.0.0/8",
	    "agent_issuers=*CN=CA one*", NULL);
	assert_int_equal(ok(p, &box, why), 0);
	policy_free(p);
	p = pol("agent_names=box-*", "agent_san_ip=192.168.0.0/16", NULL);
	assert_int_equal(ok(p, &box, why), -1);
	assert_string_equal(why, "no IP SAN allowed by agent_san_ip");
	policy_free(p);
	/* A key set again replaces its value. */
	p = pol("agent_names=x", "agent_names=agent-1", NULL);
	assert_int_equal(ok(p, &a1, why), 0);
	policy_free(p);
}

static void
test_deny_beats_allow(void **state)
{
	char fp[80], v[256], why[128];
	struct policy *p;

	(void)state;
	p = pol("agent_names=*", "deny_names=Agent-2, dmz-*", NULL);
	assert_int_equal(ok(p, &a1, why), 0);
	assert_int_equal(ok(p, &a2, why), -1);
	assert_string_equal(why, "name denied by deny_names");
	policy_free(p);
	/* deny_names also sees DNS SANs. */
	p = pol("deny_names=Box-7.Sensors.*", NULL);
	assert_int_equal(ok(p, &box, why), -1);
	assert_string_equal(why, "name denied by deny_names");
	policy_free(p);

	fp_of(&a1, fp);
	snprintf(v, sizeof(v), "deny_fingerprints=%064d, %s", 0, fp + 7);
	p = pol("agent_names=agent-*", "agent_issuers=*", v, NULL);
	assert_int_equal(ok(p, &a1, why), -1);
	assert_string_equal(why, "fingerprint denied by deny_fingerprints");
	assert_int_equal(ok(p, &a2, why), 0);
	assert_int_equal(policy_check_der(p, a1.crt.raw.p, a1.crt.raw.len,
	    why, sizeof(why)), -1);
	assert_int_equal(policy_check_der(p, a2.crt.raw.p, a2.crt.raw.len,
	    why, sizeof(why)), 0);
	assert_int_equal(policy_check_der(p, (const uint8_t *)"junk", 4, why,
	    sizeof(why)), -1);
	assert_int_equal(policy_check_der(p, NULL, 0, why, sizeof(why)), -1);
	policy_free(p);
}

/* policy_deny: the deny keys for an agent known by strings (a relay). */
static void
test_deny_strings(void **state)
{
	static const char sans[] = "IP:10.0.0.1 DNS:Box-7.Sensors.x URI:u";
	uint8_t fp[32], other[32];
	char v[128], why[128];
	struct policy *p;

	(void)state;
	memset(fp, 0xab, sizeof(fp));
	memset(other, 0xcd, sizeof(other));
	snprintf(v, sizeof(v), "deny_fingerprints=%064d", 0);
	for (int i = 0; i < 64; i++)
		v[18 + i] = i % 2 ? 'b' : 'a';
	p = pol("agent_names=nothing-*", "deny_names=Agent-2, box-7.sensors.*",
	    v, NULL);
	assert_int_equal(policy_deny(p, "agent-1", other, "", 0, why,
	    sizeof(why)), 0);		/* the allow keys are not its */
	assert_int_equal(policy_deny(p, "agent-1", fp, "", 0, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "fingerprint denied by deny_fingerprints");
	assert_int_equal(policy_deny(p, "AGENT-2", other, "", 0, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "name denied by deny_names");
	assert_int_equal(policy_deny(p, "agent-1", other, sans,
	    strlen(sans), why, sizeof(why)), -1);
	assert_string_equal(why, "name denied by deny_names");
	assert_int_equal(policy_deny(p, "agent-1", other, sans, 13, why,
	    sizeof(why)), 0);		/* only "IP:10.0.0.1 D" */
	assert_int_equal(policy_deny(NULL, "agent-1", other, "", 0, why,
	    sizeof(why)), -1);		/* fail closed */
	policy_free(p);
}

static void
test_bad_values(void **state)
{
	static const char *const bad[][2] = {
		{ "agent_san_ip", "10.0.0.0/33" },
		{ "agent_san_ip", "10.0.0.0/" },
		{ "agent_san_ip", "10.0.0.0/-1" },
		{ "agent_san_ip", "300.1.1.1" },
		{ "agent_san_ip", "box-7" },
		{ "agent_san_ip", "::1/129" },
		{ "deny_fingerprints", "sha256:zz" },
		{ "deny_fingerprints", "abcd" },
		{ "agent_issuers", "CN=x | sha256:1234" },
		{ "agent_san_dns", " , " },
	};
	struct policy *p = policy_new();
	char why[256], big[400];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (policy_set(p, bad[i][0], bad[i][1], why, sizeof(why)) != -1)
			fail_msg("%s = %s accepted", bad[i][0], bad[i][1]);
		assert_true(why[0] != '\0');
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(policy_set(p, "deny_names", big, why, sizeof(why)),
	    -1);
	assert_int_equal(policy_set(p, "agent_colour", "x", why,
	    sizeof(why)), -2);
	/* A failed key leaves nothing behind: the policy admits all. */
	assert_int_equal(ok(p, &a1, why), 0);
	policy_free(p);
}

static void
test_config_file_line(void **state)
{
	static const char text[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "agent_san_dns = *.example.net\n"
	    "agent_san_ip = 10.0.0.0/8, 10.1.2.3/40\n"
	    "[upstream]\nserver = 127.0.0.1:7444\nca = ca.crt\n";
	static const char good[] =
	    "[gateway]\ncert = g.crt\nkey = g.key\nagent_ca = ca.crt\n"
	    "agent_issuers = CN=CA one, O=East | CN=CA two*\n"
	    "agent_san_uri = spiffe://example.net/*\n"
	    "deny_names = agent-2\n"
	    "deny_fingerprints = 00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:"
	    "ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
	    "[upstream]\nserver = 127.0.0.1:7444\nca = ca.crt\n";
	struct gw_config c;
	char err[4096] = "", why[128];

	(void)state;
	assert_int_equal(gw_config_load_string(text, "m.ini", "/etc/gw", &c,
	    err, sizeof(err)), 1);
	assert_non_null(strstr(err, "m.ini:6: [gateway] agent_san_ip: "
	    "\"10.1.2.3/40\": not an IP address or CIDR range"));
	gw_config_free(&c);
	err[0] = '\0';
	assert_int_equal(gw_config_load_string(good, "m.ini", "/etc/gw", &c,
	    err, sizeof(err)), 0);
	assert_non_null(c.policy);
	assert_int_equal(ok(c.policy, &a2, why), -1);
	assert_string_equal(why, "name denied by deny_names");
	assert_int_equal(ok(c.policy, &a1, why), -1);
	assert_string_equal(why, "no URI SAN allowed by agent_san_uri");
	gw_config_free(&c);
	/* The default: agent_names = "*", nothing else. */
	assert_int_equal(gw_config_load_string(gw_config_default_text,
	    "gateway.ini", ".", &c, err, sizeof(err)), 0);
	assert_int_equal(ok(c.policy, &a1, why), 0);
	assert_int_equal(ok(c.policy, &odd, why), -1);
	gw_config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_names),
		cmocka_unit_test(test_issuer_dn),
		cmocka_unit_test(test_issuer_fingerprint),
		cmocka_unit_test(test_sans),
		cmocka_unit_test(test_keys_and),
		cmocka_unit_test(test_deny_beats_allow),
		cmocka_unit_test(test_deny_strings),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_config_file_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
