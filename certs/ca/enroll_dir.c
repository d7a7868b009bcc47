/*
 * enroll_dir.c: the enrollment state in a CA directory (enroll_dir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pem.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_csr.h>

#include "csr.h"
#include "enroll_dir.h"
#include "keyfile.h"
#include "pkifile.h"

#define ED_CSR_BEGIN	"-----BEGIN CERTIFICATE REQUEST-----\n"
#define ED_CSR_END	"-----END CERTIFICATE REQUEST-----\n"
/* CSR_DER_MAX bytes as PEM: base64 (4/3), 64-column lines, armour. */
#define ED_CSR_PEM_MAX	(CSR_DER_MAX / 3 * 4 + CSR_DER_MAX / 48 + 256)

static void
ed_path(char *buf, size_t len, const char *dir, const char *rid,
    const char *file)
{
	snprintf(buf, len, "%s/enroll/requests/%s%s%s", dir, rid,
	    file ? "/" : "", file ? file : "");
}

/** ed_init(dir, err, errlen): create DIR/enroll and its subdirectories. */
int
ed_init(const char *dir, char *err, size_t errlen)
{
	static const char *const sub[] = { "enroll", "enroll/tokens",
	    "enroll/requests" };
	char path[4096];

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/** ed_rid(csr, len, rid): the request id of CSR ${csr} (SHA-256 prefix). */
void
ed_rid(const uint8_t *csr, size_t len, char rid[ED_RID_LEN + 1])
{
	unsigned char h[32];

	mbedtls_sha256(csr, len, h, 0);
	for (int i = 0; i < ED_RID_LEN / 2; i++)
		snprintf(rid + 2 * i, 3, "%02x", h[i]);
}

/** ed_rid_valid(rid): 1 if ${rid} looks like a request id. */
int
ed_rid_valid(const char *rid)
{
	return strlen(rid) == ED_RID_LEN &&
	    strspn(rid, "0123456789abcdef") == ED_RID_LEN;
}

static int
ed_info_parse(char *text, struct ed_info *info)
{
	char *line, *save = NULL, *eq;

	memset(info, 0, sizeof(*info));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
#define F(k) if (strcmp(line, #k) == 0) \
	snprintf(info->k, sizeof(info->k), "%s", eq)
		F(name); else F(key_fp); else F(key_desc); else F(source);
		else F(via); else F(token); else F(kind);
		else if (strcmp(line, "received") == 0)
			info->received = strtoll(eq, NULL, 10);
		else if (strcmp(line, "expires") == 0)
			info->expires = strtoll(eq, NULL, 10);
#undef F
	}
	return info->name[0] != '\0' ? 0 : -1;
}

/**
 * ed_state(dir, rid, info, answered): the state of request ${rid}; fills
 * ${info} (if not NULL) and, for an answered request, when (${answered}).
 */
enum ed_state
ed_state(const char *dir, const char *rid, struct ed_info *info,
    long long *answered)
{
	char path[4096], text[2048];
	struct ed_info tmp;
	struct stat st;
	size_t len;

	if (!ed_rid_valid(rid))
		return ED_NONE;
	ed_path(path, sizeof(path), dir, rid, "info");
	if (pki_read_file(path, text, sizeof(text), &len) != 0 ||
	    ed_info_parse(text, info ? info : &tmp) != 0)
		return ED_NONE;
	ed_path(path, sizeof(path), dir, rid, "cert.pem");
	if (stat(path, &st) == 0) {
		if (answered)
			*answered = st.st_mtime;
		return ED_ISSUED;
	}
	ed_path(path, sizeof(path), dir, rid, "denied");
	if (stat(path, &st) == 0) {
		if (answered)
			*answered = st.st_mtime;
		return ED_DENIED;
	}
	return ED_PENDING;
}

/**
 * ed_create(dir, rid, csr, len, nr, err, errlen): write request ${rid}:
 * its CSR ${csr} (DER, stored as csr.pem) and ${nr}; an existing request
 * of that id gets the new ${nr}.  0 or -1.
 */
