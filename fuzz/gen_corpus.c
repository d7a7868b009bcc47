/*
 * gen_corpus.c: writes the seed corpora of the fuzz harnesses with the
 * project's own encoders (frames by gw_frame_encode, CSRs by pki_csr,
 * tokens by token_mint), so the seeds are valid by construction and follow
 * the codec when it changes.  Its keys come from a fixed DRBG
 * (tls_world_pki_rng): a second run writes the same bytes, but for the
 * TLS 1.3 transcripts (their key shares come from PSA's own generator).
 *
 *   gen_corpus SOURCE_DIR      (writes SOURCE_DIR/fuzz/corpus/<harness>/)
 *
 * Seeds are named seed-*; crashes kept as regression cases are named
 * crash-* (fuzz/README.md) and are never touched here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "enroll_env.h"
#include "frame.h"
#include "fuzz.h"
#include "gen_corpus.h"
#include "gen_tls.h"
#include "mgmt_env.h"
#include "session_env.h"
#include "token.h"
#include "x509_issue.h"


static const char *src;

void
put(const char *harness, const char *name, uint8_t sel, int use_sel,
    const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", src, harness);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/fuzz/corpus/%s/seed-%s", src,
	    harness, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    (use_sel && fwrite(&sel, 1, 1, f) != 1) ||
	    (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* Encode ${f} at ${buf}; return its size. */
size_t
enc(uint8_t *buf, size_t cap, const struct gw_frame *f)
{
	int n = gw_frame_encode(buf, cap, f);

	if (n < 0) {
		fprintf(stderr, "gen_corpus: %s: %s\n", gw_type_str(f->type),
		    gw_perr_str(n));
		exit(1);
	}
	return (size_t)n;
}

