#!/usr/bin/env bash
# TLS 1.3 session resumption across gateway restarts.  gatewayd keeps its
# ticket keys in a file (created 0600 at the first start); agents that
# reconnect after a restart resume from their tickets instead of doing full
# handshakes, and the gateway still knows who they are (the certificate
# travels in the ticket).  A ticket does not get around the CRL: an agent
# revoked while the gateway was down gets a full handshake and is refused.
# A resumed session's ticket resumes again.  A damaged or world-readable
# key file stops gatewayd with the reason.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents state
for n in agent-a agent-b; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" --out "agents/$n" >/dev/null
done
"$GW_CERT" crl --ca pki >/dev/null
GW_EXTRA="crl = pki/ca.crl
ticket_keys = state/ticket.keys
drain_timeout = 1s"
write_configs
start_mgmt
start_gateway

[ -f state/ticket.keys ] || fail "no ticket key file was created"
mode=$(stat -c %a state/ticket.keys)
[ "$mode" = 600 ] || fail "ticket key file has mode $mode, want 600"
pass "ticket key file created, mode $mode"

seq 1 600 | sed 's/^/line /' >lines.txt
$(agent_cmd agent-a --file lines.txt --rate 40 --timeout 90) >agent-a.log 2>&1 &
pid_a=$!
$(agent_cmd agent-b --file lines.txt --rate 40 --timeout 90) >agent-b.log 2>&1 &
pid_b=$!
wait_log gatewayd.log "agent=agent-a .*resumed=no" 10
wait_log gatewayd.log "agent=agent-b .*resumed=no" 10
pass "first connections are full handshakes"

# restart_gateway N: SIGTERM (drain), keep the log as gatewayd-N.log, start.
restart_gateway() {
	kill -TERM "$PID_gatewayd"
	wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
	mv gatewayd.log "gatewayd-$1.log"
	start_gateway
}

restart_gateway 1
wait_log gatewayd.log "agent=agent-a .*resumed=yes" 15
wait_log gatewayd.log "agent=agent-b .*resumed=yes" 15
grep -q "event=connected .*resumed=yes" agent-a.log ||
    fail "agent-a does not see its session resumed: $(grep event=connected agent-a.log | tail -n 1)"
pass "after a restart both resumed: $(grep -m1 'agent=agent-a .*resumed=yes' gatewayd.log | sed 's/.*event=/event=/' | cut -c1-150)"

# agent-b is revoked while the gateway is down: its ticket must not help.
"$GW_CERT" revoke --ca pki --cert agents/agent-b.crt >/dev/null
restart_gateway 2
wait_log gatewayd.log "agent=agent-a .*resumed=yes" 15
wait_log gatewayd.log "event=agent_refused .*revoked" 15
! grep -q "agent=agent-b .*resumed=yes" gatewayd.log ||
    fail "revoked agent-b resumed: $(grep 'agent=agent-b .*resumed=yes' gatewayd.log)"
rc=0; wait "$pid_b" || rc=$?
[ $rc -eq 3 ] || fail "revoked agent-b exited $rc, want 3 (refused)"
pass "a resumed session resumes again; revoked agent-b got a full handshake and was refused"

wait "$pid_a" || fail "agent-a failed: $(tail -n 2 agent-a.log)"
export_store >export.jsonl
n=$(grep '"agent":"agent-a"' export.jsonl | grep -o '"seq":[0-9]*' | sort -u | wc -l)
t=$(grep -c '"agent":"agent-a"' export.jsonl)
[ "$n" -eq 600 ] && [ "$t" -eq 600 ] ||
    fail "agent-a: $t records, $n distinct, want 600 each"
pass "agent-a's 600 lines stored once each across two restarts"

# The key file is checked: damaged, or readable by others, gatewayd stops.
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || true
cp state/ticket.keys keys.good
echo "1700000000 zz 00" >>state/ticket.keys
rc=0; "$GATEWAYD" -c gateway.ini >bad.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "gatewayd started with a damaged ticket key file"
grep -q "state/ticket.keys:[0-9]*: " bad.log ||
    fail "no file:line in: $(cat bad.log)"
pass "damaged key file: $(grep -m1 ticket.keys bad.log | cut -c1-120)"
cp keys.good state/ticket.keys
chmod 644 state/ticket.keys
rc=0; "$GATEWAYD" -c gateway.ini >bad2.log 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "world-readable" bad2.log ||
    fail "world-readable key file accepted: $(cat bad2.log)"
pass "world-readable key file refused"
