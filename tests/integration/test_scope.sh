#!/usr/bin/env bash
# Agents are keyed by issuer and name (issue 17 hole 12), over real
# processes and TLS:
#   - two agent CAs each issue an "agent-1"; each streams through its own
#     gatewayd (agent_ca = its CA) to one gw-mgmt at the same time, with a
#     journal: both finish (neither superseded by the other nor told a
#     foreign last_seq), and the store holds seq 1..N of each, once, under
#     its own issuer (on 4a5f9ba the name alone was the key: one channel
#     closed the other's and the rows of one were deduplicated away).
source "$(dirname "$0")/lib.sh" "$@"

LINES=300
cd "$T"
make_pki pki
mkdir -p agents pki2
"$GW_CERT" ca --out pki2 --name "gatewayd test CA 2" >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-1 --out agents/a1-ca1 >/dev/null
"$GW_CERT" issue --ca pki2 --role agent --name agent-1 --out agents/a1-ca2 >/dev/null
write_configs
start_mgmt
start_gateway
GW2_PORT=$(free_port)
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$GW2_PORT/" \
    -e 's#^agent_ca = pki/ca.crt#agent_ca = pki2/ca.crt#' gateway.ini >gateway2.ini
start gatewayd2 "$GATEWAYD" -c gateway2.ini
wait_port "$GW2_PORT"
wait_log gatewayd2.log "event=upstream_up" 30

# run_agent CERT PORT: stream lines.CERT through the gateway on PORT.
run_agent() {
	"$GW_AGENT" --gateway "127.0.0.1:$2" --cert "agents/$1.crt" \
	    --key "agents/$1.key" --ca pki/ca.crt --state "$1.state" \
	    --file "$1.txt" --rate 200 --timeout 60 >"$1.log" 2>&1
}
seq 1 $LINES | sed 's/^/ca1 line /' >a1-ca1.txt
seq 1 $LINES | sed 's/^/ca2 line /' >a1-ca2.txt
run_agent a1-ca1 "$GW_PORT" & A=$!; PIDS+=($A)
run_agent a1-ca2 "$GW2_PORT" & B=$!; PIDS+=($B)
rc=0; wait $A || rc=$?
[ $rc -eq 0 ] || fail "agent-1 of CA 1: exit $rc: $(tail -n 2 a1-ca1.log)"
rc=0; wait $B || rc=$?
[ $rc -eq 0 ] || fail "agent-1 of CA 2: exit $rc: $(tail -n 2 a1-ca2.log)"
grep -q 'reason=superseded' mgmt.log && fail "one agent-1 superseded the other"

# Every (issuer, agent) has seq 1..N once, with its own payloads.
export_store >export.jsonl
awk -v n=$LINES '
{
	if (!match($0, /"issuer":"[^"]*"/)) { print "no issuer: " $0; bad++; next }
	i = substr($0, RSTART + 10, RLENGTH - 11)
	match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
	match($0, /"payload":"ca[12] /); p = substr($0, RSTART + 11, 3)
	k = i "|" p
	if ((k, s) in seen) { print "duplicate " k " " s; bad++ }
	seen[k, s] = 1; count[k]++
	if (index(i, "CA 2") ? p != "ca2" : p != "ca1") { print "mixed: " $0; bad++ }
}
END {
	for (k in count) { keys++; if (count[k] != n) { print k ": " count[k]; bad++ } }
	if (keys != 2) { print keys + 0 " agents, want 2"; bad++ }
	exit bad > 0
}' export.jsonl >check.log || fail "store: $(head -n 5 check.log)"
pass "agent-1 of two CAs through two gateways: $(grep -c . export.jsonl) rows, seq 1..$LINES of each once, under its issuer"
