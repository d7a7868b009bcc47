/*
 * fuzz_config.c: configuration loading from a string, for gatewayd and
 * gw-mgmt (the first byte chooses).  Invariants: a load reports errors as
 * a count with text, never crashes, and everything it allocated is freed
 * (LeakSanitizer checks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "mgmt_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_config gc;
	struct mgmt_config mc;
	char err[4096], *text;
	int n;

	if (size < 1 || size > 65536)
		return 0;
	FUZZ_CHECK((text = malloc(size)) != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	err[0] = '\0';
	if (data[0] & 1) {
		n = mgmt_config_load_string(text, "fuzz.ini", "/nonexistent",
		    &mc, err, sizeof(err));
		mgmt_config_free(&mc);
	} else {
		n = gw_config_load_string(text, "fuzz.ini", "/nonexistent",
		    &gc, err, sizeof(err));
		gw_config_free(&gc);
	}
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK(n == 0 || err[0] != '\0');
	free(text);
	return 0;
}
