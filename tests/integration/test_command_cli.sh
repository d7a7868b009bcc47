#!/usr/bin/env bash
# gw-mgmt command send|list|show and gw-mgmt agents on a SQLite store, as
# an operator meets them: a store of schema 1 (before commands) is read as
# having none and migrated by the first send; targets come from the agents
# the store knows (filled here as the agents table of an OPEN would be);
# no match, a bad --ttl, a bad or unknown id and a body too long are errors
# with their exit status (1 error, 2 usage); every --json line parses as
# JSON with each string escaped; the tables show an agent's control bytes
# escaped, never raw; agents --state and --match pick, sans come as an
# escaped array; and all of it beside a gw-mgmt serving the store.
source "$(dirname "$0")/lib.sh" "$@"
cd "$T"

sql() { python3 -B -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()
' s.db "$1"; }
run() { # run WANT_RC OUTFILE ARGS...: gw-mgmt ARGS, its exit status checked
	local want=$1 out=$2 rc=0
	shift 2
	"$GW_MGMT" "$@" >"$out" 2>err.txt || rc=$?
	[ "$rc" = "$want" ] ||
	    fail "gw-mgmt $*: exit $rc, not $want: $(cat err.txt)"
}
jsonl() { # jsonl FILE PYTHON: each line of FILE parsed into L, then PYTHON
	python3 -B -c 'import json, sys
L = [json.loads(x) for x in open(sys.argv[1])]
'"$2" "$1" || fail "$1: $2: $(cat "$1")"
}

sql "CREATE TABLE messages (issuer TEXT NOT NULL, agent TEXT NOT NULL,
    seq INTEGER NOT NULL, id INTEGER NOT NULL UNIQUE, gateway TEXT NOT NULL,
    fingerprint TEXT NOT NULL, received_ms INTEGER NOT NULL,
    payload BLOB NOT NULL, PRIMARY KEY (issuer, agent, seq));
    INSERT INTO messages VALUES ('CN=CA 1', 'web01', 1, 1, 'gw', 'ff', 1,
    x'6f6c64');
    PRAGMA user_version = 1;"
run 0 agents.txt agents --db s.db --json
[ -s agents.txt ] && fail "agents of a schema 1 store: $(cat agents.txt)"
run 0 list.txt command list --db s.db
[ -s list.txt ] && fail "commands of a schema 1 store: $(cat list.txt)"
run 1 out.txt command send --db s.db --agent web01 --body hi
grep -q 'no known agent is named web01' err.txt ||
    fail "send to no agent: $(cat err.txt)"
run 1 out.txt command send --db nowhere.db --agent web01 --body hi
[ -e nowhere.db ] && fail "send made a store"
pass "schema 1 store: no agents, no commands; send to no agent: exit 1"

# Three agents as OPEN leaves them: web01 of two CAs, and a name and
# subject with a quote, a backslash and an escape byte.
sql "INSERT INTO agents (issuer, name, subject, san, serial, fingerprint,
    gateway, peer, first_seen_ms, connected_ms, seen_ms, state) VALUES
    ('CN=CA 1', 'web01', 'CN=web01, O=\"Q\\\"', 'web01.example', '01:02',
     'ab12', 'gw1', '127.0.0.1:4000', 1000, 2000, 3000, 1),
    ('CN=CA 2', 'web01', 'CN=web01', '', '03', 'cd34', 'gw2',
     '127.0.0.1:4001', 1000, 1000, 5000, 0),
    ('CN=CA 1', 'web\"x' || char(27) || '[31m', 'CN=odd', '', '04', 'ef56',
     'gw1', '127.0.0.1:4002', 1000, 1000, 1000, 1);"
run 0 id1.txt command send --db s.db --agent web01 --body 'uptime'
[ "$(cat id1.txt)" = 1 ] || fail "first id: $(cat id1.txt)"
printf 'line1\nline2\x00' >body.bin
run 0 id2.txt command send --db s.db --match 'web*' --ttl 10m --file body.bin
[ "$(cat id2.txt)" = 2 ] || fail "second id: $(cat id2.txt)"
run 1 out.txt command send --db s.db --match 'db*' --body x
grep -q 'no known agent matches db\*' err.txt || fail "$(cat err.txt)"
for ttl in 0 -5s 1y abc; do
	run 2 out.txt command send --db s.db --agent web01 --ttl "$ttl" --body x
	grep -q -- '--ttl' err.txt || fail "--ttl $ttl: $(cat err.txt)"
done
run 2 out.txt command send --db s.db --agent web01 --match 'w*' --body x
run 2 out.txt command send --db s.db --agent web01
run 2 out.txt command send --agent web01 --body x
head -c 65537 /dev/zero >big.bin
run 1 out.txt command send --db s.db --agent web01 --file big.bin
grep -q 'above 65536' err.txt || fail "body too long: $(cat err.txt)"
run 0 list.txt command list --db s.db --json
jsonl list.txt 'assert len(L) == 2, L
assert (L[0]["id"], L[0]["target"], L[0]["queued"]) == (1, "web01", 2)
assert (L[1]["id"], L[1]["target"], L[1]["queued"]) == (2, "web*", 3)
assert L[1]["expires_ms"] - L[1]["created_ms"] == 600000, L[1]
assert L[0]["expires_ms"] - L[0]["created_ms"] == 3600000, L[0]'
pass "send by name (both CAs) and by pattern; no match, bad ttl, bad usage, body above 64 KiB refused"

# Command 1 answered by web01 of CA 1 (as a RESULT would leave it).
sql "UPDATE command_targets SET state = 3, outcome = 0, status = 2,
    truncated = 1, output = x'6f6b0a22715c1b5b316d', updated_ms = 9000
    WHERE command = 1 AND issuer = 'CN=CA 1';"
