/*
 * enroll_session.c: fuzz_enroll's session selector (enroll_env.h).  Up to
 * ENR_CONNS unauthenticated enrollment connections at once, from six
 * sources, run through gatewayd's real enroll_conn.c and enroll.c in
 * mode = local; the real authority decides, on a CA directory made once
 * per process in /dev/shm and emptied before each input.  The input
 * opens, feeds (HELLO; ENROLL with one of eight CSRs made at start, or
 * fuzzed bytes, and a token minted by the harness: valid, used up,
 * expired, forged, for one name; polls), fills and closes connections,
 * moves the clock, says when the signer answers, and acts as the
 * operator (gw-cert approve, token revoke).
 *
 * Invariants, after every operation (besides those of enroll_env.c: one
 * answer per ENROLL, with its ref, never to a closed connection; every
 * frame re-encodes to itself; conns closed once, freed between operations
 * only; a cancel only for a request in flight):
 *  - the pending requests on file that have not expired are at most
 *    max_pending, and at most max_pending_per_source from each source
 *    (an IPv4 address, an IPv6 /64);
 *  - a certificate is signed only for a request with a token that is
 *    valid at the clock's time, not revoked, whose names allow the CSR's
 *    name, no more often than its uses, and never for a name that has a
 *    certificate still valid unless the token names that one name (hole
 *    4); an operator's approval only with --replace for such a name;
 *  - the signer's requests add up: submitted = answered + cancelled +
 *    held; enroll_conn_counter counts the connections not freed;
 *  - after every connection is closed, no request is held or in flight,
 *    no connection is left, and enroll_free frees the rest (ASan and
 *    LeakSanitizer see any use after free and any leak).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authority.h"
#include "conn.h"
#include "csr.h"
#include "enroll.h"
#include "enroll_conn.h"
#include "enroll_dir.h"
#include "enroll_env.h"
#include "frame.h"
#include "fuzz.h"
#include "gw.h"
#include "identity.h"
#include "log.h"
#include "token.h"
#include "x509_issue.h"

#define ENR_OPS_MAX	512	/* operations per input */
#define ENR_NAMES	16	/* names the model follows */
#define ENR_TOKENS	32	/* token ids the model follows */

static const char *const csr_names[ENR_CSRS] = {
	"agent-0", "agent-1", "agent-2", "agent-3", "agent-0", "agent-1",
	"intruder", "agent-4"
};
static const time_t steps[16] = {
	1, 2, 5, 9, 29, 30, 31, 59, 60, 61, 299, 300, 301, 3600, 86399,
	86400
};
static const uint8_t other_key[32] = "not the key of this CA directory";

static char dir[256];
static struct gw_config cfg;
static struct ev_loop *loop;
static uint8_t csrs[ENR_CSRS][2048];
static size_t csr_lens[ENR_CSRS];
static char rids[ENR_CSRS][ED_RID_LEN + 1];

/* Per input. */
static struct gw gw;
static char slots[ENR_SLOTS][TOKEN_STR_MAX];
static unsigned minted;
static uint32_t next_ref;
static struct {
	char	 name[ID_NAME_MAX];
	time_t	 until;		/* its newest certificate's end */
} names[ENR_NAMES];
static struct {
	uint8_t	 id[TOKEN_ID_LEN];
	unsigned issued;
	int	 revoked;
} toks[ENR_TOKENS];

/* Write ${n} bytes of ${p} to ${dir}/${file} with ${mode}. */
static void
put_file(const char *file, const void *p, size_t n, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1 ||
	    write(fd, p, n) != (ssize_t)n || close(fd) != 0) {
		perror(path);
		abort();
	}
}

/* Remove what ${path} holds, down to ${depth} levels, and ${path} if rm. */
static void
rm_tree(const char *path, int depth, int rm)
{
	char sub[1024];
	struct dirent *d;
	DIR *dp;

	if (depth > 0 && (dp = opendir(path)) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
			if (unlink(sub) != 0)
				rm_tree(sub, depth - 1, 1);
		}
		closedir(dp);
	}
	if (rm)
		(void)rmdir(path);
}

