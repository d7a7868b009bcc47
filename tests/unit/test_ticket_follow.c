/*
 * test_ticket_follow.c: ticket keys shared by processes (tls_ticket_share,
 * gatewayd's workers).  The leader rotates early and writes the file; a
 * follower whose newest key is due reads the file again and issues its
 * next tickets under the leader's new key (which the leader can read); a
 * follower reads the file again when a ticket names a key it does not
 * hold, at most once a second; a follower never makes a key nor writes
 * the file, even when it has none to read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>

#include "tls_rng.h"
#include "tls_ticket.h"

#define LIFE	3600	/* s; shared keys are due 60 s early */

static const char key_a[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char key_b[] =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
static const char key_c[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static char tdir[64];
static char keys[128];

static int
setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/test_ticket_follow.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	snprintf(keys, sizeof(keys), "%s/ticket.keys", tdir);
	assert_int_equal(tls_rng_setup(err, sizeof(err)), 0);
	return 0;
}

static int
teardown(void **state)
{
	char tmp[160];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", keys);
	unlink(tmp);
	unlink(keys);
	rmdir(tdir);
	return 0;
}

/* A TLS 1.3 server session, as mbedTLS hands it to f_ticket_write. */
static void
session_init(mbedtls_ssl_session *s)
{
	mbedtls_ssl_session_init(s);
	s->MBEDTLS_PRIVATE(tls_version) = MBEDTLS_SSL_VERSION_TLS1_3;
	s->MBEDTLS_PRIVATE(endpoint) = MBEDTLS_SSL_IS_SERVER;
	s->MBEDTLS_PRIVATE(ciphersuite) = MBEDTLS_TLS1_3_AES_128_GCM_SHA256;
	s->MBEDTLS_PRIVATE(resumption_key_len) = 32;
	memset(s->MBEDTLS_PRIVATE(resumption_key), 0x5a, 32);
	s->MBEDTLS_PRIVATE(ticket_creation_time) = mbedtls_ms_time();
}

static size_t
write_ticket(struct tls_ticket *t, unsigned char *buf, size_t cap)
{
	struct tls_resumed peer = { NULL, (int64_t)time(NULL) };
	mbedtls_ssl_session s;
	uint32_t life = 0;
	size_t n = 0;

	session_init(&s);
	assert_int_equal(tls_ticket_write(t, &s, &peer, buf, buf + cap, &n,
	    &life), 0);
	mbedtls_ssl_session_free(&s);
	return n;
}

static int
parse_ticket(struct tls_ticket *t, const unsigned char *ticket, size_t n)
{
	unsigned char copy[4096];	/* parsing decrypts in place */
	struct tls_resumed peer;
	mbedtls_ssl_session s;
	int rc;

	memcpy(copy, ticket, n);
	mbedtls_ssl_session_init(&s);
	rc = tls_ticket_parse(t, &s, copy, n, &peer);
	tls_resumed_clear(&peer);
	mbedtls_ssl_session_free(&s);
	return rc;
}

static struct tls_ticket *
open_keys(void)
{
	char err[512] = "";
	struct tls_ticket *t = tls_ticket_new(keys, LIFE, err, sizeof(err));

	if (t == NULL)
		fail_msg("tls_ticket_new: %s", err);
	return t;
}

/* The key file, as a leader writes it: ${n} keys, newest first. */
static void
write_keys(int n, const char *name1, int64_t age1, const char *key1,
    const char *name2, int64_t age2, const char *key2)
{
	int64_t now = (int64_t)time(NULL);
	FILE *f = fopen(keys, "w");

	assert_non_null(f);
	fprintf(f, "%lld %s %s\n", (long long)(now - age1), name1, key1);
	if (n > 1)
		fprintf(f, "%lld %s %s\n", (long long)(now - age2), name2,
		    key2);
	fclose(f);
	assert_int_equal(chmod(keys, 0600), 0);
}

static void
read_file(char *buf, size_t len)
{
	FILE *f = fopen(keys, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* The first line of ${buf} that is not a comment. */
static const char *
first_key(const char *buf)
{
	while (*buf == '#') {
		assert_non_null(buf = strchr(buf, '\n'));
		buf++;
	}
	return buf;
}

/* The key file becomes the first key line of ${buf} alone. */
static void
only_first_key(const char *buf)
{
	const char *k = first_key(buf);
	FILE *f = fopen(keys, "w");

	assert_non_null(f);
	fwrite(k, 1, (size_t)(strchr(k, '\n') + 1 - k), f);
	fclose(f);
	assert_int_equal(chmod(keys, 0600), 0);
}

/* Until the wall clock starts a new second. */
static void
next_second(void)
{
	time_t t0 = time(NULL);

	while (time(NULL) == t0)
		usleep(10000);
}

/*
 * Key A is 3550 s old: not due for one process (3600), due for shared
 * keys (3540).  The leader rotates on its tick and writes B; the follower
 * reads B when it next writes a ticket, and writes nothing itself.
 */
static void
test_follower_takes_leaders_key(void **state)
{
	unsigned char ticket[4096];
	char before[1024], after[1024];
	struct tls_ticket *lead, *follow;
	size_t n;

	(void)state;
	write_keys(1, "0a0b0c0d", 3550, key_a, NULL, 0, NULL);
	follow = open_keys();		/* as forked: key A */
	tls_ticket_share(follow, TLS_TICKET_FOLLOW);
	lead = open_keys();
	read_file(before, sizeof(before));
	assert_non_null(strstr(before, key_a));
	tls_ticket_share(lead, TLS_TICKET_LEAD);
	assert_int_equal(tls_ticket_tick(lead), 0);	/* rotates: B, A */
	read_file(before, sizeof(before));
	/* The first key line is new; A is kept, second. */
	assert_non_null(strstr(before, "0a0b0c0d"));
	assert_true(strncmp(first_key(before) + 11, "0a0b0c0d", 8) != 0);
	assert_non_null(strstr(strchr(first_key(before), '\n'), key_a));

	n = write_ticket(follow, ticket, sizeof(ticket));
	read_file(after, sizeof(after));
	assert_string_equal(before, after);	/* the follower wrote nothing */
	/* Issued under B: the leader reads it, as would any other worker. */
	assert_int_equal(parse_ticket(lead, ticket, n), 0);
	tls_ticket_free(lead);
	only_first_key(before);		/* B alone: it is B's ticket */
	lead = open_keys();
	assert_int_equal(parse_ticket(lead, ticket, n), 0);
	tls_ticket_free(lead);
	tls_ticket_free(follow);
}

/*
 * A ticket under a key the follower does not hold makes it read the file,
 * at most once a second: a key that appears within the same second waits
 * for the next one.
 */
static void
test_follower_reads_on_unknown_key(void **state)
{
	unsigned char tb[4096], tc[4096];
	struct tls_ticket *follow, *other;
	size_t nb, nc;

	(void)state;
	write_keys(1, "0a0b0c0d", 10, key_a, NULL, 0, NULL);
	follow = open_keys();
	tls_ticket_share(follow, TLS_TICKET_FOLLOW);
	write_keys(2, "1a1b1c1d", 5, key_b, "0a0b0c0d", 10, key_a);
	other = open_keys();		/* another worker, already on B */
	nb = write_ticket(other, tb, sizeof(tb));
	tls_ticket_free(other);
	write_keys(2, "2a2b2c2d", 1, key_c, "1a1b1c1d", 5, key_b);
	other = open_keys();
	nc = write_ticket(other, tc, sizeof(tc));
	tls_ticket_free(other);
	write_keys(2, "1a1b1c1d", 5, key_b, "0a0b0c0d", 10, key_a);

	next_second();
	assert_int_equal(parse_ticket(follow, tb, nb), 0);	/* read: B */
	write_keys(2, "2a2b2c2d", 1, key_c, "1a1b1c1d", 5, key_b);
	/* The same second: not read again. */
	assert_int_equal(parse_ticket(follow, tc, nc),
	    MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED);
	next_second();
	assert_int_equal(parse_ticket(follow, tc, nc), 0);	/* read: C */
	assert_int_equal(parse_ticket(follow, tb, nb), 0);	/* B kept */
	tls_ticket_free(follow);
}

/*
 * A follower whose key is due and whose file is gone keeps its keys and
 * creates no file; an unreadable file (a damaged line) changes nothing.
 */
static void
test_follower_never_writes(void **state)
{
	unsigned char ticket[4096];
	struct tls_ticket *follow;
	struct stat st;
	size_t n;

	(void)state;
	write_keys(1, "0a0b0c0d", 3550, key_a, NULL, 0, NULL);
	follow = open_keys();
	tls_ticket_share(follow, TLS_TICKET_FOLLOW);
	assert_int_equal(unlink(keys), 0);
	n = write_ticket(follow, ticket, sizeof(ticket));
	assert_int_equal(parse_ticket(follow, ticket, n), 0);
	assert_int_not_equal(stat(keys, &st), 0);
	assert_int_equal(errno, ENOENT);

	next_second();
	write_keys(1, "zz", 0, "00", NULL, 0, NULL);	/* damaged */
	n = write_ticket(follow, ticket, sizeof(ticket));
	assert_int_equal(parse_ticket(follow, ticket, n), 0);
	tls_ticket_free(follow);
}

/*
 * A follower that finds no newer key by the time its own is a second short
 * of the lifetime (the leader cannot write the file) makes a key of its
 * own instead of letting mbedTLS rotate to one tls_ticket_write cannot
 * name: its tickets are sealed under a new name, still parse here, and it
 * writes no file; a ticket of the old key still parses too.
 */
static void
test_follower_own_key_when_leader_silent(void **state)
{
	unsigned char old[4096], ticket[4096];
	struct tls_ticket *follow;
	struct stat st;
	size_t n, no;

	(void)state;
	write_keys(1, "0a0b0c0d", LIFE - 2, key_a, NULL, 0, NULL);
	follow = open_keys();
	tls_ticket_share(follow, TLS_TICKET_FOLLOW);
	no = write_ticket(follow, old, sizeof(old));
	assert_memory_equal(old + 2, "\x0a\x0b\x0c\x0d", 4);	/* u16 n, name */
	assert_int_equal(unlink(keys), 0);
	next_second();
	next_second();
	n = write_ticket(follow, ticket, sizeof(ticket));
	assert_memory_not_equal(ticket + 2, "\x0a\x0b\x0c\x0d", 4);
	assert_int_equal(parse_ticket(follow, ticket, n), 0);
	assert_int_equal(parse_ticket(follow, old, no), 0);
	assert_int_not_equal(stat(keys, &st), 0);
	tls_ticket_free(follow);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follower_takes_leaders_key),
		cmocka_unit_test(test_follower_reads_on_unknown_key),
		cmocka_unit_test(test_follower_never_writes),
		cmocka_unit_test(test_follower_own_key_when_leader_silent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
