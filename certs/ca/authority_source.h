/*
 * authority_source.h: what each source (an IPv4 address, an IPv6 /64) may
 * still ask of the authority (authority_source.c).  The authority
 * (authority.c) owns a struct auth_srcs, the table of sources, which this
 * module alone allocates, writes and frees.
 */
#ifndef GW_AUTHORITY_SOURCE_H
#define GW_AUTHORITY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct auth_srcs;

/**
 * auth_src_new(max_pending, per_hour): an empty table of sources, each
 * allowed ${max_pending} requests pending and ${per_hour} new ones an
 * hour.  NULL if out of memory.
 */
struct auth_srcs *auth_src_new(unsigned max_pending, unsigned per_hour);

/**
 * auth_src_admit(t, source, pending, now, log, why, len): 0 if ${source}
 * may make one more request (a ${pending} one counts against
 * max_pending_per_source; every one takes from its hourly bucket, which
 * is then charged), else GW_R_OVERLOAD with ${why}, and ${log} 1 if the
 * refusal is to be logged (once a minute per source), else 0.
 */
unsigned auth_src_admit(struct auth_srcs *t, const char *source,
    int pending, long long now, int *log, char *why, size_t len);

/**
 * auth_src_pending(t, source, delta): one request of ${source} more
 * (${delta} 1) or fewer (-1) pending.
 */
void auth_src_pending(struct auth_srcs *t, const char *source, int delta);

/**
 * auth_src_recount(t, now): forget every pending count (a sweep counts
 * them again) and the sources that hold nothing: none pending, a full
 * bucket as of ${now}.
 */
void auth_src_recount(struct auth_srcs *t, long long now);

/** auth_src_free(t): free ${t} and every source entry; NULL is a no-op. */
void auth_src_free(struct auth_srcs *t);

#endif /* GW_AUTHORITY_SOURCE_H */
