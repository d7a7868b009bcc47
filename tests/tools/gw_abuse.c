/*
 * gw_abuse.c: a misbehaving agent for test_abuse.  Each mode does one bad
 * thing to a gateway and prints one line saying what the gateway did:
 *
 *   gw-abuse half    ADDR N SECS   N connections that send a ClientHello
 *                                  and nothing more, held SECS seconds
 *   gw-abuse huge    ADDR LEN SECS after mTLS and HELLO, a DATA header
 *                                  announcing LEN bytes, then silence
 *   gw-abuse garbage ADDR N        after mTLS, N random bytes
 *   gw-abuse noread  ADDR N KIND   after mTLS and HELLO, up to N frames
 *                                  (KIND ping, or data of 200 bytes once
 *                                  the first CREDIT is in) and never a
 *                                  read: PONGs, or ACKs and CREDITs, pile
 *                                  up
 *   gw-abuse error   ADDR TEXT     after mTLS and HELLO_ACK, ERROR with
 *                                  TEXT, byte for byte (a newline, a
 *                                  quote: what the log must escape)
 *   gw-abuse error   ADDR TEXT hold  the same, but "open" is printed at
 *                                  HELLO_ACK and the ERROR waits for EOF
 *                                  on stdin (many agents end at once)
 *   gw-abuse seq     ADDR SEQ N    N sessions one after another: mTLS,
 *                                  HELLO, the first CREDIT, then one DATA
 *                                  numbered SEQ (2^63: above the range);
 *                                  one verdict line each
 *   gw-abuse enroll  ADDR N port   N requests with a CSR that is not
 *                                  one, on one enrollment connection
 *                                  (anonymous TLS, one at a time)
 *   gw-abuse enroll  ADDR N poll   the same with polls for a request id
 *                                  nobody knows
 *   gw-abuse enroll  ADDR CSR renew  after mTLS and HELLO, a renewal with
 *                                  the CSR (DER) in file CSR
 *
 * mTLS modes take the agent's files from GW_ABUSE_CERT, GW_ABUSE_KEY and
 * GW_ABUSE_CA.  Output: "closed after S s: REASON (DETAIL)" from the
 * gateway's ERROR frame, "closed after S s: eof", or "open after S s".
 * Exit 0 when the mode ran (whatever the gateway did), 1 on a local error.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/net_sockets.h>

#include "frame.h"
#include "net.h"
#include "tls_conf.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
bio_send(void *p, const unsigned char *buf, size_t len)
{
	ssize_t n = send(*(int *)p, buf, len, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE :
	    MBEDTLS_ERR_NET_CONN_RESET;
}

static int
bio_recv(void *p, unsigned char *buf, size_t len)
{
	ssize_t n = recv(*(int *)p, buf, len, 0);

	if (n > 0)
		return (int)n;
	if (n == 0)
		return MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
	return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ :
	    MBEDTLS_ERR_NET_CONN_RESET;
}

/* A blocking TCP connection to ${addr}, its receive buffer ${rcvbuf}. */
static int
dial(const char *addr, int rcvbuf)
{
	int fd = net_connect(addr), e = 0;
	socklen_t elen = sizeof(e);
	struct pollfd pfd = { fd, POLLOUT, 0 };

	if (fd < 0 || poll(&pfd, 1, 5000) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
		fprintf(stderr, "gw-abuse: connect %s: %s\n", addr,
		    strerror(e ? e : errno));
		exit(1);
	}
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	return fd;
}

/* A blocking mTLS session as the agent of the GW_ABUSE_* files. */
struct abuse {
	int			 fd;
	mbedtls_ssl_context	 ssl;
	struct tls_conf		*tc;
	double			 t0;
};

