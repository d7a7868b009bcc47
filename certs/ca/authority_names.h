/*
 * authority_names.h: whether a name has a live certificate in a CA
 * directory (authority_names.c): issued.txt, revoked.txt.
 */
#ifndef GW_AUTHORITY_NAMES_H
#define GW_AUTHORITY_NAMES_H

#include <stddef.h>


/**
 * auth_name_live(dir, name, serial, until, err, errlen): 1 if CA
 * directory ${dir} has issued a certificate named ${name} that is neither
 * expired nor revoked (its serial into ${serial}, 80 bytes, its expiry
 * YYYYMMDDhhmmss UTC into ${until}, 16 bytes); 0 if not; -1 if issued.txt
 * or revoked.txt cannot be read (${err}).
 */
int auth_name_live(const char *dir, const char *name, char *serial,
    char *until, char *err, size_t errlen);

/**
 * auth_name_taken(dir, name, why, len): 1 if ${name} is taken in CA
 * directory ${dir} (auth_name_live), with what to do in ${why}; -1 if
 * that cannot be told (fail closed, ${why}); else 0.
 */
int auth_name_taken(const char *dir, const char *name, char *why,
    size_t len);

#endif /* GW_AUTHORITY_NAMES_H */
