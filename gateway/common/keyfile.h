/*
 * keyfile.h: secret files (private keys, the ticket keys, the token key)
 * are read only if no one but their owner may read or write them: mode
 * 0600 or stricter, as SECURITY.md promises.  Every program's loaders go
 * through keyfile_check, so the refusal reads the same everywhere.
 */
#ifndef GW_KEYFILE_H
#define GW_KEYFILE_H

#include <stddef.h>
#include <mbedtls/pk.h>

/**
 * keyfile_check(fd, path, what, err, errlen): 0 if the file open as ${fd}
 * (the ${what}, "private key", at ${path}) is a regular file that neither
 * its group nor others may read or write; else -1 with "PATH: WHAT is
 * group-readable (mode 640): chmod 600 it" (or world-readable, writable
 * by others, not a regular file) in ${err}.
 */
int keyfile_check(int fd, const char *path, const char *what, char *err,
    size_t errlen);

/**
 * keyfile_read(path, what, buf, cap, len, err, errlen): read the secret
 * file ${path} (checked by keyfile_check) into ${buf}, at most ${cap} - 1
 * bytes then NUL-terminated, its size in ${len}.  0, or -1 with "path:
 * why" in ${err} and errno set (ENOENT if it does not exist, EPERM if its
 * mode is refused, EFBIG if larger).  The caller zeroises ${buf}.
 */
int keyfile_read(const char *path, const char *what, void *buf, size_t cap,
    size_t *len, char *err, size_t errlen);

/**
 * keyfile_pk(pk, path, f_rng, p_rng, err, errlen): parse the private key
 * file ${path} (PEM or DER, read by keyfile_read) into ${pk}; the bytes
 * read are zeroised.  0, or -1 with "path: why" in ${err}.
 */
int keyfile_pk(mbedtls_pk_context *pk, const char *path,
    int (*f_rng)(void *, unsigned char *, size_t), void *p_rng, char *err,
    size_t errlen);

#endif /* GW_KEYFILE_H */
