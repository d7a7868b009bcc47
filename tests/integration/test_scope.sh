#!/usr/bin/env bash
# Agents are keyed by issuer and name (issue 17 hole 12), over real
# processes and TLS:
#   - two agent CAs each issue an "agent-1"; each streams through its own
#     gatewayd (agent_ca = its CA) to one gw-mgmt at the same time, with a
#     journal: both finish (neither superseded by the other nor told a
#     foreign last_seq), and the store holds seq 1..N of each, once, under
#     its own issuer (on 4a5f9ba the name alone was the key: one channel
#     closed the other's and the rows of one were deduplicated away);
#   - both agent-1s at once through one gatewayd whose agent_ca bundles
#     both CAs: gatewayd keys sessions by issuer and name too, neither is
#     superseded, each stores its lines;
#   - gw-mgmt restarted with [scope gateway] (agent_ca = CA 1, agent_names
#     = agent-dmz1-*, agent-1): the gateways keep attesting what they like,
#     but an OPEN for CA 2's agent-1 (issuer outside) or CA 1's agent-zzz
#     (name outside) is closed CLOSE(policy), logged once with gateway,
#     agent and reason, and nothing of theirs is stored, while
#     agent-dmz1-a streams through the same gateway at the same time, every
#     line stored once, its link never closed.
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
	i = "(none)"
	if (match($0, /"issuer":"[^"]*"/)) i = substr($0, RSTART + 10, RLENGTH - 11)
	match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
	match($0, /"payload":"ca[12] /); p = substr($0, RSTART + 11, 3)
	if ((p, s) in seen) { print "duplicate " p " seq " s; bad++ }
	seen[p, s] = 1; count[p]++
	if ((index(i, "CA 2") > 0) != (p == "ca2")) wrong[p]++
}
END {
	printf "rows of CA 1 agent-1: %d, of CA 2 agent-1: %d (want %d each)\n", count["ca1"], count["ca2"], n
	if (count["ca1"] != n || count["ca2"] != n) bad++
	for (p in wrong) { print wrong[p] " rows of " p " under another issuer"; bad++ }
	exit bad > 0
}' export.jsonl >check.log || fail "store: $(head -n 5 check.log)"
pass "agent-1 of two CAs through two gateways: $(grep -c . export.jsonl) rows, seq 1..$LINES of each once, under its issuer"

# 1b. Both agent-1s at once through ONE gatewayd whose agent_ca holds both
#     CAs: gatewayd keys its sessions by issuer and name too, so neither
#     supersedes the other there (keyed by the name alone, one did).
M=100
cat pki/ca.crt pki2/ca.crt >both-cas.crt
GW3_PORT=$(free_port)
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$GW3_PORT/" \
    -e 's#^agent_ca = pki/ca.crt#agent_ca = both-cas.crt#' gateway.ini >gateway3.ini
start gatewayd3 "$GATEWAYD" -c gateway3.ini
wait_port "$GW3_PORT"
wait_log gatewayd3.log "event=upstream_up" 30
for c in ca1 ca2; do
	cp "agents/a1-$c.crt" "agents/b1-$c.crt"
	cp "agents/a1-$c.key" "agents/b1-$c.key"
	seq 1 $M | sed "s/^/${c}b line /" >"b1-$c.txt"
done
run_both() {
	"$GW_AGENT" --gateway "127.0.0.1:$GW3_PORT" --cert "agents/$1.crt" \
	    --key "agents/$1.key" --ca pki/ca.crt --state "$1.state" \
	    --file "$1.txt" --rate 40 --timeout 60 >"$1.log" 2>&1
}
run_both b1-ca1 & A=$!; PIDS+=($A)
run_both b1-ca2 & B=$!; PIDS+=($B)
rc=0; wait $A || rc=$?
[ $rc -eq 0 ] || fail "agent-1 of CA 1 at the shared gateway: exit $rc: $(tail -n 2 b1-ca1.log)"
rc=0; wait $B || rc=$?
[ $rc -eq 0 ] || fail "agent-1 of CA 2 at the shared gateway: exit $rc: $(tail -n 2 b1-ca2.log)"
grep -q 'event=agent_superseded' gatewayd3.log &&
    fail "gatewayd superseded one agent-1 by the other: $(grep -m1 agent_superseded gatewayd3.log)"
export_store >export1b.jsonl
for c in ca1 ca2; do
	n=$(grep -c "\"payload\":\"${c}b line " export1b.jsonl || true)
	[ "$n" = $M ] || fail "agent-1 of ${c^^} at the shared gateway: $n rows, want $M"
done
kill "$PID_gatewayd3"; wait "$PID_gatewayd3" 2>/dev/null || true
pass "agent-1 of two CAs at once through one gateway: neither superseded, $M rows of each"

# 2. Scopes: restart gw-mgmt with one for the gateways' CN.
kill "$PID_mgmt"; wait "$PID_mgmt" 2>/dev/null || true
grep -q 'event=gateway_scope_unset' mgmt.log || fail "no warning without [scope]"
cat >>mgmt.ini <<EOT
[scope gateway]
agent_ca = pki/ca.crt
agent_names = agent-dmz1-*, agent-1
EOT
"$GW_MGMT" --check-config mgmt.ini >check-config.log 2>&1 ||
    fail "check-config: $(cat check-config.log)"
: >mgmt.log
start_mgmt
wait_log mgmt.log 'event=gateway_ready' 30
"$GW_CERT" issue --ca pki --role agent --name agent-dmz1-a --out agents/dmz1-a >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-zzz --out agents/zzz >/dev/null
seq 1 200 | sed 's/^/dmz1 line /' >dmz1-a.txt
seq 1 5 | sed 's/^/zzz line /' >zzz.txt
seq 301 305 | sed 's/^/ca2 line /' >>a1-ca2.txt
run_agent dmz1-a "$GW_PORT" & A=$!; PIDS+=($A)
"$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" --cert agents/zzz.crt \
    --key agents/zzz.key --ca pki/ca.crt --file zzz.txt --timeout 10 \
    >zzz.log 2>&1 & Z=$!; PIDS+=($Z)
run_agent a1-ca2 "$GW2_PORT" & B=$!; PIDS+=($B)
wait_log mgmt.log 'event=channel_closed .*agent=agent-zzz reason=policy' 30
wait_log mgmt.log 'event=channel_closed .*agent=agent-1 reason=policy .*issuer CN=gatewayd test CA 2' 30
rc=0; wait $A || rc=$?
[ $rc -eq 0 ] || fail "agent-dmz1-a (in scope): exit $rc: $(tail -n 2 dmz1-a.log)"
kill $Z $B 2>/dev/null || true; wait $Z $B 2>/dev/null || true
grep 'reason=policy' mgmt.log | grep -v 'event=channel_closed' &&
    fail "a refusal logged on more than one line"
grep -q 'event=gateway_closed' mgmt.log && fail "a refusal closed a gateway link: $(grep gateway_closed mgmt.log | head -n 1)"
export_store >export2.jsonl
[ "$(grep -c '"agent":"agent-dmz1-a"' export2.jsonl)" = 200 ] ||
    fail "agent-dmz1-a: $(grep -c '"agent":"agent-dmz1-a"' export2.jsonl) rows, want 200"
[ "$(grep '"agent":"agent-dmz1-a"' export2.jsonl | sed 's/.*"seq":\([0-9]*\).*/\1/' | sort -u | wc -l)" = 200 ] ||
    fail "agent-dmz1-a: a seq stored twice"
grep -q '"agent":"agent-zzz"' export2.jsonl && fail "agent-zzz (name outside the scope) was stored"
grep -q '"payload":"ca2 line 30[1-5]"' export2.jsonl && fail "CA 2's agent-1 (issuer outside the scope) was stored"
[ "$(grep -c . export2.jsonl)" = $((2 * LINES + 2 * M + 200)) ] ||
    fail "$(grep -c . export2.jsonl) rows, want $((2 * LINES + 2 * M + 200))"
pass "[scope gateway]: CA 2's agent-1 and agent-zzz closed policy ($(grep -c 'reason=policy' mgmt.log) lines: $(grep -m1 'agent=agent-zzz reason=policy' mgmt.log | sed 's/.*detail=//' | cut -c1-70)), nothing stored; agent-dmz1-a stored 200 lines once beside them"
