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
write_configs
start_mgmt
start_gateway

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
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero"
withheld=$(sed -n 's/.*event=limit_totals .*buffer_budget=\([0-9]*\).*/\1/p' gatewayd.log)
[ "${withheld:-0}" -gt 0 ] || fail "the budget was never reached: the test proves nothing"
pass "$AGENTS agents x $LINES lines of 2 KB through a 64 KiB replay budget, each exactly once (credit withheld $withheld times)"
