#!/usr/bin/env bash
# buffer_budget is a hard bound on memory (SECURITY.md, Limits): with the
# management server stopped (SIGSTOP), 2,000 agents (gw-loadgen, each its
# own certificate) each try to fill their window (agent_window 32, the
# default) with DATA of max_payload (16 KiB, the default), 1 GiB in all.
# gatewayd may keep only what buffer_budget (32 MiB here) backs: its
# replay bytes plus the bytes reserved for credit stay within the budget at
# every scrape, and its peak RSS (VmHWM) within
#	BASE + sessions x PER_SESSION + buffer_budget
# with the figures SECURITY.md states.  Then the management server comes
# back and the stalled agents' DATA flows again.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
N=2000
BUDGET_MIB=32
BASE_KIB=$((16 * 1024))		# the process with no session
# max_payload (its input buffer) + agent_output_buffer + 20 KiB (its TLS
# context, state and ring), the defaults.
PER_SESSION_KIB=$((16 + 4 + 20))

# The bound is the shipped allocator's: under the sanitizers (their own
# allocator, redzones, quarantine) test_budget checks the budget alone.
if grep -qa __asan_init "$GATEWAYD"; then
	echo "skip: a sanitizer build"
	exit 77
fi
# One descriptor per agent in gatewayd and in gw-loadgen.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((N + 200)) ]; then
	echo "skip: ulimit -n $(ulimit -n) is below $((N + 200))"
	exit 77
fi

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $N \
    --out-dir agents >/dev/null
# A long heartbeat (here and in gw-loadgen): a generator starved of CPU
# must not take the gateway for hung and reconnect its agents (no new
# session can open while gw-mgmt is stopped).
GW_EXTRA="buffer_budget = ${BUDGET_MIB}M
heartbeat = 60s
handshake_rate = 0
handshake_rate_per_source = 0"
METRICS_PORT=$(free_port)
# upstream_grace 0: a gateway whose server is stopped this long would be
# cut off and send its agents away; here it must hold them, stalled.
GW_TAIL="upstream_grace = 0
[metrics]
listen = 127.0.0.1:$METRICS_PORT"
write_configs
start_mgmt
start_gateway
wait_port "$METRICS_PORT"

# Once all 2,000 are open, each agent is handed 32 DATA of 16,376 bytes
# (16 KiB with its sequence number), 10,000 a second in all, in turn (not
# 1 GiB at once: gw-loadgen's loop would stall and its agents take the
# gateway for hung), and sends them as fast as its credit allows.
rss() { awk "/^$1:/ { print \$2 }" "/proc/$PID_gatewayd/status"; }
rss0=$(rss VmRSS)
start loadgen "$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --agents $N --mode send --events 32 --size 16376 \
    --rate 10000 --connect-rate 1000 --heartbeat 60 --timeout 300
wait_log loadgen.log all_open 120
kill -STOP "$PID_mgmt"
rss1=$(rss VmRSS)
pass "$(grep all_open loadgen.log); gw-mgmt stopped; RSS $rss0 KiB, $rss1 KiB with $N sessions"

# Scrape until replay memory has grown to half the budget at least and
# then not moved for 5 s, or (no bound) grown past four budgets, for 60 s
# at most; replay and reserved bytes together must stay within the budget
# at every scrape.
budget=$(metric gatewayd_replay_budget_bytes)
[ "$budget" = $((BUDGET_MIB << 20)) ] || fail "budget gauge $budget"
peak=0 last=-1 still=0 over=
for ((i = 0; i < 120 && (peak < budget / 2 || still < 10) &&
    peak <= 4 * budget; i++)); do
	sleep 0.5
	http GET /metrics | tr -d '\r' >scrape.txt
	replay=$(awk '$1 == "gatewayd_replay_bytes" { print $2 }' scrape.txt)
	reserved=$(awk '$1 == "gatewayd_replay_reserved_bytes" { print $2 }' scrape.txt)
	used=$((replay + ${reserved:-0}))
	[ "$used" -le "$budget" ] || over=${over:-"replay $replay + reserved ${reserved:-0} bytes > buffer_budget $budget"}
	[ "$replay" -gt "$peak" ] && peak=$replay
	if [ "$replay" = "$last" ]; then still=$((still + 1)); else still=0; fi
	last=$replay
done
hwm=$(rss VmHWM)
sessions=$(awk '$1 == "gatewayd_agents{state=\"authenticated\"}" { print $2 }' scrape.txt)
[ "$sessions" = $N ] || fail "$sessions sessions, not $N"
bound=$((BASE_KIB + sessions * PER_SESSION_KIB + BUDGET_MIB * 1024))
[ "$hwm" -le "$bound" ] ||
    fail "gatewayd's peak RSS $hwm KiB is above the bound $bound KiB (replay peak $peak bytes)"
[ -z "$over" ] || fail "$over"
waiting=$(awk '$1 == "gatewayd_agents_waiting_for_memory" { print $2 }' scrape.txt)
# Proof that the agents pushed: the budget is (nearly) all used, and most
# agents wait for memory.
[ "$peak" -ge $((budget / 2)) ] || fail "replay memory reached only $peak bytes"
[ "$waiting" -ge $((N / 4)) ] || fail "only $waiting agents wait for memory"
pass "replay $replay + reserved ${reserved:-0} bytes <= buffer_budget $budget at every scrape; $waiting agents wait for memory"
pass "gatewayd peak RSS $hwm KiB <= bound $bound KiB ($((BASE_KIB / 1024)) MiB + $sessions x $PER_SESSION_KIB KiB + $BUDGET_MIB MiB)"

# The management server comes back: the links reopen, the rings are
# resent and ACKed, and the memory goes to the agents that waited: DATA
# flows again, three budgets' worth (the resent rings are one at most).
up0=$(awk '$1 == "gatewayd_payload_bytes_total{direction=\"up\"}" { print $2 }' scrape.txt)
kill -CONT "$PID_mgmt"
want=$((up0 + 3 * budget))
for ((i = 0; i < 600; i++)); do
	up=$(metric 'gatewayd_payload_bytes_total{direction="up"}')
	[ "$up" -ge "$want" ] && break
	sleep 0.1
done
[ "$up" -ge "$want" ] || fail "only $((up - up0)) bytes relayed after gw-mgmt came back"
stop loadgen
pass "gw-mgmt back: $((up - up0)) bytes relayed since"
