#!/usr/bin/env bash
# bench/openssl_idle.py, small, so that the benchmark's OpenSSL clients
# cannot rot (no timing or memory is asserted): tests/tools/gwproto.py's
# codec makes the example frames of docs/PROTOCOL.md section 11; 20
# Python ssl (OpenSSL) agents, each with its own certificate, open
# sessions (mutual TLS 1.3, HELLO, HELLO_ACK) and gatewayd keeps them
# although its idle_timeout (3 s) is shorter than the hold: they PING
# every heartbeat (0.5 s) and gatewayd answers; held until stdin closes,
# then until --hold ends; then they close, and gatewayd saw each close as
# the peer's.  More agents than certificates: refused, saying so.
source "$(dirname "$0")/lib.sh" "$@"
IDLE=$SRC/bench/openssl_idle.py

python3 -c 'import ssl, asyncio' 2>/dev/null || fail "python3 has no ssl module"
out=$(python3 -B "$SRC/tests/tools/gwproto.py") || fail "gwproto: $out"
pass "$out"

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count 20 \
    --out-dir agents >/dev/null
GW_EXTRA="idle_timeout = 3s
heartbeat = 500ms" write_configs
start_mgmt
start_gateway
idle() { python3 -B "$IDLE" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --timeout 30 "$@"; }

# check OUT N: every agent opened, none ended by gatewayd, PINGs answered.
check() {
	[[ $1 =~ open=$2\ connect_s= ]] || fail "not all $2 open: $1"
	[[ $1 =~ closed=0\ pings=([0-9]+)\ pongs=([0-9]+) ]] || fail "closed: $1"
	[ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[2]}" -gt 0 ] ||
	    fail "no PING answered: $1"
}

# Held while stdin is open (6 s, from before the first connect).
out=$( (sleep 6) | idle --agents 20) || fail "stdin run: $out"
check "$out" 20
pass "held until stdin closed: $(echo $out)"
n=$(grep -c 'event=agent_authenticated agent=agent-.*tls=TLSv1\.3/' gatewayd.log)
[ "$n" = 20 ] || fail "gatewayd authenticated $n agents over TLS 1.3, not 20"
wait_log gatewayd.log "event=agent_closed.*reason=peer-closed" 5
sleep 1
closed=$(grep -c 'event=agent_closed' gatewayd.log || true)
[ "$closed" = 20 ] || fail "gatewayd closed $closed sessions, not 20"
if grep 'event=agent_closed' gatewayd.log | grep -v 'reason=peer-closed'; then
	fail "a session ended for another reason than the peer's close"
fi
pass "gatewayd: 20 TLS 1.3 sessions, each closed by its agent"

out=$(idle --agents 20 --hold 4 </dev/null) || fail "--hold run: $out"
check "$out" 20
pass "held for --hold: $(echo $out)"

rc=0; out=$(idle --agents 21 --hold 1 2>&1) || rc=$?
[ $rc = 1 ] && [[ $out == *"20 certificates in agents, 21 wanted"* ]] ||
    fail "21 agents from 20 certificates: exit $rc: $out"
pass "more agents than certificates: refused"
