#!/usr/bin/env bash
# The fleet (issue 20's acceptance test), real processes and mutual TLS:
# 100 agents over two gateways (half of them prefer each) and two gw-mgmt
# servers (A, then B, for both gateways) on one shared PostgreSQL store.
#  - a command to a pattern of 50 agents is sent; while their handlers
#    run, gateway 1 and server A are killed (kill -9) and restarted: the
#    agents and links fail over, and each of the 50 runs it exactly once
#    (its handler appends one line per run to a shared file), none of the
#    other 50 runs it, and each result (the handler's output) is in the
#    store, done;
#  - one of the 50, stopped (SIGTERM) before the send, runs it when it
#    comes back after the kills;
#  - a command of ttl 1s to that agent, while it is offline, expires: it
#    is never run, and command show says expired;
#  - neither server logged a store failure.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=100
TARGETS='fleet-00[5-9]?'	# fleet-0050 .. fleet-0099: 50 agents
AWAY=fleet-0061			# a target, offline when the commands are sent
# Under the sanitizers every process costs several times the CPU: the
# bounds are longer, and the polls (each one a gw-mgmt process) sparser.
SLOW=1 POLL=0.2
grep -qa __asan_init "$GATEWAYD" && SLOW=4 POLL=1
cd "$T"

make_pki pki
issue_agents fleet- $AGENTS
names=("${AGENT_NAMES[@]}")

A_PORT=$(free_port); B_PORT=$(free_port)
G1_PORT=$(free_port); G2_PORT=$(free_port)
# resend = 1s: a RESULT lost with a link is asked for again within a
# second, and the expiry round runs every second.
servers_store postgresql "[commands]
resend = 1s"
mgmt_ini mgmt-a "$A_PORT" "$STORE_A"
mgmt_ini mgmt-b "$B_PORT" "$STORE_B"
# The links' heartbeat: 1s x 3 (not 500ms x 3): a kill -9 closes a link
# at once, and a server starved of the CPU for 1.5 s by a hundred agents
# starting up (under the sanitizers) is not the fault tested here.
for g in 1 2; do
	port=$G1_PORT; [ $g = 2 ] && port=$G2_PORT
	fleet_gateway_ini $g "127.0.0.1:$port" \
	    "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" "" "heartbeat = 1s"
done
start mgmt_a "$GW_MGMT" -c mgmt-a.ini; wait_port "$A_PORT"
start mgmt_b "$GW_MGMT" -c mgmt-b.ini; wait_port "$B_PORT"
start gw1 "$GATEWAYD" -c gateway1.ini; wait_port "$G1_PORT"
start gw2 "$GATEWAYD" -c gateway2.ini; wait_port "$G2_PORT"
wait_log gw1.log event=upstream_up 10
wait_log gw2.log event=upstream_up 10

# The handler (a program: gw-agent runs no shell; this file is one, with
# its #! line).  It records its run first (one short line, O_APPEND: one
# line per run), then takes its time, so that the kills below land while
# handlers run and their RESULTs are still to come.
cat >handler <<EOT
#!/bin/sh
body=\$(cat)
echo "\$GW_AGENT \$GW_COMMAND_ID" >>$T/runs
sleep $((2 * SLOW))
echo "\$GW_AGENT ran \$GW_COMMAND_ID: \$body"
EOT
chmod +x handler
: >runs

