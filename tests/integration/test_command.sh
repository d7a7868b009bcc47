#!/usr/bin/env bash
# Commands, end to end over real processes and mutual TLS (PROTOCOL.md
# 9.7): gw-mgmt command send -> the store -> gw-mgmt -> gatewayd ->
# gw-agent --on-command -> RESULT -> the store -> gw-mgmt command show.
#  - a command to a pattern runs once on each online agent, with its
#    body on stdin and its id in the environment; the output comes back;
#  - an agent offline when the command was sent runs it when it returns;
#  - a handler that exits 3 makes the command failed (exited 3);
#  - an agent without a handler answers no-handler (failed);
#  - an expired command is never run, and shows expired;
#  - gatewayd restarted between send and return: the command still runs
#    once (the agent's journal remembers ids across its own restart).
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents runs
for n in agent-1 agent-2 agent-3 agent-4; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done

# The handler: a program (no shell is run by gw-agent; this file is one,
# with its #! line).  It records each run, echoes its body, and exits 3
# when the body says "fail".
cat >handler <<'EOT'
#!/bin/sh
body=$(cat)
echo "$GW_COMMAND_ID" >>"runs/$GW_AGENT"
printf 'agent %s ran %s: %s\n' "$GW_AGENT" "$GW_COMMAND_ID" "$body"
[ "$body" = fail ] && exit 3
exit 0
EOT
chmod +x handler

MGMT_TAIL="[commands]
resend = 1s"
write_configs
start_mgmt
start_gateway

# opens NAME: how many sessions NAME has opened (its log's HELLO_ACKs).
opens() {
	{ grep -s "event=hello_ack" "$T/$1.log" || true; } | wc -l
}

# online NAME [gw-agent args...]: NAME runs, connected, until stopped; its
# input is a FIFO kept open by this shell (nothing to send).
declare -A FD
online() {
	local n=$1; shift
	rm -f "in-$n"
	mkfifo "in-$n"
	exec {fd}<>"in-$n"
	FD[$n]=$fd
	local before i
	before=$(opens "$n")
	# As start does, with stdin from the FIFO (a background job's stdin
	# is /dev/null unless its own command redirects it).
	$(agent_cmd "$n" --state "$T/$n.journal" "$@") <"in-$n" \
	    >>"$T/$n.log" 2>&1 &
	PIDS+=($!)
	eval "PID_${n//-/_}=$!"
	for ((i = 0; i < 100; i++)); do
		[ "$(opens "$n")" -gt "$before" ] && return 0
		sleep 0.1
	done
	fail "$n never opened its session"
}

# offline NAME: stop it (SIGTERM) and wait for it.
offline() {
	stop "$1"
}

# show ID: the targets of command ID, JSON Lines, sorted by agent.
show() {
	"$GW_MGMT" command show --db "$T/store.db" "$1" --json | sort
}

# state_of ID AGENT: that target's state.
state_of() {
	show "$1" | grep "\"agent\":\"$2\"" |
	    sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}

# wait_state ID AGENT STATE [SECONDS]
wait_state() {
	local i
	for ((i = 0; i < ${4:-20} * 10; i++)); do
		[ "$(state_of "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	show "$1" >&2
	fail "command $1 for $2 is $(state_of "$1" "$2"), not $3"
}

online agent-1 --on-command "$T/handler" --log-level info
online agent-2 --on-command "$T/handler" --log-level info
online agent-3 --on-command "$T/handler" --log-level info
online agent-4 --log-level info
sleep 0.5
offline agent-3		# known to the store, offline now

"$GW_MGMT" agents --db "$T/store.db" --json >agents.jsonl
[ "$(wc -l <agents.jsonl)" -eq 4 ] || fail "agents lists $(wc -l <agents.jsonl) agents"
grep -q '"name":"agent-3".*"state":"offline"' agents.jsonl ||
    fail "agent-3 is not offline: $(grep agent-3 agents.jsonl)"
pass "the store knows four agents, agent-3 offline"

# A pattern: agent-1 and -2 run it now, agent-4 has no handler, agent-3
# is offline.
id=$("$GW_MGMT" command send --db "$T/store.db" --match 'agent-*' \
    --body hello) || fail "command send"
[[ "$id" =~ ^[0-9]+$ ]] || fail "command send printed '$id'"
wait_state "$id" agent-1 done
wait_state "$id" agent-2 done
wait_state "$id" agent-4 failed
show "$id" | grep '"agent":"agent-1"' | grep -q "agent agent-1 ran $id: hello" ||
    fail "agent-1's output is not in the store: $(show "$id")"
show "$id" | grep '"agent":"agent-4"' | grep -q '"outcome":"no-handler"' ||
    fail "agent-4 did not answer no-handler: $(show "$id")"
[ "$(state_of "$id" agent-3)" = queued ] || fail "agent-3 is $(state_of "$id" agent-3)"
pass "command $id ran on the online agents; agent-4 has no handler; agent-3 waits"

# agent-3 comes back (through a restarted gatewayd) and runs it.
stop gatewayd
start_gateway
online agent-3 --on-command "$T/handler" --log-level info
wait_state "$id" agent-3 done
pass "agent-3 ran command $id when it came back"

# A handler that fails.
fid=$("$GW_MGMT" command send --db "$T/store.db" --agent agent-2 --body fail)
wait_state "$fid" agent-2 failed
show "$fid" | grep -q '"outcome":"exited","status":3' ||
    fail "command $fid: $(show "$fid")"
pass "a handler that exits 3 makes command $fid failed (exited 3)"

# An expired command never runs.
offline agent-1
eid=$("$GW_MGMT" command send --db "$T/store.db" --agent agent-1 --ttl 1s \
    --body late)
sleep 2.5
online agent-1 --on-command "$T/handler" --log-level info
wait_state "$eid" agent-1 expired 10
sleep 2		# two resend periods: nothing is sent to agent-1
grep -qx "$eid" runs/agent-1 && fail "agent-1 ran expired command $eid"
pass "expired command $eid was not run"

# Exactly once: every run file has each id once.
for n in agent-1 agent-2 agent-3; do
	dups=$(sort "runs/$n" | uniq -d)
	[ -z "$dups" ] || fail "$n ran $dups twice"
done
[ "$(grep -cx "$id" runs/agent-1)" -eq 1 ] || fail "agent-1 ran $id $(grep -cx "$id" runs/agent-1) times"
[ -e runs/agent-4 ] && fail "agent-4 ran a handler it does not have"
"$GW_MGMT" command list --db "$T/store.db" --json >list.jsonl
[ "$(wc -l <list.jsonl)" -eq 3 ] || fail "command list shows $(wc -l <list.jsonl) commands"
pass "each command ran at most once per agent; command list shows 3"
