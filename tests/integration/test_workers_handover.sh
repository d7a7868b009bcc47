#!/usr/bin/env bash
# [gateway] workers = 2: one agent identity (one certificate, driven by
# tests/tools/handover_agent.py) whose old session LINGERS (its TCP
# connection left open) while it connects again, round after round.  The
# kernel's SO_REUSEPORT hash puts each new connection on either worker, so
# some rounds move the agent between the workers (the parent asks the old
# one to RELEASE it, then GRANTs it to the new one: docs/PROTOCOL.md 9.14)
# and others stay on one worker (superseded there, no hand-over).  Each
# round: the new session's HELLO_ACK has last_seq = every DATA acknowledged
# so far; the lingering session gets ERROR superseded and is closed by the
# gateway, whichever worker it was on; then three DATA, acknowledged.
# Then rounds with DATA in flight (sent, not yet acknowledged) on the
# lingering session: last_seq between them, the rest resent.  Then two
# sessions race onto the workers at once (at most one stays open; the
# agent connects again after), and the worker holding the agent is
# killed (kill -9): the agent connects again with the right last_seq;
# then it is stopped (SIGSTOP): the parent kills it once its RELEASE is
# overdue, and the agent's new session on the other worker goes on.
# gw-mgmt (log_level debug) stores each seq once, has the agent online
# through its newest session after each step, closes none of the
# agent's channels itself (no `sequence`: never two writers), and opened
# each channel with the last_seq the agent was told.
source "$(dirname "$0")/lib.sh" "$@"
# Each of the ROUNDS crosses workers with probability 1/2 (2 workers, a
# hash of a random source port): no round crosses, or every round does,
# each with probability 2^-24 (6e-8, below 1e-6).
ROUNDS=24
PER=3		# DATA per round
RACES=6
INFLIGHT=8	# rounds with DATA in flight
A=agent-h

