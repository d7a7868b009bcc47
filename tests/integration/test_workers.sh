#!/usr/bin/env bash
# [gateway] workers = 2: one parent, two worker processes on one `listen`
# (SO_REUSEPORT).  Twenty agents (gw-agent, each its own certificate) send
# 400 lines each; the kernel spreads them over both workers (each serves
# its own metrics: [metrics] listen for worker 0, its port + 1 for worker
# 1).  One worker is killed with SIGKILL: the parent logs it, starts a new
# one on the same socket after a second, the agents reconnect (resuming
# their TLS sessions from tickets, also on the other worker: the workers
# share the ticket keys) and every line is stored exactly once.  The
# parent alone makes the next ticket key; the workers read it from the
# file.  SIGHUP
# reloads both workers (a bad file: none; a new `workers`: named as a
# restart key, no worker added); SIGTERM drains both and the
# parent exits 0.
#
# Not asserted here (test_workers_handover.sh): an agent reconnecting onto
# the other worker while its old session still lingers on the first.
# Here the old worker is dead, so no session of it lingers.
source "$(dirname "$0")/lib.sh" "$@"
N=20
LINES=400

cd "$T"
make_pki pki
issue_agents agent- $N
mkdir -p state
metrics_port	# and worker 1's, the next port: free too
for ((i = 0; i < 50; i++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$((METRICS_PORT + 1))") 2>/dev/null ||
	    break
	metrics_port
done
GW_EXTRA="workers = 2
ticket_keys = state/ticket.keys
ticket_lifetime = 24s
drain_timeout = 5s"
GW_TAIL=$METRICS_INI
write_configs
start_mgmt
# systemd's side (Type=notify): the parent alone speaks to it.
start notify "$BUILD/tests/gw-dgram-sink" "$T/notify.sock"
for ((i = 0; i < 50; i++)); do [ -S notify.sock ] && break; sleep 0.1; done
NOTIFY_SOCKET=$T/notify.sock start gatewayd "$GATEWAYD" -c gateway.ini
wait_port "$GW_PORT"
wait_log gatewayd.log "event=workers_started workers=2" 10
M0=$METRICS_PORT
M1=$((METRICS_PORT + 1))
wait_port "$M0"
wait_port "$M1"
parent=$PID_gatewayd
# worker_pid I: the pid of worker I's newest start.
worker_pid() {
	sed -n "s/.*event=worker_started worker=$1 pid=\([0-9]*\).*/\1/p" \
	    gatewayd.log | tail -n 1
}
w0=$(worker_pid 0)
w1=$(worker_pid 1)
[ -n "$w0" ] && [ -n "$w1" ] && [ "$w0" != "$w1" ] ||
    fail "two workers were not started: $(grep worker_started gatewayd.log)"
[ "$(tr '\0' ' ' <"/proc/$w1/stat" | cut -d' ' -f4)" = "$parent" ] ||
    fail "worker 1 ($w1) is not the parent's ($parent) child"
for p in "$w0" "$w1"; do
	wait_log gatewayd.log "gatewayd\[$p\].*event=upstream_up" 10
done
wait_log notify.log "^READY=1|STATUS=2 of 2 workers running$" 5
pass "parent $parent started workers $w0 and $w1, each with its links; READY=1 sent"

seq 1 $LINES | sed 's/^/line /' >lines.txt
apids=()
for a in "${AGENT_NAMES[@]}"; do
	$(agent_cmd "$a" --file lines.txt --rate 25 --timeout 120) \
	    >"$a.log" 2>&1 &
	apids+=($!)
done

# per_worker PORT: authenticated agents on the worker serving PORT.
per_worker() {
	METRICS_PORT=$1 metric 'gatewayd_agents{state="authenticated"}'
}
for ((i = 0; i < 100; i++)); do
	a0=$(per_worker "$M0"); a1=$(per_worker "$M1")
	[ $((${a0:-0} + ${a1:-0})) -eq $N ] && break
	sleep 0.1
done
[ $((${a0:-0} + ${a1:-0})) -eq $N ] ||
    fail "agents on the workers: $a0 + $a1, want $N"
[ "${a0:-0}" -gt 0 ] && [ "${a1:-0}" -gt 0 ] ||
    fail "the agents did not land on both workers: $a0 and $a1"
pass "$N agents spread over the workers: $a0 on worker 0, $a1 on worker 1"
[ "$(METRICS_PORT=$M1 metric 'gatewayd_workers{worker="1"}')" = 2 ] ||
    fail "worker 1's metrics do not say so"
"$GATEWAYD" status -c gateway.ini >status0.out || true
grep -q "^worker 0 of 2:" status0.out || fail "status: $(cat status0.out)"
grep -q "^agents: $a0 connected" status0.out || fail "status: $(cat status0.out)"
"$GATEWAYD" status --metrics "127.0.0.1:$M1" >status1.out || true
grep -q "^worker 1 of 2:" status1.out && grep -q "^agents: $a1 connected" \
    status1.out || fail "status of worker 1: $(cat status1.out)"
pass "gatewayd status reads worker 0's metrics, --metrics port + 1 worker 1's"

# The agents on worker 1 lose it in the middle of their lines.
sleep 3
on1=$(grep "gatewayd\[$w1\].*event=agent_authenticated" gatewayd.log |
    sed -n 's/.* agent=\([^ ]*\) .*/\1/p' | sort -u)
kill -KILL "$w1"
wait_log gatewayd.log "event=worker_died worker=1 pid=$w1 signal=9" 5
for ((i = 0; i < 50; i++)); do
	n1=$(worker_pid 1)
	[ "$n1" = "$w1" ] || break
	sleep 0.1
done
[ "$n1" != "$w1" ] || fail "worker 1 was not started again"
wait_log gatewayd.log "gatewayd\[$n1\].*event=upstream_up" 10
pass "worker 1 killed: $(grep -m1 "event=worker_died" gatewayd.log |
    sed 's/.*event=/event=/'); started again as $n1"

for p in "${apids[@]}"; do
	wait "$p" || fail "an agent failed: $(grep -l . agent-*.log | head -n 3)"
done
check_store $LINES "${AGENT_NAMES[@]}" >store.out ||
    fail "store: $(tail -n 5 store.out)"
pass "every line of the $N agents stored exactly once: $(tail -n 1 store.out)"

# Those that were on worker 1 resumed their sessions after its death, and
# some of them on worker 0: a ticket of one worker resumes on the other.
resumed=0 crossed=0
for a in $on1; do
	l=$(grep "event=agent_authenticated agent=$a .*resumed=yes" \
	    gatewayd.log | head -n 1)
	[ -n "$l" ] || continue
	resumed=$((resumed + 1))
	case $l in *"gatewayd[$w0]"*) crossed=$((crossed + 1)) ;; esac