static void
enr_cleanup(void)
{
	rm_tree(dir, 3, 1);
}

/* Once per process: the CA directory, its token key, the CSRs, config. */
static void
enr_init(void)
{
	static unsigned char crt[8192], key[8192];
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	struct pki_req req = { .role = PKI_ROLE_CA, .name = "fuzz enroll CA" };
	struct pki_rng rng;
	mbedtls_pk_context pk;
	char err[512], text[2048];

	/* FUZZ_ENROLL_LOG=1 in the environment: what happens, logged. */
	log_init("fuzz_enroll", getenv("FUZZ_ENROLL_LOG") != NULL ?
	    LOG_LVL_DEBUG : LOG_LVL_ERR);
	snprintf(dir, sizeof(dir), "%s/gw-fuzz-enroll-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	atexit(enr_cleanup);
	if (pki_rng_init(&rng, err, sizeof(err)) != 0)
		goto fail;
	pki_validity(&req, 3650);
	if (pki_make(&req, NULL, &rng, crt, sizeof(crt), key, sizeof(key),
	    err, sizeof(err)) != 0)
		goto fail;
	put_file("ca.crt", crt, strlen((char *)crt), 0644);
	put_file("ca.key", key, strlen((char *)key), 0600);
	if (ed_init(dir, err, sizeof(err)) != 0)
		goto fail;
	put_file("enroll/token.key", fuzz_token_key, 32, 0600);
	for (unsigned i = 0; i < ENR_CSRS; i++) {
		mbedtls_pk_init(&pk);
		/*
		 * RSA: its signature verifies several times faster than
		 * ECDSA's (under the fuzz build's instrumented bignums, where
		 * checking CSRs is most of the time); one ECDSA CSR.
		 */
		if (pki_genkey(&pk, i == ENR_CSRS - 1 ? 0 : 2048, &rng, err,
		    sizeof(err)) != 0 ||
		    pki_csr(&pk, csr_names[i], &rng, csrs[i], sizeof(csrs[i]),
		    &csr_lens[i], err, sizeof(err)) != 0)
			goto fail;
		mbedtls_pk_free(&pk);
		ed_rid(csrs[i], csr_lens[i], rids[i]);
	}
	pki_rng_free(&rng);
	snprintf(text, sizeof(text),
	    "[gateway]\n"
	    "cert = gw.crt\nkey = gw.key\nagent_ca = ca.crt\n"
	    "agent_names = agent-*\n"
	    "[upstream]\n"
	    "server = 127.0.0.1:1\nca = ca.crt\n"
	    "[enroll]\n"
	    "mode = local\nca_dir = %s\ntimeout = %us\ncert_days = %u\n"
	    "pending_ttl = %us\nmax_pending = %u\n"
	    "max_pending_per_source = %u\nnew_per_source_per_hour = %u\n",
	    dir, ENR_TIMEOUT, ENR_CERT_DAYS, ENR_PENDING_TTL, ENR_MAX_PENDING,
	    ENR_PER_SOURCE, ENR_NEW_PER_HOUR);
	if (gw_config_load_string(text, "enroll", "/", &cfg, err,
	    sizeof(err)) != 0 || (loop = ev_loop_new(EVFLAG_AUTO)) == NULL)
		goto fail;
	return;
fail:
	fprintf(stderr, "fuzz_enroll: %s\n", err);
	abort();
}

/* The model. */

long long
enr_issued_size(void)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

static time_t *
enr_name_until(const char *name)
{
	for (unsigned i = 0; i < ENR_NAMES; i++) {
		if (names[i].name[0] == '\0')
			snprintf(names[i].name, sizeof(names[i].name), "%s",
			    name);
		if (strcmp(names[i].name, name) == 0)
			return &names[i].until;
	}
	FUZZ_CHECK(0);		/* only CSRs of ENR_NAMES names sign */
	return NULL;
}

/* What the model knows of token ${id}: its certificates, revoked. */
static unsigned
enr_tok(const uint8_t *id)
{
	for (unsigned i = 0; i < ENR_TOKENS; i++) {
		if (toks[i].issued == 0 && !toks[i].revoked)
			memcpy(toks[i].id, id, TOKEN_ID_LEN);
		if (memcmp(toks[i].id, id, TOKEN_ID_LEN) == 0)
			return i;
	}
	FUZZ_CHECK(0);		/* more tokens than the model follows */
	return 0;
}

void
enr_issued(const struct authority_req *req)
{
	struct token_terms t;
	struct csr_info ci;
	char err[256];
	time_t now = enr_now(), *until;

	/* A CSR the gateway and the authority accept, under the policy. */
	FUZZ_CHECK(req->csr != NULL && csr_check(req->csr, req->csr_len, &ci,
	    err, sizeof(err)) == 0);
	FUZZ_CHECK(id_policy_match("agent-*", ci.name));
	/* A token valid now, that allows the name, a use left. */
	FUZZ_CHECK(req->token[0] != '\0' && token_verify(fuzz_token_key,
	    req->token, now, &t) == 0);
	FUZZ_CHECK(t.names[0] == '\0' || id_policy_match(t.names, ci.name));
	FUZZ_CHECK(!toks[enr_tok(t.id)].revoked);
	FUZZ_CHECK(++toks[enr_tok(t.id)].issued <= t.uses);
	/* A live name only for a token made for that one name. */
	until = enr_name_until(ci.name);
	FUZZ_CHECK(*until <= now || strcmp(t.names, ci.name) == 0);
	*until = now + (time_t)ENR_CERT_DAYS * 86400;
}

/* gw-cert approve [--replace] of CSR ${k}'s request. */
static void
enr_approve(unsigned k, int replace)
{
	long long before = enr_issued_size();
	char name[ID_NAME_MAX], err[512];
	time_t *until;

	if (authority_approve(dir, rids[k % ENR_CSRS], ENR_CERT_DAYS, replace,
	    name, err, sizeof(err)) != 0) {
		FUZZ_CHECK(enr_issued_size() == before);
		return;
	}
	FUZZ_CHECK(enr_issued_size() > before);
	until = enr_name_until(name);
	FUZZ_CHECK(replace || *until <= enr_now());
	*until = enr_now() + (time_t)ENR_CERT_DAYS * 86400;
}

/* After every operation. */
static void
enr_check(void)
{
	const struct enr_count *n = enr_count();
	unsigned total = 0, per[4] = { 0 };
	char rid[ED_RID_LEN + 1];
	struct ed_info info;
	time_t now = enr_now();
	void *cur = NULL;

	while (ed_next(dir, &cur, rid)) {
		if (ed_state(dir, rid, &info, NULL) != ED_PENDING ||
		    info.expires <= now ||
		    info.received + ENR_PENDING_TTL <= now)
			continue;
		total++;
		per[enr_source_group(info.source)]++;
	}
	FUZZ_CHECK(total <= ENR_MAX_PENDING);
	for (unsigned i = 0; i < 4; i++)
		FUZZ_CHECK(per[i] <= ENR_PER_SOURCE);
	FUZZ_CHECK(n->submitted == n->answered + n->cancelled +
	    enr_held_count());
	FUZZ_CHECK(*enroll_conn_counter(&gw) == fake_conn_live());
}

/* Tokens. */

static void
enr_mint(unsigned slot, unsigned terms, unsigned k)
{
	static const time_t life[4] = { 5, 30, 600, 2 * 86400 };
	static const uint16_t uses[4] = { 1, 2, 3, 16 };
	struct token_terms t;

	memset(&t, 0, sizeof(t));
	snprintf((char *)t.id, sizeof(t.id), "mint%03u", minted++ % 1000);
	t.expires = (uint64_t)(enr_now() + life[terms & 3]);
	t.uses = uses[terms >> 2 & 3];
	switch (terms >> 4 & 3) {
	case 1:
		snprintf(t.names, sizeof(t.names), "agent-*");
		break;
	case 2:
		snprintf(t.names, sizeof(t.names), "%s",
		    csr_names[k % ENR_CSRS]);
		break;
	case 3:
		snprintf(t.names, sizeof(t.names), "intruder*");
		break;
	}
	FUZZ_CHECK(token_mint(fuzz_token_key, &t, slots[slot % ENR_SLOTS],
	    sizeof(slots[0])) == 0);
}

/* gw-cert token revoke of the token in ${slot}, if any. */
static void
enr_revoke(unsigned slot)
{
	struct token_terms t;
	char id[2 * TOKEN_ID_LEN + 1], err[256];

	if (token_verify(fuzz_token_key, slots[slot % ENR_SLOTS], 0, &t) != 0)
		return;
	token_id_hex(t.id, id);
	FUZZ_CHECK(ed_token_file(dir, id, ".revoked", "fuzz\n", err,
	    sizeof(err)) == 0);
	toks[enr_tok(t.id)].revoked = 1;
}

/* The token of kind ${tok} (enum enr_tok) into ${out}. */
static void
enr_token(unsigned tok, char *out, size_t len)
{
	struct token_terms t = { .id = "special", .uses = 1 };

	tok %= ENR_TOKS;
	out[0] = '\0';
	switch (tok) {
	case ENR_TOK_NONE:
		return;
	case ENR_TOK_FORGED:
		t.expires = (uint64_t)enr_now() + 600;
		FUZZ_CHECK(token_mint(other_key, &t, out, len) == 0);
		return;
	case ENR_TOK_GARBAGE:
		snprintf(out, len, "gwt1.garbage.garbage");
		return;
	case ENR_TOK_EXPIRED:
		t.expires = (uint64_t)enr_now() - 1;
		FUZZ_CHECK(token_mint(fuzz_token_key, &t, out, len) == 0);
		return;
	default:
		snprintf(out, len, "%s", slots[tok - ENR_TOK_SLOT0]);
	}
}

/* Frames, as an agent sends them. */

static void
enr_send(unsigned who, const struct gw_frame *f)
{
	static uint8_t buf[GW_HDR_LEN + 70000];
	struct conn *c = fake_conn_accepted(who);
	int n;

	if (c == NULL)
		return;
	/* What the encoder refuses (an empty ENROLL) ENR_RAW can send. */
	if ((n = gw_frame_encode(buf, sizeof(buf), f)) > 0)
		(void)enr_input(c, buf, (size_t)n);
}

static void
enr_enroll(unsigned who, const uint8_t *csr, size_t csr_len, unsigned tok,
    const char *rid)
{
	struct gw_frame f = { .type = GW_T_ENROLL };
	char token[TOKEN_STR_MAX];

	enr_token(tok, token, sizeof(token));
	if (++next_ref == 0)
		next_ref = 1;
	f.u.enroll.ref = next_ref;
	f.u.enroll.csr.p = csr;
	f.u.enroll.csr.len = (uint16_t)csr_len;
	f.u.enroll.token.p = (const uint8_t *)token;
	f.u.enroll.token.len = (uint16_t)strlen(token);
	f.u.enroll.request_id.p = (const uint8_t *)rid;
	f.u.enroll.request_id.len = (uint16_t)strlen(rid);
	enr_send(who, &f);
}

/* The bytes left, one at a time (0 past the end). */
struct enr_in {
	const uint8_t	*p;
	size_t		 n, off;
};

static unsigned
next(struct enr_in *in)
{
	return in->off < in->n ? in->p[in->off++] : 0;
}

static const uint8_t *
take(struct enr_in *in, size_t *len)
{
	const uint8_t *p = in->p + in->off;

	if (*len > in->n - in->off)
		*len = in->n - in->off;
	in->off += *len;
	return p;
}

static void
enr_op(struct enr_in *in)
{
	static const char *const bad_rids[2] = {
		"0123456789abcdef0123456789abcdef", "../../../etc/passwd"
	};
	struct gw_frame f = { .type = GW_T_HELLO };
	unsigned op = next(in) % ENR_OPS, who, a, b;
	const uint8_t *p;
	struct conn *c;
	size_t n, used;

	switch (op) {
	case ENR_OPEN:
		a = next(in);
		enr_accept_from(a);
		enroll_conn_accept(&gw, -1);
		if (!(a & 8) && (c = enr_accepted()) != NULL)
			fake_conn_open(c, NULL);
		break;
	case ENR_TLS:
		if ((c = fake_conn_accepted(next(in))) != NULL)
			fake_conn_open(c, NULL);
		break;
	case ENR_HELLO:
		f.u.hello.vmin = f.u.hello.vmax = 1;
		f.u.hello.max_payload = 16384;
		enr_send(next(in), &f);
		break;
	case ENR_ENROLL:
		who = next(in);
		a = next(in) % ENR_CSRS;
		enr_enroll(who, csrs[a], csr_lens[a], next(in), "");
		break;
	case ENR_POLL:
		who = next(in);
		a = next(in);
		enr_enroll(who, NULL, 0, ENR_TOK_NONE, a < ENR_CSRS ? rids[a] :
		    bad_rids[a & 1]);
		break;
	case ENR_RAWCSR:
		who = next(in);
		a = next(in);
		n = next(in);
		p = take(in, &n);
		enr_enroll(who, p, n, a, "");
		break;
	case ENR_RAW:
		c = fake_conn_accepted(next(in));
		n = next(in);
		p = take(in, &n);
		while (c != NULL && n > 0 && conn_state(c) == CONN_OPEN) {
			used = enr_input(c, p, n);
			p += used;
			n -= used;
		}
		break;
	case ENR_MINT:
		a = next(in);
		b = next(in);
		enr_mint(a, b, next(in));
		break;
	case ENR_ADVANCE:
		enr_advance(steps[next(in) % 16]);
		break;
	case ENR_MODE:
		enr_set_mode(next(in));
		break;
	case ENR_DELIVER:
		enr_deliver(next(in));
		break;
	case ENR_FULL:
		if ((c = fake_conn_accepted(next(in))) != NULL)
			fake_conn_full(c, SIZE_MAX);
		break;
	case ENR_EOF:
		if ((c = fake_conn_accepted(next(in))) != NULL)
			fake_conn_eof(c);
		break;
	case ENR_APPROVE:
		a = next(in);
		enr_approve(a, next(in) & 1);
		break;
	case ENR_REVOKE:
		enr_revoke(next(in));
		break;
	}
}

/**
 * enr_session(data, size): run the operations of ${data} on a fresh
 * gateway (enroll_new), check the invariants after each, close every
 * connection, check that nothing is left, and free the gateway.
 */
void
enr_session(const uint8_t *data, size_t size)
{
	struct enr_in in = { .p = data, .n = size };
	const struct enr_count *n;
	char err[512], path[512];

	if (dir[0] == '\0')
		enr_init();
	/* An empty CA directory but for its keys. */
	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/enroll/requests", dir);
	rm_tree(path, 2, 0);
	snprintf(path, sizeof(path), "%s/enroll/tokens", dir);
	rm_tree(path, 1, 0);
	memset(&gw, 0, sizeof(gw));
	gw.magic = GW_MAGIC;
	memset(slots, 0, sizeof(slots));
	memset(names, 0, sizeof(names));
	memset(toks, 0, sizeof(toks));
	minted = 0;
	next_ref = 0;
	gw.loop = loop;
	gw.cfg = &cfg;
	if ((gw.enroll_conns = enroll_conn_all_new()) == NULL)
		abort();
	enr_env_start();
	if ((gw.enroll = enroll_new(&gw, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_enroll: %s\n", err);
		abort();
	}
	for (unsigned i = 0; in.off < in.n && i < ENR_OPS_MAX; i++) {
		enr_op(&in);
		conn_reap();
		enr_check();
	}
	/* Everything closed: nothing held, nothing in flight, no conn. */
	enroll_conn_stop_all(&gw);
	conn_reap();
	enr_check();
	n = enr_count();
	FUZZ_CHECK(fake_conn_live() == 0 && *enroll_conn_counter(&gw) == 0);
	FUZZ_CHECK(enr_held_count() == 0);
	FUZZ_CHECK(n->submitted == n->answered + n->cancelled);
	enroll_free(gw.enroll);
	gw.enroll = NULL;
	enroll_conn_all_free(gw.enroll_conns);
	gw.enroll_conns = NULL;
	enr_env_stop();
}
