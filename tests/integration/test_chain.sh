#!/usr/bin/env bash
# Gateways in a chain (issue 21, item 4), real processes and mutual TLS:
#
#   gw-agent x3 -> inner gatewayd -> outer gatewayd ([downstream]) ->
#   gw-mgmt A (rank 1) or B (rank 2), one PostgreSQL store (two gw-mgmt
#   cannot share one SQLite file: each numbers its rows itself)
#
#  - the agents stream their lines while, in turn, server A is killed
#    (kill -9: the outer fails over to B), the outer gateway is killed and
#    restarted, the inner gateway is killed and restarted (the agents
#    reconnect and resend): every line is stored exactly once, and the
#    store shows each agent under its own name and issuer (via the chain);
#  - an agent that switches path (through the inner, then straight to the
#    outer while its relayed session is still open) holds one session at
#    the outer: the direct one supersedes the relayed one, and each line
#    the surviving session sent is stored exactly once;
#  - an agent the inner gateway admits but the outer's [downstream]
#    agent_names does not is refused by the outer (CLOSE policy), told so
#    through the inner, and stores nothing;
#  - two gateways that are each other's upstream (a loop) never come up:
#    each answers the other's HELLO upstream-lost (it has no upstream link
#    ready), says why in its log, and an agent of theirs delivers nothing.
source "$(dirname "$0")/lib.sh" "$@"

LINES=300
RATE=25
SLOW=1
grep -qa __asan_init "$GATEWAYD" && SLOW=3
cd "$T"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 ||
    { echo "SKIP: no PostgreSQL server for the shared store"; exit 77; }
start_pg_early

make_pki pki
for g in gw-inner gw-outer gw-loop1 gw-loop2; do
	"$GW_CERT" issue --ca pki --role gateway --name "$g" --ip 127.0.0.1 \
	    --out "pki/$g" >/dev/null
done
mkdir -p agents lines state
AGENTS="agent-1 agent-2 agent-3"
for n in $AGENTS agent-4 rogue-1 agent-loop; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
A_PORT=$(free_port); B_PORT=$(free_port)
I_PORT=$(free_port); O_PORT=$(free_port); D_PORT=$(free_port)
start_pg
mgmt_ini mgmt-a "$A_PORT" "type = postgresql
conninfo = $PG_CONNINFO"
mgmt_ini mgmt-b "$B_PORT" "type = postgresql
conninfo = $PG_CONNINFO"
# The shared store, read through B's configuration (A is killed).
export_store() { "$GW_MGMT" export -c mgmt-b.ini; }

# gw_ini FILE NAME AGENT_PORT UPSTREAM SERVER_NAME [DOWNSTREAM_PORT NAMES]
gw_ini() {
	cat >"$1" <<EOT
[gateway]
name = $2
listen = 127.0.0.1:$3
cert = pki/$2.crt
key = pki/$2.key
agent_ca = pki/ca.crt
agent_names = agent-*, rogue-*
heartbeat = 1s
[upstream]
server = $4
server_name = $5
ca = pki/ca.crt
backoff_min = 50ms
backoff_max = 500ms
failback_hold = 2s
upstream_grace = 3s
EOT
	[ -z "${6:-}" ] || cat >>"$1" <<EOT
[downstream]
listen = 127.0.0.1:$6
ca = pki/ca.crt
gateway_names = $7
agent_names = agent-*
EOT
}
gw_ini outer.ini gw-outer "$O_PORT" \
    "127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT" mgmt "$D_PORT" "gw-inner"
gw_ini inner.ini gw-inner "$I_PORT" "127.0.0.1:$D_PORT" gw-outer
metrics_port				# the outer's
echo "$METRICS_INI" >>outer.ini

start mgmt_a "$GW_MGMT" -c mgmt-a.ini; wait_port "$A_PORT"
start mgmt_b "$GW_MGMT" -c mgmt-b.ini; wait_port "$B_PORT"
start outer "$GATEWAYD" -c outer.ini; wait_port "$D_PORT"
wait_log outer.log event=upstream_up 10
start inner "$GATEWAYD" -c inner.ini; wait_port "$I_PORT"
wait_log inner.log event=upstream_up $((10 * SLOW))
wait_log outer.log "event=downlink_ready gateway=gw-inner" 5
pass "inner gateway linked to the outer's [downstream] listener"

declare -A APID
start_agent() { # start_agent NAME
	"$GW_AGENT" --gateway "127.0.0.1:$I_PORT" --cert "agents/$1.crt" \
	    --key "agents/$1.key" --ca pki/ca.crt --file "lines/$1.txt" \
	    --state "state/$1" --rate "$RATE" --heartbeat 0.5 \
	    --timeout $((120 * SLOW)) >>"agent-$1.log" 2>&1 &
	APID[$1]=$!
}
for n in $AGENTS; do
	seq 1 "$LINES" | sed "s/^/$n line /" >"lines/$n.txt"
	start_agent "$n"
