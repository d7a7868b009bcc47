#!/usr/bin/env bash
# scratch: link flapping during delivery (not a ctest: name is not test_*)
source "$(dirname "$0")/lib.sh" "$@"
AGENTS=${AGENTS:-50}
LINES=${LINES:-2000}
cd "$T"
make_pki "$T/pki"
mkdir -p agents lines
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $AGENTS --out-dir agents >/dev/null
names=()
for f in agents/agent-*.crt; do names+=("$(basename "$f" .crt)"); done
write_configs
start_mgmt
start_gateway
pids=()
for n in "${names[@]}"; do
	seq 1 $LINES | sed "s/^/$n event /" >"lines/$n.txt"
	$(agent_cmd "$n" --file "lines/$n.txt" --timeout 200) >>"$T/agent-$n.log" 2>&1 &
	pids+=($!)
done
# flap: stop gw-mgmt long enough to miss heartbeats, several times; kill once
for k in 1 2 3 4 5 6; do
	sleep 1.5
	kill -STOP "$PID_mgmt"; sleep 2.2; kill -CONT "$PID_mgmt"
done
sleep 1
kill -9 "$PID_mgmt"; wait "$PID_mgmt" 2>/dev/null || true
sleep 0.5
start_mgmt
for k in 1 2 3; do
	sleep 1.5
	kill -STOP "$PID_mgmt"; sleep 2.2; kill -CONT "$PID_mgmt"
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc agents did not get every line acknowledged"
check_store $LINES "${names[@]}" || fail "store"
pass "all stored once"
