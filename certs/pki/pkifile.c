/*
 * pkifile.c: the files of a CA directory (pkifile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include "pkifile.h"

/**
 * pki_write_file(path, buf, len, mode, err, errlen): replace ${path} with
 * ${len} bytes of ${buf}, mode ${mode}, atomically.  0, or -1 with
 * "path: why" in ${err}.
 */
int
pki_write_file(const char *path, const void *buf, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char tmp[4200];
	ssize_t n;
	int fd, e;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, mode) != 0 ||
	    (n = write(fd, buf, len)) < 0 || (size_t)n != len ||
	    fsync(fd) != 0 || close(fd) != 0) {
		e = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -1;
	}
	return 0;
}

/**
 * pki_read_file(path, buf, cap, len): read all of ${path} (at most
 * ${cap} - 1 bytes, then NUL-terminated) into ${buf}; its size in ${len}.
 * 0, or -1 with errno set (EFBIG if larger).
 */
int
pki_read_file(const char *path, void *buf, size_t cap, size_t *len)
{
	char *p = buf;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while ((n = read(fd, p + off, cap - 1 - off)) > 0)
		if ((off += (size_t)n) == cap - 1)
			break;
	if (n < 0 || (off == cap - 1 && read(fd, &(char){ 0 }, 1) > 0)) {
		int e = n < 0 ? errno : EFBIG;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	p[off] = '\0';
	*len = off;
	return 0;
}

/**
 * pki_record_issued(dir, pem, len, role, err, errlen): append "SERIAL NAME
 * ROLE NOT_AFTER" for certificate ${pem} to ${dir}/issued.txt (gw-cert
 * list).  0 or -1.
 */
int
pki_record_issued(const char *dir, const unsigned char *pem, size_t len,
    const char *role, char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	const mbedtls_x509_name *n;
	const mbedtls_x509_time *t;
	char path[4096], serial[80], name[256] = "?", line[512];
	size_t off = 0;
	int fd, rc = 0, w;

	mbedtls_x509_crt_init(&crt);
	if (mbedtls_x509_crt_parse(&crt, pem, len + 1) != 0) {
		mbedtls_x509_crt_free(&crt);
		snprintf(err, errlen, "cannot read back the certificate");
		return -1;
	}
	for (size_t i = 0; i < crt.serial.len && off + 3 < sizeof(serial); i++)
		off += (size_t)snprintf(serial + off, sizeof(serial) - off,
		    "%02x", crt.serial.p[i]);
	for (n = &crt.subject; n != NULL; n = n->next)
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0 &&
		    n->val.len < sizeof(name)) {
			memcpy(name, n->val.p, n->val.len);
			name[n->val.len] = '\0';
		}
	for (char *c = name; *c != '\0'; c++)	/* one field per column */
		if (*c == ' ' || *c == '\t' || *c == '\n')
			*c = '_';
	t = &crt.valid_to;
	w = snprintf(line, sizeof(line), "%s %s %s %04d%02d%02d%02d%02d%02d\n",
	    serial, name, role, t->year, t->mon, t->day, t->hour, t->min,
	    t->sec);
	mbedtls_x509_crt_free(&crt);
	snprintf(path, sizeof(path), "%s/issued.txt", dir);
	/* One short O_APPEND write: lines of concurrent writers never mix. */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) < 0 || write(fd, line, (size_t)w) != w) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	return rc;
}
