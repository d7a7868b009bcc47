#!/usr/bin/env bash
# One name, one holder (issue 17), over real processes and TLS:
#   - a token made with --names '*' (or a pattern) gets no certificate for
#     the name of an enrolled agent whose certificate is valid: refused
#     name-taken, nothing written, no use taken; token create without
#     --names is refused; a token made for that one name issues it; a
#     pending request for it needs gw-cert approve --replace;
#   - two gw-agent processes with one certificate at one gateway: the
#     first is closed with ERROR superseded and stops (exit 3); the second
#     goes on from the first one's last_seq; every line stored once;
#   - the same across two gateways: gw-mgmt closes the older channel with
#     CLOSE superseded, its gateway tells its agent, which stops;
#   - a second holder of the name stores seq 2^63-1; the real agent, with
#     an unacknowledged line numbered 11 in its journal, stops with
#     foreign_last_seq (exit 1) and keeps the line, instead of dropping it.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents
FP=$("$GW_CERT" fingerprint pki/ca.crt)
ENROLL_PORT=$(free_port)
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
MGMT_TAIL="[enroll]
ca_dir = pki
retry_after = 1s"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"

# enroll KEYNAME NAME [args]: gw-agent enroll NAME into agents/KEYNAME.*.
enroll() {
	local file=$1 name=$2; shift 2
	"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" \
	    --ca-fingerprint "$FP" --name "$name" --key "agents/$file.key" \
	    --cert "agents/$file.crt" --ca agents/ca.crt "$@"
}

# 1. agent-live enrolls and streams.
seq 1 5 | sed 's/^/first /' >first.txt
TOKEN=$("$GW_CERT" token create --ca pki --uses 1 --names 'agent-*')
rc=0; enroll agent-live agent-live --token "$TOKEN" >live.log 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "agent-live did not enroll: $(tail -n 2 live.log)"
$(agent_cmd agent-live --file first.txt --timeout 30) >first.log 2>&1 ||
    fail "agent-live cannot stream: $(tail -n 2 first.log)"

# 2. A token for any name, or a pattern: not for agent-live.
rc=0; "$GW_CERT" token create --ca pki >nonames.log 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q -- '--names' nonames.log ||
    fail "token create without --names: exit $rc, $(cat nonames.log)"
ANY=$("$GW_CERT" token create --ca pki --uses 2 --names '*')
rc=0; enroll thief agent-live --token "$ANY" >thief.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "token '*' for a live name: exit $rc, want 3: $(tail -n 2 thief.log)"
grep -q 'name-taken' thief.log || fail "no name-taken: $(tail -n 2 thief.log)"
[ ! -e agents/thief.crt ] || fail "a certificate was written for the thief"
"$GW_CERT" token list --ca pki | grep -q ' 0/2 ' || fail "the refusal took a token use"
[ "$("$GW_CERT" list --ca pki | grep -c ' agent-live ')" = 1 ] ||
    fail "a second agent-live certificate was issued"
pass "token '*' for a live name: $(tail -n 1 thief.log | cut -c1-100)"

# 3. A token made for that one name is the operator's word.
ONE=$("$GW_CERT" token create --ca pki --uses 1 --names agent-live)
rc=0; enroll again agent-live --token "$ONE" >again.log 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "one-name token: exit $rc: $(tail -n 2 again.log)"
pass "a token made for the one name agent-live issues it again"

# 4. Pending: approve refuses without --replace.
rc=0; enroll pend agent-live --wait 0 >pend.log 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "no token: exit $rc, want 4 (pending)"
RID=$("$GW_CERT" pending list --ca pki | awk '/agent-live/ { print $1 }')
[ -n "$RID" ] || fail "no pending request for agent-live"
rc=0; "$GW_CERT" approve --ca pki "$RID" >approve.log 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q -- '--replace' approve.log ||
    fail "approve of a live name: exit $rc, $(cat approve.log)"
"$GW_CERT" approve --ca pki "$RID" --replace >approve2.log 2>&1 ||
    fail "approve --replace: $(cat approve2.log)"
rc=0; enroll pend agent-live --wait 10 >pend2.log 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "the replaced request did not get its certificate: $(tail -n 2 pend2.log)"
pass "approve of a live name: '$(head -n 1 approve.log | cut -c1-70)'; --replace issues it"

# 5. Two sessions with one certificate at one gateway: the older stops.
mkfifo a.in
exec 7<>a.in
$(agent_cmd agent-live --timeout 60) <a.in >agentA.log 2>&1 7>&- &
A=$!; PIDS+=($A)
seq 6 8 | sed 's/^/a /' >&7
for _ in $(seq 300); do
	[ "$(export_store | grep -c '"agent":"agent-live"')" = 8 ] && break
	sleep 0.1
done
[ "$(export_store | grep -c '"agent":"agent-live"')" = 8 ] ||
    fail "agent A's lines were not stored"
seq 9 10 | sed 's/^/b /' >b.txt
$(agent_cmd agent-live --file b.txt --timeout 30) >agentB.log 2>&1 ||
    fail "agent B failed: $(tail -n 2 agentB.log)"
