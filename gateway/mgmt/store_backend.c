/*
 * store_backend.c: the statements on the agents, commands and
 * command_targets tables (schema 2, store_cmd.h), one text for both
 * backends: the SQL they share (ON CONFLICT DO UPDATE, RETURNING, row
 * values, CASE) is in SQLite since 3.35 and in PostgreSQL since 9.5.
 * Integers are SQLite's INTEGER and PostgreSQL's bigint, bodies and
 * outputs BLOB and bytea.
 */
#include <stddef.h>
#include <stdint.h>

#include "store_backend.h"

/* A target's state, shown as of $k: queued past the expiry is expired. */
#define TGT_STATE(k)							\
    "CASE WHEN t.state = 0 AND c.expires_ms <= " k " THEN 4 "		\
    "ELSE t.state END"

const char *const store_q_sql[STORE_Q_N] = {
	[STORE_Q_BEGIN] = "BEGIN",
	[STORE_Q_COMMIT] = "COMMIT",
	[STORE_Q_ROLLBACK] = "ROLLBACK",
	[STORE_Q_AGENT_UP] = "INSERT INTO agents (issuer, name, subject, "
	    "san, serial, fingerprint, gateway, peer, first_seen_ms, "
	    "connected_ms, seen_ms, online) VALUES ($1, $2, $3, $4, $5, $6, "
	    "$7, $8, $9, $9, $9, 1) ON CONFLICT (issuer, name) DO UPDATE SET "
	    "subject = excluded.subject, san = excluded.san, serial = "
	    "excluded.serial, fingerprint = excluded.fingerprint, gateway = "
	    "excluded.gateway, peer = excluded.peer, connected_ms = "
	    "excluded.connected_ms, seen_ms = excluded.seen_ms, online = 1",
	[STORE_Q_AGENT_DOWN] = "UPDATE agents SET online = 0, seen_ms = $1 "
	    "WHERE issuer = $2 AND name = $3 AND connected_ms <= $4",
	[STORE_Q_AGENTS] = "SELECT issuer, name, subject, san, serial, "
	    "fingerprint, gateway, peer, first_seen_ms, connected_ms, "
	    "seen_ms, online FROM agents ORDER BY name, issuer",
	[STORE_Q_CMD_INSERT] = "INSERT INTO commands (target, body, "
	    "created_ms, expires_ms) VALUES ($1, $2, $3, $4) RETURNING id",
	[STORE_Q_TGT_INSERT] = "INSERT INTO command_targets (command, "
	    "issuer, agent, state, truncated, updated_ms) VALUES ($1, $2, $3, "
	    "0, 0, $4)",
	[STORE_Q_PENDING] = "SELECT c.id, t.issuer, t.agent, c.body, "
	    "c.expires_ms FROM command_targets t JOIN commands c ON c.id = "
	    "t.command WHERE t.issuer = $1 AND t.agent = $2 AND t.state IN "
	    "(0, 1) AND c.expires_ms > $3 ORDER BY c.id LIMIT $4",
	[STORE_Q_CMD_LAST] = "SELECT coalesce(max(id), 0) FROM commands",
	[STORE_Q_CMDS] = "SELECT id, target, created_ms, expires_ms, body "
	    "FROM commands WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3",
	[STORE_Q_CMDS_COUNT] = "SELECT c.id, c.target, c.created_ms, "
	    "c.expires_ms, "
	    "count(CASE WHEN t.state = 0 AND c.expires_ms > $1 THEN 1 END), "
	    "count(CASE WHEN t.state = 1 THEN 1 END), "
	    "count(CASE WHEN t.state = 2 THEN 1 END), "
	    "count(CASE WHEN t.state = 3 THEN 1 END), "
	    "count(CASE WHEN t.state = 4 OR (t.state = 0 AND "
	    "c.expires_ms <= $1) THEN 1 END) "
	    "FROM commands c LEFT JOIN command_targets t ON t.command = c.id "
	    "WHERE c.id > $2 AND c.id <= $3 GROUP BY c.id ORDER BY c.id",
	[STORE_Q_TGTS] = "SELECT t.command, t.issuer, t.agent, "
	    TGT_STATE("$1") ", t.outcome, t.status, t.truncated, t.output, "
	    "t.updated_ms FROM command_targets t JOIN commands c ON c.id = "
	    "t.command WHERE t.command = $2 ORDER BY t.agent, t.issuer",
	[STORE_Q_TGTS_PENDING] = "SELECT issuer, agent FROM command_targets "
	    "WHERE command = $1 AND state IN (0, 1) ORDER BY agent, issuer",
	[STORE_Q_ACK] = "UPDATE command_targets SET state = 1, updated_ms = "
	    "$1 WHERE command = $2 AND issuer = $3 AND agent = $4 AND state "
	    "IN (0, 4)",
	[STORE_Q_TGT_EXISTS] = "SELECT count(*) FROM command_targets WHERE "
	    "command = $1 AND issuer = $2 AND agent = $3",
	[STORE_Q_RESULT] = "UPDATE command_targets SET state = $1, outcome = "
	    "$2, status = $3, truncated = $4, output = $5, updated_ms = $6 "
	    "WHERE command = $7 AND issuer = $8 AND agent = $9 AND outcome "
	    "IS NULL",
	[STORE_Q_EXPIRE] = "UPDATE command_targets SET state = 4, "
	    "updated_ms = $1 WHERE (command, issuer, agent) IN (SELECT "
	    "t.command, t.issuer, t.agent FROM command_targets t JOIN "
	    "commands c ON c.id = t.command WHERE t.state = 0 AND "
	    "c.expires_ms <= $1 LIMIT $2)",
	[STORE_Q_PENDING_AGENTS] = "SELECT DISTINCT t.issuer, t.agent FROM "
	    "command_targets t JOIN commands c ON c.id = t.command WHERE "
	    "t.state IN (0, 1) AND c.expires_ms > $1",
};
