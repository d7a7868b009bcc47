#!/usr/bin/env bash
# Scheduled checks with the monitoring plugins' interface, end to end:
# gw-agent -c agent.ini (the service) runs monitoring-plugins' check_load,
# check_disk and check_procs (Debian's monitoring-plugins-basic, installed
# by scripts/run) every 1 or 2 seconds, and two plugins of this test: one
# that sleeps past its timeout and one that exits 2.  Each run goes as one
# event through gatewayd to gw-mgmt's store, where this test reads them
# (gw-mgmt export, python3) and compares:
#  - check_load: OK under thresholds it cannot reach, its perfdata items
#    load1, load5, load15 with their thresholds as written and min 0;
#  - check_disk -w 1% -c 1% -p /: the state this test gets running it
#    itself, one perfdata item "/" in bytes with its max;
#  - check_procs -c 1:1 -a MARKER (a process this test starts, exactly
#    one; check_procs leaves out itself and its parent, gw-agent): OK with
#    procs=1, the state of running it here; -c 2:2 -C marker (its command
#    name: not the other check_procs, whose arguments name it) CRITICAL,
#    as here;
#  - a plugin sleeping past its 1 s timeout: UNKNOWN, timed_out true, no
#    exit status, "timed out after 1s: " and what it printed; its sleeping
#    child killed with it (its process group);
#  - a plugin exiting 2: CRITICAL, its output, long text and perfdata;
#  - every event: v 1, kind check, source the check's name; runs of one
#    check come at least a second apart (on schedule, never two at once).
source "$(dirname "$0")/lib.sh" "$@"
P=/usr/lib/nagios/plugins
for p in check_load check_disk check_procs; do
	[ -x "$P/$p" ] || fail "$P/$p is missing: install monitoring-plugins-basic (scripts/run does)"
done
command -v python3 >/dev/null || fail "python3 is needed"

cd "$T"
make_pki pki
mkdir -p etc/pki state
"$GW_CERT" issue --ca pki --role agent --name agent-checks \
    --out etc/pki/agent >/dev/null
cp pki/ca.crt etc/pki/ca.crt
write_configs
start_mgmt
start_gateway
# The one process check_procs counts: a sleep of its own name.
MARKER=$T/etc/marker
cp /bin/sleep "$MARKER"
start marker "$MARKER" 3600

# The test's own plugins, relative to agent.ini's directory.
cat >etc/slow <<EOT
#!/bin/sh
sleep 60 &
echo \$! >$T/slow.pid
echo 'SLOW starting|t=1s'
wait
EOT
cat >etc/crit <<'EOT'
#!/bin/sh
echo 'CRIT - broken | errors=3;1;2;0;'
echo "detail: $1"
exit 2
EOT
chmod +x etc/slow etc/crit

INI=$T/etc/agent.ini
cat >"$INI" <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = pki/agent.crt
key = pki/agent.key
ca = pki/ca.crt
state = ../state/journal
heartbeat = 1s
drain_timeout = 5s

[check load]
command = $P/check_load -w 900,900,900 -c 999,999,999
every = 1s
splay = 0

[check disk]
command = $P/check_disk -w 1% -c 1% -p /
every = 2s

[check procs]
command = $P/check_procs -c 1:1 -a '$MARKER'
every = 1s

[check procs2]
command = $P/check_procs -c 2:2 -C "marker"
every = 2s

[check slow]
command = slow
every = 2s
timeout = 1s
splay = 0

[check crit]
command = crit 'two words'
every = 1s
EOT
"$GW_AGENT" --check-config "$INI" || fail "--check-config refused agent.ini"
start agent "$GW_AGENT" -c "$INI"
wait_log "$T/agent.log" "event=checks_started checks=6" 10

# What the plugins say run here, while the agent runs.
want_state() {
	local rc=0
	"$@" >/dev/null 2>&1 || rc=$?
	case $rc in 0) echo OK ;; 1) echo WARNING ;; 2) echo CRITICAL ;;
	*) echo UNKNOWN ;; esac
}
DISK=$(want_state "$P/check_disk" -w 1% -c 1% -p /)
PROCS=$(want_state "$P/check_procs" -c 1:1 -a "$MARKER")
PROCS2=$(want_state "$P/check_procs" -c 2:2 -C marker)
[ "$PROCS" = OK ] || fail "check_procs -c 1:1 -a $MARKER run here: $PROCS"
[ "$PROCS2" = CRITICAL ] || fail "check_procs -c 2:2 run here: $PROCS2"

# The events of the store, per check (python3 prints "name count"...).
events() {
	export_store | python3 -B -c '
import collections, json, sys
n = collections.Counter()
for line in sys.stdin:
    e = json.loads(json.loads(line)["payload"])
    n[e["source"]] += 1
print(" ".join("%s=%d" % kv for kv in sorted(n.items())))'
}
for ((i = 0; i < 300; i++)); do
	got=$(events)
	python3 -B -c 'import sys
n = dict(kv.split("=") for kv in sys.argv[1].split())
sys.exit(0 if all(int(n.get(c, 0)) >= 3 for c in
    ("load", "disk", "procs", "procs2", "slow", "crit")) else 1)' "$got" &&
	    break
	sleep 0.1
