/*
 * relay_issuer.c: [downstream] agent_issuers, the issuer DN globs a
 * relayed agent's issuer must match (relay.c).  Pure.
 */
#include <fnmatch.h>
#include <string.h>

#include "identity.h"
#include "relay_issuer.h"

/**
 * relay_issuer_match(globs, dn): does ${globs}, a '|'-separated list of
 * issuer DN globs, match ${dn}?  1 or 0.
 */
int
relay_issuer_match(const char *globs, const char *dn)
{
	char item[ID_DN_MAX];
	const char *p = globs, *end;
	size_t len;

	while (*p != '\0') {
		end = strchr(p, '|');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len > 0 && len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			if (fnmatch(item, dn, 0) == 0)
				return 1;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return 0;
}
