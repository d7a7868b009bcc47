/*
 * tls_ticket.c: session ticket keys kept in a file across restarts, and the
 * peer certificate sealed into each ticket (tls_ticket.h has the formats).
 * mbedTLS's ticket module does the session part; this wraps it.  The clock
 * is mbedTLS's (mbedtls_time: time() in every program), as for the
 * certificates' dates: the fuzz harnesses fix both with one call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl_ticket.h>

#include "keyfile.h"
#include "log.h"
#include "tls_rng.h"
#include "tls_ticket.h"

#define TK_NAME		4
#define TK_KEY		32	/* AES-256-GCM, as mbedTLS's part */
#define TK_NONCE	12
#define TK_TAG		16
#define TK_SEALED_HDR	(8 + 2)	/* auth_time, cert_len */

struct tls_key {
	int		 set;
	int64_t		 created;	/* epoch s */
	unsigned char	 name[TK_NAME];
	unsigned char	 key[TK_KEY];
	mbedtls_gcm_context seal;	/* HKDF(key): our part of a ticket */
};

#define TK_LEAD_MAX	60	/* s: shared keys rotate this early, at most */
#define TK_WARN_EVERY	60	/* s between ticket_keys_unread lines */

struct tls_ticket {
	mbedtls_ssl_ticket_context tk;
	struct tls_key	 k[2];		/* [0] newest, [1] the one before */
	char		*path;		/* NULL: memory only */
	uint32_t	 lifetime;
	int		 mode;		/* TLS_TICKET_ALONE, _LEAD, _FOLLOW */
	int64_t		 last_read;	/* follower: epoch s of its last read */
	int64_t		 last_warn;	/* follower: of its last failure line */
};

static void
put_u16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static size_t
get_u16(const unsigned char *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int j = 0; j < 2; j++) {
			char ch = s[2 * i + (size_t)j];

			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

static void
hex_encode(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* The key that seals our part: HKDF-SHA256 of the ticket key. */
static int
key_ready(struct tls_key *k)
{
	static const char info[] = "gatewayd ticket peer certificate";
	unsigned char sk[TK_KEY];
	int rc;

	mbedtls_gcm_free(&k->seal);
	mbedtls_gcm_init(&k->seal);
	rc = mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), NULL,
	    0, k->key, TK_KEY, (const unsigned char *)info, sizeof(info) - 1,
	    sk, sizeof(sk));
	if (rc == 0)
		rc = mbedtls_gcm_setkey(&k->seal, MBEDTLS_CIPHER_ID_AES, sk,
		    8 * TK_KEY);
	mbedtls_platform_zeroize(sk, sizeof(sk));
	k->set = rc == 0;
	return rc;
}

static void
key_clear(struct tls_key *k)
{
	mbedtls_gcm_free(&k->seal);
	mbedtls_platform_zeroize(k, sizeof(*k));
}

static int
key_generate(struct tls_key *k, int64_t now)
{
	key_clear(k);
	k->created = now;
	if (tls_rng(NULL, k->name, TK_NAME) != 0 ||
	    tls_rng(NULL, k->key, TK_KEY) != 0)
		return -1;
	return key_ready(k);
}

