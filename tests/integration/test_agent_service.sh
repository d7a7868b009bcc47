#!/usr/bin/env bash
# gw-agent as a service, as systemd runs it: the ExecStart= line of
# conf/gw-agent.service (its paths replaced by the build's binary and a
# test agent.ini), with NOTIFY_SOCKET (received by gw-dgram-sink):
#  1. --check-config (the unit's ExecStartPre) on a broken file names the
#     file, the line and the key, exit 2; on the good file exit 0;
#  2. READY=1 with a STATUS line once started, event=started logged;
#  3. SIGHUP with a good file: RELOADING=1 then READY=1, the new log level
#     applied (debug: event=reloaded says it; then warn: info lines stop);
#     a key that needs a restart is named;
#  4. SIGHUP with a broken file: event=reload_failed naming file:line and
#     the key; the agent runs on;
#  5. SIGTERM: STOPPING=1, exit 0, nothing lost: LINES lines the
#     command-line mode left in the journal (its gateway unreachable) are
#     sent by the service from the same journal, and FILE_LINES lines
#     written to a followed file ([file lines]) after READY go as log
#     events (PROTOCOL.md 12.2), each stored once;
#  6. SIGTERM right after READY: the drain waits for the
#     acknowledgements, each line stored once.
source "$(dirname "$0")/lib.sh" "$@"
SINK=$BUILD/tests/gw-dgram-sink
UNIT=$SRC/conf/gw-agent.service

cd "$T"
make_pki pki
mkdir -p agents etc/pki state
"$GW_CERT" issue --ca pki --role agent --name agent-svc \
    --out etc/pki/agent >/dev/null
cp pki/ca.crt etc/pki/ca.crt
write_configs
start_mgmt
start_gateway

# The unit's ExecStart and ExecStartPre, for this build and this file.
unit_line() {
	sed -n "s|^$1=||p" "$UNIT" |
	    sed -e "s|/usr/local/bin/gw-agent|$GW_AGENT|" \
	    -e "s|/etc/gw-agent/agent.ini|$T/etc/agent.ini|"
}
EXEC=$(unit_line ExecStart)
PRE=$(unit_line ExecStartPre)
[ "$EXEC" = "$GW_AGENT -c $T/etc/agent.ini" ] || fail "ExecStart: $EXEC"
[ "$PRE" = "$GW_AGENT --check-config $T/etc/agent.ini" ] ||
    fail "ExecStartPre: $PRE"
grep -qx 'Type=notify' "$UNIT" || fail "the unit is not Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNIT" || fail "no ExecReload"

# agent_ini [EXTRA]: etc/agent.ini, paths relative to its directory.
agent_ini() {
	cat >etc/agent.ini <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = pki/agent.crt
key = pki/agent.key
ca = pki/ca.crt
state = ../state/journal
heartbeat = 1s
drain_timeout = 5s
${1:-}
EOT
}

# 1. --check-config.
agent_ini "queue = 0"
rc=0; $PRE 2>check.log || rc=$?
[ $rc = 2 ] || fail "--check-config of a broken file exited $rc"
grep -q "^$T/etc/agent.ini:9: \[agent\] queue: " check.log ||
    fail "--check-config does not name file:line: [agent] queue: $(cat check.log)"
agent_ini
$PRE 2>check.log || fail "--check-config of the good file: $(cat check.log)"
[ ! -s check.log ] || fail "--check-config of a good file said: $(cat check.log)"
pass "--check-config: exit 2 naming file:line:key, 0 when good"

# What the service must send: lines the command line journaled but could
# not deliver (no gateway there).
LINES=3000
seq 1 $LINES | sed 's/^/journaled line /' >lines.txt
rc=0
"$GW_AGENT" --gateway 127.0.0.1:"$(free_port)" --cert etc/pki/agent.crt \
    --key etc/pki/agent.key --ca etc/pki/ca.crt --state state/journal \
    --file lines.txt --timeout 2 2>pre.log || rc=$?
[ $rc = 1 ] || fail "the command line with no gateway exited $rc"

# 2. Started from the unit's line, under "systemd", following a file.
FILE_LINES=500
: >in.log
agent_ini "$(printf '[file lines]\npath = %s\nread_from = beginning\n' "$T/in.log")"
start notify "$SINK" "$T/notify.sock"
for ((i = 0; i < 50; i++)); do [ -S notify.sock ] && break; sleep 0.1; done
NOTIFY_SOCKET=$T/notify.sock start agent $EXEC
wait_log notify.log "^READY=1" 10
grep -q "^READY=1|STATUS=1 inputs running; $LINES events queued$" notify.log ||
    fail "no READY=1 with a STATUS line: $(cat notify.log)"
wait_log agent.log "event=started name=agent-svc file=$T/etc/agent.ini inputs=1 kinds=[0-9]* queued=$LINES" 5
wait_log gatewayd.log "event=agent_authenticated agent=agent-svc" 10
for ((i = 1; i <= FILE_LINES; i++)); do echo "file line $i"; done >>in.log
pass "ready: $(head -n 1 notify.log)"

