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
# stored.  Then, with gatewayd stopped (SIGSTOP) and the agent's queue
# full, TCP is held back and loses nothing, datagrams are dropped and
# counted.  Everything stays on loopback.
source "$(dirname "$0")/lib.sh" "$@"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || fail "rsyslogd is not installed (scripts/run installs rsyslog)"
command -v logger >/dev/null || fail "logger (util-linux) is not installed"
N=${SYSLOG_N:-200}
TAG=gwsyslogtest

cd "$T"
make_pki pki
mkdir -p etc state
cp pki/ca.crt etc/ca.crt
write_configs
start_mgmt
start_gateway

# agent NAME PORT [EXTRA]: gw-agent -c etc/NAME.ini as agent NAME, its
# syslog input on 127.0.0.1:PORT (UDP and TCP), 127.0.0.1 only.
agent() {
	"$GW_CERT" issue --ca pki --role agent --name "$1" \
	    --out "etc/$1" >/dev/null
	cat >"etc/$1.ini" <<EOT
[agent]
gateway = 127.0.0.1:$GW_PORT
cert = $1.crt
key = $1.key
ca = ca.crt
state = ../state/$1
heartbeat = 1s
drain_timeout = 5s
${3:-}

[syslog]
udp = 127.0.0.1:$2
tcp = 127.0.0.1:$2
allow = 127.0.0.1/32
udp_buffer = 1M
EOT
	start "$1" "$GW_AGENT" -c "$T/etc/$1.ini"
	wait_log "$1.log" "event=syslog_start udp=127.0.0.1:$2 tcp=127.0.0.1:$2" 10
	wait_log gatewayd.log "event=agent_authenticated agent=$1" 10
}

# rsyslog NAME PORT TAG: rsyslogd of its own (configuration, pid file,
# work directory and socket $T/NAME.sock), forwarding only the messages
# tagged TAG, to 127.0.0.1:PORT, by the three actions.
rsyslog() {
	mkdir -p "$1.work"
	cat >"$1.conf" <<EOT
global(workDirectory="$T/$1.work" net.enableDNS="off")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$T/$1.sock" RateLimit.Interval="0")
if \$programname == "$3" then {
	action(type="omfwd" target="127.0.0.1" port="$2" protocol="tcp"
	    TCP_Framing="octet-counted"
	    template="RSYSLOG_SyslogProtocol23Format")
	action(type="omfwd" target="127.0.0.1" port="$2" protocol="tcp"
	    template="RSYSLOG_TraditionalForwardFormat")
	action(type="omfwd" target="127.0.0.1" port="$2" protocol="udp"
	    template="RSYSLOG_TraditionalForwardFormat")
	stop
}
EOT
	"$RSYSLOGD" -N1 -f "$T/$1.conf" >"$1-check.log" 2>&1 ||
	    fail "rsyslogd -N1 refused $1.conf: $(cat "$1-check.log")"
	start "$1" "$RSYSLOGD" -n -f "$T/$1.conf" -i "$T/$1.pid"
	for ((i = 0; i < 100; i++)); do [ -S "$1.sock" ] && break; sleep 0.1; done
	[ -S "$1.sock" ] || fail "rsyslogd made no socket $T/$1.sock"
}

# send NAME TAG N: logger sends N numbered messages to rsyslog NAME.
send() {
	for ((i = 1; i <= $3; i++)); do
		logger -u "$T/$1.sock" -i -t "$2" -p user.notice \
		    "syslog test message $i"
	done
}

# check_events AGENT TAG N [UDP_DROPPED]: the store's syslog events of
# AGENT, parsed (python3): each of the three actions' N messages once,
# with their fields; with UDP_DROPPED, the datagrams stored are N less
# that many, none twice.  Prints "ok" or what is wrong.
cat >check_events.py <<'EOF'
import json, re, sys
agent, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
udp_dropped = int(sys.argv[4]) if len(sys.argv) > 4 else None
seen = {}
bad = []
for line in sys.stdin:
    row = json.loads(line)
    if row.get("agent") != agent:
        continue
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
    if key[0] == "udp" and udp_dropped is not None:
        if len(set(got)) != len(got) or len(got) != n - udp_dropped or \
                not set(got) <= set(range(1, n + 1)):
            bad.append("udp: %d events, %d distinct, want %d" %
                       (len(got), len(set(got)), n - udp_dropped))
        continue
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
	python3 check_events.py "$@" <export.jsonl
}

