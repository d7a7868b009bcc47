/*
 * store_sqlite_schema.c: the SQL that creates the tables of an SQLite
 * store of schema STORE_SCHEMA (store_backend.h), or migrates an older
 * one there, each in one transaction (see store_sqlite_schema.h).
 */
#include "store_backend.h"
#include "store_sqlite_schema.h"

#define SQ_TABLE(name)							\
    "CREATE TABLE " name " ("						\
    " issuer TEXT NOT NULL,"						\
    " agent TEXT NOT NULL,"						\
    " seq INTEGER NOT NULL,"						\
    " id INTEGER NOT NULL UNIQUE,"					\
    " gateway TEXT NOT NULL,"						\
    " fingerprint TEXT NOT NULL,"					\
    " received_ms INTEGER NOT NULL,"					\
    " payload BLOB NOT NULL,"						\
    " PRIMARY KEY (issuer, agent, seq));"

/* Version 2: the agents and the commands (store_cmd.h). */
#define SQ_CMD_TABLES							\
    "CREATE TABLE agents ("						\
    " issuer TEXT NOT NULL,"						\
    " name TEXT NOT NULL,"						\
    " subject TEXT NOT NULL,"						\
    " san TEXT NOT NULL,"						\
    " serial TEXT NOT NULL,"						\
    " fingerprint TEXT NOT NULL,"					\
    " gateway TEXT NOT NULL,"						\
    " peer TEXT NOT NULL,"						\
    " first_seen_ms INTEGER NOT NULL,"					\
    " connected_ms INTEGER NOT NULL,"					\
    " seen_ms INTEGER NOT NULL,"					\
    " online INTEGER NOT NULL,"						\
    " PRIMARY KEY (issuer, name));"					\
    "CREATE TABLE commands ("						\
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"				\
    " target TEXT NOT NULL,"						\
    " body BLOB NOT NULL,"						\
    " created_ms INTEGER NOT NULL,"					\
    " expires_ms INTEGER NOT NULL);"					\
    "CREATE TABLE command_targets ("					\
    " command INTEGER NOT NULL REFERENCES commands (id),"		\
    " issuer TEXT NOT NULL,"						\
    " agent TEXT NOT NULL,"						\
    " state INTEGER NOT NULL,"						\
    " outcome INTEGER,"							\
    " status INTEGER,"							\
    " truncated INTEGER NOT NULL,"					\
    " output BLOB,"							\
    " updated_ms INTEGER NOT NULL,"					\
    " PRIMARY KEY (command, issuer, agent));"				\
    "CREATE INDEX command_targets_agent ON command_targets"		\
    " (issuer, agent, state);"						\
    "CREATE INDEX command_targets_state ON command_targets"		\
    " (state, command);"

/*
 * Version 3: the highest seq retention deleted of each agent (every seq
 * up to it was stored once: a duplicate now, see sq_put).
 */
#define SQ_FLOOR_TABLE							\
    "CREATE TABLE retained_floor ("					\
    " issuer TEXT NOT NULL,"						\
    " agent TEXT NOT NULL,"						\
    " floor INTEGER NOT NULL,"						\
    " PRIMARY KEY (issuer, agent));"					\
    "PRAGMA user_version = 3;"

/*
 * Version 4: what OPEN's identity extension says of an agent (sans,
 * not_after_ms: '' and NULL without it), its highest seq stored (from
 * the messages there, then kept by store_agents_mark), and online
 * becomes state (0 offline, 1 online, 2 stale).
 */
#define SQ_AGENTS_V4							\
    "ALTER TABLE agents ADD COLUMN sans TEXT NOT NULL DEFAULT '';"	\
    "ALTER TABLE agents ADD COLUMN not_after_ms INTEGER;"		\
    "ALTER TABLE agents ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;" \
    "ALTER TABLE agents RENAME COLUMN online TO state;"		\
    "UPDATE agents SET last_seq = coalesce((SELECT max(seq) FROM"	\
    " messages AS m WHERE m.issuer = agents.issuer AND"		\
    " m.agent = agents.name), 0);"					\
    "PRAGMA user_version = 4;"

/* Version 5: the gateways an agent came by (OPEN's via; '': unknown). */
#define SQ_AGENTS_V5							\
    "ALTER TABLE agents ADD COLUMN via TEXT NOT NULL DEFAULT '';"	\
    "PRAGMA user_version = 5;"

/* A new database. */
static const char schema[] =
    "BEGIN IMMEDIATE;"
    SQ_TABLE("messages")
    SQ_CMD_TABLES
    SQ_FLOOR_TABLE
    SQ_AGENTS_V4
    SQ_AGENTS_V5
    "COMMIT;";

/*
 * Version 0 -> 5: the same rows, issuer "" (legacy), the new key; the
 * tables and columns of versions 2 to 5.
 */
static const char migrate_1[] =
    "BEGIN IMMEDIATE;"
    SQ_TABLE("messages_v1")
    "INSERT INTO messages_v1 SELECT '', agent, seq, id, gateway,"
    " fingerprint, received_ms, payload FROM messages;"
    "DROP TABLE messages;"
    "ALTER TABLE messages_v1 RENAME TO messages;"
    SQ_CMD_TABLES
    SQ_FLOOR_TABLE
    SQ_AGENTS_V4
    SQ_AGENTS_V5
    "COMMIT;";

/* Version 1 -> 5: the messages as they are; what 2 to 5 add. */
static const char migrate_2[] =
    "BEGIN IMMEDIATE;"
    SQ_CMD_TABLES
    SQ_FLOOR_TABLE
    SQ_AGENTS_V4
    SQ_AGENTS_V5
    "COMMIT;";

/* Version 2 -> 5: the floors of retention, the agents of 4 and 5. */
static const char migrate_3[] =
    "BEGIN IMMEDIATE;"
    SQ_FLOOR_TABLE
    SQ_AGENTS_V4
    SQ_AGENTS_V5
    "COMMIT;";

/* Version 3 -> 5: the agents of versions 4 and 5. */
static const char migrate_4[] =
    "BEGIN IMMEDIATE;"
    SQ_AGENTS_V4
    SQ_AGENTS_V5
    "COMMIT;";

/* Version 4 -> 5: the agents' via. */
static const char migrate_5[] =
    "BEGIN IMMEDIATE;"
    SQ_AGENTS_V5
    "COMMIT;";

/**
 * store_sqlite_schema(exists, version): the SQL that brings a store whose
 * messages table ${exists} (0: a new database) at PRAGMA user_version
 * ${version} (below STORE_SCHEMA) to STORE_SCHEMA.
 */
const char *
store_sqlite_schema(int exists, int version)
{
	return !exists ? schema : version < 1 ? migrate_1 :
	    version < 2 ? migrate_2 : version < 3 ? migrate_3 :
	    version < 4 ? migrate_4 : migrate_5;
}
