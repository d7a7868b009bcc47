#!/usr/bin/env bash
# SIGHUP while agents stream, with two gw-mgmt servers A and B (each its
# own SQLite store):
#  1. a broken file: gatewayd says which file, line and key, and keeps
#     running on the old configuration;
#  2. the server list goes from A to B, and listen changes too: B joins,
#     A (the active one) is drained, the agents' sessions never end, and
#     the two stores together hold every line exactly once; the listen
#     change is named as needing a restart and the old address stays;
#  3. limits and the log level change live: max_agents = 1 refuses a
#     second agent, log_level = debug shows debug lines.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=6
LINES=1200
cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $AGENTS \
    --out-dir agents >/dev/null
A_PORT=$(free_port); B_PORT=$(free_port); GW_PORT=$(free_port)
METRICS_PORT=$(free_port)
mgmt_ini mgmt-a "$A_PORT" "database = a.db"
mgmt_ini mgmt-b "$B_PORT" "database = b.db"
start mgmt_a "$GW_MGMT" -c mgmt-a.ini; wait_port "$A_PORT"
start mgmt_b "$GW_MGMT" -c mgmt-b.ini; wait_port "$B_PORT"

# gateway_ini SERVERS LISTEN_PORT [GATEWAY LINES]
gateway_ini() {
	cat >gateway.ini <<EOT
[gateway]
listen = 127.0.0.1:$2
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
agent_names = agent-*
${3:-}
[upstream]
server = $1
ca = pki/ca.crt
backoff_min = 50ms
backoff_max = 1s
[metrics]
listen = 127.0.0.1:$METRICS_PORT
EOT
}
gateway_ini "127.0.0.1:$A_PORT" "$GW_PORT"
start gatewayd "$GATEWAYD" -c gateway.ini
wait_port "$GW_PORT"
wait_log gatewayd.log "event=upstream_up .*server=127.0.0.1:$A_PORT" 10

seq 1 $LINES | sed 's/^/line /' >lines.txt
names=(); pids=()
for f in agents/agent-*.crt; do
	n=$(basename "$f" .crt); names+=("$n")
	$(agent_cmd "$n" --file lines.txt --rate 300 --timeout 60) \
	    >"agent-$n.log" 2>&1 &
	pids+=($!)
done
sleep 1

# 1. A broken file changes nothing, and says where.
cp gateway.ini gateway.ini.good
sed -i 's/^agent_names = .*/&\nmax_agents = lots/' gateway.ini
line=$(grep -n '^max_agents = lots' gateway.ini | cut -d: -f1)
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reload_failed" 5
grep "event=reload_failed" gatewayd.log |
    grep -q "gateway.ini:$line: \[gateway\] max_agents: " ||
    fail "reload_failed does not name file, line and key: $(grep event=reload_failed gatewayd.log)"
grep -q "running configuration stays" gatewayd.log || fail "reload_failed does not say the old configuration stays"
[ "$(metric 'gatewayd_server_active{server="127.0.0.1:'$A_PORT'"}')" = 1 ] ||
    fail "server A is no longer active after a failed reload"
"$GATEWAYD" status -c gateway.ini >status.out 2>status.err ||
    fail "gatewayd status with the broken file: $(cat status.err)"
grep -q "has 1 error .*asking \[metrics\] listen = 127.0.0.1:$METRICS_PORT anyway" status.err ||
    fail "gatewayd status does not say the file is broken: $(cat status.err)"
grep -q "^gatewayd at 127.0.0.1:$METRICS_PORT: healthy" status.out ||
    fail "gatewayd status: $(head -n 1 status.out)"
pass "broken file refused: $(grep -m1 event=reload_failed gatewayd.log | sed 's/.*event=/event=/' | cut -c1-120)"

# gw-mgmt reads its file again on SIGHUP (test_mgmt_reload has the rest).
kill -HUP "$PID_mgmt_b"
wait_log mgmt_b.log "event=reloaded" 5
kill -0 "$PID_mgmt_b" || fail "gw-mgmt died of SIGHUP"

# 2. Server A out, B in, listen changed (needs a restart).
NEW_PORT=$(free_port)
gateway_ini "127.0.0.1:$B_PORT" "$NEW_PORT"
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reloaded" 5
for want in "event=reload_partial restart_needed=\"\[gateway\] listen\"" \
    "event=server_added server=127.0.0.1:$B_PORT rank=1" \
    "event=server_removed server=127.0.0.1:$A_PORT active=yes" \
    "event=upstream_draining .*server=127.0.0.1:$A_PORT .*server removed" \
    "event=upstream_up .*server=127.0.0.1:$B_PORT"; do
	wait_log gatewayd.log "$want" 5
done
pass "A drained, B joined: $(grep -m1 event=server_removed gatewayd.log | sed 's/.*event=/event=/')"
(exec 3<>"/dev/tcp/127.0.0.1/$NEW_PORT") 2>/dev/null &&
    fail "gatewayd listens on the new address without a restart"
(exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null ||
    fail "gatewayd no longer listens on its running address"
[ "$(metric 'gatewayd_server_active{server="127.0.0.1:'$B_PORT'"}')" = 1 ] ||
    fail "metrics do not show B active"
[ -z "$(metric 'gatewayd_server_up{server="127.0.0.1:'$A_PORT'",priority="0"}')" ] ||
    fail "metrics still list server A"
pass "listen kept until a restart; metrics list B only"

rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc agents did not get every line acknowledged"
grep -q "event=disconnected" agent-*.log && fail "an agent saw its session end"
a=$("$GW_MGMT" export --db a.db | wc -l); b=$("$GW_MGMT" export --db b.db | wc -l)
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] || fail "both servers should hold lines: A $a, B $b"
export_store() { "$GW_MGMT" export --db a.db; "$GW_MGMT" export --db b.db; }
check_store $LINES "${names[@]}" || fail "A and B together are not exactly-once"
pass "no session ended; A $a + B $b lines, each exactly once"

# 3. Limits and log level, live.
gateway_ini "127.0.0.1:$B_PORT" "$GW_PORT" "max_agents = 1
log_level = debug"
kill -HUP "$PID_gatewayd"
for ((i = 0; i < 50; i++)); do	# the second reload's line
	[ "$(grep -c "event=reloaded closed=0 servers=1" gatewayd.log)" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "event=reloaded closed=0 servers=1" gatewayd.log)" = 2 ] ||
    fail "want two reloads logged"
mkfifo hold.fifo	# agent 1 stays connected until fd 4 closes
$(agent_cmd "${names[0]}" --timeout 30) <hold.fifo >hold.log 2>&1 &
hold=$!
exec 4>hold.fifo
for ((i = 0; i < 100; i++)); do
	[ "$(metric 'gatewayd_agents{state="authenticated"}')" = 1 ] && break
	sleep 0.1
done
[ "$(metric 'gatewayd_agents{state="authenticated"}')" = 1 ] ||
    fail "${names[0]} did not connect"
[ "$(metric gatewayd_agents_max)" = 1 ] || fail "gatewayd_agents_max is not 1"
rc=0; $(agent_cmd "${names[1]}" --file lines.txt --timeout 3) >second.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a second agent got in with max_agents = 1"
wait_log gatewayd.log "event=limit_hit listener=agents limit=connections .*max=1" 5
grep -q "level=debug" gatewayd.log || fail "no debug line after log_level = debug"
exec 4>&-
wait "$hold" || fail "${names[0]} failed: $(tail -n 1 hold.log)"
pass "max_agents = 1 and log_level = debug applied without a restart"
