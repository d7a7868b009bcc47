#!/usr/bin/env bash
# A CLOSE never fails a link (issue 17, hole 11).  gw-mgmt stops (SIGSTOP);
# 8 agents push DATA through the gateway's one upstream link until its
# socket can never be writable again while gw-mgmt sleeps (ss: queued above
# 2/3 of the largest send buffer), then 2 more push 2.6 MB, more than
# gatewayd's output (512 KiB) and what the socket may still take: once all
# of it is in the gateway, DATA waits there for good, so the output has
# less room than the 16 KiB control reserve plus one DATA of 1,000 bytes.
# Then 150 other agents end their sessions at once with an ERROR: 150
# CLOSEs of 141 bytes (21 KB), more than that room.  The link stays up (no
# upstream_down: the CLOSEs are owed), and once gw-mgmt is back every line
# is stored exactly once, each ended agent's channel is closed at gw-mgmt
# by the gateway's CLOSE, and there was one link from start to end (one
# upstream_up, one gateway_ready, no server failure).  On 4a5f9ba a CLOSE
# without room closed the link: upstream_down reason=overload.
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse

SENDERS=10	# 8, then 2 more
ENDED=150
cd "$T"
command -v ss >/dev/null || fail "ss (iproute2) is needed"
# Lines of 1,000 bytes; the first 8 senders offer twice the largest send
# buffer (wmax) plus 2 MB, the last 2 a quarter more: above the 512 KiB of
# gatewayd's output plus the 1/4 of wmax the socket may still take.
wmax=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem)
LINES=$(((2 * wmax + 2000000) / 1000 / 8))
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent-send- \
    --count $SENDERS --out-dir agents >/dev/null
"$GW_CERT" issue-many --ca pki --role agent --prefix agent-end- \
    --count $ENDED --out-dir ended >/dev/null
METRICS_PORT=$(free_port)
GW_EXTRA="agent_window = $LINES
max_payload = 1k
buffer_budget = 1G"
GW_TAIL="[metrics]
listen = 127.0.0.1:$METRICS_PORT"
write_configs
# One link, and no heartbeat verdict on it while gw-mgmt is stopped.
sed -i 's/^connections = 2/connections = 1\nheartbeat = 60s/' gateway.ini
start mgmt "$GW_MGMT" -c "$T/mgmt.ini" --log-level debug
wait_port "$MGMT_PORT"
start_gateway
wait_port "$METRICS_PORT"

# The senders are open, their lines held back until go1 (go2 for the
# last two) exists.
pad=$(printf '%01000d' 0)
names=(); pids=()
for f in agents/*.crt; do
	n=$(basename "$f" .crt); names+=("$n")
	seq 1 $LINES | awk -v n="$n" -v pad="$pad" \
	    '{ print substr(sprintf("%s %07d %s", n, $1, pad), 1, 1000) }' >"$n.txt"
	go=go$(( ${#names[@]} > 8 ? 2 : 1 ))
	(while [ ! -e $go ] && kill -0 $$ 2>/dev/null; do sleep 0.05; done
	    cat "$n.txt") |
	    $(agent_cmd "$n" --timeout 300) >"agent-$n.log" 2>&1 &
	pids+=($!); PIDS+=($!)
done
# The agents that will end: each holds until its stdin (the FIFO) ends.
mkfifo gate
exec 7<>gate
text="the agent's disk failed; it stops here and will come back later: $(printf '%080d' 0)"
for f in ended/*.crt; do
	n=$(basename "$f" .crt)
	GW_ABUSE_CERT=$f GW_ABUSE_KEY=ended/$n.key GW_ABUSE_CA=pki/ca.crt \
	    "$ABUSE" error "127.0.0.1:$GW_PORT" "$text" hold \
	    <gate 7>&- >"end-$n.out" 2>&1 &
done
for n in "${names[@]}"; do wait_log "agent-$n.log" event=hello_ack 30; done
for ((i = 0; i < 1200; i++)); do
	[ "$(cat end-*.out | grep -c '^open after')" -eq $ENDED ] && break
	sleep 0.1
done
[ "$(cat end-*.out | grep -c '^open after')" -eq $ENDED ] ||
    fail "not all $ENDED agents are open: $(cat end-*.out | grep -v '^open after' | head -n 3)"
kill -STOP "$PID_mgmt"
touch go1

# queued, sndbuf: the link's socket at the gateway's end (ss skmem w, tb).
link_mem() {
	ss -tnmH state established "( dport = :$MGMT_PORT )" |
	    sed -n 's/.*skmem:(.*,tb\([0-9]*\),.*,w\([0-9]*\),.*/\2 \1/p'
}
# A socket is writable when its send buffer (at most wmax) has queued / 2
# free: once the link's holds 3/4 of wmax, it is never writable again until
# gw-mgmt reads (gw-mgmt's kernel takes far less than the 1/12 between), so
# gatewayd writes only what the socket still takes, then waits.
for ((i = 0; i < 600; i++)); do
	read -r w tb _ <<<"$(link_mem) 0 0"
	echo "w=$w tb=$tb" >>fill.log
	[ $((4 * w)) -ge $((3 * wmax)) ] && break
	sleep 0.1