/* One frame of each type, as a session would send them. */
static size_t
frames(uint8_t *buf, size_t cap, const uint8_t *csr, size_t csrlen,
    const char *token)
{
	struct gw_frame f[24];
	size_t n = 0, off = 0;

	memset(f, 0, sizeof(f));
	f[n].type = GW_T_HELLO;
	f[n].u.hello.vmin = 1;
	f[n].u.hello.vmax = 1;
	f[n].u.hello.max_payload = 16384;
	n++;
	f[n].type = GW_T_HELLO_ACK;
	f[n].u.hello_ack.version = 1;
	f[n].u.hello_ack.max_payload = 16384;
	f[n].u.hello_ack.heartbeat_ms = 5000;
	f[n].u.hello_ack.last_seq = 41;
	n++;
	f[n].type = GW_T_DATA;
	f[n].u.data.seq = 42;
	f[n].u.data.body.p = (const uint8_t *)"{\"cpu\":7}";
	f[n].u.data.body.len = 9;
	n++;
	f[n].type = GW_T_ACK;
	f[n].u.ack.seq = 42;
	n++;
	f[n].type = GW_T_CREDIT;
	f[n].u.credit.n = 32;
	n++;
	f[n].type = GW_T_PING;
	f[n].u.ping.opaque = 7;
	n++;
	f[n].type = GW_T_GOAWAY;
	f[n].u.reason.code = GW_R_SHUTDOWN;
	f[n].u.reason.text = (struct gw_str)S("drain");
	n++;
	f[n].type = GW_T_OPEN;
	f[n].channel = 3;
	f[n].u.open.name = (struct gw_str)S("agent-1");
	f[n].u.open.subject = (struct gw_str)S("CN=agent-1,O=gatewayd");
	f[n].u.open.san = (struct gw_str)S("agent-1");
	f[n].u.open.serial = (struct gw_str)S("01:02");
	f[n].u.open.issuer = (struct gw_str)S("CN=ca,O=gatewayd");
	f[n].u.open.peer = (struct gw_str)S("10.0.0.1:40000");
	n++;
	f[n].type = GW_T_OPEN_ACK;
	f[n].channel = 3;
	n++;
	f[n].type = GW_T_COMMAND;
	f[n].channel = 3;
	f[n].u.data.seq = 1;
	f[n].u.data.body.p = (const uint8_t *)"{}";
	f[n].u.data.body.len = 2;
	n++;
	f[n].type = GW_T_COMMAND_ACK;
	f[n].channel = 3;
	f[n].u.ack.seq = 1;
	n++;
	f[n].type = GW_T_RESULT;
	f[n].channel = 3;
	f[n].u.result.id = 1;
	f[n].u.result.outcome = GW_OUT_EXITED;
	f[n].u.result.output.p = (const uint8_t *)"restarted\n";
	f[n].u.result.output.len = 10;
	n++;
	f[n].type = GW_T_CLOSE;
	f[n].channel = 3;
	f[n].u.reason.code = GW_R_POLICY;
	f[n].u.reason.text = (struct gw_str)S("name not allowed");
	n++;
	f[n].type = GW_T_ENROLL;
	f[n].u.enroll.ref = 1;
	f[n].u.enroll.token.p = (const uint8_t *)token;
	f[n].u.enroll.token.len = (uint16_t)strlen(token);
	f[n].u.enroll.csr.p = csr;
	f[n].u.enroll.csr.len = (uint16_t)csrlen;
	n++;
	f[n].type = GW_T_ENROLL;
	f[n].u.enroll.ref = 2;
	f[n].u.enroll.request_id =
	    (struct gw_str)S("0123456789abcdef0123456789abcdef");
	n++;
	f[n].type = GW_T_ENROLL_RESULT;
	f[n].u.enroll_result.ref = 2;
	f[n].u.enroll_result.status = GW_ENROLL_PENDING;
	f[n].u.enroll_result.retry_after = 30;
	f[n].u.enroll_result.request_id =
	    (struct gw_str)S("0123456789abcdef0123456789abcdef");
	f[n].u.enroll_result.message = (struct gw_str)S("wait");
	n++;
	f[n].type = GW_T_ERROR;
	f[n].u.reason.code = GW_R_PROTOCOL;
	n++;
	/* GW_CAP_FLEET: OPEN with the identity extension, and SEEN. */
	f[n] = f[7];			/* the OPEN above */
	f[n].channel = 4;
	f[n].u.open.has_ext = 1;
	f[n].u.open.not_after_ms = UINT64_C(1798761600000);
	f[n].u.open.sans = (struct gw_str)S("DNS:agent-1 IP:10.0.0.1 "
	    "IP:2001:db8::1 URI:spiffe://x/agent-1 EMAIL:a@x OTHER:");
	n++;
	f[n].type = GW_T_SEEN;
	f[n].u.seen.ids = (const uint8_t *)"\0\0\0\3\0\0\0\4";
	f[n].u.seen.n = 2;
	n++;
	/* GW_CAP_CHAIN: OPEN with via, through two gateways. */
	f[n] = f[17];			/* the extended OPEN above */
	f[n].channel = 5;
	f[n].u.open.has_via = 1;
	f[n].u.open.via = (struct gw_str)S("gw-inner gw-outer");
	n++;
	/* GW_CAP_ACKCREDIT: an ACK of 12 bytes, its credit with it. */
	f[n].type = GW_T_ACK;
	f[n].u.ack.seq = 43;
	f[n].u.ack.credit = 8;
	n++;
	for (size_t i = 0; i < n; i++)
		off += enc(buf + off, cap - off, &f[i]);
	return off;
}

