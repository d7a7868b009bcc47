/*
 * test_authority_hook.c: the signing authority's renewals (the gateway's
 * attested certificate), the policy hook run through the event loop, and
 * what authority_open refuses (authority_fixture.h).
 */
#include "authority_fixture.h"

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
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_hook),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, auth_setup, auth_teardown);
}
