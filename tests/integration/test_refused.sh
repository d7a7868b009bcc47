#!/usr/bin/env bash
# Agents the gateway must refuse before parsing a single frame: a
# certificate from a foreign CA, an expired certificate, no certificate,
# and a name outside the policy.  Each refusal is logged with its reason and
# nothing of theirs is stored; a good agent still gets through.  And gw-mgmt
# does not take an agent's certificate (same CA) for a gateway's.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents foreign
"$GW_CERT" ca --out foreign --name "someone else's CA" >/dev/null
"$GW_CERT" issue --ca foreign --role agent --name agent-foreign \
    --out agents/agent-foreign >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-expired \
    --not-before 20200101000000 --not-after 20210101000000 \
    --out agents/agent-expired >/dev/null
"$GW_CERT" issue --ca pki --role agent --name intruder \
    --out agents/intruder >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-good \
    --out agents/agent-good >/dev/null
printf 'secret %s\n' 1 2 3 >lines.txt

write_configs
start_mgmt
start_gateway

# refused NAME PATTERN: the agent exits non-zero, the gateway says why.
refused() {
	local name=$1 pattern=$2 rc=0
	$(agent_cmd "$name" --file lines.txt --timeout 20) \
	    >"agent-$name.log" 2>&1 || rc=$?
	[ $rc -ne 0 ] || fail "$name was not refused"
	wait_log gatewayd.log "$pattern" 5
	pass "$name refused (exit $rc): $(grep -m1 -- "$pattern" gatewayd.log | sed 's/.*event=/event=/')"
}
refused agent-foreign 'event=agent_refused .*unknown-ca'
refused agent-expired 'event=agent_refused .*expired'
refused intruder 'event=agent_refused agent=intruder .*reason=policy'

# No certificate at all: a plain TLS client.
openssl s_client -connect "127.0.0.1:$GW_PORT" -CAfile pki/ca.crt \
    </dev/null >s_client.log 2>&1 || true
wait_log gatewayd.log 'event=agent_refused .*no-certificate' 5
pass "client without certificate refused"

# The agent's own check: the gateway's certificate must name the address
# dialed (the default) or --server-name.
rc=0; $(agent_cmd agent-good --file lines.txt --timeout 20 --server-name gw-other) \
    >agent-name.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "agent with a wrong --server-name exited $rc, want 3"
grep -q "we refused the gateway's certificate .*--server-name.*name-mismatch" agent-name.log ||
    fail "the agent does not say it refused the gateway: $(tail -n 1 agent-name.log)"
pass "wrong --server-name: $(tail -n 1 agent-name.log | cut -c1-100)"

$(agent_cmd agent-good --file lines.txt --timeout 20) >agent-good.log 2>&1 ||
    fail "the good agent failed"
check_store 3 agent-good || fail "the store holds something of a refused agent"
pass "only agent-good's 3 lines are stored"

# An agent's certificate offered to gw-mgmt as a gateway's: refused.
openssl s_client -connect "127.0.0.1:$MGMT_PORT" -CAfile pki/ca.crt \
    -cert agents/agent-good.crt -key agents/agent-good.key \
    </dev/null >s_client-mgmt.log 2>&1 || true
wait_log mgmt.log 'event=gateway_refused .*reason=policy .*not a gateway certificate' 5
grep -q "event=gateway_authenticated gateway=agent-good" mgmt.log &&
    fail "gw-mgmt authenticated agent-good as a gateway"
pass "gw-mgmt refuses an agent's certificate: $(grep -m1 'not a gateway' mgmt.log | sed 's/.*event=/event=/' | cut -c1-120)"
