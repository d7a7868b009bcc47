/*
 * store_sqlite_schema.h: the SQL that store_sqlite.c runs when it opens a
 * store for writing (store_sqlite_schema.c): it creates the tables of
 * STORE_SCHEMA (store_backend.h), or migrates older ones: version 0 (key
 * (agent, seq), no issuer) is rebuilt with the issuer column, "" in its
 * rows; below 2 the agents and commands are made, below 3 the floors of
 * retention, below 4 the agents' identity extension and state, below 5
 * their via.  One transaction (BEGIN IMMEDIATE ... COMMIT) that also sets
 * PRAGMA user_version.
 */
#ifndef GW_STORE_SQLITE_SCHEMA_H
#define GW_STORE_SQLITE_SCHEMA_H

/**
 * store_sqlite_schema(exists, version): the SQL that brings a store whose
 * messages table ${exists} (0: a new database) at PRAGMA user_version
 * ${version} (below STORE_SCHEMA) to STORE_SCHEMA.
 */
const char *store_sqlite_schema(int exists, int version);

#endif /* GW_STORE_SQLITE_SCHEMA_H */