done
n_on1=$(wc -w <<<"$on1")
[ "$resumed" -eq "$n_on1" ] ||
    fail "of the $n_on1 agents of worker 1, $resumed resumed"
[ "$crossed" -gt 0 ] ||
    fail "none of the $n_on1 agents of worker 1 resumed on worker 0"
r0=$(METRICS_PORT=$M0 metric gatewayd_handshakes_resumed_total)
[ "${r0:-0}" -ge "$crossed" ] ||
    fail "worker 0 counts ${r0:-0} resumed handshakes, want >= $crossed"
pass "$resumed of worker 1's $n_on1 agents resumed, $crossed on worker 0 (its resumed count: $r0)"

# Ticket keys: the parent alone makes the next key (ticket_lifetime 24s:
# due 3 s early, 21 s after the first) and writes the file; a worker whose
# key is due reads the file at its next handshake (here: each agent again,
# a new process with one line, a full handshake).
wait_log gatewayd.log "gatewayd\[$parent\].*event=ticket_key_rotated" 40
! grep -E "gatewayd\[($w0|$n1)\].*event=ticket_key_rotated" gatewayd.log ||
    fail "a worker made a ticket key"
echo "one more line" >one.txt
apids=()
for a in "${AGENT_NAMES[@]}"; do
	$(agent_cmd "$a" --file one.txt --timeout 30) >"$a-again.log" 2>&1 &
	apids+=($!)
