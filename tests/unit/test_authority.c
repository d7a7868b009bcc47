/*
 * test_authority.c: the signing authority (certs/ca/authority.c) driven
 * directly on a CA in a temporary directory (authority_fixture.h): tokens
 * (issue, resend, used up, expired, forged, revoked, names), the pending
 * queue (approve, deny, expiry, sweep, overload, per source) and bad CSRs.
 */
#include <ctype.h>

#include "authority_fixture.h"
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
	assert_int_equal(authority_approve(dir, rid, 10, 0, name, err,
	    sizeof(err)), 0);
	assert_string_equal(name, "agent-5");
	poll_rid(a, rid, &an);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-5");
	assert_int_equal(issued_lines("agent-5"), 1);
	assert_int_equal(authority_approve(dir, rid, 10, 0, name, err,
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
	assert_int_equal(authority_approve(dir, rid2, 10, 0, name, err,
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
	struct ed_new nr = { .name = info.name, .key_fp = info.key_fp,
	    .key_desc = info.key_desc, .source = info.source,
	    .via = info.via, .token = info.token, .kind = info.kind,
	    .received = received, .expires = expires };

	assert_int_equal(ed_create(dir, rid, der, len, &nr, err,
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

/* Append ${text} to DIR/${file} (gw-cert revoke, an old issued.txt). */
static void
append(const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	assert_non_null(f = fopen(path, "a"));
	fputs(text, f);
	fclose(f);
}

/* Revoke every certificate of ${name}, as "AB:CD.." (gw-cert revoke). */
static void
revoke_name(const char *name)
{
	char path[256], line[512], ser[80], nm[128], out[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t o = 0;

		if (sscanf(line, "%79s %127s", ser, nm) != 2 ||
		    strcmp(nm, name) != 0)
			continue;
		for (size_t i = 0; ser[i] != '\0'; i += 2)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "%s%c%c", i ? ":" : "", toupper(ser[i]),
			    toupper(ser[i + 1]));
		append("revoked.txt", out);
		append("revoked.txt", " 20260101000000\n");
	}
	fclose(f);
}

/*
 * Issue 17: a name with a valid certificate is not issued again without
 * the operator: a token (any name, or a pattern) is refused name-taken
 * and takes no use; a token made for that one name, or approve --replace,
 * may; a revoked or expired certificate frees the name.
 */
static void
test_name_taken(void **state)
{
	struct authority *a = open_auth(dir, 0, 0, NULL, NULL);
	struct answer an = { 0 };
	static uint8_t csr[CSR_DER_MAX];
	char tok[TOKEN_STR_MAX], id[17], rid[ED_RID_LEN + 1];
	char name[ID_NAME_MAX], err[256], hook[256];
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = dir, .cert_days = 30,
		.retry_after = 7, .hook_timeout = 20,
	};
	double t0;
	size_t len;

	(void)state;
	mint(tkey, time(NULL) + 3600, 9, "", tok, id);
	len = make_csr(0, "agent-live", csr, sizeof(csr));
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	assert_int_equal(used(id), 1);

	/* Another key, the same name: refused, no use, nothing on file. */
	len = make_csr(0, "agent-live", csr, sizeof(csr));
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_NAME_TAKEN);
	assert_non_null(strstr(an.message, "valid certificate"));
	assert_int_equal(used(id), 1);
	ed_rid(csr, len, rid);
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_NONE);
	assert_int_equal(issued_lines("agent-live"), 1);
	/* A pattern that covers it is no better. */
	mint(tkey, time(NULL) + 3600, 1, "agent-l*", tok, id);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.reason, GW_R_NAME_TAKEN);
	assert_int_equal(used(id), 0);
	/* A token made for this one name is the operator's word. */
	mint(tkey, time(NULL) + 3600, 1, "agent-live", tok, id);
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	check_chain(an.chain, "agent-live");
	assert_int_equal(issued_lines("agent-live"), 2);

	/* Without a token: pending; approve needs --replace. */
	len = make_csr(0, "agent-live", csr, sizeof(csr));
	submit(a, csr, len, NULL, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	ed_rid(csr, len, rid);
	assert_int_equal(authority_approve(dir, rid, 10, 0, name, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "--replace"));
	assert_int_equal(ed_state(dir, rid, NULL, NULL), ED_PENDING);
	assert_int_equal(authority_approve(dir, rid, 10, 1, name, err,
	    sizeof(err)), 0);
	assert_int_equal(issued_lines("agent-live"), 3);

	/* Every one revoked (as an operator types serials): free again. */
	revoke_name("agent-live");
	mint(tkey, time(NULL) + 3600, 1, "*", tok, id);
	len = make_csr(0, "agent-live", csr, sizeof(csr));
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);

	/* Expired: free. */
	append("issued.txt", "0a11 agent-old agent 20200101000000\n");
	mint(tkey, time(NULL) + 3600, 1, "*", tok, id);
	len = make_csr(0, "agent-old", csr, sizeof(csr));
	submit(a, csr, len, tok, NULL, 0, &an, 1);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	answer_reset(&an);
	authority_close(a);

	/* A hook that signs everything: a taken name waits for approve. */
	snprintf(hook, sizeof(hook), "%s/sign-all.sh", tmp);
	assert_int_equal(pki_write_file(hook, "#!/bin/sh\ncat >/dev/null\n"
	    "exit 0\n", 32, 0700, err, sizeof(err)), 0);
	p.hook = hook;		/* open_auth's 5 s; this one waits longer */
	assert_non_null(a = authority_open(&p, err, sizeof(err)));
	len = make_csr(0, "agent-old", csr, sizeof(csr));
	submit(a, csr, len, NULL, NULL, 0, &an, 0);
	for (t0 = ev_time(); an.calls == 0 && ev_time() - t0 < 30;)
		ev_run(EV_DEFAULT, EVRUN_ONCE);
	assert_int_equal(an.calls, 1);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	assert_int_equal(issued_lines("agent-old"), 2);	/* the fake, ours */
	answer_reset(&an);
	authority_close(a);
}

/* Submit a new CSR for ${name} from ${source}: its answer in ${an}. */
static void
submit_from(struct authority *a, const char *name, const char *source,
    const char *token, struct answer *an, char *rid)
{
	uint8_t csr[CSR_DER_MAX];
	size_t len = make_csr(0, name, csr, sizeof(csr));
	struct authority_req r = {
		.csr = csr, .csr_len = len, .token = token ? token : "",
		.request_id = "", .source = source, .via = "gw-test",
	};

	if (rid != NULL)
		ed_rid(csr, len, rid);
	answer_reset(an);
	authority_submit(a, &r, on_result, an);
	assert_int_equal(an->calls, 1);
}

static struct authority *
open_limits(unsigned per_source, unsigned new_per_hour)
{
	struct authority_params p = {
		.loop = EV_DEFAULT, .dir = dir, .cert_days = 30,
		.retry_after = 7, .max_pending_per_source = per_source,
		.new_per_source = new_per_hour,
	};
	struct authority *a;
	char err[256];

	assert_non_null(a = authority_open(&p, err, sizeof(err)));
	return a;
}

/*
 * max_pending_per_source: one source (an IPv4 address, an IPv6 /64) fills
 * its share of the queue, not the queue; its requests count until
 * decided, across a restart; new_per_source_per_hour bounds how fast it
 * comes back.
 */
static void
test_per_source(void **state)
{
	struct authority *a = open_limits(3, 100);
	struct answer an = { 0 };
	char name[32], rid[3][ED_RID_LEN + 1], tok[TOKEN_STR_MAX], id[17];
	char err[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "agent-s%d", i);
		submit_from(a, name, "198.51.100.1:5000", NULL, &an, rid[i]);
		assert_int_equal(an.status, GW_ENROLL_PENDING);
	}
	submit_from(a, "agent-s3", "198.51.100.1:5001", NULL, &an, NULL);
	assert_int_equal(an.status, GW_ENROLL_REFUSED);
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	assert_non_null(strstr(an.message, "max_pending_per_source"));
	/* Its own requests still answer; a token still gets through. */
	poll_rid(a, rid[0], &an);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	mint(tkey, time(NULL) + 3600, 1, "", tok, id);
	submit_from(a, "agent-s4", "198.51.100.1:5002", tok, &an, NULL);
	assert_int_equal(an.status, GW_ENROLL_ISSUED);
	/* Another address is not held back. */
	submit_from(a, "agent-s5", "198.51.100.2:5000", NULL, &an, NULL);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	/* IPv6: a /64 is one source. */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "agent-v%d", i);
		snprintf(err, sizeof(err), "[2001:db8::%d]:7000", i + 1);
		submit_from(a, name, err, NULL, &an, NULL);
		assert_int_equal(an.status, GW_ENROLL_PENDING);
	}
	submit_from(a, "agent-v3", "[2001:db8::ffff]:7000", NULL, &an, NULL);
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	submit_from(a, "agent-v4", "[2001:db8:0:1::1]:7000", NULL, &an, NULL);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	authority_close(a);

	/* A restart counts them again from the records. */
	a = open_limits(3, 100);
	submit_from(a, "agent-s6", "198.51.100.1:5003", NULL, &an, NULL);
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	/* Decided (gw-cert deny): it counts no more. */
	assert_int_equal(authority_deny(dir, rid[1], NULL, name, err,
	    sizeof(err)), 0);
	authority_close(a);
	a = open_limits(3, 100);
	submit_from(a, "agent-s7", "198.51.100.1:5004", NULL, &an, NULL);
	assert_int_equal(an.status, GW_ENROLL_PENDING);
	authority_close(a);

	/* new_per_source_per_hour 2: the third new request waits. */
	a = open_limits(100, 2);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "agent-r%d", i);
		submit_from(a, name, "203.0.113.9:1", NULL, &an, NULL);
	}
	assert_int_equal(an.reason, GW_R_OVERLOAD);
	assert_non_null(strstr(an.message, "new_per_source_per_hour"));
	answer_reset(&an);
	authority_close(a);
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
		cmocka_unit_test(test_name_taken),
		cmocka_unit_test(test_per_source),
	};

	return cmocka_run_group_tests(tests, auth_setup, auth_teardown);
}