python3 -c 'import ssl' 2>/dev/null || fail "python3 has no ssl module"
cd "$T"
make_pki pki
mkdir -p agents
"$GW_CERT" issue --ca pki --role agent --name $A --out agents/$A >/dev/null
metrics_port	# and worker 1's, the next port: free too
for ((i = 0; i < 50; i++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$((METRICS_PORT + 1))") 2>/dev/null ||
	    break
	metrics_port
done
mkdir -p state
GW_EXTRA="workers = 2
ticket_keys = state/ticket.keys"
GW_TAIL=$METRICS_INI
write_configs
sed -i 's/^\[mgmt\]$/[mgmt]\nlog_level = debug/' mgmt.ini
start_mgmt
start gatewayd "$GATEWAYD" -c gateway.ini
wait_port "$GW_PORT"
wait_log gatewayd.log "event=workers_started workers=2" 10
M0=$METRICS_PORT
M1=$((METRICS_PORT + 1))
wait_port "$M0"
wait_port "$M1"
parent=$PID_gatewayd
worker_pid() {
	sed -n "s/.*event=worker_started worker=$1 pid=\([0-9]*\).*/\1/p" \
	    gatewayd.log | tail -n 1
}
w0=$(worker_pid 0)
w1=$(worker_pid 1)
[ -n "$w0" ] && [ -n "$w1" ] && [ "$w0" != "$w1" ] ||
    fail "two workers were not started: $(grep worker_started gatewayd.log)"
for p in "$w0" "$w1"; do
	wait_log gatewayd.log "gatewayd\[$p\].*event=upstream_up" 10
done
pass "parent $parent, workers $w0 and $w1, each with its links"

coproc AG { exec python3 -B "$SRC/tests/tools/handover_agent.py" \
    --gateway "127.0.0.1:$GW_PORT" --cert agents/$A.crt \
    --key agents/$A.key --ca pki/ca.crt 2>agent-h.log; }
PIDS+=("$AG_PID")
AG_IN=${AG[1]}
AG_OUT=${AG[0]}
# ag CMD: the agent's answer to CMD in R; fails the test unless "ok".
ag() {
	echo "$*" >&"$AG_IN"
	R=
	read -r -t 60 -u "$AG_OUT" R || fail "the agent did not answer '$*'" \
	    "($(tail -n 3 agent-h.log))"
	[[ $R == ok* ]] || fail "agent: $*: $R"
}
SENT=0		# every DATA sent and acknowledged
# connect_send: a new session (the old one lingering, if any), with
# last_seq $SENT; then $PER DATA acknowledged.
connect_send() {
	ag connect
	[[ $R == "ok last_seq=$SENT "* ]] || fail "connect: $R, want last_seq=$SENT"
	send_some
}
send_some() {
	ag send $PER
	SENT=$((SENT + PER))
	[ "$R" = "ok acked=$SENT" ] || fail "send: $R, want acked=$SENT"
}
# sessions: the worker pid of each session of the agent, in order.
sessions() {
	sed -n "s/.*gatewayd\[\([0-9]*\)\].*event=agent_authenticated agent=$A .*/\1/p" \
	    gatewayd.log
}
# authenticated: agents with a session on either worker.
authenticated() {
	local a b
	a=$(METRICS_PORT=$M0 metric 'gatewayd_agents{state="authenticated"}')
	b=$(METRICS_PORT=$M1 metric 'gatewayd_agents{state="authenticated"}')
	echo $((${a:-0} + ${b:-0}))
}
# one_session: both workers together hold exactly one session of it.
one_session() {
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(authenticated)
		[ "$n" = 1 ] && return 0
		sleep 0.1
	done
	fail "$1: the workers hold $n sessions of $A, want 1"
}

# mgmt_view WHEN: gw-mgmt's store (gw-mgmt agents) has the agent online
# through its newest session (the peer of its newest OPEN; its last_seq
# there is written lazily, not checked): the channel of the newest session holds the agent's name there,
# whatever order the old channel's CLOSE and the new OPEN were read in.
mgmt_view() {
	local peer i out
	peer=$(sed -n "s/.*event=agent_authenticated agent=$A peer=\([^ ]*\) .*/\1/p" \
	    gatewayd.log | tail -n 1)
	for ((i = 0; i < 50; i++)); do
		out=$("$GW_MGMT" agents --db store.db --json 2>&1) || true
		[[ $out == *"\"peer\":\"$peer\""*"\"state\":\"online\""* ]] &&
		    return 0
		sleep 0.1
	done
	fail "$1: gw-mgmt agents: $out; want online from $peer"
}

# 1. Rounds: the old session lingers while the agent connects again.
connect_send
for ((r = 1; r <= ROUNDS; r++)); do
	connect_send
done
one_session "after $ROUNDS rounds"
mgmt_view "after $ROUNDS rounds"
mapfile -t S < <(sessions)
[ ${#S[@]} -eq $((ROUNDS + 1)) ] ||
    fail "gatewayd authenticated ${#S[@]} sessions of $A, want $((ROUNDS + 1))"
crossed=0 stayed=0
for ((r = 1; r <= ROUNDS; r++)); do
	case ${S[r]} in
	"$w0"|"$w1") ;;
	*) fail "session $r on pid ${S[r]}, no worker" ;;
	esac
	if [ "${S[r]}" != "${S[r - 1]}" ]; then
		crossed=$((crossed + 1))
	else
		stayed=$((stayed + 1))
	fi
done
[ $crossed -gt 0 ] || fail "no round of $ROUNDS crossed workers (p=2^-$ROUNDS)"
[ $stayed -gt 0 ] || fail "every round of $ROUNDS crossed workers (p=2^-$ROUNDS)"
# The parent asked the old worker to RELEASE in each round that crossed,
# and GRANTed once it had; in no other round (it grants a worker's claim
# of an agent it already holds without a word).
rel=$(grep -c "gatewayd\[$parent\].*event=handover_release agent=$A " \
    gatewayd.log || true)
gra=$(grep -c "gatewayd\[$parent\].*event=handover_granted agent=$A " \
    gatewayd.log || true)
[ "$rel" = $crossed ] && [ "$gra" = $crossed ] ||
    fail "the parent logged $rel handover_release and $gra handover_granted" \
    "of $A, want $crossed each: $(grep "event=handover_" gatewayd.log | head -n 5)"
relw=$(grep -E -c "gatewayd\[($w0|$w1)\].*event=handover_released agent=$A " \
    gatewayd.log || true)
[ "$relw" = $crossed ] ||
    fail "the workers logged $relw handover_released of $A, want $crossed"
pass "$ROUNDS rounds with the old session lingering: $crossed crossed workers" \
    "(RELEASE, RELEASED, GRANT each), $stayed stayed; each new session had" \
    "last_seq = every DATA acknowledged; each old one got ERROR superseded and was closed"

# gw-mgmt opened each of those channels with the last_seq the agent was
# told (the old channel's rows were all committed before the new one
# opened), and closed none of the agent's channels itself: no `sequence`
# (two writers of one sequence space), no `superseded`.
mapfile -t O < <(sed -n "s/.*event=channel_open gateway=[^ ]* channel=[0-9]* agent=$A last_seq=\([0-9]*\).*/\1/p" \
    mgmt.log)
[ ${#O[@]} -eq $((ROUNDS + 1)) ] ||
    fail "gw-mgmt opened ${#O[@]} channels of $A, want $((ROUNDS + 1))"
for ((r = 0; r <= ROUNDS; r++)); do
	[ "${O[r]}" = $((r * PER)) ] ||
	    fail "gw-mgmt opened channel $r of $A at last_seq ${O[r]}, want $((r * PER))"
done
for ((i = 0; i < 50; i++)); do
	c=$(grep -c "event=channel_closed_by_gateway .*agent=$A reason=superseded" \
	    mgmt.log || true)
	[ "$c" = $ROUNDS ] && break
	sleep 0.1
done
[ "$c" = $ROUNDS ] ||
    fail "gw-mgmt read $c CLOSE(superseded) of $A's channels, want $ROUNDS"
# Not asserted (PROTOCOL.md 9.14: the old worker's CLOSE and the new one's
# OPEN go on two links, read in either order; the new channel holds the
# agent's name): how often gw-mgmt opened the new channel before reading
# the old one's CLOSE.
overlaps=$(awk -v a="agent=$A " '
	index($0, "event=channel_open ") && index($0, a) {
		if (++n > 1) o++
	}
	index($0, "event=channel_closed_by_gateway ") && index($0, a) { n-- }
	END { print o + 0 }' mgmt.log)
pass "gw-mgmt: $((ROUNDS + 1)) channels of $A opened at last_seq 0, $PER, ..., $((ROUNDS * PER)); $ROUNDS closed by the gateway as superseded ($overlaps read after the next OPEN)"

# The same with DATA in flight: the old session sent $PER DATA and did not
# wait for their ACKs.  The new session's last_seq is at least what was
# acknowledged, at most what was sent (the agent checks), and the agent
# resends the rest on it, acknowledged; the store has each once (below).
inflight=
for ((r = 1; r <= INFLIGHT; r++)); do
	ag send $PER nowait
	SENT=$((SENT + PER))
	[ "$R" = "ok sent=$SENT" ] || fail "send nowait: $R, want sent=$SENT"
	ag connect
	[[ $R == *" old=superseded,"* ]] || fail "in flight $r: $R"
	[[ $R == "ok last_seq=$SENT "* || $R == *" acked=$SENT" ]] ||
	    fail "in flight $r: $R, want last_seq or acked $SENT"
	inflight+="${R#ok last_seq=} | "
	inflight=${inflight// retries=0/}
done
one_session "after $INFLIGHT rounds with DATA in flight"
mgmt_view "after $INFLIGHT rounds with DATA in flight"
pass "$INFLIGHT rounds with $PER DATA in flight on the lingering session:" \
    "last_seq within what was acknowledged and sent, the rest resent: $inflight"

# 4. Two new sessions at once (the old one lingering): at most one stays.
denied0=$(grep -c "gatewayd\[$parent\].*event=handover_denied agent=$A " \
    gatewayd.log || true)
outcomes=
for ((r = 1; r <= RACES; r++)); do
	ag race
	outcomes+="${R#ok } | "
	case $R in
	*" open=1 "*) send_some ;;
	*" open=0 "*) ;;
	*) fail "race $r: $R" ;;
	esac
	connect_send
	one_session "after race $r"
	mgmt_view "after race $r"
done
denied=$(( $(grep -c "gatewayd\[$parent\].*event=handover_denied agent=$A " \
    gatewayd.log || true) - denied0 ))
pass "$RACES races of two sessions: at most one stayed open, the agent" \
    "connected again after each ($denied CLAIMs denied by the parent): $outcomes"

# 5. The worker holding the agent is killed: the agent connects again
# (through the other worker, or the one started again) with its last_seq.
holder=$(sessions | tail -n 1)
case $holder in "$w0") wi=0 ;; "$w1") wi=1 ;; *) fail "holder $holder" ;; esac
kill -KILL "$holder"
ag lost
wait_log gatewayd.log "event=worker_died worker=$wi pid=$holder signal=9" 5
connect_send
now=$(sessions | tail -n 1)
[ "$now" != "$holder" ] || fail "a session on the killed worker $holder"
pass "worker $wi ($holder) killed holding $A: the session was lost, the" \
    "agent connected again on pid $now with last_seq $((SENT - PER))"
