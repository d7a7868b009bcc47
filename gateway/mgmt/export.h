/*
 * export.h: stored messages as JSON Lines, one object per message:
 *   {"id":1,"agent":"agent-web01","seq":1,"gateway":"gateway",
 *    "fingerprint":"ab12...","received":"2026-11-25T10:00:00.123Z",
 *    "payload":"text"}
 * A payload that is not valid UTF-8 is written as "payload_b64" instead.
 */
#ifndef GW_EXPORT_H
#define GW_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "store.h"

/**
 * export_json_str(out, p, len): ${len} bytes at ${p} as a JSON string:
 * quotes, backslash and control characters escaped, the rest as it is
 * (UTF-8 text stays valid).
 */
void export_json_str(FILE *out, const unsigned char *p, size_t len);

/**
 * export_json_bytes(out, key, p, len): the member "${key}":"text" for
 * ${len} bytes at ${p} if they are UTF-8, else "${key}_b64":"base64".
 * Return 0 or -1 (errno).
 */
int export_json_bytes(FILE *out, const char *key, const void *p,
    size_t len);

/** export_json(out, r): write row ${r} as one JSON line; 0 or -1 (errno). */
int export_json(FILE *out, const struct store_row *r);

#endif /* GW_EXPORT_H */
