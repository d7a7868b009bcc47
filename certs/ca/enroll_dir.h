/*
 * enroll_dir.h: the enrollment state in a CA directory (authority.h has
 * the layout): one directory per request, one file per token fact.  Both
 * the signing authority (gw-mgmt, gatewayd mode = local) and gw-cert work
 * on it; every file appears atomically, so they need no lock.  Library
 * code: nothing here prints or logs.
 */
#ifndef GW_ENROLL_DIR_H
#define GW_ENROLL_DIR_H

#include <stddef.h>
#include <stdint.h>

#include "identity.h"

#define ED_RID_LEN	32

enum ed_state {
	ED_NONE,	/* no such request */
	ED_PENDING,	/* waiting for an operator */
	ED_ISSUED,	/* cert.pem holds the answer */
	ED_DENIED	/* denied holds the reason */
};

/* DIR/enroll/requests/RID/info */
struct ed_info {
	char		name[ID_NAME_MAX];
	char		key_fp[65];
	char		key_desc[32];
	char		source[64];
	char		via[ID_NAME_MAX];
	char		token[17];	/* token id, or "" */
	char		kind[16];	/* token | pending | renewal */
	long long	received;	/* unix seconds */
	long long	expires;	/* pending until then */
};

/*
 * A request to write (ed_create): views, valid during the call; what
 * ed_state() reads back as a struct ed_info, which this module alone
 * writes.
 */
struct ed_new {
	const char	*name;
	const char	*key_fp;
	const char	*key_desc;
	const char	*source;
	const char	*via;
	const char	*token;		/* token id, or "" */
	const char	*kind;		/* token | pending | renewal */
	long long	 received;	/* unix seconds */
	long long	 expires;	/* pending until then */
};

/** ed_init(dir, err, errlen): create DIR/enroll and its subdirectories. */
int ed_init(const char *dir, char *err, size_t errlen);

/** ed_rid(csr, len, rid): the request id of CSR ${csr} (SHA-256 prefix). */
void ed_rid(const uint8_t *csr, size_t len, char rid[ED_RID_LEN + 1]);

/** ed_rid_valid(rid): 1 if ${rid} looks like a request id. */
int ed_rid_valid(const char *rid);

/**
 * ed_state(dir, rid, info, answered): the state of request ${rid}; fills
 * ${info} (if not NULL) and, for an answered request, when (${answered}).
 */
enum ed_state ed_state(const char *dir, const char *rid,
    struct ed_info *info, long long *answered);

/**
 * ed_create(dir, rid, csr, len, nr, err, errlen): write request ${rid}:
 * its CSR ${csr} (DER, stored as csr.pem) and ${nr}; an existing request
 * of that id gets the new ${nr}.  0 or -1.
 */
int ed_create(const char *dir, const char *rid, const uint8_t *csr,
    size_t len, const struct ed_new *nr, char *err, size_t errlen);

/** ed_answer(dir, rid, file, text, err, errlen): write cert.pem or denied. */
int ed_answer(const char *dir, const char *rid, const char *file,
    const char *text, char *err, size_t errlen);

/**
 * ed_read(dir, rid, file, buf, cap, len): read a file of request ${rid}
 * (cert.pem, denied) into ${buf}, NUL-terminated.  0 or -1.
 */
int ed_read(const char *dir, const char *rid, const char *file, void *buf,
    size_t cap, size_t *len);

/**
 * ed_csr(dir, rid, der, cap, len, err, errlen): the CSR of request ${rid}
 * as DER into ${der} (capacity ${cap}).  0 or -1.
 */
int ed_csr(const char *dir, const char *rid, uint8_t *der, size_t cap,
    size_t *len, char *err, size_t errlen);

/** ed_remove(dir, rid): delete request ${rid}. */
void ed_remove(const char *dir, const char *rid);

/**
 * ed_next(dir, cursor, rid): the requests one by one: 1 with the next id
 * in ${rid}, 0 at the end.  *${cursor} is 0 at first; ed_next_end() frees
 * it if the caller stops early.
 */
int ed_next(const char *dir, void **cursor, char rid[ED_RID_LEN + 1]);
void ed_next_end(void **cursor);

/**
 * ed_token_key(dir, key, create, err, errlen): read DIR/enroll/token.key
 * (32 bytes), creating it (0600) with random bytes first if it is missing
 * and ${create}; two creators agree on one key.  0 or -1.
 */
int ed_token_key(const char *dir, uint8_t key[32], int create, char *err,
    size_t errlen);

/**
 * ed_token_used(dir, id, n): how many requests token ${id} admitted, into
 * ${n} (0 if none yet).  0, or -1 if the count is unreadable.
 */
int ed_token_used(const char *dir, const char *id, unsigned *n);

/** ed_token_set_used(dir, id, n, err, errlen): record ${n} uses. */
int ed_token_set_used(const char *dir, const char *id, unsigned n,
    char *err, size_t errlen);

/** ed_token_revoked(dir, id): 1 if token ${id} was revoked. */
int ed_token_revoked(const char *dir, const char *id);

/**
 * ed_token_file(dir, id, suffix, text, err, errlen): write
 * DIR/enroll/tokens/ID${suffix} ("" for the record, ".revoked").
 */
int ed_token_file(const char *dir, const char *id, const char *suffix,
    const char *text, char *err, size_t errlen);

#endif /* GW_ENROLL_DIR_H */