done
echo "events: $got"
# SIGHUP without [check slow], [check crit] every 2s: the other four keep
# their schedule, crit starts again, slow stops.
python3 -B - "$INI" <<'EOT'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r"\[check slow\]\n(?:(?!\[).*\n)*", "", t)
t = t.replace("crit 'two words'\nevery = 1s", "crit 'two words'\nevery = 2s")
open(sys.argv[1], "w").write(t)
EOT
grep -q '^\[check slow\]' "$INI" && fail "the test did not rewrite agent.ini"
grep -q '^\[check crit\]' "$INI" || fail "the test removed [check crit]"
kill -HUP "$PID_agent"
wait_log "$T/agent.log" "event=checks_reloaded kept=4 started=1 removed=1" 10
pass "SIGHUP: 4 checks kept, 1 changed, 1 removed"
stop agent
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM"
# The timed-out plugin's child was killed with it.
if kill -0 "$(cat slow.pid)" 2>/dev/null &&
    ! grep -q '^State:.Z' "/proc/$(cat slow.pid)/status"; then
	fail "the slow plugin's child $(cat slow.pid) outlived its timeout"
fi

export_store >export.jsonl
python3 -B - "$DISK" "$PROCS" "$PROCS2" <<'EOT' || fail "the events in the store are not right"
import collections, json, sys
disk_state, procs_state, procs2_state = sys.argv[1:4]
by = collections.defaultdict(list)
bad = []
def check(cond, what):
    if not cond:
        bad.append(what)
for line in open("export.jsonl"):
    row = json.loads(line)
    check(row["agent"] == "agent-checks", "agent %r" % row["agent"])
    e = json.loads(row["payload"])
    check(e["v"] == 1 and e["kind"] == "check" and "ts" in e,
          "envelope %r" % e)
    by[e["source"]].append(e)
for name in ("load", "disk", "procs", "procs2", "slow", "crit"):
    check(len(by[name]) >= 3, "%s: %d events" % (name, len(by[name])))
def each(name, fn):
    for e in by[name]:
        c = e["check"]
        try:
            fn(c)
        except AssertionError as x:
            bad.append("%s: %s: %r" % (name, x, c))
def load(c):
    assert c["state"] == "OK" and c["status"] == 0, "state"
    assert c["reason"] is None and c["timed_out"] is False, "reason"
    assert c["output"].startswith("LOAD OK - total load average: "), "out"
    labels = [p["label"] for p in c["perfdata"]]
    assert labels == ["load1", "load5", "load15"], labels
    for p in c["perfdata"]:
        assert isinstance(p["value"], (int, float)) and p["value"] >= 0
        assert p["warn"] == "900.000" and p["crit"] == "999.000", p
        assert p["min"] == 0 and p["max"] is None and p["uom"] == "", p
    assert c["perfdata_skipped"] == 0
def disk(c):
    assert c["state"] == disk_state, "state, want %s" % disk_state
    assert c["output"].startswith("DISK "), "output"
    assert len(c["perfdata"]) == 1, "perfdata"
    p = c["perfdata"][0]
    assert p["label"] == "/" and p["uom"] == "B", p
    assert p["value"] > 0 and p["max"] >= p["value"] and p["min"] == 0, p
def procs(c):
    assert c["state"] == procs_state == "OK" and c["status"] == 0, "state"
    assert c["output"].startswith("PROCS OK: 1 process"), "output"
    p = c["perfdata"][0]
    assert p["label"] == "procs" and p["value"] == 1, p
    assert p["crit"] == "1:1" and p["warn"] is None, p
def procs2(c):
    assert c["state"] == procs2_state == "CRITICAL", "state"
    assert c["status"] == 2, "status"
    assert c["perfdata"][0]["crit"] == "2:2"
def slow(c):
    assert c["state"] == "UNKNOWN" and c["status"] is None, "state"
    assert c["timed_out"] is True, "timed_out"
    assert c["reason"] == "timed out after 1s", "reason"
    assert c["output"] == "timed out after 1s: SLOW starting", "output"
    assert 900 <= c["duration_ms"] < 1900, "duration"
    assert c["perfdata"][0]["uom"] == "s"
def crit(c):
    assert c["state"] == "CRITICAL" and c["status"] == 2, "state"
    assert c["output"] == "CRIT - broken", "output"
    assert c["long_output"] == "detail: two words", "long_output"
    assert c["perfdata"] == [{"label": "errors", "value": 3, "uom": "",
        "warn": "1", "crit": "2", "min": 0, "max": None}], "perfdata"
for name, fn in (("load", load), ("disk", disk), ("procs", procs),
                 ("procs2", procs2), ("slow", slow), ("crit", crit)):
    each(name, fn)
# On schedule: runs of one check at least ~every apart, never together.
import datetime
def ts(e):
    return datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
# (crit started again at the reload: its gap there is the splay's.)
for name, every in (("load", 1), ("procs", 1), ("slow", 2), ("disk", 2)):
    t = sorted(ts(e) for e in by[name])
    gaps = [(b - a).total_seconds() for a, b in zip(t, t[1:])]
    check(all(g >= every * 0.7 for g in gaps), "%s gaps %r" % (name, gaps))
for b in bad:
    print("bad:", b)
print("events:", {k: len(v) for k, v in sorted(by.items())},
      "problems:", len(bad))
sys.exit(1 if bad else 0)
EOT
pass "check_load, check_disk, check_procs, a timeout and a CRITICAL: states and perfdata in the store"
