#!/usr/bin/env bash
# A gateway that sheds connections before their TLS handshake (the lobby's
# oldest silent ones for max_silent or silent_per_source, first_byte_timeout,
# a restart) has not refused the agents: each comes back on its backoff, for
# as long as it takes, and delivers its lines.
# 1. Ten gw-agents against a port that accepts every connection and closes
#    it at once, with a FIN or a RST: each retries past the 3 failed
#    handshakes that make a refusal, and once gatewayd listens there,
#    delivers its 3 lines (stored once each) and exits 0.
# 2. A reconnect storm of 100 gw-loadgen agents into a lobby of 2
#    (max_silent, silent_per_source): connections are evicted before their
#    handshake at the first connect and after a restart, and every agent
#    is open, then back.
# Before, an agent took a third bare close for a refusal and gave up (exit
# 3; gw-loadgen counted it failed and waited for it until its timeout).
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
N=10
STORM=100

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count $STORM \
    --out-dir agents >/dev/null
printf 'line %s\n' 1 2 3 >lines.txt
GW_EXTRA="max_silent = 2
silent_per_source = 2
handshake_rate = 0
handshake_rate_per_source = 0
drain_timeout = 1s"
write_configs
start_mgmt

# 1. Accept and close before the handshake, every other one with a RST.
start shed python3 -B -c '
import socket, struct, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(128)
n = 0
while True:
    c, _ = s.accept()
    if n % 2:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
            struct.pack("ii", 1, 0))
    c.close()
    n += 1
' "$GW_PORT"
wait_port "$GW_PORT"
names=()
pids=()
for i in $(seq $N); do
	name=$(printf 'agent-%04d' "$i")
	names+=("$name")
	$(agent_cmd "$name" --file lines.txt --timeout 90 --log-level info) \
	    >"agent-$i.log" 2>&1 &
	pids+=($!)
	PIDS+=($!)
done
# Each has lost more connections than the refusal count (3) and still runs.
for ((t = 0; t < 300; t++)); do
	short=0
	for i in $(seq $N); do
		kill -0 "${pids[i - 1]}" 2>/dev/null ||
		    fail "agent $i gave up after its connections were closed: $(tail -n 3 "agent-$i.log")"
		n=$(grep -c 'event=disconnected .*reason=peer-closed' "agent-$i.log" || true)
		[ "$n" -ge 5 ] || short=$((short + 1))
	done
	[ $short -eq 0 ] && break
	sleep 0.1
done
[ $short -eq 0 ] || fail "$short agents lost fewer than 5 connections in 30 s"
closes=$(cat agent-*.log | grep -c 'event=disconnected .*reason=peer-closed')
kill -TERM "$PID_shed"
wait "$PID_shed" 2>/dev/null || true
pass "$N agents retry after $closes connections closed before the handshake: $(grep -m1 -o 'reason=peer-closed detail="[^"]*"' agent-1.log)"

start_gateway
for i in $(seq $N); do
	rc=0
	wait "${pids[i - 1]}" || rc=$?
	[ $rc -eq 0 ] || fail "agent $i exited $rc: $(tail -n 3 "agent-$i.log")"
done
check_store 3 "${names[@]}" >store.out || fail "store: $(cat store.out)"
pass "once gatewayd listens, every agent delivers its lines and exits 0: $(tail -n 1 store.out)"

# 2. The storm: evicted from a lobby of 2 before the handshake, at the
#    first connect and after a restart; all open, then all back.
"$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents --ca pki/ca.crt \
    --agents $STORM --mode storm --connect-rate 100000 --timeout 120 \
    >storm.out 2>&1 &
lg=$!
PIDS+=($lg)
wait_log storm.out all_open 100
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
mv gatewayd.log gatewayd-1.log
start_gateway
wait "$lg" || fail "storm run: $(cat storm.out)"
grep -q "all_back agents=$STORM" storm.out || fail "not all back: $(cat storm.out)"
kill -TERM "$PID_gatewayd"
wait "$PID_gatewayd" || fail "gatewayd exited non-zero on SIGTERM"
shed=$(cat gatewayd-1.log gatewayd.log |
    sed -n 's/.*event=listener_stats listener=agents .*silent_evicted_source=\([0-9]*\) silent_evicted_full=\([0-9]*\).*/\1 \2/p' |
    awk '{ n += $1 + $2 } END { print n + 0 }')
[ "$shed" -gt 0 ] || fail "no connection was evicted: the storm tested nothing"
pass "$(grep all_back storm.out); $shed connections evicted before their handshake"
