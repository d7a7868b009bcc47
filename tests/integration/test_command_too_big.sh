#!/usr/bin/env bash
# A command too big for its agent is not relayed (PROTOCOL.md 9.7), over
# real processes: gw-agent announces max_payload 65536 and gw-mgmt stores
# bodies of 64 KiB, so a COMMAND of 8 + 65536 bytes is above what the agent
# takes.  Relayed, it made the agent close (too-big), reconnect and get it
# again at OPEN, for as long as the command lived.  Now gatewayd drops it
# and logs event=command_too_big at each resend; the agent keeps its one
# session and runs the commands that fit; the big one stays queued.
# agent_output_buffer is raised so that the agent's max_payload is the
# bound here (with 4k, the 4076-byte bound of the output drops it first).
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents
"$GW_CERT" issue --ca pki --role agent --name agent-1 \
    --out agents/agent-1 >/dev/null
cat >handler <<'EOT'
#!/bin/sh
cat >/dev/null
echo ran
EOT
chmod +x handler

GW_EXTRA="max_payload = 128k
agent_output_buffer = 256k"
MGMT_TAIL="[commands]
resend = 1s"
write_configs
start_mgmt
start_gateway
# Its input: a FIFO this shell keeps open (at EOF gw-agent would end).
mkfifo in-agent-1
exec {fd}<>in-agent-1
$(agent_cmd agent-1 --state "$T/agent-1.journal" --on-command "$T/handler" \
    --log-level info) <in-agent-1 >>"$T/agent-1.log" 2>&1 &
PIDS+=($!)
PID_agent_1=$!
wait_log "$T/agent-1.log" "event=hello_ack" 10

head -c 65536 /dev/zero | tr '\0' x >big
big=$("$GW_MGMT" command send --db "$T/store.db" --agent agent-1 \
    --file big) || fail "command send (big)"
small=$("$GW_MGMT" command send --db "$T/store.db" --agent agent-1 \
    --body small) || fail "command send (small)"
state() {
	"$GW_MGMT" command show --db "$T/store.db" "$1" --json |
	    sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}
for ((i = 0; i < 100; i++)); do
	[ "$(state "$small")" = done ] && break
	sleep 0.1
done
[ "$(state "$small")" = done ] || fail "command $small is $(state "$small")"
sleep 3		# three resend periods
[ "$(state "$big")" = queued ] || fail "command $big is $(state "$big")"
opens=$(grep -c "event=hello_ack" "$T/agent-1.log")
[ "$opens" -eq 1 ] || fail "agent-1 opened $opens sessions"
n=$(grep -c "event=command_too_big agent=agent-1 id=$big len=65544 max=65536" \
    "$T/gatewayd.log")
[ "$n" -ge 3 ] || fail "gatewayd logged command_too_big $n times"
pass "a command of 65544 bytes is never relayed to an agent that takes 65536 (logged $n times); its one session runs the small one"
