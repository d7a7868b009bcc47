#!/usr/bin/env bash
# A hostile agent beside 50 honest ones (issue 17's containment test).  The
# hostile agent holds a valid certificate of the same CA and does the worst
# it can while the 50 stream through one gatewayd to one gw-mgmt:
#   - DATA numbered above 2^63-1, reconnecting again and again (gw-abuse
#     seq): each of its sessions ends with ERROR sequence;
#   - several sessions under its own name at once: the older ones are
#     superseded, never another agent's;
#   - an ERROR whose text holds a newline, quotes and a forged field: one
#     escaped log line;
#   - a token reused for a live agent's name (the token an honest agent
#     enrolled with): refused name-taken, no certificate;
#   - floods: 300 half-finished handshakes, 300 silent connections, a
#     frame header announcing 16 MiB, PINGs it never reads the answers to,
#     30 junk enrollment requests on one connection (16 answered, then
#     closed).
# Then: every honest line is stored exactly once, no honest session was
# closed, both daemons still run and no batch failed.
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse
HONEST=50
LINES=3000

cd "$T"
make_pki pki
mkdir -p agents
FP=$("$GW_CERT" fingerprint pki/ca.crt)
ENROLL_PORT=$(free_port)
names=()
for ((i = 1; i < HONEST; i++)); do
	n=$(printf 'agent-%02d' "$i")
	names+=("$n")
	"$GW_CERT" issue --ca pki --role agent --name "$n" --out "agents/$n" >/dev/null
done
"$GW_CERT" issue --ca pki --role agent --name agent-evil --out agents/agent-evil >/dev/null
export GW_ABUSE_CERT=agents/agent-evil.crt GW_ABUSE_KEY=agents/agent-evil.key \
    GW_ABUSE_CA=pki/ca.crt
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
MGMT_TAIL="batch_delay = 20ms
[enroll]
ca_dir = pki
retry_after = 1s"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"
ADDR=127.0.0.1:$GW_PORT

# The 50th honest agent enrolls with a token good for two uses.
last=$(printf 'agent-%02d' "$HONEST")
names+=("$last")
TOKEN=$("$GW_CERT" token create --ca pki --uses 2 --names 'agent-*')
"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" --ca-fingerprint "$FP" \
    --name "$last" --key "agents/$last.key" --cert "agents/$last.crt" \
    --ca agents/ca.crt --token "$TOKEN" >enroll-honest.log 2>&1 ||
    fail "$last did not enroll: $(tail -n 2 enroll-honest.log)"

# Each honest agent sends half its lines, then waits on the gate (a lock
# this shell holds) for the abuse to end before the rest: its session lives
# through every attack however fast or slow the machine is.
exec {gate}>gate
flock -x "$gate"
feed() { # feed FILE: its first half, then the rest once the gate opens
	head -n $((LINES / 2)) "$1"
	flock -s gate true
	tail -n +$((LINES / 2 + 1)) "$1"
}
pids=()
for n in "${names[@]}"; do
	seq 1 $LINES | sed "s/^/$n line /" >"lines-$n.txt"
	feed "lines-$n.txt" | $(agent_cmd "$n" --rate 100 --timeout 240) \
	    >"agent-$n.log" 2>&1 &
	pids+=($!)
done
for n in "${names[@]}"; do
	wait_log "agent-$n.log" "event=hello_ack" 30
done
pass "$HONEST honest agents streaming"

# 1. Out-of-range seqs, session after session.
"$ABUSE" seq "$ADDR" 9223372036854775808 20 >seq.log 2>&1 ||
    fail "gw-abuse seq: $(tail -n 3 seq.log)"
got=$(grep -c 'sequence (DATA sequence above 2^63-1' seq.log || true)
[ "$got" = 20 ] || fail "$got of 20 out-of-range sessions got ERROR sequence: $(sort seq.log | uniq -c | head -n 3)"
pass "20 sessions with DATA seq 2^63: each ended with ERROR sequence"

# 2. Several sessions under its own name at once: only its own are
#    superseded.
same=()
for i in 1 2 3 4; do
	# The last one stays open: 3 s is enough to see the others go.
	timeout 3 "$ABUSE" noread "$ADDR" 1 ping >"same-$i.log" 2>&1 &
	same+=($!)
