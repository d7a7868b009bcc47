#!/usr/bin/env bash
# The [syslog] input fed by Debian's rsyslog, as a host forwards its logs:
# rsyslogd runs in the foreground on its own configuration, pid file and
# work directory in $T, takes `logger` messages on its own socket $T/log
# (imuxsock, not /dev/log) and forwards each to gw-agent (service mode,
# `gw-agent -c FILE`) with three omfwd actions:
#   - TCP, octet-counted framing, RFC 5424 (RSYSLOG_SyslogProtocol23Format);
#   - TCP, newline framing, RFC 3164 (RSYSLOG_TraditionalForwardFormat);
#   - UDP, RFC 3164 (RSYSLOG_TraditionalForwardFormat).
# Every one of N numbered messages is in gw-mgmt's store exactly once per
# action, as a "syslog" event (PROTOCOL.md 12.3) with its parsed fields.
# Then senders off the allow list (127.0.0.2, a datagram and a
# connection) are refused, counted and logged, and nothing of theirs is
# stored.  Everything stays on loopback.
source "$(dirname "$0")/lib.sh" "$@"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || fail "rsyslogd is not installed (scripts/run installs rsyslog)"
command -v logger >/dev/null || fail "logger (util-linux) is not installed"
N=${SYSLOG_N:-200}
TAG=gwsyslogtest

cd "$T"
make_pki pki
mkdir -p etc/pki state rsyslog
"$GW_CERT" issue --ca pki --role agent --name agent-syslog \
    --out etc/pki/agent >/dev/null
cp pki/ca.crt etc/pki/ca.crt
write_configs
start_mgmt
start_gateway

SPORT=$(free_port)
cat >etc/agent.ini <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = pki/agent.crt
key = pki/agent.key
ca = pki/ca.crt
state = ../state/journal
heartbeat = 1s
drain_timeout = 5s

[syslog]
udp = 127.0.0.1:$SPORT
tcp = 127.0.0.1:$SPORT
allow = 127.0.0.1/32
udp_buffer = 1M
EOT
start agent "$GW_AGENT" -c "$T/etc/agent.ini"
wait_log agent.log "event=syslog_start udp=127.0.0.1:$SPORT tcp=127.0.0.1:$SPORT" 10
grep -q "event=syslog_udp_buffer want=1048576 got=[1-9]" agent.log ||
    fail "udp_buffer not applied: $(grep -o 'event=syslog_udp.*' agent.log)"
wait_log gatewayd.log "event=agent_authenticated agent=agent-syslog" 10

# rsyslogd of its own: only our socket, only our tag forwarded.
cat >rsyslog.conf <<EOT
global(workDirectory="$T/rsyslog" net.enableDNS="off")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/log" RateLimit.Interval="0")
if \$programname == "$TAG" then {
	action(type="omfwd" target="127.0.0.1" port="$SPORT" protocol="tcp"
	    TCP_Framing="octet-counted"
	    template="RSYSLOG_SyslogProtocol23Format")
	action(type="omfwd" target="127.0.0.1" port="$SPORT" protocol="tcp"
	    template="RSYSLOG_TraditionalForwardFormat")
	action(type="omfwd" target="127.0.0.1" port="$SPORT" protocol="udp"
	    template="RSYSLOG_TraditionalForwardFormat")
	stop
}
EOT
"$RSYSLOGD" -N1 -f "$T/rsyslog.conf" >rsyslog-check.log 2>&1 ||
    fail "rsyslogd -N1 refused the configuration: $(cat rsyslog-check.log)"
start rsyslog "$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid"
for ((i = 0; i < 100; i++)); do [ -S log ] && break; sleep 0.1; done
[ -S log ] || fail "rsyslogd made no socket $T/log"

for ((i = 1; i <= N; i++)); do
	logger -u "$T/log" -i -t "$TAG" -p user.notice "syslog test message $i"
done

# check_events: the store's syslog events, parsed (python3): each of the
# three actions' N messages once, with their fields.  Prints "ok" or what
# is wrong.
cat >check_events.py <<'EOF'
import json, re, sys
n, tag = int(sys.argv[1]), sys.argv[2]
seen = {}
bad = []
for line in sys.stdin:
    row = json.loads(line)
    ev = json.loads(row["payload"])
    if ev.get("kind") != "syslog":
        continue
    assert ev["v"] == 1 and ev["source"] == "syslog", ev
    # MSG as rsyslog sends it: its RFC 5424 template puts a SP before
    # %msg%, which starts with the SP that followed "TAG[pid]:".
    sp = " " if ev.get("format") == "rfc5424" else ""
    m = re.fullmatch(sp + r"syslog test message (\d+)", ev.get("msg", ""))
    if not m:
        bad.append("unexpected message: %r" % ev)
        continue
    key = (ev["transport"], ev["format"])
    seen.setdefault(key, []).append(int(m.group(1)))
    if ev.get("app_name") != tag or ev.get("facility_name") != "user" or \
            ev.get("severity_name") != "notice" or "timestamp" not in ev \
            or "hostname" not in ev or "procid" not in ev or \
            not ev["peer"].startswith("127.0.0.1:"):
        bad.append("fields: %r" % ev)
for key in [("tcp", "rfc5424"), ("tcp", "rfc3164"), ("udp", "rfc3164")]:
    got = sorted(seen.get(key, []))
    if got != list(range(1, n + 1)):
        dup = len(got) - len(set(got))
        bad.append("%s/%s: %d events, %d distinct, %d duplicated" %
                   (key[0], key[1], len(got), len(set(got)), dup))
if set(seen) - {("tcp", "rfc5424"), ("tcp", "rfc3164"), ("udp", "rfc3164")}:
    bad.append("other kinds: %r" % (set(seen),))
print("\n".join(bad[:5]) if bad else "ok")
EOF
check_events() {
	export_store >export.jsonl
	python3 check_events.py "$N" "$TAG" <export.jsonl
}

for ((i = 0; i < 150; i++)); do
	res=$(check_events)
	[ "$res" = ok ] && break
	sleep 0.2
done
[ "$res" = ok ] || fail "the store: $res"
pass "$N logger messages through rsyslog, each stored once per action (tcp octet-counted RFC 5424, tcp newline RFC 3164, udp RFC 3164)"

# Senders off the allow list: refused, counted, logged, not stored.
python3 - "$SPORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.2", 0))
u.sendto(b"<13>refused datagram", ("127.0.0.1", port))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.bind(("127.0.0.2", 0))
t.connect(("127.0.0.1", port))
try:
    t.sendall(b"<13>refused connection\n")
    t.settimeout(5)
    t.recv(1)
except OSError:
    pass
EOF
wait_log agent.log "event=syslog_refused transport=udp peer=127.0.0.2:" 5
wait_log agent.log "event=syslog_refused transport=tcp peer=127.0.0.2:" 5
pass "127.0.0.2 refused: $(grep -o 'event=syslog_refused transport=tcp.*' agent.log | head -n 1)"

stop rsyslog TERM
stop agent TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM"
grep -q "event=syslog_stop received=$((3 * N)) cut=0 dropped=0 refused=2 " agent.log ||
    fail "the counts at the stop: $(grep -o 'event=syslog_stop.*' agent.log)"
res=$(check_events)
[ "$res" = ok ] || fail "after the stop: $res"
export_store | grep -q refused && fail "a refused sender's message was stored"
pass "stop: $(grep -o 'event=syslog_stop.*' agent.log)"