int
ed_create(const char *dir, const char *rid, const uint8_t *csr, size_t len,
    const struct ed_new *nr, char *err, size_t errlen)
{
	static unsigned char pem[ED_CSR_PEM_MAX];
	char path[4096], text[2048];
	size_t plen = 0;
	int n;

	if (!ed_rid_valid(rid)) {
		snprintf(err, errlen, "%s: not a request id", rid);
		return -1;
	}
	ed_path(path, sizeof(path), dir, rid, NULL);
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (mbedtls_pem_write_buffer(ED_CSR_BEGIN, ED_CSR_END, csr, len, pem,
	    sizeof(pem), &plen) != 0 || plen == 0) {
		snprintf(err, errlen, "request %s: CSR of %zu bytes too large",
		    rid, len);
		return -1;
	}
	n = snprintf(text, sizeof(text), "name=%s\nkey_fp=%s\nkey_desc=%s\n"
	    "source=%s\nvia=%s\ntoken=%s\nkind=%s\nreceived=%lld\n"
	    "expires=%lld\n", nr->name, nr->key_fp, nr->key_desc, nr->source,
	    nr->via, nr->token, nr->kind, nr->received, nr->expires);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		snprintf(err, errlen, "request %s: info too long", rid);
		return -1;
	}
	ed_path(path, sizeof(path), dir, rid, "csr.pem");
	if (pki_write_file(path, pem, plen - 1, 0600, err, errlen) != 0)
		return -1;
	/* info last: a request exists once its info does. */
	ed_path(path, sizeof(path), dir, rid, "info");
	return pki_write_file(path, text, (size_t)n, 0600, err, errlen);
}

/** ed_answer(dir, rid, file, text, err, errlen): write cert.pem or denied. */
int
ed_answer(const char *dir, const char *rid, const char *file,
    const char *text, char *err, size_t errlen)
{
	char path[4096];

	ed_path(path, sizeof(path), dir, rid, file);
	return pki_write_file(path, text, strlen(text), 0644, err, errlen);
}

/**
 * ed_read(dir, rid, file, buf, cap, len): read a file of request ${rid}
 * (cert.pem, denied) into ${buf}, NUL-terminated.  0 or -1.
 */
int
ed_read(const char *dir, const char *rid, const char *file, void *buf,
    size_t cap, size_t *len)
{
	char path[4096];

	if (!ed_rid_valid(rid))
		return -1;
	ed_path(path, sizeof(path), dir, rid, file);
	return pki_read_file(path, buf, cap, len);
}

/**
 * ed_csr(dir, rid, der, cap, len, err, errlen): the CSR of request ${rid}
 * as DER into ${der} (capacity ${cap}).  0 or -1.
 */
int
ed_csr(const char *dir, const char *rid, uint8_t *der, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	static unsigned char pem[ED_CSR_PEM_MAX];
	mbedtls_x509_csr csr;
	size_t plen;
	int rc = -1;

	mbedtls_x509_csr_init(&csr);
	if (ed_read(dir, rid, "csr.pem", pem, sizeof(pem), &plen) != 0)
		snprintf(err, errlen, "request %s: no CSR (%s)", rid,
		    strerror(errno));
	else if (mbedtls_x509_csr_parse(&csr, pem, plen + 1) != 0)
		snprintf(err, errlen, "request %s: csr.pem is not a CSR", rid);
	else if (csr.raw.len > cap)
		snprintf(err, errlen, "request %s: CSR too large", rid);
	else {
		memcpy(der, csr.raw.p, csr.raw.len);
		*len = csr.raw.len;
		rc = 0;
	}
	mbedtls_x509_csr_free(&csr);
	return rc;
}

/** ed_remove(dir, rid): delete request ${rid}. */
void
ed_remove(const char *dir, const char *rid)
{
	static const char *const files[] = { "info", "csr.pem", "cert.pem",
	    "denied" };
	char path[4096];

	if (!ed_rid_valid(rid))
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		ed_path(path, sizeof(path), dir, rid, files[i]);
		unlink(path);
	}
	ed_path(path, sizeof(path), dir, rid, NULL);
	rmdir(path);
}

/**
 * ed_next(dir, cursor, rid): the requests one by one: 1 with the next id
 * in ${rid}, 0 at the end.  *${cursor} is 0 at first; ed_next_end() frees
 * it if the caller stops early.
 */
