#!/usr/bin/env bash
# What a peer says reaches the log escaped (log_esc), never as a line or a
# field of its own:
#   - an agent's ERROR text with a newline, a quote and a forged field
#     (tests/tools/gw_abuse.c, mode error) is one agent_closed line, the
#     text inside its detail="..." with \x0a and \";
#   - a certificate name with a space, refused by agent_names, is one
#     token after agent= (\x20), not two.
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse

cd "$T"
make_pki pki
mkdir -p agents
"$GW_CERT" issue --ca pki --role agent --name agent-bad \
    --out agents/agent-bad >/dev/null
"$GW_CERT" issue --ca pki --role agent --name "intruder level-error" \
    --out agents/intruder >/dev/null
write_configs
start_mgmt
start_gateway
ADDR=127.0.0.1:$GW_PORT

# 1. ERROR text: newline, quote, a forged field, a backslash, a high byte.
export GW_ABUSE_CERT=agents/agent-bad.crt GW_ABUSE_KEY=agents/agent-bad.key \
    GW_ABUSE_CA=pki/ca.crt
out=$("$ABUSE" error "$ADDR" $'bye\n" event=forged level=error \\ \xff')
case $out in "closed after"*) ;; *) fail "gw-abuse error: $out" ;; esac
wait_log gatewayd.log 'event=agent_closed agent=agent-bad' 10
n=$(grep -ac 'forged' gatewayd.log || true)
[ "$n" = 1 ] || fail "the forged field is on $n lines: $(grep -n -A1 'agent sent ERROR' gatewayd.log)"
line=$(grep -a 'forged' gatewayd.log)
want='detail="agent sent ERROR protocol: bye\x0a\" event=forged level=error \\ \xff" '
case $line in
*"event=agent_closed agent=agent-bad "*"$want"*) ;;
*) fail "not one escaped line: $line" ;;
esac
! grep -aq '^" event=forged' gatewayd.log || fail "a forged line starts the log"
pass "agent ERROR text escaped in one line: $(echo "$line" | sed 's/.*\(event=agent_closed\)/\1/' | cut -c1-160)"

# 2. A name with a space, refused by policy: one token after agent=.
rc=0
$(agent_cmd intruder --file /dev/null --timeout 10) >intruder.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "intruder was not refused"
wait_log gatewayd.log 'event=agent_refused agent=intruder' 10
line=$(grep 'event=agent_refused agent=intruder' gatewayd.log)
case $line in
*'agent=intruder\x20level-error peer='*'reason=policy'*) ;;
*) fail "name not escaped: $line" ;;
esac
pass "refused name escaped: $(echo "$line" | sed 's/.*event=/event=/' | cut -c1-100)"
