/*
 * gen_corpus.h: what gen_corpus.c shares with the seed writers of the
 * scripted harnesses (gen_session.c, gen_mgmt.c, gen_enroll.c).
 */
#ifndef GEN_CORPUS_H
#define GEN_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

#define S(lit)	{ (const uint8_t *)(lit), sizeof(lit) - 1 }

/**
 * put(harness, name, sel, use_sel, p, n): write fuzz/corpus/${harness}/
 * seed-${name}: the byte ${sel} if ${use_sel}, then ${n} bytes at ${p}.
 * Exits on error.
 */
void	put(const char *, const char *, uint8_t, int, const void *, size_t);

/** enc(buf, cap, f): encode ${f} at ${buf}; return its size (exits on error). */
size_t	enc(uint8_t *, size_t, const struct gw_frame *);

/** session_seeds(csr, csrlen): fuzz_session's seeds (gen_session.c). */
void	session_seeds(const uint8_t *, size_t);

/** mgmt_seeds(): fuzz_mgmt's seeds (gen_mgmt.c). */
void	mgmt_seeds(void);

/** enroll_session_seeds(): fuzz_enroll's session seeds (gen_enroll.c). */
void	enroll_session_seeds(void);

#endif