int
ed_next(const char *dir, void **cursor, char rid[ED_RID_LEN + 1])
{
	char path[4096];
	struct dirent *de;

	if (*cursor == NULL) {
		snprintf(path, sizeof(path), "%s/enroll/requests", dir);
		if ((*cursor = opendir(path)) == NULL)
			return 0;
	}
	while ((de = readdir(*cursor)) != NULL)
		if (ed_rid_valid(de->d_name)) {
			memcpy(rid, de->d_name, ED_RID_LEN + 1);
			return 1;
		}
	ed_next_end(cursor);
	return 0;
}

void
ed_next_end(void **cursor)
{
	if (*cursor != NULL)
		closedir(*cursor);
	*cursor = NULL;
}

/**
 * ed_token_key(dir, key, create, err, errlen): read DIR/enroll/token.key
 * (32 bytes), creating it (0600) with random bytes first if it is missing
 * and ${create}; two creators agree on one key.  0 or -1.
 */
int
ed_token_key(const char *dir, uint8_t key[32], int create, char *err,
    size_t errlen)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	char path[4096], tmp[4200];
	uint8_t buf[64];
	size_t len = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/enroll/token.key", dir);
	/* Owner only (keyfile.c), like every key. */
	if (keyfile_read(path, "token key", buf, sizeof(buf), &len, err,
	    errlen) == 0) {
		if (len != 32) {
			mbedtls_platform_zeroize(buf, sizeof(buf));
			snprintf(err, errlen, "%s: not 32 bytes", path);
			return -1;
		}
		memcpy(key, buf, 32);
		mbedtls_platform_zeroize(buf, sizeof(buf));
		return 0;
	}
	if (errno != ENOENT || !create) {
		if (errno == ENOENT)
			snprintf(err, errlen, "%s: no token key (no token was "
			    "ever created)", path);
		return -1;
	}
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent,
	    (const unsigned char *)"gw-token", 8) != 0 ||
	    mbedtls_ctr_drbg_random(&drbg, key, 32) != 0 ? -1 : 0;
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	if (rc != 0) {
		snprintf(err, errlen, "no randomness for the token key");
		return -1;
	}
	/* Whole under a private name, then linked: the first creator wins. */
	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	if (pki_write_file(tmp, key, 32, 0600, err, errlen) != 0)
		return -1;
	rc = link(tmp, path);
	unlink(tmp);
	if (rc != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	mbedtls_platform_zeroize(key, 32);
	return ed_token_key(dir, key, 0, err, errlen);
}

static void
ed_token_path(char *buf, size_t len, const char *dir, const char *id,
    const char *suffix)
{
	snprintf(buf, len, "%s/enroll/tokens/%s%s", dir, id, suffix);
}

/**
 * ed_token_used(dir, id, n): how many requests token ${id} admitted, into
 * ${n} (0 if none yet).  0, or -1 if the count is unreadable.
 */
int
ed_token_used(const char *dir, const char *id, unsigned *n)
{
	char path[4096], text[32], *end;
	unsigned long v;
	size_t len;

	*n = 0;
	ed_token_path(path, sizeof(path), dir, id, ".used");
	if (pki_read_file(path, text, sizeof(text), &len) != 0)
		return errno == ENOENT ? 0 : -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || end == text || (*end != '\n' && *end != '\0') ||
	    v > 65535)
		return -1;
	*n = (unsigned)v;
	return 0;
}

/** ed_token_set_used(dir, id, n, err, errlen): record ${n} uses. */
int
ed_token_set_used(const char *dir, const char *id, unsigned n, char *err,
    size_t errlen)
{
	char text[32];

	snprintf(text, sizeof(text), "%u\n", n);
	return ed_token_file(dir, id, ".used", text, err, errlen);
}

/** ed_token_revoked(dir, id): 1 if token ${id} was revoked. */
int
ed_token_revoked(const char *dir, const char *id)
{
	char path[4096];

	ed_token_path(path, sizeof(path), dir, id, ".revoked");
	return access(path, F_OK) == 0;
}

/**
 * ed_token_file(dir, id, suffix, text, err, errlen): write
 * DIR/enroll/tokens/ID${suffix} ("" for the record, ".revoked").
 */
int
ed_token_file(const char *dir, const char *id, const char *suffix,
    const char *text, char *err, size_t errlen)
{
	char path[4096];

	ed_token_path(path, sizeof(path), dir, id, suffix);
	return pki_write_file(path, text, strlen(text), 0600, err, errlen);
}