static void
abuse_open(struct abuse *a, const char *addr, int rcvbuf)
{
	struct tls_conf_params p = { .cert = getenv("GW_ABUSE_CERT"),
	    .key = getenv("GW_ABUSE_KEY"), .ca = getenv("GW_ABUSE_CA"),
	    .tls12 = 1 };
	char err[256];
	int rc;

	if (p.cert == NULL || p.key == NULL || p.ca == NULL) {
		fprintf(stderr, "gw-abuse: set GW_ABUSE_CERT, _KEY, _CA\n");
		exit(1);
	}
	if ((a->tc = tls_conf_new(&p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-abuse: %s\n", err);
		exit(1);
	}
	a->fd = dial(addr, rcvbuf);
	mbedtls_ssl_init(&a->ssl);
	if (mbedtls_ssl_setup(&a->ssl, tls_conf_ssl(a->tc)) != 0 ||
	    mbedtls_ssl_set_hostname(&a->ssl, "gateway") != 0)
		exit(1);
	mbedtls_ssl_set_bio(&a->ssl, &a->fd, bio_send, bio_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&a->ssl)) != 0)
		if (rc != MBEDTLS_ERR_SSL_WANT_READ &&
		    rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			fprintf(stderr, "gw-abuse: handshake: %s\n",
			    tls_strerror(rc, err, sizeof(err)));
			exit(1);
		}
	a->t0 = now();
}

static void
abuse_close(struct abuse *a)
{
	mbedtls_ssl_free(&a->ssl);
	tls_conf_free(a->tc);
	close(a->fd);
}