/* fuzz_session scripts: opcodes of session_env.h and encoded frames. */
static void
ticket_seeds(struct tls_world *w)
{
	static uint8_t t[4096], hello[65536], out[4096];
	size_t tlen, hlen, n;
	const struct {
		const char		*name;
		mbedtls_x509_crt	*crt;
		int64_t			 auth;
		uint8_t			 step;
	} runs[] = {
		{ "carried", &w->agent, TLS_WORLD_TIME - 10, 0 },
		{ "lifetime-edge", &w->agent, TLS_WORLD_TIME - 500, 255 },
		{ "auth-expired", &w->agent,
		    TLS_WORLD_TIME - TLS_WORLD_LIFETIME - 1, 0 },
		{ "auth-future", &w->agent, TLS_WORLD_TIME + 3600, 0 },
		{ "revoked", &w->revoked, TLS_WORLD_TIME, 0 },
		{ "cert-expired", &w->expired, TLS_WORLD_TIME, 0 },
		{ "no-cert", NULL, TLS_WORLD_TIME, 0 },
	};

	if (gen_tls_ticket(w, t + 1, sizeof(t) - 1, &tlen, hello + 1,
	    sizeof(hello) - 1, &hlen) != 0) {
		fprintf(stderr, "gen_corpus: ticket: failed\n");
		exit(1);
	}
	hello[0] = 0;				/* no read limit */
	put("tls", "agent-resume", TLS_WORLD_AGENT, 1, hello, hlen + 1);
	put("tls", "agent13-resume", TLS_WORLD_AGENT13, 1, hello, hlen + 1);
	t[0] = 0;				/* the agent port */
	put("ticket", "issued", 0, 1, t, tlen + 1);
	put("ticket", "issued-late", 255, 1, t, tlen + 1);
	t[0] = 1;				/* its CRL past nextUpdate */
	put("ticket", "issued-crl-stale", 0, 1, t, tlen + 1);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		out[0] = 0;
		if (gen_tls_sealed(w, t + 1, tlen, runs[i].crt, runs[i].auth,
		    out + 1, sizeof(out) - 1, &n) != 0) {
			fprintf(stderr, "gen_corpus: ticket: %s failed\n",
			    runs[i].name);
			exit(1);
		}
		put("ticket", runs[i].name, runs[i].step, 1, out, n + 1);
	}
}

/* fuzz_tls: recorded agents, TLS 1.2 and 1.3, then HELLO and DATA. */
static void
tls_seeds(void)
{
	static uint8_t rec[65536], app[256];
	struct tls_world w;
	struct gw_frame f = { .type = GW_T_HELLO };
	char err[256];
	size_t n, applen;
	const struct {
		const char		*name;
		enum tls_world_server	 server;
		int			 client;	/* 0, 12, anon (1),
							   12 with MFL (2) */
	} runs[] = {
		{ "agent-tls12", TLS_WORLD_AGENT, 12 },
		{ "agent-tls12-mfl", TLS_WORLD_AGENT, 2 },
		{ "agent-tls13", TLS_WORLD_AGENT, 0 },
		{ "agent13-tls13", TLS_WORLD_AGENT13, 0 },
		{ "enroll-tls12", TLS_WORLD_ENROLL, 12 },
		{ "enroll-anon", TLS_WORLD_ENROLL, 1 },
	};

	if (tls_world_init(&w, err, sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: tls: %s\n", err);
		exit(1);
	}
	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.max_payload = 16384;
	applen = enc(app, sizeof(app), &f);
	memset(&f, 0, sizeof(f));
	f.type = GW_T_DATA;
	f.u.data.seq = 1;
	f.u.data.body.p = (const uint8_t *)"{\"cpu\":7}";
	f.u.data.body.len = 9;
	applen += enc(app + applen, sizeof(app) - applen, &f);
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const struct tls_conf *c = runs[i].client == 12 ? w.client12 :
		    runs[i].client == 2 ? w.client12_mfl :
		    runs[i].client == 1 ? w.client_anon : w.client;

		if (gen_tls_transcript(&w, runs[i].server, c, app, applen,
		    rec + 1, sizeof(rec) - 1, &n) != 0) {
			fprintf(stderr, "gen_corpus: tls: %s failed\n",
			    runs[i].name);
			exit(1);
		}
		rec[0] = 0;			/* no read limit */
		put("tls", runs[i].name, (uint8_t)runs[i].server, 1, rec,
		    n + 1);
		if (i == 0) {			/* the same, read 7 at a time */
			rec[0] = 7;
			put("tls", "agent-tls12-cut", TLS_WORLD_AGENT, 1, rec,
			    n + 1);
		}
		if (runs[i].server == TLS_WORLD_AGENT && (runs[i].client == 2 ||
		    runs[i].client == 12) && n + 1 + 5 + 4000 <= sizeof(rec)) {
			/*
			 * Then a record of 4,000 bytes: over the 2 KiB the
			 * server's input buffer shrank to after a handshake
			 * that negotiated it (max_fragment_length here; TLS
			 * 1.3's record size limit takes the same path,
			 * cmake/mbedtls-patches/0001), record_overflow;
			 * without, read in, a bad MAC.  (TLS 1.3 transcripts
			 * do not replay past the handshake: the server's key
			 * share comes from PSA's own generator.)
			 */
			static const uint8_t hdr[5] = { 0x17, 0x03, 0x03,
			    4000 >> 8, 4000 & 0xff };
			char name[64];

			memcpy(rec + 1 + n, hdr, sizeof(hdr));
			memset(rec + 1 + n + sizeof(hdr), 0xa5, 4000);
			rec[0] = 0;
			snprintf(name, sizeof(name), "%s-overlimit",
			    runs[i].name);
			put("tls", name, (uint8_t)runs[i].server, 1, rec,
			    n + 1 + sizeof(hdr) + 4000);
		}
	}
	ticket_seeds(&w);
}

