/*
 * owners_msg.c: the owner pipe's messages (owners_msg.h): decoded and
 * checked, encoded.  Pure.
 */
#include <string.h>

#include "owners_msg.h"

/**
 * own_key_ok(k, len): 1 if the ${len} bytes at ${k} are an agent key:
 * OWN_KEY_MIN..OWN_KEY_MAX bytes, 16 lowercase hex digits, a newline, a
 * name of no NUL.
 */
int
own_key_ok(const char *k, size_t len)
{
	if (len < OWN_KEY_MIN || len > OWN_KEY_MAX)
		return 0;
	for (size_t i = 0; i < OWN_KEY_PREFIX - 1; i++)
		if (!((k[i] >= '0' && k[i] <= '9') ||
		    (k[i] >= 'a' && k[i] <= 'f')))
			return 0;
	if (k[OWN_KEY_PREFIX - 1] != '\n')
		return 0;
	return memchr(k + OWN_KEY_PREFIX, '\0', len - OWN_KEY_PREFIX) == NULL;
}

/**
 * own_msg_decode(p, len, m): decode the ${len} bytes of packet ${p} into
 * ${m}: a known type and a well-formed key (own_key_ok).  0, or -1.
 */
int
own_msg_decode(const uint8_t *p, size_t len, struct own_msg *m)
{
	if (len < 1 + OWN_KEY_MIN || len > OWN_MSG_MAX)
		return -1;
	if (p[0] < OWN_CLAIM || p[0] > OWN_TYPE_LAST)
		return -1;
	if (!own_key_ok((const char *)p + 1, len - 1))
		return -1;
	m->type = p[0];
	m->keylen = (uint8_t)(len - 1);
	memcpy(m->key, p + 1, len - 1);
	m->key[len - 1] = '\0';
	return 0;
}

/**
 * own_msg_encode(buf, type, key): message ${type} of ${key} into ${buf}
 * (OWN_MSG_MAX bytes).  Its length, or 0 if ${key} is not well formed.
 */
size_t
own_msg_encode(uint8_t *buf, unsigned type, const char *key)
{
	size_t n = strnlen(key, OWN_KEY_MAX + 1);

	if (type < OWN_CLAIM || type > OWN_TYPE_LAST || !own_key_ok(key, n))
		return 0;
	buf[0] = (uint8_t)type;
	memcpy(buf + 1, key, n);
	return 1 + n;
}

/** own_type_str(type): "claim", "grant", ... or "?". */
const char *
own_type_str(unsigned type)
{
	static const char *const names[] = {
		"?", "claim", "grant", "deny", "release", "released", "drop"
	};

	return type <= OWN_TYPE_LAST ? names[type] : "?";
}