/* Read the key file; 0 with nothing set if it does not exist. */
static int
keys_load(struct tls_ticket *t, char *err, size_t errlen)
{
	char line[256], created[24], name[16], key[80], extra[4];
	unsigned n = 0, lineno = 0;
	FILE *f;
	int fd, e;

	/* Not through a link: the directory may be the service user's. */
	if ((fd = open(t->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (f = fdopen(fd, "r")) == NULL) {
		e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", t->path, strerror(e));
		return -1;
	}
	if (keyfile_check(fd, t->path, "ticket key file", err, errlen) != 0)
		goto fail;
	while (fgets(line, sizeof(line), f) != NULL) {
		struct tls_key *k;
		char *end;
		long long c;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (n == 2) {
			snprintf(err, errlen, "%s:%u: more than two keys",
			    t->path, lineno);
			goto fail;
		}
		k = &t->k[n];
		if (sscanf(line, "%23s %15s %79s %3s", created, name, key,
		    extra) != 3 || (errno = 0, c = strtoll(created, &end, 10),
		    *end != '\0' || errno != 0 || c <= 0) ||
		    hex_decode(name, k->name, TK_NAME) != 0 ||
		    hex_decode(key, k->key, TK_KEY) != 0) {
			snprintf(err, errlen, "%s:%u: not a ticket key (want: "
			    "CREATED_EPOCH NAME_8HEX KEY_64HEX)", t->path,
			    lineno);
			goto fail;
		}
		k->created = c;
		if (key_ready(k) != 0) {
			snprintf(err, errlen, "%s:%u: cannot use key", t->path,
			    lineno);
			goto fail;
		}
		n++;
	}
	mbedtls_platform_zeroize(line, sizeof(line));
	mbedtls_platform_zeroize(key, sizeof(key));
	fclose(f);
	return 0;
fail:
	mbedtls_platform_zeroize(line, sizeof(line));
	mbedtls_platform_zeroize(key, sizeof(key));
	fclose(f);
	return -1;
}

/*
 * Write the keys: a new file (mode 0600) renamed over the old one.  The
 * first save runs as root, before privileges are dropped, in a directory
 * that may be the service user's: the temporary is made new (O_EXCL) and
 * never through a link, so a link planted there cannot make root truncate
 * or write a file elsewhere; a stale one (a crash) is removed first.
 */
static int
keys_save(const struct tls_ticket *t, char *err, size_t errlen)
{
	char tmp[4096], name[2 * TK_NAME + 1], key[2 * TK_KEY + 1];
	FILE *f;
	int fd = -1, ok;

	if (t->path == NULL)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	if ((unlink(tmp) != 0 && errno != ENOENT) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "# gatewayd TLS session ticket keys: secret, like the "
	    "gateway's key.\n# CREATED_EPOCH NAME KEY, newest first.\n");
	for (int i = 0; i < 2; i++) {
		if (!t->k[i].set)
			continue;
		hex_encode(t->k[i].name, TK_NAME, name);
		hex_encode(t->k[i].key, TK_KEY, key);
		fprintf(f, "%lld %s %s\n", (long long)t->k[i].created, name,
		    key);
	}
	mbedtls_platform_zeroize(key, sizeof(key));
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, t->path) != 0) {
		snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Give mbedTLS our two keys, the older first: the newer is then active. */
static int
keys_install(struct tls_ticket *t)
{
	for (int i = 1; i >= 0; i--) {
		if (t->k[i].set && mbedtls_ssl_ticket_rotate(&t->tk,
		    t->k[i].name, TK_NAME, t->k[i].key, TK_KEY,
		    t->lifetime) != 0)
			return -1;
	}
	return 0;
}

/*
 * Keys shared by processes (tls_ticket_share) are due a little early: the
 * leader writes the next key before a follower's mbedTLS would make one
 * of its own (lifetime after the follower installed its newest key), so a
 * follower that re-reads in time never issues tickets only it can read.
 */
static int64_t
keys_lead(const struct tls_ticket *t)
{
	int64_t lead = (int64_t)t->lifetime / 8;

	if (t->mode == TLS_TICKET_ALONE)
		return 0;
	return lead < TK_LEAD_MAX ? lead : TK_LEAD_MAX;
}

static int
keys_due(const struct tls_ticket *t, int64_t now)
{
	return !t->k[0].set || now < t->k[0].created ||
	    now - t->k[0].created >= (int64_t)t->lifetime - keys_lead(t);
}

/* A new key becomes the active one; the active one becomes the previous. */
static int
keys_rotate(struct tls_ticket *t, int64_t now)
{
	key_clear(&t->k[1]);
	t->k[1] = t->k[0];		/* moved: k[0] is zeroed, not freed */
	memset(&t->k[0], 0, sizeof(t->k[0]));
	if (key_generate(&t->k[0], now) != 0 ||
	    mbedtls_ssl_ticket_rotate(&t->tk, t->k[0].name, TK_NAME,
	    t->k[0].key, TK_KEY, t->lifetime) != 0)
		return -1;
	return 0;
}

/* A follower could not read the file: say so, at most every minute. */
static void
keys_follow_failed(struct tls_ticket *t, int64_t now, const char *why)
{
	if (now - t->last_warn < TK_WARN_EVERY)
		return;
	t->last_warn = now;
	log_warnx("event=ticket_keys_unread reason=\"%s\" (the keys held "
	    "stay)", why);
}

/*
 * A follower reads the key file again, at most once a second: its keys
 * are due, or a ticket names a key it does not hold.  A newer key there
 * replaces both held (the file holds the newest and the one before).
 */
static void
keys_follow(struct tls_ticket *t, int64_t now)
{
	struct tls_ticket n;
	char why[512];

	if (t->path == NULL || now == t->last_read)
		return;
	t->last_read = now;
	memset(&n, 0, sizeof(n));
	n.path = t->path;
	for (int i = 0; i < 2; i++)
		mbedtls_gcm_init(&n.k[i].seal);
	if (keys_load(&n, why, sizeof(why)) != 0) {
		keys_follow_failed(t, now, why);
		goto out;
	}
	if (!n.k[0].set) {
		keys_follow_failed(t, now, "no key in the file");
		goto out;
	}
	if (t->k[0].set && memcmp(n.k[0].name, t->k[0].name, TK_NAME) == 0)
		goto out;		/* nothing new */
	for (int i = 0; i < 2; i++) {
		key_clear(&t->k[i]);
		t->k[i] = n.k[i];	/* moved: n's are zeroed, not freed */
		memset(&n.k[i], 0, sizeof(n.k[i]));
	}
	if (keys_install(t) != 0)
		keys_follow_failed(t, now, "mbedTLS refused a key");
	else
		log_info("event=ticket_keys_reloaded file=%s", t->path);
out:
	for (int i = 0; i < 2; i++)
		key_clear(&n.k[i]);
}

/*
 * Before each use: a key older than the lifetime makes way for a new one.
 * mbedTLS would rotate on its own at that age, to a key no file holds;
 * doing it here first keeps the file the truth.  A file that cannot be
 * written costs only resumption after a restart: it is logged.
 */
static int
keys_tick(struct tls_ticket *t)
{
	char why[512];
	int64_t now = (int64_t)mbedtls_time(NULL);

	if (!keys_due(t, now))
		return 0;
	if (t->mode == TLS_TICKET_FOLLOW) {
		keys_follow(t, now);	/* the leader's next key */
		if (t->k[0].set && now >= t->k[0].created &&
		    now - t->k[0].created < (int64_t)t->lifetime - 1)
			return 0;
		/* None in time: a key of its own, not mbedTLS's (see .h). */
		if (keys_rotate(t, now) != 0)
			return -1;
		log_warnx("event=ticket_key_own file=%s (no newer key from the "
		    "leader: this process's tickets resume only on it)",
		    t->path != NULL ? t->path : "none");
		return 0;
	}
	if (keys_rotate(t, now) != 0)
		return -1;
	if (keys_save(t, why, sizeof(why)) != 0)
		log_warnx("event=ticket_key_not_saved reason=\"%s\" (tickets "
		    "from now on will not survive a restart)", why);
	else if (t->path != NULL)
		log_info("event=ticket_key_rotated file=%s", t->path);
	return 0;
}

/**
 * tls_ticket_new(path, lifetime, err, errlen): ticket keys for tickets
 * valid ${lifetime} seconds, kept in ${path} (created if missing, rotated
 * if its newest key is older than ${lifetime}); ${path} NULL: in memory
 * only (tickets do not survive a restart).  Needs tls_rng_setup().  On
 * error return NULL with "path:line: why" in ${err}.
 */
struct tls_ticket *
tls_ticket_new(const char *path, uint32_t lifetime, char *err, size_t errlen)
{
	struct tls_ticket *t;
	int64_t now = (int64_t)mbedtls_time(NULL);

	if (lifetime == 0 || lifetime > TLS_TICKET_MAX_LIFETIME) {
		snprintf(err, errlen, "ticket lifetime: 1..%u s",
		    TLS_TICKET_MAX_LIFETIME);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (path != NULL && (t->path = strdup(path)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		free(t);
		return NULL;
	}
	t->lifetime = lifetime;
	mbedtls_ssl_ticket_init(&t->tk);
	for (int i = 0; i < 2; i++)
		mbedtls_gcm_init(&t->k[i].seal);
	if (mbedtls_ssl_ticket_setup(&t->tk, tls_rng, NULL,
	    MBEDTLS_CIPHER_AES_256_GCM, lifetime) != 0) {
		snprintf(err, errlen, "ticket keys: mbedTLS setup failed");
		goto fail;
	}
	if (t->path != NULL && keys_load(t, err, errlen) != 0)
		goto fail;
	if (keys_install(t) != 0) {
		snprintf(err, errlen, "%s: mbedTLS refused a key", path);
		goto fail;
	}
	if (keys_due(t, now)) {
		/* New, or stale: a fresh key, and the file must take it. */
		if (keys_rotate(t, now) != 0) {
			snprintf(err, errlen, "ticket key: cannot generate");
			goto fail;
		}
		if (keys_save(t, err, errlen) != 0)
			goto fail;
	}
	return t;
fail:
	tls_ticket_free(t);
	return NULL;
}

/**
 * tls_ticket_share(t, mode): see tls_ticket.h.
 */
void
tls_ticket_share(struct tls_ticket *t, int mode)
{
	t->mode = mode;
	t->last_read = 0;
}

/**
 * tls_ticket_save(t, err, errlen): see tls_ticket.h.
 */
int
tls_ticket_save(struct tls_ticket *t, char *err, size_t errlen)
{
	return keys_save(t, err, errlen);
}

/**
 * tls_ticket_tick(t): see tls_ticket.h.
 */
int
tls_ticket_tick(struct tls_ticket *t)
{
	return keys_tick(t);
}

/** tls_ticket_lifetime(t): the lifetime of ${t}'s tickets (seconds). */
uint32_t
tls_ticket_lifetime(const struct tls_ticket *t)
{
	return t->lifetime;
}

static struct tls_key *
key_by_name(struct tls_ticket *t, const unsigned char *name)
{
	for (int i = 0; i < 2; i++)
		if (t->k[i].set && memcmp(t->k[i].name, name, TK_NAME) == 0)
			return &t->k[i];
	return NULL;
}

/**
 * tls_ticket_write(t, s, peer, start, end, tlen, lifetime): mbedTLS's
 * f_ticket_write with the peer ${peer} sealed in (rotating the key first
 * if it is due).  Return 0 or an mbedTLS error.
 */
int
tls_ticket_write(struct tls_ticket *t, const mbedtls_ssl_session *s,
    const struct tls_resumed *peer, unsigned char *start,
    const unsigned char *end, size_t *tlen, uint32_t *lifetime)
{
	unsigned char *p, *nonce, *sealed;
	size_t n, certlen = peer->crt != NULL ? peer->crt->raw.len : 0;
	struct tls_key *k;
	int rc;

	*tlen = 0;
	if (keys_tick(t) != 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	if (end - start < 2)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	if ((rc = mbedtls_ssl_ticket_write(&t->tk, s, start + 2, end, &n,
	    lifetime)) != 0)
		return rc;
	put_u16(start, n);
	p = start + 2 + n;
	if ((size_t)(end - p) < TK_NONCE + TK_SEALED_HDR + certlen + TK_TAG ||
	    certlen > 0xffff)
		return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
	if ((k = key_by_name(t, start + 2)) == NULL)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	nonce = p;
	sealed = p + TK_NONCE;
	if (tls_rng(NULL, nonce, TK_NONCE) != 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	for (int i = 0; i < 8; i++)
		sealed[i] = (unsigned char)((uint64_t)peer->auth_time >>
		    (56 - 8 * i));
	put_u16(sealed + 8, certlen);
	if (certlen > 0)
		memcpy(sealed + TK_SEALED_HDR, peer->crt->raw.p, certlen);
	n = TK_SEALED_HDR + certlen;
	if ((rc = mbedtls_gcm_crypt_and_tag(&k->seal, MBEDTLS_GCM_ENCRYPT, n,
	    nonce, TK_NONCE, start, (size_t)(p - start), sealed, sealed,
	    TK_TAG, sealed + n)) != 0)
		return rc;
	*tlen = (size_t)(sealed + n + TK_TAG - start);
	return 0;
}

/**
 * tls_ticket_parse(t, s, buf, len, peer): mbedTLS's f_ticket_parse; on
 * success also fill ${peer} (the caller frees peer->crt).  A ticket whose
 * full handshake is older than the lifetime is expired.  Return 0,
 * MBEDTLS_ERR_SSL_INVALID_MAC (not ours, or altered),
 * MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED, or another mbedTLS error.
 */
int
tls_ticket_parse(struct tls_ticket *t, mbedtls_ssl_session *s,
    unsigned char *buf, size_t len, struct tls_resumed *peer)
{
	unsigned char *sealed;
	size_t n, sealed_len, certlen;
	int64_t now = (int64_t)mbedtls_time(NULL), auth = 0;
	struct tls_key *k;
	mbedtls_x509_crt *crt = NULL;
	int rc;

	memset(peer, 0, sizeof(*peer));
	if (keys_tick(t) != 0)
		return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
	if (len < 2 || (n = get_u16(buf)) < TK_NAME ||
	    len < 2 + n + TK_NONCE + TK_SEALED_HDR + TK_TAG)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	if ((k = key_by_name(t, buf + 2)) == NULL &&
	    t->mode == TLS_TICKET_FOLLOW) {
		keys_follow(t, now);	/* another process's newer key? */
		k = key_by_name(t, buf + 2);
	}
	if (k == NULL)
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
	sealed = buf + 2 + n + TK_NONCE;
	sealed_len = len - (2 + n + TK_NONCE + TK_TAG);
	/* Ours first: its AAD is mbedTLS's part, decrypted in place next. */
	if (mbedtls_gcm_auth_decrypt(&k->seal, sealed_len, buf + 2 + n,
	    TK_NONCE, buf, 2 + n, sealed + sealed_len, TK_TAG, sealed,
	    sealed) != 0)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	for (int i = 0; i < 8; i++)
		auth = (int64_t)((uint64_t)auth << 8 | sealed[i]);
	certlen = get_u16(sealed + 8);
	if (TK_SEALED_HDR + certlen != sealed_len)
		return MBEDTLS_ERR_SSL_INVALID_MAC;
	if (auth > now + 60 || now - auth > (int64_t)t->lifetime)
		return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
	if ((rc = mbedtls_ssl_ticket_parse(&t->tk, s, buf + 2, n)) != 0)
		return rc;
	if (certlen > 0) {
		if ((crt = malloc(sizeof(*crt))) == NULL)
			return MBEDTLS_ERR_SSL_ALLOC_FAILED;
		mbedtls_x509_crt_init(crt);
		if (mbedtls_x509_crt_parse_der(crt, sealed + TK_SEALED_HDR,
		    certlen) != 0) {
			mbedtls_x509_crt_free(crt);
			free(crt);
			return MBEDTLS_ERR_SSL_INVALID_MAC;
		}
	}
	peer->crt = crt;
	peer->auth_time = auth;
	return 0;
}

/** tls_resumed_clear(r): free ${r}'s certificate and zero ${r}. */
void
tls_resumed_clear(struct tls_resumed *r)
{
	if (r->crt != NULL) {
		mbedtls_x509_crt_free(r->crt);
		free(r->crt);
	}
	memset(r, 0, sizeof(*r));
}

/** tls_ticket_free(t): NULL-safe; the keys are zeroised. */
void
tls_ticket_free(struct tls_ticket *t)
{
	if (t == NULL)
		return;
	mbedtls_ssl_ticket_free(&t->tk);
	for (int i = 0; i < 2; i++)
		key_clear(&t->k[i]);
	free(t->path);
	free(t);
}