static void
conf_seed(const char *name, uint8_t sel, const char *file)
{
	char path[4096], *text;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/conf/%s", src, file);
	if ((f = fopen(path, "rb")) == NULL || (text = malloc(65536)) == NULL) {
		perror(path);
		exit(1);
	}
	n = fread(text, 1, 65535, f);
	fclose(f);
	put("config", name, sel, 1, text, n);
	free(text);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct pki_rng rng;
	mbedtls_pk_context pk;
	struct token_terms t = { .expires = 4102444800u, .uses = 5 };
	uint8_t csr[4096], one[1024];
	char err[256], token[TOKEN_STR_MAX], name[32];
	size_t csrlen, n, off, i;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus SOURCE_DIR\n");
		return 2;
	}
	src = argv[1];
	mbedtls_pk_init(&pk);
	if (tls_world_pki_rng(&rng) != 0 ||
	    pki_genkey(&pk, 0, &rng, err, sizeof(err)) != 0 ||
	    pki_csr(&pk, "agent-seed", &rng, csr, sizeof(csr), &csrlen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: %s\n", err);
		return 1;
	}
	memcpy(t.id, "seedtokn", TOKEN_ID_LEN);
	snprintf(t.names, sizeof(t.names), "agent-*");
	if (token_mint(fuzz_token_key, &t, token, sizeof(token)) != 0)
		return 1;

	/* Every frame alone, then the whole stream, at each max_payload. */
	n = frames(buf, sizeof(buf), csr, csrlen, token);
	for (off = 0, i = 0; off < n; i++) {
		struct gw_frame f;
		size_t used;

		if (gw_frame_decode(buf + off, n - off, sizeof(buf), &f,
		    &used) != GW_OK)
			return 1;
		snprintf(name, sizeof(name), "%02zu-%s", i,
		    gw_type_str(f.type));
		put("frame", name, 1, 1, buf + off, used);
		put("upstream", name, 0, 0, buf + off, used);
		off += used;
	}
	put("frame", "stream", 2, 1, buf, n);
	put("frame", "stream-small-max", 0, 1, buf, n);
	put("upstream", "stream", 0, 0, buf, n);
	/* Two partial frames: a header alone, a payload cut short. */
	put("frame", "cut-header", 1, 1, buf, GW_HDR_LEN - 1);
	put("frame", "cut-payload", 1, 1, buf, GW_HDR_LEN + 3);

	/* Enrollment: a CSR, an RSA CSR, a token, frames. */
	put("enroll", "csr-ec", FUZZ_ENROLL_CSR, 1, csr, csrlen);
	session_seeds(csr, csrlen);
	mbedtls_pk_free(&pk);
	mbedtls_pk_init(&pk);
	if (pki_genkey(&pk, 2048, &rng, err, sizeof(err)) != 0 ||
	    pki_csr(&pk, "agent-rsa", &rng, one, sizeof(one), &csrlen, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "gen_corpus: %s\n", err);
		return 1;
	}
	put("enroll", "csr-rsa", FUZZ_ENROLL_CSR, 1, one, csrlen);
	put("enroll", "token", FUZZ_ENROLL_TOKEN, 1, token, strlen(token));
	put("enroll", "frames", FUZZ_ENROLL_FRAME, 1, buf, n);
	enroll_session_seeds();

	tls_seeds();
	mgmt_seeds();
	conf_seed("gateway", 0, "gateway.ini");
	conf_seed("mgmt", 1, "mgmt.ini");
	mbedtls_pk_free(&pk);
	pki_rng_free(&rng);
	printf("gen_corpus: seeds written under %s/fuzz/corpus\n", src);
	return 0;
}