run 0 show.txt command show --db s.db 1 --json
jsonl show.txt 'assert len(L) == 2, L
a, b = L
assert (a["agent"], a["issuer"], a["state"], a["outcome"], a["status"],
    a["truncated"], a["output"], a["updated_ms"]) == ("web01", "CN=CA 1",
    "failed", "exited", 2, True, "ok\n\"q\\\x1b[1m", 9000), a
assert (b["issuer"], b["state"], b["outcome"], b["status"], b["truncated"],
    b["output"]) == ("CN=CA 2", "queued", None, None, False, ""), b
assert set(a) == {"command", "agent", "issuer", "state", "outcome",
    "status", "truncated", "output", "updated_ms"}, a'
run 0 show.txt command show --db s.db 1
grep -q 'web01  *failed  *exited  *2 ' show.txt || fail "$(cat show.txt)"
grep -q $'\x1b' show.txt && fail "show prints a raw escape: $(cat -v show.txt)"
grep -qF 'ok\x0a"q\x5c\x1b[1m [truncated]' show.txt || fail "$(cat show.txt)"
run 0 list.txt command list --db s.db --state failed --json
jsonl list.txt 'assert [c["id"] for c in L] == [1], L'
run 0 list.txt command list --db s.db --state done
[ -s list.txt ] && fail "--state done: $(cat list.txt)"
run 2 out.txt command list --db s.db --state finished
run 1 out.txt command show --db s.db 99
grep -q 'no command 99' err.txt || fail "$(cat err.txt)"
for id in 0 -1 x 1x 99999999999999999999; do
	run 2 out.txt command show --db s.db "$id"
done
run 2 out.txt command show --db s.db
run 2 out.txt command frobnicate --db s.db
pass "show: JSON per target (first result, null until one), escaped table; list --state; bad and unknown ids"

run 0 agents.txt agents --db s.db --json
jsonl agents.txt 'assert len(L) == 3, L
a = [x for x in L if x["issuer"] == "CN=CA 1" and x["name"] == "web01"][0]
assert a == {"issuer": "CN=CA 1", "name": "web01",
    "subject": "CN=web01, O=\"Q\\\"", "san": "web01.example",
    "serial": "01:02", "fingerprint": "ab12", "gateway": "gw1",
    "peer": "127.0.0.1:4000", "first_seen_ms": 1000, "connected_ms": 2000,
    "seen_ms": 3000, "state": "online", "sans": [], "not_after_ms": None,
    "last_seq": 0, "via": []}, a
assert [x["state"] for x in L if x["issuer"] == "CN=CA 2"] == ["offline"]
assert "web\"x\x1b[31m" in [x["name"] for x in L]'
run 0 agents.txt agents --db s.db
grep -q $'\x1b' agents.txt && fail "agents prints a raw escape"
grep -qF 'web"x\x1b[31m' agents.txt || fail "$(cat agents.txt)"
[ "$(grep -c online agents.txt)" = 2 ] || fail "$(cat agents.txt)"
run 0 out.txt export --db s.db
grep -q '"agent":"web01"' out.txt || fail "the message of schema 1: $(cat out.txt)"
pass "agents: every identity field as JSON, escaped table; the old message kept"

# Schema 4: OPEN's identity extension (sans, not_after_ms), last_seq and
# the state stale, as store_agents_mark leaves them; --state and --match
# pick, and the SANs (peer-controlled text) come back escaped, one a member.
sql "UPDATE agents SET state = 2, last_seq = 42, not_after_ms = 1893456000000,
    sans = 'DNS:web01.example IP:10.0.0.7 URI:spiffe://gw/\"q\\' || char(27)
    WHERE issuer = 'CN=CA 2';"
run 0 agents.txt agents --db s.db --state stale --json
jsonl agents.txt 'assert len(L) == 1, L
a = L[0]
assert (a["issuer"], a["name"], a["state"], a["last_seq"],
    a["not_after_ms"]) == ("CN=CA 2", "web01", "stale", 42,
    1893456000000), a
assert a["sans"] == ["DNS:web01.example", "IP:10.0.0.7",
    "URI:spiffe://gw/\"q\\\x1b"], a["sans"]'
run 0 agents.txt agents --db s.db --state stale
grep -q $'\x1b' agents.txt && fail "agents prints a raw escape"
grep -q '^web01  *stale ' agents.txt || fail "$(cat agents.txt)"
run 0 agents.txt agents --db s.db --state online --match 'web0*' --json
jsonl agents.txt 'assert [(x["issuer"], x["name"]) for x in L] == [
    ("CN=CA 1", "web01")], L'
run 0 agents.txt agents --db s.db --match 'nothing*'
[ -s agents.txt ] && fail "--match nothing*: $(cat agents.txt)"
run 2 out.txt agents --db s.db --state asleep
run 2 out.txt agents --db s.db --state stale x
pass "agents --state stale|online, --match GLOB; sans as an escaped array"

# Beside a gw-mgmt serving the same store, through its configuration.
make_pki pki
PORT=$(free_port)
mgmt_ini mgmt "$PORT" "database = s.db"
start mgmt "$GW_MGMT" -c mgmt.ini
wait_port "$PORT"
run 0 id3.txt command send -c mgmt.ini --agent web01 --body x
[ "$(cat id3.txt)" = 3 ] || fail "third id: $(cat id3.txt)"
run 0 list.txt command list -c mgmt.ini --json
jsonl list.txt 'assert [c["id"] for c in L] == [1, 2, 3], L'
stop mgmt
pass "beside a running gw-mgmt: -c FILE sends and lists"
