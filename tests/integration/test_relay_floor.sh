#!/usr/bin/env bash
# gw-relay-floor (bench/relay_floor.c), small, so that bench/run's relay
# floor cannot rot (no timing is asserted): 50 agents with their own
# certificates drive it as bench/run does (gw-loadgen --plain), each
# sending 20 events of 200 bytes, then 5 more paced: every event comes
# back answered, and the floor's own count of events read and records
# answered is the generator's count of events acknowledged.  An agent
# whose certificate is from another CA is refused, as gatewayd refuses it.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
FLOOR=$BUILD/bench/gw-relay-floor

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count 50 \
    --out-dir agents >/dev/null
PORT=$(free_port)
start floor "$FLOOR" --listen "127.0.0.1:$PORT" --cert pki/gateway.crt \
    --key pki/gateway.key --ca pki/ca.crt --size 200
wait_port "$PORT"	# a connection closed before its handshake: failed=1
lg() { "$LOADGEN" --gateway "127.0.0.1:$PORT" --ca pki/ca.crt --timeout 60 \
    --plain --mode send --size 200 "$@"; }

out=$(lg --certs agents --agents 50 --events 20) || fail "send run: $out"
case $out in *"opened=50 failed=0"*"events=1000 acked=1000"*) ;; *) fail "send: $out" ;; esac
pass "send: $out"
out=$(lg --certs agents --agents 50 --events 5 --rate 500) || fail "paced run: $out"
case $out in *"events=250 acked=250"*) ;; *) fail "paced: $out" ;; esac
pass "paced: $out"

mkdir -p other
"$GW_CERT" ca --out other --name "another CA" >/dev/null
"$GW_CERT" issue --ca other --role agent --name agent-x --out other/agent-x >/dev/null
out=$(lg --certs other --agents 1 --events 1 --timeout 10 2>&1) &&
    fail "the floor took a certificate of another CA: $out"
case $out in *"failed=1"*) ;; *) fail "refused: $out" ;; esac
pass "the floor refuses an agent of another CA"

stop floor
[ "$STOP_RC" = 0 ] || fail "gw-relay-floor exited $STOP_RC"
line=$(grep '^accepted=' "$T/floor.log") || fail "no counts: $(cat "$T/floor.log")"
# 1 + 50 + 50 + 1 connections; 100 handshakes; the probe and the refused
# agent failed; 1,250 events, each answered once.
case $line in "accepted=102 opened=100 failed=2 events=1250 answered=1250") ;;
*) fail "floor counts: $line" ;; esac
pass "floor: $line"
