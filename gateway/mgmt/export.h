/*
 * export.h: stored messages as JSON Lines, one object per message:
 *   {"id":1,"agent":"agent-web01","seq":1,"gateway":"gateway",
 *    "fingerprint":"ab12...","received":"2026-11-25T10:00:00.123Z",
 *    "payload":"text"}
 * A payload that is not valid UTF-8 is written as "payload_b64" instead.
 */
#ifndef GW_EXPORT_H
#define GW_EXPORT_H

#include <stdio.h>

#include "store.h"

/** export_json(out, r): write row ${r} as one JSON line; 0 or -1 (errno). */
int export_json(FILE *out, const struct store_row *r);

#endif /* GW_EXPORT_H */