done
T0=$(date +%s.%N)
at() { # at SECONDS: sleep until SECONDS after T0
	local d
	d=$(echo "$T0 + $1 - $(date +%s.%N)" | bc)
	[ "${d:0:1}" = - ] || sleep "$d"
}
stored() { export_store | grep -c "\"agent\":\"$1\"" ||
    true; }

at 1; [ "$(stored agent-1)" -gt 0 ] || {
	sleep $((2 * SLOW)); [ "$(stored agent-1)" -gt 0 ]; } ||
	fail "nothing stored through the chain"
pass "lines stored through inner -> outer -> server A"
# The outer has no direct agent yet: every ACK it wrote went down the link.
acks=$(metric gatewayd_ack_residence_seconds_count)
[ "${acks:-0}" -gt 0 ] ||
    fail "the outer counted no ACK relayed down in its residence: '$acks'"
pass "the outer's ACK residence counts the ACKs relayed down ($acks)"
kill -KILL "$PID_mgmt_a"; echo "t=1 kill -9 server A"
wait_log outer.log "event=upstream_up.*server=127.0.0.1:$B_PORT" \
    $((10 * SLOW))
at 3; kill -KILL "$PID_outer"; wait "$PID_outer" 2>/dev/null || true
echo "t=3 kill -9 the outer gateway"
at 4; start outer "$GATEWAYD" -c outer.ini; echo "t=4 restart it"
at 6; kill -KILL "$PID_inner"; wait "$PID_inner" 2>/dev/null || true
echo "t=6 kill -9 the inner gateway"
at 7; start inner "$GATEWAYD" -c inner.ini; echo "t=7 restart it"
for n in $AGENTS; do
	wait "${APID[$n]}" || fail "$n did not deliver its lines (rc=$?)"
done
[ "$(grep -c 'event=downlink_ready gateway=gw-inner' outer.log)" -ge 2 ] ||
    fail "the inner gateway never linked to the restarted outer"
grep -q 'event=relay_closed' outer.log ||
    fail "the outer never ended a relayed session (no fault reached it?)"
check_store "$LINES" $AGENTS >check.out ||
    fail "store: $(tail -n 5 check.out)"
pass "every line of $AGENTS stored exactly once through server A's death," \
    "the outer's and the inner's restarts ($(tail -n 1 check.out))"

# The store's view of each agent: its own name and issuer, not a gateway's.
"$GW_MGMT" agents -c mgmt-b.ini --json >agents.json
for n in $AGENTS; do
	line=$(grep "\"name\":\"$n\"" agents.json) ||
	    fail "gw-mgmt agents does not list $n: $(cat agents.json)"
	grep -q '"issuer":"CN=gatewayd test CA' <<<"$line" ||
	    fail "$n's issuer is not its CA's: $line"
	grep -q '"gateway":"gw-outer"' <<<"$line" ||
	    fail "$n did not come by the outer gateway: $line"
done
pass "gw-mgmt agents shows each agent's own identity, sent by gw-outer"
# Its path (OPEN's via, GW_CAP_CHAIN): the inner gateway verified it, the
# outer sent it on; shown once gw-mgmt stores it (schema 5).
if grep -q '"via":' agents.json; then
	for n in $AGENTS; do
		grep "\"name\":\"$n\"" agents.json |
		    grep -q '"via":\["gw-inner","gw-outer"\]' ||
		    fail "$n's via is not [gw-inner, gw-outer]: $(cat agents.json)"
	done
	pass "each agent's via is [gw-inner, gw-outer]"
else
	echo "note: this gw-mgmt shows no via yet"
fi

# One agent, two paths: through the inner gateway, then straight to the
# outer while the relayed session is open (each with a state of its own:
# two installs of one certificate).  The outer keeps one session of it.
mkfifo in-relayed in-direct
exec {F1}<>in-relayed {F2}<>in-direct
"$GW_AGENT" --gateway "127.0.0.1:$I_PORT" --cert agents/agent-4.crt \
    --key agents/agent-4.key --ca pki/ca.crt --state state/a4-relayed \
    <in-relayed >>agent-4-relayed.log 2>&1 &
A4R=$!
echo "a4 via inner 1" >&$F1
wait_log agent-4-relayed.log event=hello_ack $((10 * SLOW))
for _ in $(seq 50); do [ "$(stored agent-4)" = 1 ] && break; sleep 0.1; done
[ "$(stored agent-4)" = 1 ] || fail "agent-4's relayed line not stored"
"$GW_AGENT" --gateway "127.0.0.1:$O_PORT" --cert agents/agent-4.crt \
    --key agents/agent-4.key --ca pki/ca.crt --state state/a4-direct \
    <in-direct >>agent-4-direct.log 2>&1 &
