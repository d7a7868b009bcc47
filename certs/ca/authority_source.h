/*
 * authority_source.h: what each source (an IPv4 address, an IPv6 /64) may
 * still ask of the authority (authority_source.c).
 */
#ifndef GW_AUTHORITY_SOURCE_H
#define GW_AUTHORITY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "authority_state.h"

/**
 * auth_src_admit(a, source, pending, now, log, why, len): 0 if ${source}
 * may make one more request (a ${pending} one counts against
 * max_pending_per_source; every one takes from its hourly bucket, which
 * is then charged), else GW_R_OVERLOAD with ${why}, and ${log} 1 if the
 * refusal is to be logged (once a minute per source), else 0.
 */
unsigned auth_src_admit(struct authority *a, const char *source,
    int pending, long long now, int *log, char *why, size_t len);

/**
 * auth_src_pending(a, source, delta): one request of ${source} more
 * (${delta} 1) or fewer (-1) pending.
 */
void auth_src_pending(struct authority *a, const char *source, int delta);

/**
 * auth_src_recount(a, now): forget every pending count (a sweep counts
 * them again) and the sources that hold nothing: none pending, a full
 * bucket as of ${now}.
 */
void auth_src_recount(struct authority *a, long long now);

/**
 * auth_src_free(a): free every source entry.
 */
void auth_src_free(struct authority *a);

#endif /* GW_AUTHORITY_SOURCE_H */