done
for p in "${same[@]}"; do wait "$p" || true; done
n=$(grep -c 'event=agent_superseded agent=agent-evil' gatewayd.log || true)
[ "$n" -ge 1 ] || fail "no session of agent-evil was superseded: $(cat same-*.log)"
! grep 'event=agent_superseded' gatewayd.log | grep -qv 'agent=agent-evil' ||
    fail "another agent was superseded: $(grep 'event=agent_superseded' gatewayd.log | grep -v agent-evil | head -n 2)"
pass "4 sessions under one name: $n superseded, all of them agent-evil's"

# 3. ERROR text with a newline, quotes and a forged field.
"$ABUSE" error "$ADDR" $'evil\n" event=agent_closed agent=agent-01 reason=forged' \
    >error.log 2>&1 || fail "gw-abuse error: $(cat error.log)"
wait_log gatewayd.log 'reason=forged' 10
n=$(grep -c 'reason=forged' gatewayd.log || true)
[ "$n" = 1 ] || fail "the forged text is on $n lines"
grep 'reason=forged' gatewayd.log | grep -q '^.*event=agent_closed agent=agent-evil .*evil\\x0a\\" event=' ||
    fail "not escaped: $(grep 'reason=forged' gatewayd.log)"
pass "ERROR text escaped in one line of agent-evil's"

# 4. The honest agent's token, reused for its live name.
rc=0
"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" --ca-fingerprint "$FP" \
    --name "$last" --key agents/thief.key --cert agents/thief.crt \
    --ca agents/ca.crt --token "$TOKEN" >thief.log 2>&1 || rc=$?
[ $rc -eq 3 ] && grep -q name-taken thief.log ||
    fail "token reused for $last: exit $rc: $(tail -n 2 thief.log)"
[ ! -e agents/thief.crt ] || fail "a certificate was issued for a live name"
pass "token reused for $last's live name: refused name-taken"

# 5. Floods.
"$ABUSE" half "$ADDR" 300 2 >half.log 2>&1 || fail "gw-abuse half: $(cat half.log)"
silent=()
for _ in $(seq 300); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$GW_PORT" && silent+=("$fd")
done
out=$("$ABUSE" huge "$ADDR" 16777216 5)
case $out in *too-big*) ;; *) fail "16 MiB header: $out" ;; esac
out=$("$ABUSE" noread "$ADDR" 100000 ping)
case $out in *"closed after"*) ;; *) fail "PING flood: $out" ;; esac
wait_log gatewayd.log 'event=agent_closed agent=agent-evil .*reason=overload' 10
out=$("$ABUSE" enroll "127.0.0.1:$ENROLL_PORT" 30 port)
case $out in *"answered 16 of 30"*) ;; *) fail "enrollment junk (16 per connection): $out" ;; esac
for fd in "${silent[@]}"; do exec {fd}>&-; done
pass "floods: half handshakes, silent connections, a 16 MiB header, unread PONGs, junk enrollment"

for p in "${pids[@]}"; do
	kill -0 "$p" 2>/dev/null ||
	    fail "an honest agent ended during the abuse: $(tail -n 2 agent-agent-*.log | head -n 6)"
done
flock -u "$gate"	# the lock, not the fd: the feeders inherited it
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$((rc + 1)); done
[ $rc -eq 0 ] || fail "$rc honest agents did not get every line acknowledged"
! grep -q "event=disconnected\|superseded" agent-agent-[0-9]*.log ||
    fail "an honest session was closed: $(grep -h 'event=disconnected\|superseded' agent-agent-[0-9]*.log | head -n 3)"
! grep -q "event=store_failed" mgmt.log ||
    fail "gw-mgmt failed a batch: $(grep -m 3 'event=store_failed' mgmt.log)"
pass "no honest session closed, no batch failed"
check_store $LINES "${names[@]}" >check.log ||
    fail "store: $(tail -n 5 check.log)"
pass "every honest line stored exactly once: $(tail -n 1 check.log)"
kill -0 "$PID_gatewayd" && kill -0 "$PID_mgmt" || fail "a process died"
