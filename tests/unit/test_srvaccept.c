/*
 * test_srvaccept.c: a management server that dials in ([upstream] mode =
 * accept) is ranked by the name its certificate carries (srvaccept_rank):
 * its DNS SANs, or its CN when it has no SAN extension, equal but for
 * case, no wildcard; a certificate naming no server, or without
 * serverAuth (an agent's), gets no rank.  Certificates are made by the CA library (authority_fixture.h).
 */
#include "authority_fixture.h"
#include "srvaccept.h"

/* A certificate of the fixture's CA: CN ${cn}, and DNS SANs ${dns}. */
static void
make_role(mbedtls_x509_crt *crt, enum pki_role role, const char *cn,
    const char *dns0, const char *dns1)
{
	static unsigned char pem[16384], key[16384];
	struct pki_req req = { .role = role, .name = cn };
	struct pki_ca ca;
	char err[256];

	if (dns0 != NULL)
		req.dns[req.ndns++] = dns0;
	if (dns1 != NULL)
		req.dns[req.ndns++] = dns1;
	pki_validity(&req, 30);
	assert_int_equal(pki_ca_load(&ca, dir, &rng, err, sizeof(err)), 0);
	assert_int_equal(pki_make(&req, &ca, &rng, pem, sizeof(pem), key,
	    sizeof(key), err, sizeof(err)), 0);
	pki_ca_free(&ca);
	mbedtls_x509_crt_init(crt);
	assert_int_equal(mbedtls_x509_crt_parse(crt, pem,
	    strlen((char *)pem) + 1), 0);
}

/* A gateway-role certificate (serverAuth and clientAuth). */
static void
make(mbedtls_x509_crt *crt, const char *cn, const char *dns0,
    const char *dns1)
{
	make_role(crt, PKI_ROLE_GATEWAY, cn, dns0, dns1);
}

static char *servers[] = { "mgmt1", "mgmt2.example", "mgmt3" };

/* The rank is the position of the first name the certificate carries. */
static void
test_rank_by_name(void **state)
{
	mbedtls_x509_crt a, b, c, d;

	(void)state;
	make(&a, "mgmt1", NULL, NULL);		/* gw-cert: DNS SAN = CN */
	make(&b, "other", "MGMT2.example", NULL);
	make(&c, "mgmt3", "mgmt2.example", NULL);	/* both: the best */
	make(&d, "mgmt3", "mgmt3", NULL);
	assert_int_equal(srvaccept_rank(&a, servers, 3), 0);
	assert_int_equal(srvaccept_rank(&b, servers, 3), 1);
	assert_int_equal(srvaccept_rank(&c, servers, 3), 1);
	assert_int_equal(srvaccept_rank(&d, servers, 3), 2);
	/* Only the names listed count: the list's length is honoured. */
	assert_int_equal(srvaccept_rank(&b, servers, 1), -1);
	mbedtls_x509_crt_free(&a);
	mbedtls_x509_crt_free(&b);
	mbedtls_x509_crt_free(&c);
	mbedtls_x509_crt_free(&d);
}

/*
 * A certificate naming no server has no rank: neither a prefix, nor a
 * CN hidden behind SANs (with a SAN extension, only the SANs count, as
 * when a gatewayd dials), nor a name only similar.
 */
static void
test_no_rank(void **state)
{
	mbedtls_x509_crt a, b, c;

	(void)state;
	make(&a, "mgmt-rogue", NULL, NULL);
	make(&b, "mgmt1", "rogue.example", NULL);	/* gw-cert adds
							   DNS:mgmt1 too */
	make(&c, "mgmt", "mgmt1.evil", "xmgmt3");
	assert_int_equal(srvaccept_rank(&a, servers, 3), -1);
	assert_int_equal(srvaccept_rank(&b, servers, 3), 0);
	assert_int_equal(srvaccept_rank(&c, servers, 3), -1);
	assert_int_equal(srvaccept_rank(&a, servers, 0), -1);
	mbedtls_x509_crt_free(&a);
	mbedtls_x509_crt_free(&b);
	mbedtls_x509_crt_free(&c);
	/* A wildcard takes no rank: it would take every name it covers. */
	make(&a, "wild", "*.example", NULL);
	assert_int_equal(srvaccept_rank(&a, servers, 3), -1);
	mbedtls_x509_crt_free(&a);
	/* An agent's certificate (clientAuth only) named as a server. */
	make_role(&a, PKI_ROLE_AGENT, "mgmt1", NULL, NULL);
	assert_int_equal(srvaccept_rank(&a, servers, 3), -1);
	mbedtls_x509_crt_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rank_by_name),
		cmocka_unit_test(test_no_rank),
	};

	return cmocka_run_group_tests(tests, auth_setup, auth_teardown);
}
