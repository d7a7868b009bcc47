/*
 * utf8.h: is text well-formed UTF-8?  The store (store.c) checks names
 * with it before they join a batch; export (export.c) picks "payload" or
 * "payload_b64" by it.  Both call down to it; neither knows the other.
 */
#ifndef GW_UTF8_H
#define GW_UTF8_H

#include <stddef.h>

/** utf8_valid(p, len): 1 if ${p} is well-formed UTF-8, else 0. */
int utf8_valid(const unsigned char *p, size_t len);

#endif /* GW_UTF8_H */
