#!/usr/bin/env bash
# Memory stays bounded and nobody starves: a gateway whose replay memory
# (buffer_budget, 64 KiB) is far below what its agents could keep in
# flight (20 agents x 32 frames x 2 KiB) withholds credit instead of
# buffering, and still delivers every line of every agent exactly once.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=20
LINES=300
cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $AGENTS \
    --out-dir agents >/dev/null
GW_EXTRA="buffer_budget = 64k
agent_window = 32"
METRICS_PORT=$(free_port)
GW_TAIL="[metrics]
listen = 127.0.0.1:$METRICS_PORT"
write_configs
start_mgmt
start_gateway
wait_port "$METRICS_PORT"

pad=$(head -c 2000 /dev/zero | tr '\0' x)
names=(); pids=()
for f in agents/agent-*.crt; do
	n=$(basename "$f" .crt); names+=("$n")
	seq 1 $LINES | sed "s/^/$n $pad /" >"$n.txt"
	$(agent_cmd "$n" --file "$n.txt" --timeout 120) >"agent-$n.log" 2>&1 &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc agents did not get every line acknowledged"
check_store $LINES "${names[@]}" || fail "store not exactly-once"
# The metrics saw the same stalls: the budget's as its limit hits, the
# windows' too (20 agents sending 32 frames at once), none waiting now.
budget=$(metric 'gatewayd_credit_stalls_total{cause="budget"}')
window=$(metric 'gatewayd_credit_stalls_total{cause="window"}')
[ "${budget:-0}" -gt 0 ] || fail "no budget stall counted"
[ "$budget" = "$(metric 'gatewayd_limit_hits_total{limit="buffer_budget"}')" ] ||
    fail "budget stalls $budget differ from the limit hits"
[ "${window:-0}" -gt 0 ] || fail "no window stall counted"
[ "$(metric gatewayd_agents_waiting_for_memory)" = 0 ] || fail "agents still wait for memory"
up=$(metric 'gatewayd_payload_bytes_total{direction="up"}')
[ "${up:-0}" -ge $((AGENTS * LINES * 2000)) ] || fail "payload up $up, want at least $((AGENTS * LINES * 2000))"
"$GATEWAYD" status -c "$T/gateway.ini" >status.out 2>&1 || fail "gatewayd status: $(cat status.out)"
grep -qF "credit stalls: $window window used up (ACKs lag), $budget replay memory full; 0 agents waiting" status.out ||
    fail "gatewayd status does not show the stalls: $(grep credit status.out)"
pass "metrics: credit stalls window=$window budget=$budget, payload up $up bytes"
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero"
withheld=$(sed -n 's/.*event=limit_totals .*buffer_budget=\([0-9]*\).*/\1/p' gatewayd.log)
[ "${withheld:-0}" -gt 0 ] || fail "the budget was never reached: the test proves nothing"
pass "$AGENTS agents x $LINES lines of 2 KB through a 64 KiB replay budget, each exactly once (credit withheld $withheld times)"
