#!/usr/bin/env bash
# One agent cannot roll back everyone's commits (issue 17, hole 1).  While
# four honest agents stream through one gatewayd to one gw-mgmt, a hostile
# agent sends DATA numbered 2^63 -- above 2^63-1, the largest seq a store
# keeps -- once per session, reconnecting 40 times (gw-abuse seq):
#   - each hostile session ends at the gateway with ERROR sequence;
#   - no honest session is closed, and gw-mgmt never fails a batch;
#   - every honest line is stored exactly once.
# Before the range was checked, gatewayd relayed the seq, gw-mgmt's store
# refused it, and the whole group commit rolled back: every channel of the
# batch, from every gateway, was closed (store).
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse
AGENTS=4
LINES=5000
ROUNDS=40

cd "$T"
make_pki pki
mkdir -p agents
names=()
for ((i = 1; i <= AGENTS; i++)); do names+=("agent-$i"); done
for a in "${names[@]}" agent-bad; do
	"$GW_CERT" issue --ca pki --role agent --name "$a" --out "agents/$a" >/dev/null
done
export GW_ABUSE_CERT=agents/agent-bad.crt GW_ABUSE_KEY=agents/agent-bad.key \
    GW_ABUSE_CA=pki/ca.crt
# Batches open for 20 ms: a hostile row would share one with honest rows.
MGMT_TAIL="batch_delay = 20ms"
write_configs
start_mgmt
start_gateway

pids=()
for n in "${names[@]}"; do
	seq 1 $LINES | sed "s/^/$n line /" >"lines-$n.txt"
	$(agent_cmd "$n" --file "lines-$n.txt" --rate 500 --timeout 120) \
	    >"agent-$n.log" 2>&1 &
	pids+=($!)
done
for n in "${names[@]}"; do
	wait_log "agent-$n.log" "event=hello_ack" 10
done

"$ABUSE" seq "127.0.0.1:$GW_PORT" 9223372036854775808 $ROUNDS >abuse.log 2>&1 ||
    fail "gw-abuse seq: $(tail -n 3 abuse.log)"
for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null ||
	    fail "an honest agent finished before the abuse did: raise LINES"
done
got=$(grep -c '^closed after [0-9.]* s: sequence (DATA sequence above 2^63-1' \
    abuse.log || true)
[ "$got" = $ROUNDS ] ||
    fail "$got of $ROUNDS hostile sessions ended with ERROR sequence: $(sort abuse.log | uniq -c | head -n 5)"
pass "$ROUNDS hostile sessions with DATA seq 2^63: each ended with ERROR sequence"

rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc honest agents did not get every line acknowledged"
! grep -q "event=disconnected" agent-agent-*.log ||
    fail "an honest session was closed: $(grep -h 'event=disconnected' agent-agent-*.log | head -n 3)"
! grep -q "event=store_failed\|reason=store" mgmt.log ||
    fail "gw-mgmt failed a batch: $(grep -m 3 'event=store_failed\|reason=store' mgmt.log)"
pass "no honest session closed, no batch failed"

check_store $LINES "${names[@]}" >check.log ||
    fail "store: $(tail -n 5 check.log)"
pass "every honest line stored exactly once: $(tail -n 1 check.log)"
kill -0 "$PID_gatewayd" && kill -0 "$PID_mgmt" || fail "a process died"