done
for p in "${apids[@]}"; do
	wait "$p" || fail "an agent failed again: $(grep -l . agent-*-again.log | head -n 3)"
done
for p in "$w0" "$n1"; do
	wait_log gatewayd.log "gatewayd\[$p\].*event=ticket_keys_reloaded" 5
done
pass "the parent made the next ticket key; both workers read it from the file"

# SIGHUP: checked by the parent, then each worker reloads.
kill -HUP "$parent"
wait_log gatewayd.log "event=reload_sent workers=2" 5
for p in "$w0" "$n1"; do
	wait_log gatewayd.log "gatewayd\[$p\].*event=reloaded" 5
done
pass "SIGHUP reloaded both workers"
cp gateway.ini gateway.good
sed -i 's/^workers = 2$/workers = 3/' gateway.ini
kill -HUP "$parent"
for p in "$w0" "$n1"; do
	wait_log gatewayd.log \
	    "gatewayd\[$p\].*event=reload_partial restart_needed=\"[^\"]*workers" 5
done
[ -z "$(worker_pid 2)" ] || fail "a third worker was started on reload"
cp gateway.good gateway.ini
pass "workers is a restart key: both workers name it, none is added"
cp gateway.ini gateway.good
echo "bogus_key = 1" >>gateway.ini
kill -HUP "$parent"
wait_log gatewayd.log "event=reload_failed .*nothing sent" 5
sleep 0.5
[ "$(grep -c "event=reloaded" gatewayd.log)" -eq 4 ] ||
    fail "a worker reloaded a bad file"
cp gateway.good gateway.ini
pass "a bad file is refused by the parent, no worker reloads"

stop gatewayd TERM
[ "$STOP_RC" -eq 0 ] || fail "the parent exited $STOP_RC on SIGTERM"
for p in "$w0" "$n1"; do
	grep -q "gatewayd\[$p\].*event=draining" gatewayd.log ||
	    fail "worker $p did not drain"
	[ ! -e "/proc/$p" ] || fail "worker $p still runs"
done
grep -q "event=workers_stopped status=0" gatewayd.log ||
    fail "no workers_stopped line"
grep -q "^STOPPING=1" notify.log || fail "no STOPPING=1: $(cat notify.log)"
! grep -q "agents;" notify.log ||
    fail "a worker spoke to systemd: $(grep "agents;" notify.log | head -n 1)"
[ "$(grep -c "^READY=1" notify.log)" -eq 4 ] ||
    fail "want READY=1 at start and after each of 3 SIGHUPs: $(cat notify.log)"
pass "SIGTERM: both workers drained, the parent exited 0; only the parent spoke to systemd"

# What workers cannot share is refused at start, with file:line.
cp gateway.good gateway.ini
sed -i 's/^workers = 2$/workers = 65/' gateway.ini
rc=0; "$GATEWAYD" --check-config gateway.ini >bad.out 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "gateway.ini:[0-9]*: \[gateway\] workers" bad.out ||
    fail "workers = 65 accepted: $(cat bad.out)"
sed -i 's/^workers = 65$/workers = 2/; s/^server = .*/server = mgmt/' gateway.ini
sed -i 's/^server_name = mgmt$/mode = accept\nlisten = 127.0.0.1:1/' gateway.ini
rc=0; "$GATEWAYD" --check-config gateway.ini >bad.out 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "workers: only with \[upstream\] mode = dial" bad.out ||
    fail "workers with mode = accept: $(cat bad.out)"
pass "refused: $(grep -m1 workers bad.out | cut -c1-100)"