agent_state_dir	# the journals, on tmpfs
mkfifo in.fifo
exec 7<>in.fifo		# the agents' input: open, never ending
# agent NAME: start gw-agent NAME, odd ones preferring gateway 1, even
# ones gateway 2.
agent() {
	local n=$1 gws=127.0.0.1:$G1_PORT,127.0.0.1:$G2_PORT
	[ $((10#${n#fleet-} % 2)) -eq 0 ] &&
	    gws=127.0.0.1:$G2_PORT,127.0.0.1:$G1_PORT
	start "agent-$n" "$GW_AGENT" --gateway "$gws" \
	    --cert "agents/$n.crt" --key "agents/$n.key" --ca pki/ca.crt \
	    --file in.fifo --state "$STATE/$n" --failback-hold 2 \
	    --on-command "$T/handler"
	APID[$n]=$!
}
declare -A APID
T0=$(date +%s.%N)
for n in "${names[@]}"; do agent "$n"; done

# gw-mgmt on the shared store, through either server's configuration
# (its messages, PostgreSQL's NOTICEs too, in cli.log).
mgmt() { "$GW_MGMT" "$@" 2>>"$T/cli.log"; }
# poll SECONDS WANT CMD...: run CMD every POLL s until it prints WANT,
# at most SECONDS (times SLOW); 0 if it did.  What it printed last is in
# GOT.
poll() {
	local end=$((SECONDS + $1 * SLOW)) want=$2
	shift 2
	while :; do
		GOT=$("$@")
		[ "$GOT" = "$want" ] && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep $POLL
	done
}
online() {
	{ mgmt agents -c mgmt-b.ini --json || true; } |
	    { grep -c '"state":"online"' || true; }
}
poll 60 $AGENTS online ||
    fail "the store knows $GOT agents online, not $AGENTS"
pass "$AGENTS agents online in $(echo "$(date +%s.%N) - $T0" | bc |
    cut -c1-5) s"
grep -q 'event=hello_ack' "agent-fleet-0001.log" ||
    fail "fleet-0001 logged no session"

stop "agent-$AWAY"
state_of() {
	{ mgmt agents -c mgmt-a.ini --json || true; } |
	    sed -n "s/.*\"name\":\"$1\",.*\"state\":\"\([a-z]*\)\".*/\1/p"
}
poll 10 offline state_of "$AWAY" || fail "$AWAY is $GOT in the store"

# show ID: its targets, JSON Lines.  count ID STATE: how many are STATE.
show() { mgmt command show -c mgmt-b.ini "$1" --json; }
count() {
	{ show "$1" || true; } | { grep -c "\"state\":\"$2\"" || true; }
}
id=$(mgmt command send -c mgmt-a.ini --match "$TARGETS" --ttl 10m \
    --body fleet) || fail "command send"
[[ "$id" =~ ^[0-9]+$ ]] || fail "command send printed '$id'"
eid=$(mgmt command send -c mgmt-b.ini --agent "$AWAY" --ttl 1s \
    --body late) || fail "command send (ttl 1s)"
[[ "$eid" =~ ^[0-9]+$ ]] || fail "command send printed '$eid'"
[ "$(show "$id" | wc -l)" -eq 50 ] ||
    fail "command $id has $(show "$id" | wc -l) targets, not 50"
pass "command $id sent to 50 agents ($AWAY offline);" \
    "command $eid (ttl 1s) to $AWAY"

# Once a handler runs on gateway 1 (odd names), kill -9 gateway 1 and
# server A (both gateways' primary), and restart them.
wait_log runs "^fleet-00[5-9][13579] $id\$" $((20 * SLOW))
ran=$(wc -l <runs); done_=$(count "$id" "done")
kill -9 "$PID_gw1" "$PID_mgmt_a"
echo "kill -9 gateway 1 and server A: $ran runs started, $done_ done"
[ "$done_" -lt 49 ] || fail "every online target was done before the kills"
# Each is reaped before its restart: until then its port may be held.
wait "$PID_gw1" 2>/dev/null || true
wait "$PID_mgmt_a" 2>/dev/null || true
wait_log gw2.log "event=failover from=127.0.0.1:$A_PORT to=127.0.0.1:$B_PORT" \
    $((5 * SLOW))
sleep 1
start gw1 "$GATEWAYD" -c gateway1.ini; wait_port "$G1_PORT"
start mgmt_a "$GW_MGMT" -c mgmt-a.ini; wait_port "$A_PORT"
pass "gateway 1 and server A killed and restarted; gateway 2 failed over to B"

# The ttl-1s command expires (the expiry round runs every resend) before
# its agent comes back.
poll 10 1 count "$eid" expired ||
    fail "command $eid is not expired: $(show "$eid")"
agent "$AWAY"
pass "command $eid expired; $AWAY restarted"

poll 120 50 count "$id" "done" ||
    fail "command $id: $GOT targets done, not 50:" \
    "$(show "$id" | grep -v '"state":"done"' | head -n 5)"
pass "command $id done on its 50 targets in $(echo "$(date +%s.%N) - $T0" |
    bc | cut -c1-5) s since the start"
wait_log gw1.log event=upstream_up 10
grep -q "event=failback" gw2.log ||
    echo "(gateway 2 did not fail back to A yet)"

# A few resend rounds more: a run that comes late would show.
sleep 3
sort runs >runs.sorted
# Expected: one line "NAME ID" for each target, nothing else.
for n in "${names[@]}"; do
	# shellcheck disable=SC2053 # TARGETS is a glob
	[[ $n == $TARGETS ]] && echo "$n $id"
done >runs.want
diff runs.want runs.sorted >runs.diff ||
    fail "the runs are not one per target: $(head -n 20 runs.diff)"
pass "each of the 50 targets ran command $id once, no other agent ran it," \
    "command $eid never ran"

# Each target's output in the store is its handler's.
show "$id" >show.jsonl
python3 - "$id" show.jsonl runs.want <<'EOF' || fail "outputs in the store"
import json, sys
cid, shown, want = sys.argv[1], sys.argv[2], sys.argv[3]
names = [l.split()[0] for l in open(want)]
rows = {}
for line in open(shown):
    r = json.loads(line)
    rows[r["agent"]] = r
bad = 0
for n in names:
    r = rows.get(n)
    out = "%s ran %s: fleet\n" % (n, cid)
    if (r is None or r["state"] != "done" or r["outcome"] != "exited" or
            r["status"] != 0 or r["truncated"] or r["output"] != out):
        print("%s: %r" % (n, r))
        bad += 1
if sorted(rows) != sorted(names):
    print("targets %s" % sorted(rows))
    bad += 1
sys.exit(bad > 0)
EOF
[ "$(count "$eid" expired)" -eq 1 ] ||
    fail "command $eid is no longer expired: $(show "$eid")"
pass "each target's RESULT (the handler's output) is in the shared store;" \
    "command $eid stays expired"

# What the kills did to the targets: those on gateway 1 were running
# their handler when it died, and moved to gateway 2 before it ended.
# shellcheck disable=SC2086 # TARGETS is a glob
moved=$(awk -v start="event=command_start id=$id " \
    -v done_="event=command_done id=$id " \
    -v away="event=failover from=127.0.0.1:$G1_PORT " '
	FNR == 1 { s = 0 }
	s == 0 && index($0, start) { s = 1 }
	s == 1 && index($0, away) { s = 2 }
	s == 2 && index($0, done_) { s = 3; n++ }
	END { print n + 0 }' agent-$TARGETS.log)
[ "$moved" -gt 0 ] || fail "no target failed over while its handler ran"
pass "$moved targets failed over from gateway 1 while their handler ran"

# Neither server failed a store write (the inventory's transactions of
# two servers once deadlocked on PostgreSQL when a gateway moved its
# links: event=store_failed what=agents_mark, its events dropped).
! grep -h 'event=store_failed' mgmt_a.log mgmt_b.log ||
    fail "a server failed a store write"
pass "no store write failed"

# The agents first, all at once (the cleanup stops one process after
# another, and the gateways before their agents), and wait 60 s at most
# for them all to end (the shell may have reaped one already: no /proc
# entry); if one does not, reap says where it is stuck.
kill -TERM "${APID[@]}"
for ((i = 0; i < 300; i++)); do
	live=$(printf '/proc/%s/stat\n' "${APID[@]}" |
	    { xargs cat 2>/dev/null || true; } | awk '$3 != "Z"' | wc -l)
	[ "$live" -eq 0 ] && break
	sleep 0.2
done
keep=()
for p in "${PIDS[@]}"; do
	for q in "${APID[@]}"; do [ "$p" = "$q" ] && continue 2; done
	keep+=("$p")
done
for p in "${APID[@]}"; do
	if [ "$live" -eq 0 ]; then
		wait "$p" || true
	else
		reap "$p" 1 || fail "an agent did not stop"
	fi
done
PIDS=("${keep[@]}")
