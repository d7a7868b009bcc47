#!/usr/bin/env bash
# gw-mgmt's SIGHUP over real processes: gw-mgmt <- gatewayd <- gw-agents.
#  - [scope gateway] lets agent-a in, not agent-b: agent-b's OPEN is
#    closed (policy), nothing of it stored;
#  - a good file (log_level = debug, agent_names = agent-a, agent-b, and a
#    new listen): reloaded; listen is named as needing a restart and kept
#    (the old port still serves); debug lines appear; agent-b's next OPEN,
#    on the same links, is taken and its lines stored;
#  - a broken file (a bad value, an unknown key, agent-b out of scope
#    again): each error logged with file:line, nothing changes: agent-b
#    still stores, gw-mgmt keeps serving;
#  - a good file narrowing the scope again: agent-b refused again;
#  - [store] max_rows set by a reload starts retention, unset stops it;
#  - crl naming a missing file: an error, nothing changes; then the
#    gateway's certificate revoked and crl set: reloaded, the links up
#    stay (agent-a still stores), a restarted gatewayd is refused.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents
for n in agent-a agent-b; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
MGMT_TAIL="[commands]
resend = 1s
[scope gateway]
agent_ca = pki/ca.crt
agent_names = agent-a"
write_configs
cp mgmt.ini mgmt.ini.a
start_mgmt
start_gateway
links0=$(grep -c 'event=gateway_ready' mgmt.log)

# run NAME LINES [TIMEOUT]: NAME sends LINES more lines (appended to its
# file: its --state journal keeps its place in it, and its seq).
run() {
	seq 1 "$2" | sed "s/^/$1 line $RANDOM /" >>"$1.txt"
	$(agent_cmd "$1" --state "$1.state" --file "$1.txt" --timeout "${3:-20}") \
	    >>"$1.log" 2>&1
}
stored() { export_store | grep -c "\"agent\":\"$1\"" || true; }
policy() { grep -c "event=channel_closed .*agent=agent-b reason=policy" mgmt.log || true; }

run agent-a 10 || fail "agent-a (in scope): exit $?"
run agent-b 5 5 || true
wait_log mgmt.log 'event=channel_closed .*agent=agent-b reason=policy' 10
[ "$(stored agent-b)" -eq 0 ] || fail "agent-b stored outside its scope"
grep -q 'level=debug' mgmt.log && fail "debug lines at log_level info"
pass "before: agent-a stored, agent-b closed (policy), no debug line"

# A good file: debug, agent-b in scope, and a new listen (needs a restart).
NEWPORT=$(free_port)
sed -e "s/^agent_names = agent-a$/agent_names = agent-a, agent-b/" \
    -e "s/^listen = 127.0.0.1:$MGMT_PORT$/listen = 127.0.0.1:$NEWPORT/" \
    -e 's/^\[mgmt\]$/[mgmt]\nlog_level = debug/' mgmt.ini.a >mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=reloaded' 10
grep -q 'event=reload_partial restart_needed="\[mgmt\] listen"' mgmt.log ||
    fail "listen not named as needing a restart: $(grep reload mgmt.log)"
wait_log mgmt.log 'level=debug' 10
run agent-b 5 || fail "agent-b after the reload: exit $?"
[ "$(stored agent-b)" -ge 5 ] || fail "agent-b stored $(stored agent-b) lines, want 5"
[ "$(grep -c 'event=gateway_ready' mgmt.log)" -eq "$links0" ] ||
    fail "the links were remade by the reload"
(exec 3<>"/dev/tcp/127.0.0.1/$MGMT_PORT") 2>/dev/null ||
    fail "the old listen port no longer accepts"
(exec 3<>"/dev/tcp/127.0.0.1/$NEWPORT") 2>/dev/null &&
    fail "the new listen port accepts before a restart"
pass "a good file: debug on, agent-b taken on the same links, listen kept (restart named)"

# A broken file: nothing changes.
policy0=$(policy)
sed -e 's/^agent_names = agent-a, agent-b$/agent_names = agent-a/' \
    -e 's/^\[mgmt\]$/[mgmt]\nmax_gateways = lots\nno_such_key = 1/' \
    mgmt.ini >mgmt.ini.bad