done
[ $((4 * w)) -ge $((3 * wmax)) ] ||
    fail "the link's socket never filled up: $w of $tb bytes queued"
# Now the last 2.6 MB: what does not fit waits in the gateway for good.
touch go2
total=$((SENDERS * LINES * 1000))
for ((i = 0; i < 600; i++)); do
	http GET /metrics | tr -d '\r' >scrape.txt
	replay=$(awk '$1 == "gatewayd_replay_bytes" { print $2 }' scrape.txt)
	up=$(awk '$1 == "gatewayd_payload_bytes_total{direction=\"up\"}" { print $2 }' scrape.txt)
	echo "replay=$replay up=$up" >>fill.log
	[ "$replay" -eq $total ] && break
	sleep 0.1
done
[ "$replay" -eq $total ] || fail "gatewayd holds $replay bytes of DATA, want $total"
[ "$up" -lt "$replay" ] || fail "no DATA waits in the gateway"
pass "link full: socket $w/$tb bytes, $up bytes relayed, $((replay - up)) wait in the gateway"

# All end at once; gatewayd closes each session and owes its CLOSE.
exec 7>&-
for ((i = 0; i < 300; i++)); do
	[ "$(grep -c 'event=agent_closed agent=agent-end-' gatewayd.log)" -ge $ENDED ] && break
	sleep 0.1
done
[ "$(grep -c 'event=agent_closed agent=agent-end-' gatewayd.log)" -eq $ENDED ] ||
    fail "gatewayd did not close the $ENDED sessions"
! grep -q event=upstream_down gatewayd.log ||
    fail "a CLOSE failed the link: $(grep -m1 event=upstream_down gatewayd.log)"
pass "$ENDED agents ended while the link was full: the link stays up"

kill -CONT "$PID_mgmt"
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc senders did not get every line acknowledged"
check_store $LINES "${names[@]}" || fail "store not exactly-once"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'event=channel_closed_by_gateway .*agent=agent-end-' mgmt.log)" -ge $ENDED ] && break
	sleep 0.1
done
closed=$(grep -c 'event=channel_closed_by_gateway .*agent=agent-end-' mgmt.log || true)
[ "$closed" -eq $ENDED ] || fail "gw-mgmt closed $closed of the $ENDED channels"
[ "$(grep -c event=upstream_up gatewayd.log)" -eq 1 ] ||
    fail "the gateway reconnected: $(grep event=upstream_ gatewayd.log)"
[ "$(grep -c event=gateway_ready mgmt.log)" -eq 1 ] &&
    ! grep -q event=gateway_closed mgmt.log ||
    fail "gw-mgmt saw the link end: $(grep 'event=gateway_' mgmt.log)"
failures=$(http GET /metrics | tr -d '\r' | grep '^gatewayd_server_failures_total' || true)
[ -z "$failures" ] || fail "a server failure was counted: $failures"
pass "$SENDERS x $LINES lines stored exactly once; the $ENDED channels closed at gw-mgmt; one link throughout"
