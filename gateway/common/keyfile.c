/*
 * keyfile.c: secret files readable by their owner only (keyfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>

#include "keyfile.h"

#define KEYFILE_MAX	16384	/* a PEM RSA-8192 key is about 6.5 KiB */

/**
 * keyfile_check(fd, path, what, err, errlen): 0 if the file open as ${fd}
 * (the ${what}, "private key", at ${path}) is a regular file that neither
 * its group nor others may read or write; else -1 with "PATH: WHAT is
 * group-readable (mode 640): chmod 600 it" (or world-readable, writable
 * by others, not a regular file) in ${err}.
 */
int
keyfile_check(int fd, const char *path, const char *what, char *err,
    size_t errlen)
{
	struct stat st;
	const char *how;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a regular file", path,
		    what);
		errno = EPERM;
		return -1;
	}
	/*
	 * Owner only: a key the service's group (or anyone) may read is no
	 * longer the service's secret, one they may write is not its key.
	 */
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return 0;
	how = (st.st_mode & S_IROTH) ? "world-readable" :
	    (st.st_mode & S_IRGRP) ? "group-readable" : "writable by others";
	snprintf(err, errlen, "%s: %s is %s (mode %03o): chmod 600 it", path,
	    what, how, (unsigned)(st.st_mode & 0777));
	errno = EPERM;
	return -1;
}

/**
 * keyfile_read(path, what, buf, cap, len, err, errlen): read the secret
 * file ${path} (checked by keyfile_check) into ${buf}, at most ${cap} - 1
 * bytes then NUL-terminated, its size in ${len}.  0, or -1 with "path:
 * why" in ${err} and errno set (ENOENT if it does not exist, EPERM if its
 * mode is refused, EFBIG if larger).  The caller zeroises ${buf}.
 */
int
keyfile_read(const char *path, const char *what, void *buf, size_t cap,
    size_t *len, char *err, size_t errlen)
{
	unsigned char *p = buf;
	size_t off = 0;
	ssize_t n = 0;
	int fd, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	if (keyfile_check(fd, path, what, err, errlen) != 0)
		goto fail;
	while (off < cap - 1 && (n = read(fd, p + off, cap - 1 - off)) > 0)
		off += (size_t)n;
	if (n < 0 || (off == cap - 1 && read(fd, &(char){ 0 }, 1) > 0)) {
		errno = n < 0 ? errno : EFBIG;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	p[off] = '\0';
	*len = off;
	return 0;
fail:
	e = errno;
	close(fd);
	mbedtls_platform_zeroize(buf, off);
	errno = e;
	return -1;
}

/**
 * keyfile_pk(pk, path, f_rng, p_rng, err, errlen): parse the private key
 * file ${path} (PEM or DER, read by keyfile_read) into ${pk}; the bytes
 * read are zeroised.  0, or -1 with "path: why" in ${err}.
 */
int
keyfile_pk(mbedtls_pk_context *pk, const char *path,
    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng, char *err,
    size_t errlen)
{
	unsigned char *buf;
	char why[128];
	size_t len;
	int rc;

	if ((buf = malloc(KEYFILE_MAX)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (keyfile_read(path, "private key", buf, KEYFILE_MAX, &len, err,
	    errlen) != 0) {
		free(buf);
		return -1;
	}
	/* PEM is parsed with its NUL (mbedTLS's rule), DER without. */
	rc = mbedtls_pk_parse_key(pk, buf, strstr((char *)buf,
	    "-----BEGIN ") != NULL ? len + 1 : len, NULL, 0, f_rng, p_rng);
	mbedtls_platform_zeroize(buf, KEYFILE_MAX);
	free(buf);
	if (rc != 0) {
		mbedtls_strerror(rc, why, sizeof(why));
		snprintf(err, errlen, "%s: cannot load private key: %s", path,
		    why);
		return -1;
	}
	return 0;
}
