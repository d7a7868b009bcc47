/*
 * test_authority_hook.c: the signing authority's renewals (the gateway's
 * attested certificate), the policy hook run through the event loop, and
 * what authority_open refuses (authority_fixture.h).
 */
#include <dirent.h>

#include "authority_fixture.h"

/* ${t} as YYYYMMDDhhmmss UTC. */
static void
stamp(char *out, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/*
 * A certificate for ${name} of ${role} from CA directory ${cadir}, valid
 * for 30 days from ${age} days ago.
 */
static void
make_cert_aged(const char *cadir, enum pki_role role, const char *name,
    unsigned age, mbedtls_x509_crt *crt)
{
	static unsigned char pem[16384], key[16384];
	struct pki_req req = { .role = role, .name = name };
	struct pki_ca ca;
	char err[256];

	assert_int_equal(pki_ca_load(&ca, cadir, &rng, err, sizeof(err)), 0);
	stamp(req.not_before, time(NULL) - (time_t)age * 86400);
	stamp(req.not_after, time(NULL) + (time_t)(30 - age) * 86400);
	assert_int_equal(pki_make(&req, &ca, &rng, pem, sizeof(pem), key,
	    sizeof(key), err, sizeof(err)), 0);
	pki_ca_free(&ca);
	mbedtls_x509_crt_init(crt);
	assert_int_equal(mbedtls_x509_crt_parse(crt, pem,
	    strlen((char *)pem) + 1), 0);
}

/* The same, a third of its validity over: due for renewal. */
static void
make_cert(const char *cadir, enum pki_role role, const char *name,
    mbedtls_x509_crt *crt)
{
	make_cert_aged(cadir, role, name, 11, crt);
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

/* Our children, live or zombie, from /proc (ppid, the 4th field). */
static int
children(void)
{
	char path[300], buf[512], *p;
	struct dirent *e;
	int n = 0;
	long ppid;
	DIR *d;
	FILE *f;

	assert_non_null(d = opendir("/proc"));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 &&
		    ppid == (long)getpid())
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
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
	assert_non_null(strstr(an.message, "no answer in 5s"));
	assert_int_equal(used(id), 0);
	hook_submit(a, "hook-sign-2", tok, &an, rid);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	assert_int_equal(used(id), 1);

	/* Cancelled: its hook ended, no callback, the request dropped. */
	len = make_csr(0, "hook-sign-3", csr, sizeof(csr));
	ed_rid(csr, len, rid);
	submit(a, csr, len, NULL, NULL, 0, &gone, 0);
	authority_cancel(a, &gone);
	ev_run(EV_DEFAULT, 0);		/* until no hook is left */
	assert_int_equal(gone.calls, 0);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	assert_int_equal(children(), 0);

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

/* Run the loop until ${n} children are left (10 s at most). */
static void
run_until_children(int n)
{
	double t0 = ev_time();

	while (children() != n && ev_time() - t0 < 10)
		ev_run(EV_DEFAULT, EVRUN_NOWAIT), usleep(10000);
	assert_int_equal(children(), n);
}

/* Submit ${name} from ${source}; the answer (if any yet) in ${an}. */
static void
submit_from(struct authority *a, const char *name, const char *source,
    const uint8_t *cert, size_t certlen, struct answer *an)
{
	uint8_t csr[CSR_DER_MAX];
	size_t len = make_csr(0, name, csr, sizeof(csr));
	struct authority_req r = {
		.csr = csr, .csr_len = len, .token = "", .request_id = "",
		.source = source, .via = "gw-test", .client_cert = cert,
		.client_cert_len = certlen,
	};

	answer_reset(an);
	authority_submit(a, &r, on_result, an);
}

/*
 * hook_max hooks at once, hook_queue waiting, the rest refused; a
 * cancelled request ends its hook, running or waiting, and every hook is
 * reaped: no child left, not even a zombie.
 */
static void
test_hook_bounds(void **state)
{
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = dir, .cert_days = 30,
		.retry_after = 7, .hook_timeout = 60, .hook_max = 2,
		.hook_queue = 2,
	};
	struct answer an[6];
	char hook[256], err[256], name[32], path[256];
	struct authority *a;
	double t0;

	(void)state;
	memset(an, 0, sizeof(an));
	snprintf(hook, sizeof(hook), "%s/hook.sh", tmp);
	assert_int_equal(pki_write_file(hook, hook_sh, sizeof(hook_sh) - 1,
	    0700, err, sizeof(err)), 0);
	p.hook = hook;
	assert_non_null(a = authority_open(&p, err, sizeof(err)));
	assert_int_equal(children(), 0);
	/* Two run, two wait, the fifth is refused at once. */
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "hook-slow-b%d", i);
		submit_from(a, name, "192.0.2.7:40000", NULL, 0, &an[i]);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(an[i].calls, 0);
	assert_int_equal(an[4].calls, 1);
	assert_int_equal(an[4].reason, GW_R_OVERLOAD);
	assert_non_null(strstr(an[4].message, "hook_max"));
	run_until_children(2);
	/* A running one cancelled: its hook ends, a waiting one starts. */
	authority_cancel(a, &an[0]);
	authority_cancel(a, &an[2]);	/* waiting: never runs */
	snprintf(path, sizeof(path), "%s/hook.hook-slow-b3.env", tmp);
	for (t0 = ev_time(); access(path, F_OK) != 0 && ev_time() - t0 < 10;)
		ev_run(EV_DEFAULT, EVRUN_NOWAIT), usleep(10000);
	assert_int_equal(access(path, F_OK), 0);
	run_until_children(2);
	snprintf(path, sizeof(path), "%s/hook.hook-slow-b2.env", tmp);
	assert_int_not_equal(access(path, F_OK), 0);
	authority_cancel(a, &an[1]);
	run_until_children(1);
	authority_cancel(a, &an[3]);
	run_until_children(0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(an[i].calls, 0);
	/* Room again: the next one runs. */
	submit_from(a, "hook-sign-b5", "192.0.2.7:40000", NULL, 0, &an[5]);
	while (an[5].calls == 0)
		ev_run(EV_DEFAULT, EVRUN_ONCE);
	assert_int_equal(an[5].status, GW_ENROLL_ISSUED);
	run_until_children(0);
	for (int i = 0; i < 6; i++)
		answer_reset(&an[i]);
	authority_close(a);
}

/*
 * Renewals: not before renew_after percent of the certificate's validity
 * (33), and each takes one of its source's new requests an hour.
 */
static void
test_renewal_bounds(void **state)
{
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = dir, .cert_days = 30,
		.retry_after = 7, .new_per_source = 3,
	};
	struct answer an = { 0 };
	mbedtls_x509_crt young, due;
	char err[256], name[32];
	struct authority *a;

	(void)state;
	assert_non_null(a = authority_open(&p, err, sizeof(err)));
	make_cert_aged(dir, PKI_ROLE_AGENT, "agent-y", 0, &young);
	make_cert_aged(dir, PKI_ROLE_AGENT, "agent-y", 11, &due);
	submit_from(a, "agent-y", "192.0.2.9:1", young.raw.p, young.raw.len,
	    &an);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	assert_non_null(strstr(an.message, "too young"));
	/* Due: three renewals from one source this hour, not four. */
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "agent-y");
		submit_from(a, name, "192.0.2.9:1", due.raw.p, due.raw.len,
		    &an);
		assert_int_equal(an.calls, 1);
		if (i < 3)
			assert_int_equal(an.status, GW_ENROLL_ISSUED);
	}
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	assert_non_null(strstr(an.message, "new_per_source_per_hour"));
	/* Another source is not held back. */
	submit_from(a, "agent-y", "192.0.2.10:1", due.raw.p, due.raw.len, &an);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	answer_reset(&an);
	mbedtls_x509_crt_free(&young);
	mbedtls_x509_crt_free(&due);
	authority_close(a);
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
		cmocka_unit_test(test_hook_bounds),
		cmocka_unit_test(test_renewal_bounds),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, auth_setup, auth_teardown);
}
