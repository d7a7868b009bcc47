#!/usr/bin/env bash
# OPEN's via (PROTOCOL.md 9.13) end to end, real processes and mutual TLS:
# one gw-mgmt, one gatewayd (certificate CN "gateway"), two gw-agents.
#  - gatewayd's HELLO offers CHAIN, gw-mgmt agrees (caps 0x7 logged);
#  - each agent's OPEN carries via = the gateway's CN: `gw-mgmt agents
#    --json` shows "via":["gateway"] for both, the table a VIA column;
#  - an agents row without via (as an older OPEN leaves it) shows
#    "via":[], and one a foreign tool wrote with a quote and an escape
#    byte comes out escaped, never raw.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents
for n in agent-1 agent-2; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
write_configs
start_mgmt
start_gateway
wait_log mgmt.log "event=gateway_ready gateway=gateway .*caps=0x7" 10

# online NAME: gw-agent NAME runs, its stdin a FIFO this shell keeps
# open (one line sent); waits for its HELLO_ACK.
online() {
	local n=$1 fd
	mkfifo "in-$n"
	exec {fd}<>"in-$n"
	$(agent_cmd "$n" --log-level info) <"in-$n" >>"$T/$n.log" 2>&1 &
	PIDS+=($!)
	echo "hello from $n" >&"$fd"
	wait_log "$T/$n.log" "event=hello_ack" 10
}
online agent-1
online agent-2

# via_of: "name via-json" per agent, from gw-mgmt agents --json.
via_of() {
	"$GW_MGMT" agents -c "$T/mgmt.ini" --json | python3 -B -c '
import json, sys
for x in map(json.loads, sys.stdin):
    print(x["name"], x["state"], json.dumps(x["via"]))'
}
want='agent-1 online ["gateway"]
agent-2 online ["gateway"]'
for ((i = 0; i < 100; i++)); do
	[ "$(via_of)" = "$want" ] && break
	sleep 0.1
done
[ "$(via_of)" = "$want" ] || fail "agents --json: $(via_of)"
"$GW_MGMT" agents -c "$T/mgmt.ini" >table.txt || fail "agents"
head -1 table.txt | grep -q ' VIA ' || fail "no VIA column: $(cat table.txt)"
grep -q '^agent-1 .* gateway  *CN=' table.txt || fail "$(cat table.txt)"
pass "each agent's OPEN came with via [\"gateway\"]; table and --json"

python3 -B -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE agents SET via = ? WHERE name = ?", ("", "agent-1"))
db.execute("UPDATE agents SET via = ? WHERE name = ?",
    ("gw-\"x\x1b[31m gateway", "agent-2"))
db.commit()' store.db || fail "sqlite3"
got=$(via_of)
want='agent-1 online []
agent-2 online ["gw-\"x\u001b[31m", "gateway"]'
[ "$got" = "$want" ] || fail "agents --json: $got"
"$GW_MGMT" agents -c "$T/mgmt.ini" --json >raw.txt || fail "agents"
grep -q $'\x1b' raw.txt && fail "agents --json prints a raw escape"
"$GW_MGMT" agents -c "$T/mgmt.ini" >table.txt || fail "agents"
grep -q $'\x1b' table.txt && fail "agents prints a raw escape"
grep -q '^agent-1 .* -  *CN=' table.txt || fail "$(cat table.txt)"
pass "no via: [] (table: -); a foreign via escaped in JSON and the table"
