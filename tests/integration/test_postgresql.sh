#!/usr/bin/env bash
# The PostgreSQL store, on a throwaway cluster: the store and commit unit
# tests run on it; then two gw-mgmt servers share it behind one gatewayd
# (A, B in priority order) while 20 agents stream.  A is killed with kill -9
# mid-run: the gateway fails over to B without closing any agent session,
# resends what A had not acknowledged, and the shared store holds every
# line exactly once.  Then A comes back and the gateway fails back to it.
# Last, gw-mgmt command and agents on the shared store.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=20
LINES=1500
cd "$T"
start_pg
for t in test_store test_store_cmd test_store_migrate test_store_retain \
    test_store_agents; do
	GW_PG_CONNINFO=$PG_CONNINFO "$BUILD/tests/$t" >"$t.log" 2>&1 ||
	    fail "$t on PostgreSQL: $(tail -n 5 "$t.log")"
	grep -q 'SKIPPED' "$t.log" && fail "$t skipped PostgreSQL"
done
pass "store unit tests pass on PostgreSQL"
GW_PG_CONNINFO=$PG_CONNINFO "$BUILD/tests/test_commit" >commit-tests.log 2>&1 ||
    fail "commit unit tests on PostgreSQL: $(tail -n 5 commit-tests.log)"
grep -q 'SKIPPED' commit-tests.log && fail "commit tests skipped PostgreSQL"
pass "commit unit tests pass on PostgreSQL (a refused row closes its channel alone)"
GW_PG_CONNINFO=$PG_CONNINFO "$BUILD/tests/test_store_lock" >lock-tests.log 2>&1 ||
    fail "two servers marking agents at once: $(tail -n 5 lock-tests.log)"
grep -q 'SKIPPED' lock-tests.log && fail "store lock test skipped PostgreSQL"
pass "two servers mark the same agents at once on PostgreSQL: no deadlock"
psql -X -q "$PG_CONNINFO" -c 'DROP TABLE messages'	# their rows

make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $AGENTS \
    --out-dir agents >/dev/null
A_PORT=$(free_port); B_PORT=$(free_port)
mgmt_ini mgmt-a "$A_PORT" "type = postgresql
conninfo = $PG_CONNINFO"
mgmt_ini mgmt-b "$B_PORT" "type = postgresql
conninfo = $PG_CONNINFO"
start mgmt_a "$GW_MGMT" -c mgmt-a.ini; wait_port "$A_PORT"
start mgmt_b "$GW_MGMT" -c mgmt-b.ini; wait_port "$B_PORT"
GW_PORT=$(free_port); METRICS_PORT=$(free_port)
cat >gateway.ini <<EOT
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
[upstream]
server = 127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT
ca = pki/ca.crt
failback_hold = 1s
# kill -9 closes the link: the failover counted below is that one, not a
# heartbeat missed by a server starved of CPU (the sanitizer build on a
# loaded machine missed three of 500 ms and moved twice more).
heartbeat = 2s
[metrics]
listen = 127.0.0.1:$METRICS_PORT
EOT
start gatewayd "$GATEWAYD" -c gateway.ini
wait_port "$GW_PORT"
wait_log gatewayd.log "event=upstream_up" 10

names=()
pids=()
mkdir -p lines
for f in agents/agent-*.crt; do
	n=$(basename "$f" .crt); names+=("$n")
	# A steady stream: about 1,000 lines per second per agent.
	(seq 1 $LINES | sed "s/^/$n event /" | while read -r l; do
		echo "$l"; [ $((${l##* } % 50)) -ne 0 ] || sleep 0.05
	done) | $(agent_cmd "$n" --timeout 120) >"agent-$n.log" 2>&1 &
	pids+=($!)
done
count() { psql -X -A -t "$PG_CONNINFO" -c "SELECT count(*) FROM messages"; }
for ((i = 0; i < 100; i++)); do
	[ "$(count)" -gt $((AGENTS * LINES / 4)) ] && break
	sleep 0.1
done
before=$(count)
kill -9 "$PID_mgmt_a"
echo "killed server A at $before rows"
wait_log gatewayd.log "event=failover from=127.0.0.1:$A_PORT to=127.0.0.1:$B_PORT" 5
sleep 1
start mgmt_a "$GW_MGMT" -c mgmt-a.ini
wait_log gatewayd.log "event=failback from=127.0.0.1:$B_PORT to=127.0.0.1:$A_PORT" 15
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc agents did not get every line acknowledged"
grep -q "event=disconnected" agent-*.log && fail "an agent saw its session end"
pass "failover and fail-back: no agent session ended"
[ "$(metric 'gatewayd_server_moves_total{kind="failover"}')" = 1 ] &&
    [ "$(metric 'gatewayd_server_moves_total{kind="failback"}')" = 1 ] ||
    fail "metrics do not count one failover and one fail-back"
"$GATEWAYD" status -c gateway.ini >status.out 2>&1 || fail "gatewayd status: $(cat status.out)"
grep -q "^failovers: 1, fail-backs: 1; the last [0-9]* s ago$" status.out ||
    fail "gatewayd status does not show them: $(cat status.out)"
pass "metrics and gatewayd status: $(grep ^failovers status.out)"

# Through the server that stored the least: it exports the shared store.
export_store() { "$GW_MGMT" export -c mgmt-a.ini; }
check_store $LINES "${names[@]}" || fail "shared store not exactly-once"
pass "shared PostgreSQL store: $((AGENTS * LINES)) lines, each exactly once"

# The command line on the shared store: a command's targets come from the
# agents table, whichever server wrote it; the other server reads it back.
psql -X -q "$PG_CONNINFO" -c "INSERT INTO agents VALUES ('CN=cli CA',
    'cli-agent', 'CN=cli-agent', '', '01', 'ab', 'gw', '127.0.0.1:1', 1, 1,
    1, 0)" || fail "psql: agents"
"$GW_MGMT" command send -c mgmt-b.ini --match 'cli-*' --body hi >id.txt \
    2>err.txt || fail "command send on PostgreSQL: $(cat err.txt)"
"$GW_MGMT" command show -c mgmt-a.ini "$(cat id.txt)" --json >show.txt \
    2>err.txt || fail "command show on PostgreSQL: $(cat err.txt)"
grep -q '"agent":"cli-agent","issuer":"CN=cli CA","state":"queued"' \
    show.txt || fail "command show: $(cat show.txt)"
"$GW_MGMT" command send -c mgmt-a.ini --agent nobody --body x \
    >/dev/null 2>err.txt && fail "a command for no agent"
grep -q 'no known agent is named nobody' err.txt || fail "$(cat err.txt)"
"$GW_MGMT" agents -c mgmt-a.ini --json >agents.txt 2>err.txt ||
    fail "agents on PostgreSQL: $(cat err.txt)"
grep -q '"name":"cli-agent",.*"state":"offline"' agents.txt ||
    fail "agents: $(cat agents.txt)"
pass "gw-mgmt command send|show and agents on the shared PostgreSQL store"
