#!/usr/bin/env bash
# A log followed by gw-agent's service mode ([file app], issue 22) while a
# writer appends numbered lines at a steady 200 a second and Debian's
# logrotate (its own state file and configurations, here) rotates it, by
# rename (create) and by copytruncate, several times; gw-agent is kill -9'd
# twice, and the log is rotated while it is down each time (by rename,
# then by copytruncate).  At the end every line is in gw-mgmt's store
# exactly once.
#
# The writer takes a lock (flock) around each line, and logrotate runs
# under the same lock when it copies and truncates: copytruncate loses, by
# design, what is written between its copy and its truncation (no reader
# can see it in either file), so without the lock a line could be lost
# whatever the agent does.  A rename rotation needs no lock: a line written
# to the renamed file (the writer opened it before the rename) is read
# there.
source "$(dirname "$0")/lib.sh" "$@"

LOGROTATE=/usr/sbin/logrotate
[ -x "$LOGROTATE" ] || fail "no $LOGROTATE (scripts/run installs logrotate)"

cd "$T"
make_pki pki
mkdir -p agents state logs
"$GW_CERT" issue --ca pki --role agent --name agent-a --out agents/agent-a >/dev/null
write_configs
start_mgmt
start_gateway

LINES=5000
cat >agent.ini <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = agents/agent-a.crt
key = agents/agent-a.key
ca = pki/ca.crt
state = state/agent.journal

[file app]
path = logs/app.log
read_from = beginning
poll = 100ms
partial_wait = 1s
EOT
for how in create copytruncate; do
	cat >"rotate-$how.conf" <<EOT
$T/logs/app.log {
	rotate 100
	$how
	missingok
	nocompress
}
EOT
done

# rotate HOW: one rotation, forced, with the test's own state file.
rotate() {
	if [ "$1" = copytruncate ]; then
		flock logs/app.lock "$LOGROTATE" -f -s logrotate.state \
		    rotate-copytruncate.conf
	else
		"$LOGROTATE" -f -s logrotate.state rotate-create.conf
	fi || fail "logrotate ($1) failed"
	ROTATIONS=$((ROTATIONS + 1))
}
ROTATIONS=0

# The writer: line N is "n=N", LINES of them at 200 a second.  It opens
# the log for each line but never creates it: between logrotate's rename
# and its create, a writer that created the file would race logrotate,
# which then renames that file to "app.log-DATE.backup" (a name no follower
# of app.log reads: a line lost by the test, not by the reader).  Waiting
# for logrotate's own file is what a daemon reopening its log does.
cat >writer.py <<'EOT'
import fcntl, os, sys, time
path, lock, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.monotonic()

def append(line):
    for _ in range(5000):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            time.sleep(0.001)	# logrotate is between rename and create
            continue
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        return
    sys.exit("%s did not come back" % path)

with open(lock, "a") as lk:
    for i in range(1, n + 1):
        fcntl.flock(lk, fcntl.LOCK_EX)
        append(b"n=%d\n" % i)
        fcntl.flock(lk, fcntl.LOCK_UN)
        delay = t0 + i / 200.0 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
EOT
touch logs/app.log
start writer python3 writer.py logs/app.log logs/app.lock "$LINES"
start agent1 "$GW_AGENT" -c "$T/agent.ini"
wait_log agent1.log "event=file_follow" 10

sleep 2; rotate create
sleep 2; rotate copytruncate
sleep 2
stop agent1 KILL
rotate create				# while it is down
sleep 0.5
start agent2 "$GW_AGENT" -c "$T/agent.ini"
wait_log agent2.log "event=file_resume .*from=rotated" 10
pass "restarted after a rename while down: $(grep -m1 event=file_resume agent2.log | sed 's/.*event=/event=/')"
sleep 2; rotate copytruncate
sleep 2
stop agent2 KILL
rotate copytruncate			# while it is down
sleep 0.5
start agent3 "$GW_AGENT" -c "$T/agent.ini"
wait_log agent3.log "event=file_resume .*from=copy" 10
pass "restarted after a copytruncate while down: $(grep -m1 event=file_resume agent3.log | sed 's/.*event=/event=/')"
sleep 2; rotate create
sleep 2; rotate copytruncate
reap "$PID_writer" 60 || fail "the writer did not end"
[ "$REAP_RC" -eq 0 ] || fail "the writer failed: $(tail -n 3 writer.log)"
pass "$LINES lines written, $ROTATIONS rotations ($(ls logs | tr '\n' ' '))"
! ls logs | grep -q backup ||
    fail "logrotate found app.log already recreated: $(ls logs | tr '\n' ' ')"
grep -q "event=file_switch" agent1.log agent3.log ||
    fail "no switch to a new file was logged"
grep -q "event=file_truncated" agent1.log agent2.log agent3.log ||
    fail "no truncation was seen while running"
! grep -h "event=file_lost_data" agent*.log ||
    fail "gw-agent lost data"

# count: the lines stored, checked: each of 1..LINES exactly once.
cat >count.py <<'EOT'
import json, sys
n, final = int(sys.argv[1]), sys.argv[2] == "final"
seen, bad = {}, []
for rec in sys.stdin:
    ev = json.loads(json.loads(rec)["payload"])
    if ev.get("kind") != "log" or not ev["source"].endswith("/logs/app.log"):
        bad.append("not a log event: %r" % ev)
        continue
    line = ev.get("line", "")
    if not line.startswith("n=") or ev.get("partial"):
        bad.append("not a whole line: %r" % ev)
        continue
    k = int(line[2:])
    seen[k] = seen.get(k, 0) + 1
if not final:
    print(len(seen))
    sys.exit(0)
dup = sorted(k for k, c in seen.items() if c > 1)
missing = [k for k in range(1, n + 1) if k not in seen]
extra = sorted(k for k in seen if k < 1 or k > n)
for what, ks in (("twice or more", dup), ("missing", missing), ("unknown", extra)):
    if ks:
        bad.append("%d lines %s: %s" % (len(ks), what, ks[:20]))
print("\n".join(bad) if bad else "%d lines, each once" % len(seen))
sys.exit(1 if bad else 0)
EOT
for ((i = 0; i < 300; i++)); do
	got=$(export_store | python3 count.py "$LINES" count)
	[ "$got" -lt "$LINES" ] || break
	sleep 0.2
done
sleep 1					# anything more would be a repeat
export_store >export.jsonl
python3 count.py "$LINES" final <export.jsonl >count.txt ||
    fail "$(cat count.txt)"
pass "$(cat count.txt) in the store across $ROTATIONS rotations and two kill -9"
stop agent3