A4D=$!
echo "a4 direct 1" >&$F2
wait_log agent-4-direct.log event=hello_ack $((10 * SLOW))
echo "a4 direct 2" >&$F2
# Superseded, the relayed one stops (else both sessions stay open).
wait_log agent-4-relayed.log code=superseded $((5 * SLOW))
wait "$A4R" 2>/dev/null || true
grep -q 'event=relay_closed agent=agent-4 .*reason=superseded' outer.log ||
    fail "the outer did not end agent-4's relayed session (superseded)"
for _ in $(seq 50); do [ "$(stored agent-4)" -ge 3 ] && break; sleep 0.1; done
for l in "a4 via inner 1" "a4 direct 1" "a4 direct 2"; do
	[ "$(export_store | grep -c "$l")" = 1 ] ||
	    fail "\"$l\" not stored exactly once: $(export_store |
	    grep agent-4)"
done
[ "$(stored agent-4)" = 3 ] || fail "agent-4: $(export_store | grep agent-4)"
kill "$A4D" 2>/dev/null; wait "$A4D" 2>/dev/null || true
exec {F1}>&- {F2}>&-
pass "an agent switching path holds one session at the outer (the direct" \
    "one superseded the relayed one); each line stored exactly once"

# An agent outside the outer's [downstream] agent_names.
seq 1 3 >rogue.txt
"$GW_AGENT" --gateway "127.0.0.1:$I_PORT" --cert agents/rogue-1.crt \
    --key agents/rogue-1.key --ca pki/ca.crt --file rogue.txt \
    --timeout $((4 * SLOW)) >agent-rogue-1.log 2>&1 &&
    fail "rogue-1 delivered through an outer that does not admit it"
grep -q 'event=relay_refused agent=rogue-1 gateway=gw-inner .*reason=policy' \
    outer.log || fail "the outer did not refuse rogue-1 (policy)"
grep -q 'code=policy' agent-rogue-1.log ||
    fail "rogue-1 was not told policy through the inner gateway"
[ "$(stored rogue-1)" = 0 ] || fail "rogue-1's lines were stored"
pass "an agent outside [downstream] agent_names: CLOSE(policy), nothing stored"

# A loop: L1's upstream is L2's downstream listener and the reverse.
L1_PORT=$(free_port); L2_PORT=$(free_port)
L1_D=$(free_port); L2_D=$(free_port)
gw_ini loop1.ini gw-loop1 "$L1_PORT" "127.0.0.1:$L2_D" gw-loop2 "$L1_D" \
    "gw-loop*"
gw_ini loop2.ini gw-loop2 "$L2_PORT" "127.0.0.1:$L1_D" gw-loop1 "$L2_D" \
    "gw-loop*"
start loop1 "$GATEWAYD" -c loop1.ini; wait_port "$L1_D"
start loop2 "$GATEWAYD" -c loop2.ini; wait_port "$L2_D"
seq 1 3 >loop.txt
"$GW_AGENT" --gateway "127.0.0.1:$L1_PORT" --cert agents/agent-loop.crt \
    --key agents/agent-loop.key --ca pki/ca.crt --file loop.txt \
    --timeout $((5 * SLOW)) >agent-loop.log 2>&1 &&
    fail "an agent delivered through a loop of gateways"
for g in loop1 loop2; do
	grep -q 'event=downlink_refused .*reason=upstream-lost' "$g.log" ||
	    fail "$g did not refuse the other gateway's HELLO (upstream-lost)"
	! grep -q 'event=upstream_up' "$g.log" ||
	    fail "$g brought a link up in a loop"
done
! grep -q 'event=hello_ack' agent-loop.log ||
    fail "agent-loop had its HELLO answered in a loop"
pass "a loop of two gateways never comes up; each logs why (upstream-lost)"

# A revoked inner gateway (the outer's [gateway] crl, the same CA) gets no
# downstream link: its handshake is refused.
stop loop1; stop loop2
"$GW_CERT" revoke --ca pki --name gw-inner >/dev/null
"$GW_CERT" crl --ca pki >/dev/null
sed -i 's|^agent_ca = pki/ca.crt$|agent_ca = pki/ca.crt\ncrl = pki/ca.crl|' outer.ini
n=$(grep -c 'event=downlink_ready gateway=gw-inner' outer.log)
stop outer
start outer "$GATEWAYD" -c outer.ini; wait_port "$D_PORT"
sleep $((3 * SLOW))
[ "$(grep -c 'event=downlink_ready gateway=gw-inner' outer.log)" = "$n" ] ||
    fail "a revoked inner gateway got a downstream link"
grep -qi 'revoked' outer.log || fail "the outer did not say the inner is revoked"
pass "a revoked inner gateway is refused at its handshake ([gateway] crl)"