cp mgmt.ini mgmt.ini.good
cp mgmt.ini.bad mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=reload_failed errors=2' 10
grep -q 'event=reload_error detail=".*mgmt.ini:[0-9]*: \[mgmt\] max_gateways' mgmt.log ||
    fail "max_gateways's error not logged with file:line: $(grep reload_error mgmt.log)"
grep -q 'event=reload_error detail=".*mgmt.ini:[0-9]*: .*no_such_key' mgmt.log ||
    fail "no_such_key's error not logged with file:line"
b0=$(stored agent-b)
run agent-b 5 || fail "agent-b after the broken file: exit $?"
[ "$(stored agent-b)" -ge $((b0 + 5)) ] || fail "agent-b stored nothing more"
[ "$(policy)" -eq "$policy0" ] || fail "the broken file's scope was applied"
kill -0 "$PID_mgmt" || fail "gw-mgmt died of a broken file"
pass "a broken file: each error logged with file:line, scope and all kept, still serving"

# A good file narrowing the scope: agent-b refused again.
cp mgmt.ini.a mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=reloaded.*' 10
b0=$(stored agent-b)
run agent-b 5 5 || true
for ((i = 0; i < 50; i++)); do
	[ "$(policy)" -gt "$policy0" ] && break
	sleep 0.1
done
[ "$(policy)" -gt "$policy0" ] || fail "agent-b not refused after the scope narrowed"
[ "$(stored agent-b)" -eq "$b0" ] || fail "agent-b stored out of scope"
pass "the scope narrowed again: agent-b's next OPEN closed (policy)"

# Retention off at start; a reload sets max_rows = 1: the next passes
# delete down to each agent's newest row (kept: its last seq), and a
# reload back to none stops them.
ra=$(stored agent-a)
[ "$ra" -gt 1 ] || fail "agent-a has $ra rows before retention"
grep -q 'event=retention ' mgmt.log && fail "retention on before it was set"
sed 's#^\[store\]$#[store]\nmax_rows = 1#' mgmt.ini.a >mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=retention retain_s=0.000 max_rows=1 ' 10
for ((i = 0; i < 100; i++)); do
	[ "$(export_store | wc -l)" -le 2 ] && break
	sleep 0.1
done
[ "$(export_store | wc -l)" -le 2 ] ||
    fail "max_rows = 1 after a reload left $(export_store | wc -l) rows"
[ "$(stored agent-a)" -eq 1 ] || fail "agent-a's newest row was deleted"
cp mgmt.ini.a mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=retention retain_s=0 max_rows=0 (off)' 10
pass "retention: max_rows set by a reload deletes down to each agent's newest row; unset again, off"

# The CRL: a missing file is an error (nothing changes) ...
count() { grep -c "$1" mgmt.log || true; }
sed 's#^\[mgmt\]$#[mgmt]\ncrl = pki/missing.crl#' mgmt.ini.a >mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log 'event=reload_failed errors=1' 10
# ... a CRL revoking the gateway applies to new handshakes only.
"$GW_CERT" revoke --ca pki --name gateway >/dev/null || fail "gw-cert revoke"
sed 's#^\[mgmt\]$#[mgmt]\ncrl = pki/ca.crl#' mgmt.ini.a >mgmt.ini
r0=$(count 'event=reloaded')
kill -HUP "$PID_mgmt"
for ((i = 0; i < 50; i++)); do
	[ "$(count 'event=reloaded')" -gt "$r0" ] && break
	sleep 0.1
done
[ "$(count 'event=reloaded')" -gt "$r0" ] || fail "the CRL file was not reloaded"
a0=$(stored agent-a)
run agent-a 5 || fail "agent-a on the links up after the CRL: exit $?"
[ "$(stored agent-a)" -ge $((a0 + 5)) ] || fail "agent-a stored nothing more"
ready0=$(count 'event=gateway_ready')
refused0=$(count 'event=gateway_refused')
stop gatewayd
start gatewayd "$GATEWAYD" -c "$T/gateway.ini"
for ((i = 0; i < 100; i++)); do
	[ "$(count 'event=gateway_refused')" -gt "$refused0" ] && break
	sleep 0.1
done
[ "$(count 'event=gateway_refused')" -gt "$refused0" ] ||
    fail "the revoked gateway was not refused after the CRL reload"
[ "$(count 'event=gateway_ready')" -eq "$ready0" ] ||
    fail "the revoked gateway got a link"
pass "crl: a missing file changes nothing; a CRL revoking the gateway keeps its links up and refuses its next handshake"
