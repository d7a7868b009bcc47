#!/usr/bin/env bash
# [gateway] workers = 2 with [gateway] user (as root only; else skipped):
# the parent binds every socket (agents' and metrics' on ports below 1024)
# as root, then it and its workers run as that user.  A worker killed is
# started again as that user, on the sockets the parent kept: it binds
# nothing, so it needs no privilege, and serves agents and its metrics on
# the low ports again.  The parent, as that user, still writes the ticket
# key file (in the user's directory), made by root at the start; one it
# could not rewrite is refused at the start.
source "$(dirname "$0")/lib.sh" "$@"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "skip: not root (or no user nobody): privileges not tested"
	exit 0
fi
nobody=$(id -u nobody)

cd "$T"
chmod 755 "$T"
make_pki pki
issue_agents agent- 4
mkdir -p state
chown nobody state
chmod 700 state
# low_port: a port below 1024 nobody listens on (and the next one, for
# worker 1's metrics).
low_port() {
	local p
	while :; do
		p=$((600 + RANDOM % 400))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		(exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null && continue
		echo "$p"
		return
	done
}
GW_EXTRA="workers = 2
user = nobody
ticket_keys = state/ticket.keys
ticket_lifetime = 16s
drain_timeout = 2s"
M0=$(low_port)
LOW=$(low_port)
while [ "$LOW" -ge "$((M0 - 1))" ] && [ "$LOW" -le "$((M0 + 1))" ]; do
	LOW=$(low_port)
done
GW_TAIL="[metrics]
listen = 127.0.0.1:$M0"
write_configs
GW_PORT=$LOW	# the first listen line: [gateway]'s
sed -i "0,/^listen = 127.0.0.1:[0-9]*$/s//listen = 127.0.0.1:$GW_PORT/" gateway.ini
grep -q "^listen = 127.0.0.1:$M0$" gateway.ini || fail "metrics listen lost"
# A key file the parent, as nobody, could not rewrite: refused at start.
mkdir -p rootstate
chmod 755 rootstate
sed 's|^ticket_keys = state/ticket.keys$|ticket_keys = rootstate/ticket.keys|' \
    gateway.ini >rootkeys.ini
grep -q "^ticket_keys = rootstate/" rootkeys.ini || fail "no ticket_keys to change"
rc=0
timeout 10 "$GATEWAYD" -c rootkeys.ini >rootkeys.log 2>&1 || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "ticket_keys nobody cannot write: rc=$rc"
grep -q "event=start_failed detail=\"\[gateway\] ticket_keys: .*rootstate/ticket.keys cannot be written by user nobody" \
    rootkeys.log || fail "ticket_keys nobody cannot write: $(cat rootkeys.log)"
! grep -q "event=worker_started" rootkeys.log || fail "workers started all the same"
pass "a ticket key file the parent could not rewrite as nobody: refused at start"

start_mgmt
start gatewayd "$GATEWAYD" -c gateway.ini
wait_log gatewayd.log "event=workers_started workers=2" 10
parent=$PID_gatewayd
worker_pid() {
	sed -n "s/.*event=worker_started worker=$1 pid=\([0-9]*\).*/\1/p" \
	    gatewayd.log | tail -n 1
}
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }
w0=$(worker_pid 0); w1=$(worker_pid 1)
for p in "$parent" "$w0" "$w1"; do
	[ "$(uid_of "$p")" = "$nobody" ] || fail "pid $p runs as uid $(uid_of "$p")"
done
[ "$(grep -c "event=privileges_dropped user=nobody" gatewayd.log)" -eq 1 ] ||
    fail "want one privileges_dropped line (the parent's)"
wait_port "$GW_PORT"
wait_port "$M0"
wait_port "$((M0 + 1))"
pass "parent $parent and workers $w0, $w1 run as nobody; ports $GW_PORT, $M0, $((M0 + 1)) bound"

seq 1 100 | sed 's/^/line /' >lines.txt
apids=()
for a in "${AGENT_NAMES[@]}"; do
	$(agent_cmd "$a" --file lines.txt --rate 10 --timeout 60) >"$a.log" 2>&1 &
	apids+=($!)
done
sleep 2
kill -KILL "$w0"
wait_log gatewayd.log "event=worker_died worker=0 pid=$w0 signal=9" 5
for ((i = 0; i < 50; i++)); do
	n0=$(worker_pid 0)
	[ "$n0" = "$w0" ] || break
	sleep 0.1
done
[ "$n0" != "$w0" ] || fail "worker 0 was not started again"
wait_log gatewayd.log "gatewayd\[$n0\].*event=upstream_up" 10
[ "$(uid_of "$n0")" = "$nobody" ] || fail "new worker 0 runs as uid $(uid_of "$n0")"
! grep -q "gatewayd\[$n0\].*event=start_failed" gatewayd.log ||
    fail "the new worker 0 failed: $(grep "gatewayd\[$n0\].*start_failed" gatewayd.log)"
METRICS_PORT=$M0
[ -n "$(metric gatewayd_agents_max)" ] ||
    fail "the new worker 0 does not serve its metrics on port $M0"
pass "worker 0 killed, started again as nobody ($n0), serving port $M0 again"

for p in "${apids[@]}"; do
	wait "$p" || fail "an agent failed"
done
check_store 100 "${AGENT_NAMES[@]}" >store.out || fail "store: $(tail -n 5 store.out)"
pass "every line stored once: $(tail -n 1 store.out)"

# ticket_lifetime 16s: the parent (as nobody) makes the next key 2 s early.
wait_log gatewayd.log "gatewayd\[$parent\].*event=ticket_key_rotated" 30
! grep -q "event=ticket_key_not_saved" gatewayd.log ||
    fail "$(grep -m1 ticket_key_not_saved gatewayd.log)"
[ "$(stat -c %u state/ticket.keys)" = "$nobody" ] ||
    fail "the key file is not the parent's (nobody's) own"
pass "the parent, as nobody, wrote the next ticket key"

stop gatewayd TERM
[ "$STOP_RC" -eq 0 ] || fail "the parent exited $STOP_RC on SIGTERM"
pass "SIGTERM: the parent exited 0"
