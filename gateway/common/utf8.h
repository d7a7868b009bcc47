/*
 * utf8.h: is text well-formed UTF-8?  Whoever must put bytes into JSON or
 * a text column asks it first, and sends what is not UTF-8 another way
 * (base64, or a refusal).
 */
#ifndef GW_UTF8_H
#define GW_UTF8_H

#include <stddef.h>

/** utf8_valid(p, len): 1 if ${p} is well-formed UTF-8, else 0. */
int utf8_valid(const unsigned char *p, size_t len);

#endif /* GW_UTF8_H */
