/*
 * store_pg_schema.h: the SQL that store_pg.c runs when it opens a store
 * for writing (store_pg_schema.c): it creates the tables of STORE_SCHEMA
 * (store_backend.h), or migrates older ones, in one transaction, under an
 * advisory lock.
 */
#ifndef GW_STORE_PG_SCHEMA_H
#define GW_STORE_PG_SCHEMA_H

/*
 * Create the tables, or migrate an older version: 0 (key (agent, seq),
 * no issuer): its rows get issuer "" (legacy, see store_last_seq), the key
 * becomes (issuer, agent, seq); below 3, the tables of versions 2 and 3
 * are made; below 4, the agents get sans, not_after_ms and last_seq (from
 * their messages), and online becomes state.  A new table takes the same
 * path (it is empty); gw_schema holds the version reached.  Done once,
 * under the lock, whichever server of a group comes first.
 *
 * store_pg_schema: that SQL; its last statement returns a row.
 */
extern const char store_pg_schema[];

#endif /* GW_STORE_PG_SCHEMA_H */
