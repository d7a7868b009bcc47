/*
 * export.c: stored messages as JSON Lines (see export.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/base64.h>

#include "export.h"

/** export_utf8_valid(p, len): 1 if ${p} is well-formed UTF-8, else 0. */
int
export_utf8_valid(const unsigned char *p, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1; cp = c & 0x1F; min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2; cp = c & 0x0F; min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			return 0;
		i += n + 1;
	}
	return 1;
}

/* A JSON string: quotes, backslash and control characters escaped. */
static void
json_str(FILE *out, const unsigned char *p, size_t len)
{
	putc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (c < 0x20 || c == 0x7F)
				fprintf(out, "\\u%04x", c);
			else
				putc(c, out);
		}
	}
	putc('"', out);
}

static void
json_cstr(FILE *out, const char *s)
{
	s = s != NULL ? s : "";
	json_str(out, (const unsigned char *)s, strlen(s));
}

/** export_json(out, r): write row ${r} as one JSON line; 0 or -1 (errno). */
int
export_json(FILE *out, const struct store_row *r)
{
	time_t t = (time_t)(r->received_ms / 1000);
	char when[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(out, "{\"id\":%lld,\"agent\":", (long long)r->id);
	json_cstr(out, r->agent);
	fputs(",\"issuer\":", out);
	json_cstr(out, r->issuer);
	fprintf(out, ",\"seq\":%llu,\"gateway\":", (unsigned long long)r->seq);
	json_cstr(out, r->gateway);
	fputs(",\"fingerprint\":", out);
	json_cstr(out, r->fingerprint);
	fprintf(out, ",\"received\":\"%s.%03dZ\",", when,
	    (int)(r->received_ms % 1000));
	if (export_utf8_valid(r->payload, r->len)) {
		fputs("\"payload\":", out);
		json_str(out, r->payload, r->len);
	} else {
		size_t need = 0;
		unsigned char *b64;

		(void)mbedtls_base64_encode(NULL, 0, &need, r->payload, r->len);
		if ((b64 = malloc(need)) == NULL)
			return -1;
		if (mbedtls_base64_encode(b64, need, &need, r->payload,
		    r->len) != 0) {
			free(b64);
			errno = EINVAL;
			return -1;
		}
		fputs("\"payload_b64\":", out);
		json_str(out, b64, need);
		free(b64);
	}
	fputs("}\n", out);
	return ferror(out) ? -1 : 0;
}
