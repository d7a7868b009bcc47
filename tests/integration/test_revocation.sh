#!/usr/bin/env bash
# Revocation that bites: gw-cert revokes an agent and writes the CRL;
# SIGHUP makes gatewayd reload it and close the live session of the revoked
# agent with the reason, while another agent keeps streaming untouched.
# A broken configuration on SIGHUP changes nothing.  The revoked agent
# cannot come back, and gw-mgmt (agent_crl) refuses it even through a
# gateway that does not know the CRL.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents
for n in agent-a agent-b; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" --out "agents/$n" >/dev/null
done
"$GW_CERT" crl --ca pki >/dev/null
openssl crl -in pki/ca.crl -noout -CAfile pki/ca.crt 2>/dev/null ||
    fail "openssl does not accept the CRL gw-cert wrote"
GW_EXTRA="crl = pki/ca.crl"
write_configs
sed '/^gateway_ca/a agent_crl = pki/ca.crl' mgmt.ini >mgmt.ini.tmp && mv mgmt.ini.tmp mgmt.ini
start_mgmt
start_gateway

seq 1 400 | sed 's/^/line /' >lines.txt
$(agent_cmd agent-a --file lines.txt --rate 40 --timeout 60) >agent-a.log 2>&1 &
pid_a=$!
$(agent_cmd agent-b --file lines.txt --rate 40 --timeout 60) >agent-b.log 2>&1 &
pid_b=$!
sleep 2

# A broken file first: the running configuration stays.
cp gateway.ini gateway.ini.good
echo "bogus_key = 1" >>gateway.ini
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reload_failed" 5
cp gateway.ini.good gateway.ini
pass "SIGHUP with a broken file: $(grep -m1 event=reload_failed gatewayd.log | sed 's/.*event=/event=/' | cut -c1-110)"

"$GW_CERT" revoke --ca pki --cert agents/agent-a.crt >/dev/null
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reloaded closed=1" 5
wait_log gatewayd.log "agent=agent-a .*reason=revoked" 5
pass "reload closed agent-a: $(grep -m1 'agent=agent-a .*reason=revoked' gatewayd.log | sed 's/.*event=/event=/' | cut -c1-120)"

rc=0; wait "$pid_a" || rc=$?
[ $rc -eq 3 ] || fail "agent-a exited $rc, want 3 (refused)"
grep -q "revoked" agent-a.log || fail "agent-a does not say why: $(tail -n 1 agent-a.log)"
wait "$pid_b" || fail "agent-b failed: $(tail -n 1 agent-b.log)"
pass "agent-a stopped (exit 3: $(tail -n 1 agent-a.log | cut -c1-80)); agent-b went on"

rc=0; $(agent_cmd agent-a --file lines.txt --timeout 20) >agent-a2.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "revoked agent-a came back (exit $rc)"
wait_log gatewayd.log "event=agent_refused .*revoked" 5
pass "agent-a refused at the handshake afterwards"

# A second gateway that does not check the CRL: gw-mgmt still refuses.
GW2_PORT=$(free_port)
sed -e "/^crl = /d" -e "s/^listen = .*/listen = 127.0.0.1:$GW2_PORT/" \
    gateway.ini >gateway2.ini
start gatewayd2 "$GATEWAYD" -c gateway2.ini
wait_port "$GW2_PORT"
wait_log gatewayd2.log "event=upstream_up" 10
rc=0
"$GW_AGENT" --gateway "127.0.0.1:$GW2_PORT" --cert agents/agent-a.crt \
    --key agents/agent-a.key --ca pki/ca.crt --file lines.txt --timeout 20 \
    >agent-a3.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "gw-mgmt stored a revoked agent's data (exit $rc)"
wait_log mgmt.log "agent=agent-a reason=revoked" 5
pass "through a gateway without the CRL, gw-mgmt refused agent-a: $(tail -n 1 agent-a3.log | cut -c1-90)"

export_store >export.jsonl
b=$(grep -c '"agent":"agent-b"' export.jsonl)
a=$(grep -c '"agent":"agent-a"' export.jsonl || true)
[ "$b" -eq 400 ] || fail "agent-b has $b of 400 lines stored"
[ "$a" -lt 400 ] || fail "agent-a has all its lines stored: revocation came too late"
pass "store: agent-b 400 lines, agent-a $a lines (before its revocation)"
