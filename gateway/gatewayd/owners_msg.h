/*
 * owners_msg.h: the owner pipe's messages, between the parent (owners.c)
 * and each worker (handover.c) of workers mode.  One message per packet of
 * an AF_UNIX SOCK_SEQPACKET socketpair: a type byte, then the agent's key
 * (agent_names.h: 16 lowercase hex digits of the SHA-256 of its issuer DN,
 * a newline, its name; no NUL), nothing else: the packet's length is the
 * key's.  Both ends check every message they read with own_msg_decode
 * (a message that fails is logged and dropped, and closes nothing).  Pure:
 * no I/O.
 *
 *   worker -> parent: CLAIM (a session of the agent wants to OPEN),
 *     RELEASED (answers RELEASE: no session of it left, no OPEN of it
 *     unanswered), DROP (its session ended, no OPEN of it unanswered, no
 *     CLAIM of it unanswered: forget it)
 *   parent -> worker: GRANT, DENY (the answer to each CLAIM, one each),
 *     RELEASE (another worker claims it: close the session, answer
 *     RELEASED)
 */
#ifndef GW_OWNERS_MSG_H
#define GW_OWNERS_MSG_H

#include <stddef.h>
#include <stdint.h>

enum own_type {
	OWN_CLAIM = 1,
	OWN_GRANT,
	OWN_DENY,
	OWN_RELEASE,
	OWN_RELEASED,
	OWN_DROP,
	OWN_TYPE_LAST = OWN_DROP
};

#define OWN_KEY_PREFIX	17	/* 16 hex digits and a newline */
#define OWN_NAME_MAX	127	/* identity.h's ID_NAME_MAX - 1 */
#define OWN_KEY_MIN	(OWN_KEY_PREFIX + 1)
#define OWN_KEY_MAX	(OWN_KEY_PREFIX + OWN_NAME_MAX)
#define OWN_MSG_MAX	(1 + OWN_KEY_MAX)

/* One message, decoded: its key NUL-terminated. */
struct own_msg {
	uint8_t		type;		/* enum own_type */
	uint8_t		keylen;
	char		key[OWN_KEY_MAX + 1];
};

/**
 * own_msg_decode(p, len, m): decode the ${len} bytes of packet ${p} into
 * ${m}: a known type and a well-formed key (own_key_ok).  0, or -1.
 */
int own_msg_decode(const uint8_t *p, size_t len, struct own_msg *m);

/**
 * own_msg_encode(buf, type, key): message ${type} of ${key} into ${buf}
 * (OWN_MSG_MAX bytes).  Its length, or 0 if ${key} is not well formed.
 */
size_t own_msg_encode(uint8_t *buf, unsigned type, const char *key);

/**
 * own_key_ok(k, len): 1 if the ${len} bytes at ${k} are an agent key:
 * OWN_KEY_MIN..OWN_KEY_MAX bytes, 16 lowercase hex digits, a newline, a
 * name of no NUL.
 */
int own_key_ok(const char *k, size_t len);

/** own_type_str(type): "claim", "grant", ... or "?". */
const char *own_type_str(unsigned type);

#endif /* GW_OWNERS_MSG_H */
