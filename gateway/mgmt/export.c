/*
 * export.c: stored messages as JSON Lines (see export.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/base64.h>

#include "export.h"
#include "utf8.h"

/**
 * export_json_str(out, p, len): ${len} bytes at ${p} as a JSON string:
 * quotes, backslash and control characters escaped, the rest as it is
 * (UTF-8 text stays valid).
 */
void
export_json_str(FILE *out, const unsigned char *p, size_t len)
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
	export_json_str(out, (const unsigned char *)s, strlen(s));
}

/**
 * export_json_bytes(out, key, p, len): the member "${key}":"text" for
 * ${len} bytes at ${p} if they are UTF-8, else "${key}_b64":"base64".
 * Return 0 or -1 (errno).
 */
int
export_json_bytes(FILE *out, const char *key, const void *p, size_t len)
{
	size_t need = 0;
	unsigned char *b64;

	if (utf8_valid(p, len)) {
		fprintf(out, "\"%s\":", key);
		export_json_str(out, p, len);
		return 0;
	}
	(void)mbedtls_base64_encode(NULL, 0, &need, p, len);
	if ((b64 = malloc(need)) == NULL)
		return -1;
	if (mbedtls_base64_encode(b64, need, &need, p, len) != 0) {
		free(b64);
		errno = EINVAL;
		return -1;
	}
	fprintf(out, "\"%s_b64\":", key);
	export_json_str(out, b64, need);
	free(b64);
	return 0;
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
	if (export_json_bytes(out, "payload", r->payload, r->len) != 0)
		return -1;
	fputs("}\n", out);
	return ferror(out) ? -1 : 0;
}