# wait_events ARGS...: until check_events ARGS says ok (30 s at most).
wait_events() {
	local i res
	for ((i = 0; i < 150; i++)); do
		res=$(check_events "$@")
		[ "$res" = ok ] && return 0
		sleep 0.2
	done
	fail "the store: $res"
}

# 1. Each message once per action.
SPORT=$(free_port)
agent agent-syslog "$SPORT"
grep -q "event=syslog_udp_buffer want=1048576 got=[1-9]" agent-syslog.log ||
    fail "udp_buffer not applied: $(grep -o 'event=syslog_udp.*' agent-syslog.log)"
rsyslog rsyslog "$SPORT" "$TAG"
send rsyslog "$TAG" "$N"
wait_events agent-syslog "$TAG" "$N"
pass "$N logger messages through rsyslog, each stored once per action (tcp octet-counted RFC 5424, tcp newline RFC 3164, udp RFC 3164)"

# 2. Senders off the allow list: refused, counted, logged, not stored.
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
wait_log agent-syslog.log "event=syslog_refused transport=udp peer=127.0.0.2:" 5
wait_log agent-syslog.log "event=syslog_refused transport=tcp peer=127.0.0.2:" 5
pass "127.0.0.2 refused: $(grep -o 'event=syslog_refused transport=tcp.*' agent-syslog.log | head -n 1)"

stop rsyslog TERM
stop agent-syslog TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM"
grep -q "event=syslog_stop received=$((3 * N)) cut=0 dropped=0 refused=2 " agent-syslog.log ||
    fail "the counts at the stop: $(grep -o 'event=syslog_stop.*' agent-syslog.log)"
res=$(check_events agent-syslog "$TAG" "$N")
[ "$res" = ok ] || fail "after the stop: $res"
export_store | grep -q refused && fail "a refused sender's message was stored"
pass "stop: $(grep -o 'event=syslog_stop.*' agent-syslog.log)"

# 3. A full queue: gatewayd stopped (SIGSTOP), the agent's queue of 20
# events fills.  The TCP connections are no longer read (their bytes wait
# in the kernel, then in rsyslog), the datagrams that find no room are
# dropped and counted.  Once gatewayd runs again, every TCP message is
# stored once, and every datagram is stored once or counted as dropped.
N2=${SYSLOG_N2:-300}
TAG2=gwsyslogfull
SPORT2=$(free_port)
agent agent-full "$SPORT2" "queue = 20"
rsyslog rsyslog-full "$SPORT2" "$TAG2"
kill -STOP "$PID_gatewayd"
send rsyslog-full "$TAG2" "$N2"
wait_log agent-full.log "event=syslog_dropped transport=udp" 20
sleep 2
kill -CONT "$PID_gatewayd"
for ((i = 0; i < 300; i++)); do
	res=$(check_events agent-full "$TAG2" "$N2" 0 | grep -v '^udp:' || true)
	[ -z "$res" ] && break
	sleep 0.2
done
[ -z "$res" ] || fail "with a full queue: $res"
stop rsyslog-full TERM
stop agent-full TERM
[ "$STOP_RC" = 0 ] || fail "gw-agent exited $STOP_RC on SIGTERM"
line=$(grep -o 'event=syslog_stop.*' agent-full.log)
dropped=$(sed -n 's/.* dropped=\([0-9]*\) .*/\1/p' <<<"$line")
[ -n "$dropped" ] && [ "$dropped" -gt 0 ] || fail "no datagram dropped: $line"
grep -q "received=$((3 * N2 - dropped)) " <<<"$line" ||
    fail "received + dropped is not all: $line"
res=$(check_events agent-full "$TAG2" "$N2" "$dropped")
[ "$res" = ok ] || fail "with a full queue: $res"
pass "full queue: each TCP message stored once, $dropped of $N2 datagrams dropped and counted, the rest stored once ($line)"