# 3. Reload with good files.
FILE_INI=$(printf '[file lines]\npath = %s\nread_from = beginning\n' "$T/in.log")
agent_ini "log_level = debug
$FILE_INI"
kill -HUP "$PID_agent"
wait_log agent.log "event=reloaded file=$T/etc/agent.ini inputs=1 log_level=debug" 5
agent_ini "log_level = warn
queue = 77
$FILE_INI"
kill -HUP "$PID_agent"
wait_log agent.log 'event=reload_restart_needed keys="\[agent\] queue"' 5
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c '^READY=1' notify.log)" = 3 ] && break; sleep 0.1
done
[ "$(grep -c '^READY=1' notify.log)" = 3 ] ||
    fail "want READY=1 after each reload: $(cat notify.log)"
[ "$(grep -c 'event=reloaded' agent.log)" = 1 ] ||
    fail "log_level = warn did not apply: $(grep event=reloaded agent.log)"
pass "reloads: debug then warn applied, queue named as needing a restart"

# 4. Reload with a broken file: refused, the agent runs on.
agent_ini "log_level = info
queue_bytes = lots
$FILE_INI"
kill -HUP "$PID_agent"
wait_log agent.log "event=reload_failed error=\"$T/etc/agent.ini:10: \[agent\] queue_bytes: " 5
grep -q "event=reload_failed errors=1" agent.log || fail "no error count"
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c '^READY=1' notify.log)" = 4 ] && break; sleep 0.1
done
[ "$(grep -c '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' notify.log)" = 3 ] ||
    fail "want three RELOADING=1: $(cat notify.log)"
kill -0 "$PID_agent" || fail "the agent died on a broken reload"
pass "broken reload: $(grep -m1 'error=' agent.log | sed 's/.*event=/event=/' | cut -c1-100)"

# 5. SIGTERM: STOPPING=1, exit 0; every journaled line stored once.
# (The file's lines read first: an input stopped reads no more.)
for ((i = 0; i < 100; i++)); do
	[ "$(export_store | grep -c '\\"kind\\":\\"log\\"')" = $FILE_LINES ] && break
	sleep 0.1
done
stop agent TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM: $(tail -n 3 agent.log)"
grep -q "^STOPPING=1" notify.log || fail "no STOPPING=1: $(cat notify.log)"
[ -s state/journal ] || fail "no journal in state/"
check_store $((LINES + FILE_LINES)) agent-svc ||
    fail "the store does not hold each line once"
cat >events.py <<'EOT'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
seen = {}
for row in map(json.loads, sys.stdin):
    p = row.get("payload", "")
    if not p.startswith("{"):
        continue
    ev = json.loads(p)
    assert ev["v"] == 1 and ev["kind"] == "log" and ev["source"] == path, ev
    assert ev["ts"].endswith("Z"), ev
    seen[ev["line"]] = seen.get(ev["line"], 0) + 1
want = {"file line %d" % i for i in range(1, n + 1)}
bad = [l for l in want if seen.get(l) != 1] + [l for l in seen if l not in want]
print("file events: %d, wrong: %s" % (len(seen), bad[:5]))
sys.exit(1 if bad else 0)
EOT
python3 events.py "$FILE_LINES" "$T/in.log" <"$T/export.jsonl" ||
    fail "the followed file's lines are not each stored once as log events"
pass "stop: $(grep STOPPING notify.log), exit 0; $LINES journaled lines and $FILE_LINES file lines stored once"

# 6. SIGTERM right after READY: the drain waits for the acknowledgements.
seq 1 $LINES | sed 's/^/second batch /' >lines2.txt
rm -f state/journal
"$GW_CERT" issue --ca pki --role agent --name agent-svc2 \
    --out etc/pki/agent >/dev/null
rc=0
"$GW_AGENT" --gateway 127.0.0.1:"$(free_port)" --cert etc/pki/agent.crt \
    --key etc/pki/agent.key --ca etc/pki/ca.crt --state state/journal \
    --file lines2.txt --timeout 1 2>pre.log || rc=$?
[ $rc = 1 ] || fail "the command line with no gateway exited $rc"
agent_ini
: >notify.log
NOTIFY_SOCKET=$T/notify.sock start agent2 $EXEC
wait_log notify.log "^READY=1" 10
stop agent2 TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM: $(tail -n 3 agent2.log)"
grep -q "^STOPPING=1|STATUS=draining [0-9]* events" notify.log ||
    fail "no STOPPING=1 with what is left: $(cat notify.log)"
grep -q "event=stopped left=0" agent2.log ||
    fail "the drain did not empty the queue: $(grep -E 'event=(stopping|stopped|drain)' agent2.log)"
export_store | grep '"agent":"agent-svc2"' >svc2.jsonl
[ "$(grep -o '"seq":[0-9]*' svc2.jsonl | sort -u | wc -l)" = $LINES ] &&
    [ "$(wc -l <svc2.jsonl)" = $LINES ] &&
    [ "$(grep -c '"payload":"second batch ' svc2.jsonl)" = $LINES ] ||
    fail "the store does not hold each line once: $(wc -l <svc2.jsonl) records"
pass "drain: $(grep -o 'event=stopping.*' agent2.log), then left=0; each line stored once"
