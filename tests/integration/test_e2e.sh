#!/usr/bin/env bash
# End to end over real processes and real mutual TLS on 127.0.0.1:
# gw-mgmt <- gatewayd (K=2 upstream links) <- 50 gw-agents x 1,000 lines.
# Then the same again while gw-mgmt is killed with SIGKILL and restarted
# mid-run: agents resend what was not acknowledged and the store still
# holds every line exactly once.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=50
LINES=1000
cd "$T"
make_pki "$T/pki"
mkdir -p agents lines
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- \
    --count $AGENTS --out-dir agents >/dev/null
names=()
for f in agents/agent-*.crt; do names+=("$(basename "$f" .crt)"); done
[ ${#names[@]} -eq $AGENTS ] || fail "issue-many made ${#names[@]} agents"

write_configs
start_mgmt
start_gateway

# run_agents FIRST LAST [HELD]: every agent sends lines FIRST..LAST; wait
# for all.  With HELD, lines from HELD on reach the agents (a pipe) only
# once the gate opens (a lock this shell holds: waiting on it costs no
# CPU, where fifty loops polling a file once took the daemons' share of a
# loaded machine), so they cannot finish before it does.
run_agents() {
	local first=$1 last=$2 held=${3:-} pids=() n rc=0
	for n in "${names[@]}"; do
		if [ -z "$held" ]; then
			seq "$first" "$last" | sed "s/^/$n event /" >"lines/$n.txt"
			$(agent_cmd "$n" --file "lines/$n.txt" --timeout 300) \
			    >>"$T/agent-$n.log" 2>&1 &
		else
			{
				seq "$first" $((held - 1))
				flock -s gate true
				seq "$held" "$last"
			} | sed -u "s/^/$n event /" |
			    $(agent_cmd "$n" --timeout 300) \
			    >>"$T/agent-$n.log" 2>&1 &
		fi
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
	return $rc
}

# Phase 1: plain delivery.
run_agents 1 $LINES || fail "$? agents did not get every line acknowledged"
check_store $LINES "${names[@]}" || fail "store after phase 1"
pass "phase 1: $((AGENTS * LINES)) lines stored exactly once"

# Phase 2: kill -9 gw-mgmt mid-run, restart it on the same store.  The
# last tenth of each agent's lines is held back until after the kill.
# The rows are counted (not exported: an export of 60,000 rows every
# 50 ms under the sanitizers was most of the machine).
stored() {
	python3 -B -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
print(db.execute("SELECT count(*) FROM messages").fetchone()[0])' store.db
}
exec {gate}>gate
flock -x "$gate"
run_agents $((LINES + 1)) $((2 * LINES)) $((LINES + LINES * 9 / 10 + 1)) &
runner=$!
for ((i = 0; i < 1200; i++)); do
	rows=$(stored)
	[ "$rows" -gt $((AGENTS * LINES + AGENTS * LINES / 5)) ] && break
	sleep 0.1
done
kill -0 "$runner" 2>/dev/null || fail "the agents finished before the kill"
kill -9 "$PID_mgmt"
wait "$PID_mgmt" 2>/dev/null || true
rows=$(stored)
[ "$rows" -lt $((2 * AGENTS * LINES)) ] || fail "every line was stored before the kill"
echo "killed gw-mgmt with $rows rows stored"
sleep 0.5
start_mgmt
flock -u "$gate"	# the lock, not the fd: the agents inherited it
wait "$runner" || fail "phase 2: $? agents did not get every line acknowledged"
check_store $((2 * LINES)) "${names[@]}" || fail "store after kill -9"
pass "phase 2: gw-mgmt killed at $rows rows; all $((2 * AGENTS * LINES)) lines stored exactly once"
grep -q "event=upstream_down" gatewayd.log || fail "gateway never saw the upstream go down"

# Both upstream links carried traffic: gatewayd reports per link at exit.
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
for link in 0 1; do
	up=$(sed -n "s/.*event=upstream_stats link=$link frames_up=\([0-9]*\).*/\1/p" gatewayd.log | tail -n 1)
	[ "${up:-0}" -gt 1000 ] || fail "link $link carried ${up:-0} frames"
	pass "link $link carried $up frames up"
done
