#!/usr/bin/env bash
# Memory stays bounded and nobody starves: a gateway whose replay memory
# (buffer_budget, 64 KiB) is far below what its agents could keep in
# flight (20 agents x 32 frames x 2 KiB) withholds credit instead of
# buffering, and still delivers every line of every agent exactly once.
# Then the budget is a hard bound: gw-mgmt stops while 8 agents send 33
# DATA of 16 KiB each (4 MiB in all, 40 a second); every frame of credit
# reserves max_payload of the budget, so the DATA held plus the credit
# reserved never exceed 64 KiB (before, each agent's first credit was its
# whole window: 32 x 16 KiB); once gw-mgmt is back, all of it is delivered.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen

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

# The hard bound: gw-mgmt stopped once 8 agents are open.
start loadgen "$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --agents 8 --mode send --events 33 --size 16376 \
    --rate 40 --timeout 120
wait_log loadgen.log all_open 30
kill -STOP "$PID_mgmt"
limit=$(metric gatewayd_replay_budget_bytes)
peak=0
for ((i = 0; i < 20; i++)); do
	sleep 0.2
	http GET /metrics | tr -d '\r' >scrape.txt
	replay=$(awk '$1 == "gatewayd_replay_bytes" { print $2 }' scrape.txt)
	reserved=$(awk '$1 == "gatewayd_replay_reserved_bytes" { print $2 }' scrape.txt)
	[ $((replay + ${reserved:-0})) -le "$limit" ] ||
	    fail "gw-mgmt stopped: replay $replay + reserved ${reserved:-0} bytes > buffer_budget $limit"
	[ "$replay" -gt "$peak" ] && peak=$replay
done
[ "$peak" -ge 16376 ] || fail "no DATA held while gw-mgmt was stopped"
kill -CONT "$PID_mgmt"
wait "$PID_loadgen" || fail "loadgen: $(tail -n 2 loadgen.log)"
grep -q "events=264 acked=264" loadgen.log || fail "loadgen: $(tail -n 1 loadgen.log)"
pass "gw-mgmt stopped: replay (peak $peak) + reserved bytes <= $limit at 20 scrapes; all 264 DATA acknowledged once it was back"
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero"
withheld=$(sed -n 's/.*event=limit_totals .*buffer_budget=\([0-9]*\).*/\1/p' gatewayd.log)
[ "${withheld:-0}" -gt 0 ] || fail "the budget was never reached: the test proves nothing"
pass "$AGENTS agents x $LINES lines of 2 KB through a 64 KiB replay budget, each exactly once (credit withheld $withheld times)"
