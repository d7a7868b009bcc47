/*
 * pkifile.h: the files of a CA directory, written so that a reader never
 * sees half a file (temporary file, fsync, rename) and a key never exists
 * with wider permissions than its final mode.
 */
#ifndef GW_PKIFILE_H
#define GW_PKIFILE_H

#include <stddef.h>
#include <sys/types.h>

/**
 * pki_write_file(path, buf, len, mode, err, errlen): replace ${path} with
 * ${len} bytes of ${buf}, mode ${mode}, atomically.  0, or -1 with
 * "path: why" in ${err}.
 */
int pki_write_file(const char *path, const void *buf, size_t len,
    mode_t mode, char *err, size_t errlen);

/**
 * pki_read_file(path, buf, cap, len): read all of ${path} (at most
 * ${cap} - 1 bytes, then NUL-terminated) into ${buf}; its size in ${len}.
 * 0, or -1 with errno set (EFBIG if larger).
 */
int pki_read_file(const char *path, void *buf, size_t cap, size_t *len);

/**
 * pki_record_issued(dir, pem, len, role, err, errlen): append "SERIAL NAME
 * ROLE NOT_AFTER" for certificate ${pem} to ${dir}/issued.txt (gw-cert
 * list).  0 or -1.
 */
int pki_record_issued(const char *dir, const unsigned char *pem, size_t len,
    const char *role, char *err, size_t errlen);

#endif /* GW_PKIFILE_H */