for _ in $(seq 300); do kill -0 $A 2>/dev/null || break; sleep 0.1; done
rc=0; kill -0 $A 2>/dev/null && fail "agent A still runs beside agent B: $(tail -n 2 agentA.log)"
wait $A || rc=$?
[ $rc -eq 3 ] || fail "agent A: exit $rc, want 3: $(tail -n 2 agentA.log)"
grep -q superseded agentA.log || fail "agent A was not told superseded: $(tail -n 2 agentA.log)"
grep -q 'event=agent_superseded agent=agent-live' gatewayd.log ||
    fail "gatewayd did not log the supersede"
check_store 10 agent-live >check.log || fail "store: $(cat check.log)"
pass "one certificate, two agents at one gateway: the first got superseded and stopped; seq 1..10 stored once"
exec 7>&-

# 6. The same through two gateways: gw-mgmt supersedes the older channel.
"$GW_CERT" issue --ca pki --role agent --name agent-two --out agents/agent-two >/dev/null
GW2_PORT=$(free_port)
# A gateway of its own (its own certificate): within one gateway's links
# gw-mgmt never supersedes (a stale OPEN of a lost link may come last).
"$GW_CERT" issue --ca pki --role gateway --name gateway-2 --ip 127.0.0.1 \
    --out pki/gateway-2 >/dev/null
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$GW2_PORT/" \
    -e 's#^cert = pki/gateway.crt#cert = pki/gateway-2.crt#' \
    -e 's#^key = pki/gateway.key#key = pki/gateway-2.key#' \
    -e '/^\[enroll\]/,$d' gateway.ini >gateway2.ini
start gatewayd2 "$GATEWAYD" -c gateway2.ini
wait_port "$GW2_PORT"
wait_log gatewayd2.log "event=upstream_up" 30
mkfifo c.in
exec 7<>c.in
$(agent_cmd agent-two --timeout 60) <c.in >agentC.log 2>&1 7>&- &
C=$!; PIDS+=($C)
echo "c 1" >&7
wait_log gatewayd.log 'event=agent_authenticated agent=agent-two' 30
for _ in $(seq 300); do
	export_store | grep -q '"agent":"agent-two"' && break
	sleep 0.1
done
echo "d 2" | "$GW_AGENT" --gateway "127.0.0.1:$GW2_PORT" \
    --cert agents/agent-two.crt --key agents/agent-two.key --ca pki/ca.crt \
    --timeout 30 >agentD.log 2>&1 || fail "agent D failed: $(tail -n 2 agentD.log)"
for _ in $(seq 300); do kill -0 $C 2>/dev/null || break; sleep 0.1; done
rc=0; kill -0 $C 2>/dev/null && fail "agent C still runs: $(tail -n 2 agentC.log)"
wait $C || rc=$?
[ $rc -eq 3 ] && grep -q superseded agentC.log ||
    fail "agent C: exit $rc: $(tail -n 2 agentC.log)"
grep -q 'event=channel_closed .*agent=agent-two reason=superseded' mgmt.log ||
    fail "gw-mgmt did not supersede the older channel"
export_store | grep '"agent":"agent-two"' | grep -c '"seq"' | grep -qx 2 ||
    fail "agent-two: $(export_store | grep -c '"agent":"agent-two"') lines, want 2"
pass "one certificate through two gateways: gw-mgmt closed the older channel (superseded), its agent stopped"
exec 7>&-

# 7. Another holder stores seq 2^63-1 (a journal that numbered its line
# so); the real agent's unacknowledged line 11 is not dropped for it.
: >empty.txt
# journal FILE LINE SEQ: a --state file holding LINE numbered SEQ (its 8
# little-endian bytes as printf escapes).
journal() {
	{
		printf 'L'
		printf "\\x$(printf %02x ${#2})\\x00\\x00\\x00"
		printf '%s' "$2"
		printf 'S'
		printf "$3"
	} >"$1"
}
journal thief.state thief '\xff\xff\xff\xff\xff\xff\xff\x7f'
journal real.state 'real 11' '\x0b\x00\x00\x00\x00\x00\x00\x00'
$(agent_cmd agent-live --state thief.state --file empty.txt --timeout 30) \
    >thief-agent.log 2>&1 || fail "the thief could not store: $(tail -n 2 thief-agent.log)"
export_store | grep -q '"seq":9223372036854775807' || fail "seq 2^63-1 was not stored"
rc=0
$(agent_cmd agent-live --state real.state --file empty.txt --timeout 30) \
    >real-agent.log 2>&1 || rc=$?
[ $rc -eq 1 ] || fail "real agent: exit $rc, want 1: $(tail -n 2 real-agent.log)"
grep -q 'event=foreign_last_seq' real-agent.log &&
    grep -q 'another agent writes under this name' real-agent.log ||
    fail "no clear error: $(tail -n 2 real-agent.log)"
grep -q 'real 11' real.state || fail "the journal lost the unacknowledged line"
pass "last_seq 2^63-1 from another holder: $(tail -n 1 real-agent.log | cut -c1-90)"
