#!/usr/bin/env bash
# gw-agent's journal cannot be written (a full disk: the file size limit,
# SIGXFSZ ignored, makes write() fail as ENOSPC would) while a [file]
# input reads a log and a TCP sender streams to the [syslog] input:
#  1. the agent logs event=state_write_failed and exits 1: no crash (the
#     inputs are stopped from the loop, after the failing call returned:
#     a sanitizer build reports any use after free, and lib.sh fails on
#     it), nothing acknowledged is lost;
#  2. restarted with room and a gateway, every line of the file is stored
#     exactly once: the batch whose journal write failed had no commit
#     record, so it is read again and not replayed as well; no syslog
#     message is stored twice (those in flight at the failure may be lost:
#     TCP syslog has no acknowledgement).
source "$(dirname "$0")/lib.sh" "$@"
cd "$T"
make_pki pki
mkdir -p etc state logs
cp pki/ca.crt etc/ca.crt
"$GW_CERT" issue --ca pki --role agent --name agent-full --out etc/agent >/dev/null
write_configs
SPORT=$(free_port)
LINES=2000
for ((i = 1; i <= LINES; i++)); do printf 'file line %d %0200d\n' $i 0; done >logs/app.log
cat >etc/agent.ini <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = agent.crt
key = agent.key
ca = ca.crt
state = ../state/journal
queue = 1000000
queue_bytes = 1G
drain_timeout = 5s
[file app]
path = $T/logs/app.log
read_from = beginning
[syslog]
tcp = 127.0.0.1:$SPORT
EOT

# 1. No gateway (nothing acknowledged: the journal only grows) and 1 MiB
# of file at most.
( trap '' XFSZ; ulimit -f 2048; exec "$GW_AGENT" -c "$T/etc/agent.ini" ) \
    >>agent.log 2>&1 &
APID=$!
PIDS+=($APID)
wait_log agent.log "event=syslog_start" 10
python3 - "$SPORT" >sender.log 2>&1 <<'PY' &
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    for i in range(1, 20001):
        s.sendall(b"<13>Dec  7 20:41:22 host app[7]: syslog %d %s\n" % (i, b"y" * 200))
except OSError as e:
    print("sender:", e)
PY
for ((i = 0; i < 200; i++)); do kill -0 $APID 2>/dev/null || break; sleep 0.1; done
rc=0; wait $APID || rc=$?
[ $rc = 1 ] || fail "gw-agent exited $rc on a full disk, want 1: $(tail -n 3 agent.log)"
grep -q "event=state_write_failed" agent.log || fail "no event=state_write_failed"
pass "full disk: $(grep -m1 -o 'event=state_write_failed.*' agent.log | cut -c1-90), exit 1"

# 2. Room again, and a gateway.
start_mgmt
start_gateway
start agent2 "$GW_AGENT" -c "$T/etc/agent.ini"
for ((i = 0; i < 300; i++)); do
	[ "$(export_store | grep -c '\\"kind\\":\\"log\\"')" -ge $LINES ] && break
	sleep 0.2
done
stop agent2 TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM"
export_store >export.jsonl
cat >count.py <<'EOT'
import json, sys
n = int(sys.argv[1])
lines, msgs = {}, {}
for row in map(json.loads, open("export.jsonl")):
    ev = json.loads(row["payload"])
    if ev["kind"] == "log":
        k = int(ev["line"].split()[2])
        lines[k] = lines.get(k, 0) + 1
    elif ev["kind"] == "syslog":
        k = int(ev["msg"].split()[1])
        msgs[k] = msgs.get(k, 0) + 1
bad = [k for k in range(1, n + 1) if lines.get(k) != 1]
twice = [k for k, c in msgs.items() if c > 1]
print("file lines %d (wrong %d: %s), syslog messages %d (twice %d: %s)" %
      (len(lines), len(bad), bad[:5], len(msgs), len(twice), twice[:5]))
sys.exit(1 if bad or twice or len(lines) != n else 0)
EOT
python3 count.py $LINES >count.txt || fail "$(cat count.txt)"
pass "restarted with room: $(cat count.txt)"
