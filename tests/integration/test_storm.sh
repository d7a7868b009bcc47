#!/usr/bin/env bash
# A reconnect storm under admission control (no timing asserted):
# 300 agents (gw-loadgen, each with its own certificate) are connected;
# gatewayd is restarted; all of them reconnect at once, while 100
# half-finished handshakes (ClientHello, then silence) hold slots.  With
# max_handshakes = 8 the listener must pause (the backlog holds the rest),
# every agent must come back, the stalled handshakes must not lock them
# out, and the upstream links must not miss a heartbeat meanwhile.  A
# drained gateway refuses new connections at once (its listening socket is
# closed) instead of leaving them in the backlog.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
ABUSE=$BUILD/tests/gw-abuse
N=300

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $N \
    --out-dir agents >/dev/null
export GW_ABUSE_CA=pki/ca.crt
GW_EXTRA="max_handshakes = 8
handshake_timeout = 3s
handshake_rate = 0
handshake_rate_per_source = 0
drain_timeout = 1s"
write_configs
start_mgmt
start_gateway

"$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents --ca pki/ca.crt \
    --agents $N --mode storm --timeout 120 >storm.out 2>&1 &
lg=$!
wait_log storm.out all_open 60
pass "$(grep all_open storm.out)"

# Restart: SIGTERM drains (GOAWAY) and closes the listening socket.
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
grep -q "event=draining" gatewayd.log || fail "gatewayd did not drain"
mv gatewayd.log gatewayd-1.log
start_gateway
"$ABUSE" half "127.0.0.1:$GW_PORT" 100 4 >half.log 2>&1 &
half=$!
wait "$lg" || fail "storm run: $(cat storm.out)"
wait "$half" || fail "gw-abuse half: $(cat half.log)"
grep -q "sent 100 client hellos" half.log || fail "half: $(cat half.log)"
grep -q "all_back agents=$N" storm.out || fail "not all back: $(cat storm.out)"
pass "$(grep all_back storm.out)"

kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
paused=$(sed -n 's/.*event=listener_stats listener=agents .*admission_paused=\([0-9]*\).*/\1/p' gatewayd.log)
[ "${paused:-0}" -gt 0 ] || fail "admission control never paused the listener"
! grep -q "event=upstream_down" gatewayd.log ||
    fail "an upstream link went down during the storm: $(grep event=upstream_down gatewayd.log | head -n 1)"
pass "admission paused the listener $paused times; no upstream link lost"
n=$(grep -c "event=agent_authenticated" gatewayd.log || true)
[ "$n" -ge $N ] || fail "only $n agents authenticated after the restart"
pass "$n sessions authenticated after the restart"
