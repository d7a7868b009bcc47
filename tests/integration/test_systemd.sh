#!/usr/bin/env bash
# What systemd and syslog see of gatewayd:
#  1. sd_notify (Type=notify): READY=1 with a STATUS line once it accepts,
#     RELOADING=1 then READY=1 around a SIGHUP (a broken file too), and
#     STOPPING=1 on SIGTERM; the datagrams go to $NOTIFY_SOCKET, received
#     here by gw-dgram-sink;
#  2. log = syslog: in a mount namespace of its own whose /dev/log is
#     gw-dgram-sink, lines go to syslog (facility daemon, the level as the
#     priority, key=value intact) and not to stderr; a reload to
#     log = stderr brings them back.  Needs root (for the namespace).
source "$(dirname "$0")/lib.sh" "$@"
SINK=$BUILD/tests/gw-dgram-sink

cd "$T"
make_pki pki
write_configs
start_mgmt

# 1. sd_notify.
start notify "$SINK" "$T/notify.sock"
for ((i = 0; i < 50; i++)); do [ -S notify.sock ] && break; sleep 0.1; done
NOTIFY_SOCKET=$T/notify.sock start_gateway
wait_log notify.log "^READY=1" 5
grep -q "^READY=1|STATUS=0 agents; [0-2] of 2 links ready; server 127.0.0.1:$MGMT_PORT$" notify.log ||
    fail "no READY=1 with a STATUS line: $(cat notify.log)"
pass "ready: $(head -n 1 notify.log)"
cp gateway.ini gateway.ini.good
echo "max_agents = -1" >>gateway.ini
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reload_failed" 5
cp gateway.ini.good gateway.ini
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reloaded" 5
wait_log notify.log "STATUS=" 5
[ "$(grep -c '^RELOADING=1|MONOTONIC_USEC=[0-9]*$' notify.log)" = 2 ] ||
    fail "want two RELOADING=1 with MONOTONIC_USEC: $(cat notify.log)"
[ "$(grep -c '^READY=1|' notify.log)" = 3 ] ||
    fail "want READY=1 at start and after each reload: $(cat notify.log)"
awk '/^RELOADING/ { r = 1; next } /^READY/ { if (!r && NR > 1) bad = 1; r = 0 }
    END { exit bad }' notify.log || fail "READY=1 without RELOADING=1 first"
kill -TERM "$PID_gatewayd"
wait_log notify.log "^STOPPING=1" 5
pass "reloads: $(grep -c RELOADING notify.log) RELOADING/READY pairs; stop: $(grep STOPPING notify.log)"
wait "$PID_gatewayd" || fail "gatewayd exited $?"

# 2. syslog, in a mount namespace with a /dev of its own.
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	echo "skip: log = syslog needs root for a mount namespace"
	exit 0
fi
sed -i 's/^\[upstream\]/log = syslog\n&/' gateway.ini
mkdir hostdev
cat >ns.sh <<EOT
set -e
mount --make-rprivate /
mount --rbind /dev "$T/hostdev"
mount -t tmpfs tmpfs /dev
for d in null zero random urandom; do
	touch /dev/\$d; mount --bind "$T/hostdev/\$d" /dev/\$d
done
"$SINK" /dev/log >"$T/syslog.log" 2>&1 &
for i in \$(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
sink=\$!
"$GATEWAYD" -c "$T/gateway.ini" &
echo \$! >"$T/gw.pid"
rc=0; wait \$! || rc=\$?
kill \$sink
exit \$rc
EOT
start ns unshare -m bash ns.sh
wait_log syslog.log "event=started" 5
gwpid=$(cat gw.pid)
grep -q "^<30>.* gatewayd\[$gwpid\]: level=info event=started name=gateway listen=127.0.0.1:$GW_PORT" syslog.log ||
    fail "no daemon.info line with key=value: $(head -n 3 syslog.log)"
grep -q "event=started" ns.log && fail "the start line went to stderr as well"
sed -i 's/^log = syslog/log = stderr\nmax_agents = nope/' gateway.ini
kill -HUP "$gwpid"
wait_log syslog.log "event=reload_failed" 5
grep -q "^<27>.*level=error event=reload_failed" syslog.log ||
    fail "reload_failed is not daemon.err: $(grep reload_failed syslog.log)"
sed -i '/^max_agents = nope/d' gateway.ini
kill -HUP "$gwpid"
wait_log ns.log "event=reloaded" 5
grep -q "event=reloaded" syslog.log && fail "event=reloaded went to syslog after log = stderr"
pass "syslog: $(grep -m1 event=started syslog.log | cut -c1-90); back to stderr on reload"
kill -TERM "$gwpid"
wait "$PID_ns" || fail "gatewayd in the namespace exited $?"