/* Write all of ${buf}; -1 once the gateway has closed. */
static int
abuse_write(struct abuse *a, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int n;

	while (len > 0) {
		n = mbedtls_ssl_write(&a->ssl, p, len);
		if (n == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
abuse_frame(struct abuse *a, const struct gw_frame *f)
{
	uint8_t buf[64];
	int n = gw_frame_encode(buf, sizeof(buf), f);

	if (n < 0 || abuse_write(a, buf, (size_t)n) != 0) {
		fprintf(stderr, "gw-abuse: cannot send %s\n",
		    gw_type_str(f->type));
		exit(1);
	}
}

static void
abuse_hello(struct abuse *a)
{
	struct gw_frame f = { .type = GW_T_HELLO };

	f.u.hello.vmin = f.u.hello.vmax = 1;
	f.u.hello.max_payload = 16384;
	abuse_frame(a, &f);
}

/* Read frames until one of ${type} (the last read, ever, for noread). */
static int
abuse_until(struct abuse *a, unsigned type)
{
	uint8_t in[4096];
	size_t len = 0, used;
	struct gw_frame f;
	int n;

	while ((n = mbedtls_ssl_read(&a->ssl, in + len, sizeof(in) - len)) >
	    0 || n == MBEDTLS_ERR_SSL_WANT_READ ||
	    n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) {
		len += n > 0 ? (size_t)n : 0;
		while (gw_frame_decode(in, len, sizeof(in), &f, &used) ==
		    GW_OK) {
			if (f.type == type)
				return 0;
			memmove(in, in + used, len - used);
			len -= used;
		}
		if (len == sizeof(in))
			return -1;
	}
	return -1;
}

/*
 * Read until the gateway closes (or ${secs} pass): print the reason of its
 * ERROR frame, if any, and how long it took.
 */
static void
abuse_verdict(struct abuse *a, double secs)
{
	static uint8_t in[1 << 17];
	size_t len = 0, used;
	struct gw_frame f;
	char why[200] = "eof";
	int n;

	for (;;) {
		struct pollfd pfd = { a->fd, POLLIN, 0 };
		double left = a->t0 + secs - now();

		if (mbedtls_ssl_get_bytes_avail(&a->ssl) == 0 &&
		    (left <= 0 || poll(&pfd, 1, (int)(left * 1000) + 1) == 0)) {
			printf("open after %.1f s\n", now() - a->t0);
			return;
		}
		n = mbedtls_ssl_read(&a->ssl, in + len, sizeof(in) - len);
		if (n == MBEDTLS_ERR_SSL_WANT_READ ||
		    n == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		while (gw_frame_decode(in, len, sizeof(in), &f, &used) ==
		    GW_OK) {
			if (f.type == GW_T_ERROR)
				snprintf(why, sizeof(why), "%s (%.*s)",
				    gw_reason_str(f.u.reason.code),
				    (int)f.u.reason.text.len,
				    (const char *)f.u.reason.text.p);
			memmove(in, in + used, len - used);
			len -= used;
		}
		if (len == sizeof(in))
			len = 0;
	}
	printf("closed after %.1f s: %s\n", now() - a->t0, why);
}

/* N TCP connections, each sends its ClientHello and stops. */
static int
mode_half(const char *addr, long n, double secs)
{
	struct tls_conf_params p = { .ca = getenv("GW_ABUSE_CA"), .tls12 = 1,
	    .anon_peer = 1 };
	struct tls_conf *tc;
	char err[256];
	int *fds;
	long sent = 0;

	if ((tc = tls_conf_new(&p, err, sizeof(err))) == NULL ||
	    (fds = calloc((size_t)n, sizeof(*fds))) == NULL) {
		fprintf(stderr, "gw-abuse: %s\n", err);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		mbedtls_ssl_context ssl;

		fds[i] = dial(addr, 0);
		mbedtls_ssl_init(&ssl);
		if (mbedtls_ssl_setup(&ssl, tls_conf_ssl(tc)) != 0)
			return 1;
		mbedtls_ssl_set_bio(&ssl, &fds[i], bio_send, bio_recv, NULL);
		/*
		 * Blocking: the second step writes the ClientHello into the
		 * output buffer, the third sends it and returns once the
		 * ServerHello is read.
		 */
		if (mbedtls_ssl_handshake_step(&ssl) == 0 &&
		    mbedtls_ssl_handshake_step(&ssl) == 0 &&
		    mbedtls_ssl_handshake_step(&ssl) == 0)
			sent++;
		mbedtls_ssl_free(&ssl);
	}
	printf("sent %ld client hellos\n", sent);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	free(fds);
	tls_conf_free(tc);
	return 0;
}

/*
 * After HELLO_ACK (and EOF on stdin if ${hold}), ERROR(protocol, ${text});
 * the gateway then closes.
 */
static int
mode_error(const char *addr, const char *text, int hold)
{
	struct gw_frame f = { .type = GW_T_ERROR };
	struct abuse a;
	uint8_t buf[512];
	int n;

	abuse_open(&a, addr, 0);
	abuse_hello(&a);
	if (abuse_until(&a, GW_T_HELLO_ACK) != 0) {
		fprintf(stderr, "gw-abuse: no HELLO_ACK\n");
		return 1;
	}
	if (hold) {
		ssize_t r;

		printf("open after %.1f s\n", now() - a.t0);
		fflush(stdout);
		while ((r = read(0, buf, sizeof(buf))) > 0 ||
		    (r < 0 && errno == EINTR))
			;
	}
	f.u.reason.code = GW_R_PROTOCOL;
	f.u.reason.text.p = (const uint8_t *)text;
	f.u.reason.text.len = (uint16_t)strnlen(text, 400);
	if ((n = gw_frame_encode(buf, sizeof(buf), &f)) < 0 ||
	    abuse_write(&a, buf, (size_t)n) != 0) {
		fprintf(stderr, "gw-abuse: cannot send ERROR\n");
		return 1;
	}
	abuse_verdict(&a, 5);
	abuse_close(&a);
	return 0;
}

/*
 * Enrollment requests a gateway answers before enroll_submit returns.
 * "port": ${arg} ENROLLs with a CSR that is not one (the gateway refuses
 * it itself) on one connection of the enrollment listener, each after the
 * previous answer; "poll": the same with polls for an unknown request id
 * (a standalone gateway's authority answers them).  "renew": an
 * authenticated agent's renewal with the CSR (DER) in file ${arg}.
 */
static int
mode_enroll(const char *addr, const char *arg, const char *kind)
{
	static const uint8_t junk[] = "not a certificate request";
	struct tls_conf_params p = { .ca = getenv("GW_ABUSE_CA"), .tls12 = 1,
	    .anon_peer = 1 };
	struct gw_frame e = { .type = GW_T_ENROLL }, h = { .type = GW_T_HELLO };
	static uint8_t buf[1 << 16];
	struct abuse a;
	size_t len = 0;
	char err[256];
	long i = 0, n;
	int rc;

	e.u.enroll.csr.p = junk;
	e.u.enroll.csr.len = sizeof(junk) - 1;
	h.u.hello.vmin = h.u.hello.vmax = 1;
	h.u.hello.max_payload = 16384;
	if (strcmp(kind, "renew") == 0) {
		FILE *fp = fopen(arg, "rb");

		if (fp == NULL || (len = fread(buf, 1, sizeof(buf) / 2, fp)) == 0) {
			fprintf(stderr, "gw-abuse: cannot read %s\n", arg);
			return 1;
		}
		fclose(fp);
		abuse_open(&a, addr, 0);
		abuse_frame(&a, &h);
		if (abuse_until(&a, GW_T_CREDIT) != 0) {
			printf("no credit; ");
			abuse_verdict(&a, 1);
			abuse_close(&a);
			return 0;
		}
		e.u.enroll.ref = 1;
		e.u.enroll.csr.p = buf;
		e.u.enroll.csr.len = (uint16_t)len;
		if ((rc = gw_frame_encode(buf + len, sizeof(buf) - len,
		    &e)) < 0 || abuse_write(&a, buf + len, (size_t)rc) != 0)
			return 1;
		printf("sent a renewal; ");
		abuse_verdict(&a, 5);
		abuse_close(&a);
		return 0;
	}
	n = atol(arg);
	if (strcmp(kind, "poll") == 0) {	/* an unknown request id */
		e.u.enroll.csr.len = 0;
		e.u.enroll.request_id.p = (const uint8_t *)"none";
		e.u.enroll.request_id.len = 4;
	} else if (strcmp(kind, "port") != 0)
		return 2;
	if ((a.tc = tls_conf_new(&p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gw-abuse: %s\n", err);
		return 1;
	}
	a.fd = dial(addr, 0);
	mbedtls_ssl_init(&a.ssl);
	if (mbedtls_ssl_setup(&a.ssl, tls_conf_ssl(a.tc)) != 0)
		return 1;
	mbedtls_ssl_set_bio(&a.ssl, &a.fd, bio_send, bio_recv, NULL);
	while ((rc = mbedtls_ssl_handshake(&a.ssl)) != 0)
		if (rc != MBEDTLS_ERR_SSL_WANT_READ &&
		    rc != MBEDTLS_ERR_SSL_WANT_WRITE)
			return 1;
	a.t0 = now();
	abuse_frame(&a, &h);
	if (abuse_until(&a, GW_T_HELLO_ACK) == 0)
		for (i = 0; i < n; i++) {
			e.u.enroll.ref = (uint32_t)i + 1;
			if ((rc = gw_frame_encode(buf, sizeof(buf), &e)) < 0 ||
			    abuse_write(&a, buf, (size_t)rc) != 0 ||
			    abuse_until(&a, GW_T_ENROLL_RESULT) != 0)
				break;
		}
	printf("answered %ld of %ld requests; ", i, n);
	abuse_verdict(&a, 5);
	abuse_close(&a);
	return 0;
}

/* N sessions, each sending one DATA numbered ${seq} once it has credit. */
static int
mode_seq(const char *addr, uint64_t seq, long n)
{
	static const uint8_t body[] = "hostile";
	struct gw_frame f = { .type = GW_T_DATA };
	struct abuse a;

	f.u.data.seq = seq;
	f.u.data.body.p = body;
	f.u.data.body.len = sizeof(body) - 1;
	for (long i = 0; i < n; i++) {
		abuse_open(&a, addr, 0);
		abuse_hello(&a);
		if (abuse_until(&a, GW_T_CREDIT) != 0) {
			printf("no credit; ");
			abuse_verdict(&a, 1);
		} else {
			abuse_frame(&a, &f);
			abuse_verdict(&a, 10);
		}
		abuse_close(&a);
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct abuse a;

	if (argc < 4) {
		fprintf(stderr, "usage: gw-abuse half|huge|garbage|noread|error|seq "
		    "ADDR ARG [SECS|KIND]\n");
		return 2;
	}
	if (strcmp(argv[1], "error") == 0 && (argc == 4 || (argc == 5 &&
	    strcmp(argv[4], "hold") == 0)))
		return mode_error(argv[2], argv[3], argc == 5);
	if (strcmp(argv[1], "seq") == 0 && argc == 5)
		return mode_seq(argv[2], strtoull(argv[3], NULL, 10),
		    atol(argv[4]));
	if (strcmp(argv[1], "half") == 0 && argc == 5)
		return mode_half(argv[2], atol(argv[3]), atof(argv[4]));
	if (strcmp(argv[1], "huge") == 0 && argc == 5) {
		uint8_t hdr[GW_HDR_LEN] = { GW_T_DATA };
		uint32_t len = (uint32_t)strtoul(argv[3], NULL, 10);

		hdr[8] = (uint8_t)(len >> 24);
		hdr[9] = (uint8_t)(len >> 16);
		hdr[10] = (uint8_t)(len >> 8);
		hdr[11] = (uint8_t)len;
		abuse_open(&a, argv[2], 0);
		abuse_hello(&a);
		if (abuse_write(&a, hdr, sizeof(hdr)) != 0)
			return 1;
		abuse_verdict(&a, atof(argv[4]));
		abuse_close(&a);
		return 0;
	}
	if (strcmp(argv[1], "garbage") == 0 && argc == 4) {
		long n = atol(argv[3]);
		uint8_t *junk = malloc((size_t)n);

		if (junk == NULL)
			return 1;
		srandom((unsigned)getpid());
		for (long i = 0; i < n; i++)
			junk[i] = (uint8_t)random();
		junk[0] = 0x7f;		/* never a defined frame type */
		abuse_open(&a, argv[2], 0);
		(void)abuse_write(&a, junk, (size_t)n);
		free(junk);
		abuse_verdict(&a, 10);
		abuse_close(&a);
		return 0;
	}
	if (strcmp(argv[1], "noread") == 0 && argc == 5) {
		static const uint8_t body[200];
		int data = strcmp(argv[4], "data") == 0;
		struct gw_frame f = { .type = data ? GW_T_DATA : GW_T_PING };
		long n = atol(argv[3]), i;

		abuse_open(&a, argv[2], 4096);
		abuse_hello(&a);
		if (data && abuse_until(&a, GW_T_CREDIT) != 0) {
			printf("no credit; ");
			abuse_verdict(&a, 1);
			abuse_close(&a);
			return 0;
		}
		for (i = 0; i < n; i++) {
			uint8_t buf[256];
			int len;

			f.u.ping.opaque = (uint64_t)i + 1;	/* seq for DATA */
			if (data) {
				f.u.data.seq = (uint64_t)i + 1;
				f.u.data.body.p = body;
				f.u.data.body.len = sizeof(body);
			}
			len = gw_frame_encode(buf, sizeof(buf), &f);
			if (len < 0 || abuse_write(&a, buf, (size_t)len) != 0)
				break;
		}
		printf("sent %ld of %ld %s frames; ", i, n, argv[4]);
		abuse_verdict(&a, 10);
		abuse_close(&a);
		return 0;
	}
	if (strcmp(argv[1], "enroll") == 0 && argc == 5)
		return mode_enroll(argv[2], argv[3], argv[4]);
	fprintf(stderr, "gw-abuse: bad arguments\n");
	return 2;
}
