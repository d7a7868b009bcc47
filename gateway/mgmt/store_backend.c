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

/* Row k (from 0) of STORE_Q_TGT_INSERT_CHUNK: values $(3+2k), $(4+2k). */
#define TGT_ROW(i, a)	", ($1, $2, $" #i ", $" #a ", 0, 0)"

const char *const store_q_sql[STORE_Q_N] = {
	[STORE_Q_BEGIN] = "BEGIN",
	[STORE_Q_COMMIT] = "COMMIT",
	[STORE_Q_ROLLBACK] = "ROLLBACK",
	[STORE_Q_AGENT_UP] = "INSERT INTO agents (issuer, name, subject, "
	    "san, serial, fingerprint, gateway, peer, first_seen_ms, "
	    "connected_ms, seen_ms, state, sans, not_after_ms, last_seq, via) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, 1, $10, $11, "
	    "0, $12) ON CONFLICT (issuer, name) DO UPDATE SET "
	    "subject = excluded.subject, san = excluded.san, serial = "
	    "excluded.serial, fingerprint = excluded.fingerprint, gateway = "
	    "excluded.gateway, peer = excluded.peer, connected_ms = "
	    "excluded.connected_ms, seen_ms = excluded.seen_ms, state = 1, "
	    "sans = excluded.sans, not_after_ms = excluded.not_after_ms, "
	    "via = excluded.via",
	[STORE_Q_AGENT_DOWN] = "UPDATE agents SET state = 0, seen_ms = $1 "
	    "WHERE issuer = $2 AND name = $3 AND connected_ms <= $4",
	/* Times and seqs only grow; an agent offline stays so. */
	[STORE_Q_AGENT_SEEN] = "UPDATE agents SET seen_ms = CASE WHEN "
	    "seen_ms > $1 THEN seen_ms ELSE $1 END, last_seq = CASE WHEN "
	    "last_seq > $2 THEN last_seq ELSE $2 END, state = $3 WHERE "
	    "issuer = $4 AND name = $5 AND connected_ms <= $6 AND state <> 0",
	[STORE_Q_AGENTS] = "SELECT issuer, name, subject, san, serial, "
	    "fingerprint, gateway, peer, first_seen_ms, connected_ms, "
	    "seen_ms, state, sans, not_after_ms, last_seq, via FROM agents "
	    "ORDER BY name, issuer",
	/* A reader of a store of schema 2 or 3: the same columns. */
	[STORE_Q_AGENTS_V3] = "SELECT issuer, name, subject, san, serial, "
	    "fingerprint, gateway, peer, first_seen_ms, connected_ms, "
	    "seen_ms, online, '', NULL, 0, '' FROM agents ORDER BY name, "
	    "issuer",
	/* ... of schema 4: the same columns. */
	[STORE_Q_AGENTS_V4] = "SELECT issuer, name, subject, san, serial, "
	    "fingerprint, gateway, peer, first_seen_ms, connected_ms, "
	    "seen_ms, state, sans, not_after_ms, last_seq, '' FROM agents "
	    "ORDER BY name, issuer",
	[STORE_Q_CMD_INSERT] = "INSERT INTO commands (target, body, "
	    "created_ms, expires_ms) VALUES ($1, $2, $3, $4) RETURNING id",
	[STORE_Q_TGT_INSERT] = "INSERT INTO command_targets (command, "
	    "issuer, agent, state, truncated, updated_ms) VALUES ($1, $2, $3, "
	    "0, 0, $4)",
	[STORE_Q_TGT_INSERT_CHUNK] = "INSERT INTO command_targets (command, "
	    "updated_ms, issuer, agent, state, truncated) VALUES "
	    "($1, $2, $3, $4, 0, 0)"
	    TGT_ROW(5, 6) TGT_ROW(7, 8) TGT_ROW(9, 10) TGT_ROW(11, 12)
	    TGT_ROW(13, 14) TGT_ROW(15, 16) TGT_ROW(17, 18) TGT_ROW(19, 20)
	    TGT_ROW(21, 22) TGT_ROW(23, 24) TGT_ROW(25, 26) TGT_ROW(27, 28)
	    TGT_ROW(29, 30) TGT_ROW(31, 32) TGT_ROW(33, 34) TGT_ROW(35, 36)
	    TGT_ROW(37, 38) TGT_ROW(39, 40) TGT_ROW(41, 42) TGT_ROW(43, 44)
	    TGT_ROW(45, 46) TGT_ROW(47, 48) TGT_ROW(49, 50) TGT_ROW(51, 52)
	    TGT_ROW(53, 54) TGT_ROW(55, 56) TGT_ROW(57, 58) TGT_ROW(59, 60)
	    TGT_ROW(61, 62) TGT_ROW(63, 64) TGT_ROW(65, 66) TGT_ROW(67, 68)
	    TGT_ROW(69, 70) TGT_ROW(71, 72) TGT_ROW(73, 74) TGT_ROW(75, 76)
	    TGT_ROW(77, 78) TGT_ROW(79, 80) TGT_ROW(81, 82) TGT_ROW(83, 84)
	    TGT_ROW(85, 86) TGT_ROW(87, 88) TGT_ROW(89, 90) TGT_ROW(91, 92)
	    TGT_ROW(93, 94) TGT_ROW(95, 96) TGT_ROW(97, 98) TGT_ROW(99, 100)
	    TGT_ROW(101, 102) TGT_ROW(103, 104) TGT_ROW(105, 106)
	    TGT_ROW(107, 108) TGT_ROW(109, 110) TGT_ROW(111, 112)
	    TGT_ROW(113, 114) TGT_ROW(115, 116) TGT_ROW(117, 118)
	    TGT_ROW(119, 120) TGT_ROW(121, 122) TGT_ROW(123, 124)
	    TGT_ROW(125, 126) TGT_ROW(127, 128) TGT_ROW(129, 130)
	    TGT_ROW(131, 132) TGT_ROW(133, 134) TGT_ROW(135, 136)
	    TGT_ROW(137, 138) TGT_ROW(139, 140) TGT_ROW(141, 142)
	    TGT_ROW(143, 144) TGT_ROW(145, 146) TGT_ROW(147, 148)
	    TGT_ROW(149, 150) TGT_ROW(151, 152) TGT_ROW(153, 154)
	    TGT_ROW(155, 156) TGT_ROW(157, 158) TGT_ROW(159, 160)
	    TGT_ROW(161, 162) TGT_ROW(163, 164) TGT_ROW(165, 166)
	    TGT_ROW(167, 168) TGT_ROW(169, 170) TGT_ROW(171, 172)
	    TGT_ROW(173, 174) TGT_ROW(175, 176) TGT_ROW(177, 178)
	    TGT_ROW(179, 180) TGT_ROW(181, 182) TGT_ROW(183, 184)
	    TGT_ROW(185, 186) TGT_ROW(187, 188) TGT_ROW(189, 190)
	    TGT_ROW(191, 192) TGT_ROW(193, 194) TGT_ROW(195, 196)
	    TGT_ROW(197, 198) TGT_ROW(199, 200) TGT_ROW(201, 202)
	    TGT_ROW(203, 204) TGT_ROW(205, 206) TGT_ROW(207, 208)
	    TGT_ROW(209, 210) TGT_ROW(211, 212) TGT_ROW(213, 214)
	    TGT_ROW(215, 216) TGT_ROW(217, 218) TGT_ROW(219, 220)
	    TGT_ROW(221, 222) TGT_ROW(223, 224) TGT_ROW(225, 226)
	    TGT_ROW(227, 228) TGT_ROW(229, 230) TGT_ROW(231, 232)
	    TGT_ROW(233, 234) TGT_ROW(235, 236) TGT_ROW(237, 238)
	    TGT_ROW(239, 240) TGT_ROW(241, 242) TGT_ROW(243, 244)
	    TGT_ROW(245, 246) TGT_ROW(247, 248) TGT_ROW(249, 250)
	    TGT_ROW(251, 252) TGT_ROW(253, 254) TGT_ROW(255, 256)
	    TGT_ROW(257, 258),
	[STORE_Q_PENDING] = "SELECT c.id, t.issuer, t.agent, c.body, "
	    "c.expires_ms FROM command_targets t JOIN commands c ON c.id = "
	    "t.command WHERE t.issuer = $1 AND t.agent = $2 AND ((t.state = "
	    "0 AND c.expires_ms > $3) OR t.state = 1) ORDER BY c.id LIMIT $4",
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
	    "(t.state = 0 AND c.expires_ms > $1) OR t.state = 1",
	/* Index-only on command_targets_state; agents has no index. */
	[STORE_Q_COUNTS] = "SELECT 0, state, count(*) FROM agents GROUP BY "
	    "state UNION ALL SELECT 1, state, count(*) FROM command_targets "
	    "GROUP BY state",
};