# The worker started again takes its share: the agent, lingering on the
# other, can move onto it (or stay) as before.
for ((i = 0; i < 50; i++)); do
	again=$(worker_pid $wi)
	[ "$again" != "$holder" ] && break
	sleep 0.1
done
[ "$again" != "$holder" ] || fail "worker $wi was not started again"
wait_log gatewayd.log "gatewayd\[$again\].*event=upstream_up" 10
for ((r = 1; r <= 8; r++)); do
	connect_send
done
one_session "after the kill"
mgmt_view "after the kill"
n=$(sessions | tail -n 8 | grep -c -x "$again" || true)
pass "worker $wi started again as $again: 8 more rounds, $n of them on it"
# 6. The worker holding the agent is stopped (SIGSTOP): it cannot answer
# the RELEASE of the agent's next session on the other worker.  The parent
# kills it once the RELEASE is overdue (5 s, PROTOCOL.md 9.14), grants the
# agent to the other, and the agent gets HELLO_ACK with its last_seq; the
# old session ends with its worker, with no ERROR.
holder=$(sessions | tail -n 1)
wi=$(sed -n "s/.*event=worker_started worker=\([01]\) pid=$holder\( .*\)\{0,1\}$/\1/p" \
    gatewayd.log)
[ -n "$wi" ] || fail "holder $holder is no worker"
kill -STOP "$holder"
echo frozen >&"$AG_IN"
R=
read -r -t 60 -u "$AG_OUT" R || true
kill -CONT "$holder" 2>/dev/null || true
[[ $R == "ok last_seq=$SENT "* ]] || fail "frozen: $R, want last_seq=$SENT"
[[ $R == *" old=None,"* ]] || fail "frozen: $R: the old session had an ERROR"
FR=${R#ok }
grep -q "gatewayd\[$parent\].*event=handover_overdue worker=$wi " gatewayd.log ||
    fail "the parent did not find worker $wi's RELEASE overdue"
wait_log gatewayd.log "event=worker_died worker=$wi pid=$holder signal=9" 5
send_some
one_session "after the stopped worker"
mgmt_view "after the stopped worker"
pass "worker $wi ($holder) stopped holding $A: the parent killed it, its" \
    "RELEASE overdue; the agent got HELLO_ACK on pid $(sessions | tail -n 1):" \
    "$FR"
ag quit

# 2. Every DATA stored once, none missing.
check_store $SENT $A >store.out || fail "store: $(tail -n 5 store.out)"
pass "every seq 1..$SENT of $A stored exactly once: $(tail -n 1 store.out)"

# 3. gw-mgmt never closed a channel of the agent itself.
if grep -E "event=(channel_closed|bug|store_refused) .*agent=$A |event=bug" \
    mgmt.log; then
	fail "gw-mgmt closed a channel of $A itself (above)"
fi
if grep -E "reason=sequence|event=foreign" mgmt.log gatewayd.log; then
	fail "a sequence error (above)"
fi
pass "gw-mgmt closed no channel of $A itself: no sequence error, no superseded"
