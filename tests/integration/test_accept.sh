#!/usr/bin/env bash
# Management servers that dial in (issue 21, item 1), real processes and
# mutual TLS.  One gatewayd in [upstream] mode = accept (server = mgmt1,
# mgmt2: their certificate names, in rank order); two gw-mgmt dial it
# ([gateways] dial, links = 2) and share one store: PostgreSQL, as
# test_fleet.sh (two gw-mgmt cannot write one SQLite file: each numbers
# its rows from what it read at start).
#  - rank 1 dials first and takes the links; rank 2's links are standbys;
#  - three agents stream; mgmt1 is killed (kill -9): the gateway fails over
#    to mgmt2 and the agents' lines keep flowing;
#  - mgmt1 comes back and dials again: the gateway fails back to it once it
#    has been up for failback_hold;
#  - every line is in the store exactly once (nothing lost, nothing
#    duplicated);
#  - a server whose certificate (same CA) names no [upstream] server is
#    refused, and the gateway logs why;
#  - a server that dials more links than [upstream] connections: the extra
#    one is closed, and the gateway logs why;
#  - a server that dials a gateway in dial mode (its agent port) is
#    refused too;
#  - SIGHUP: a new server list (ranks swapped) applies: the links move to
#    the new rank 1; a change of mode is refused, and says so.
source "$(dirname "$0")/lib.sh" "$@"

HOLD=2		# failback_hold, seconds
SLOW=1
grep -qa __asan_init "$GATEWAYD" && SLOW=3
cd "$T"

start_pg_early
make_pki pki
# A server that dials in is a TLS client too: its certificate needs
# clientAuth beside serverAuth (--role gateway gives both).
for n in mgmt1 mgmt2 mgmt-rogue; do
	"$GW_CERT" issue --ca pki --role gateway --name "$n" \
	    --ip 127.0.0.1 --out "pki/$n" >/dev/null
done
# An agent's certificate (clientAuth only) that a rogue names mgmt1.
"$GW_CERT" issue --ca pki --role agent --name mgmt1 --out pki/agent-mgmt1 \
    >/dev/null
mkdir -p agents
AGENTS="agent-1 agent-2 agent-3"
for n in $AGENTS; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
G_PORT=$(free_port); U_PORT=$(free_port); D_PORT=$(free_port)
M1_PORT=$(free_port); M2_PORT=$(free_port); M3_PORT=$(free_port)
M4_PORT=$(free_port)

# gateway_ini FILE PORT UPSTREAM_LINES: a gatewayd configuration.
gateway_ini() {
	cat >"$1" <<EOT
[gateway]
name = gateway
listen = 127.0.0.1:$2
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
agent_names = agent-*
heartbeat = 1s
[upstream]
ca = pki/ca.crt
connections = 2
failback_hold = ${HOLD}s
heartbeat = 1s
$3
EOT
}
gateway_ini gateway.ini "$G_PORT" "mode = accept
listen = 127.0.0.1:$U_PORT
server = mgmt1, mgmt2"

# dialer NAME PORT CERT GATEWAY: a gw-mgmt that dials GATEWAY.
dialer() {
	mgmt_ini "$1" "$2" "type = postgresql
conninfo = $PG_CONNINFO
[gateways]
dial = $4
links = 2
server_name = gateway
backoff_min = 50ms
backoff_max = 500ms"
	sed -i "s|pki/mgmt\.|pki/$3.|" "$1.ini"
}
start_pg
# The shared store, as lib.sh's check_store reads it.
export_store() { "$GW_MGMT" export -c "$T/mgmt2.ini"; }
dialer mgmt1 "$M1_PORT" mgmt1 "127.0.0.1:$U_PORT"
dialer mgmt2 "$M2_PORT" mgmt2 "127.0.0.1:$U_PORT"
dialer rogue "$M3_PORT" mgmt-rogue "127.0.0.1:$U_PORT"
dialer extra "$M4_PORT" mgmt1 "127.0.0.1:$U_PORT"
M5_PORT=$(free_port)
dialer agentrogue "$M5_PORT" agent-mgmt1 "127.0.0.1:$U_PORT"
sed -i 's/^links = 2/links = 1/' extra.ini

"$GATEWAYD" --check-config gateway.ini >check.out 2>&1 ||
    fail "gatewayd --check-config: $(cat check.out)"
"$GW_MGMT" --check-config mgmt1.ini >check.out 2>&1 ||
    fail "gw-mgmt --check-config: $(cat check.out)"
# mode = accept without listen: --check-config says so, with the file.
grep -v '^listen = 127.0.0.1:'"$U_PORT" gateway.ini >nolisten.ini
! "$GATEWAYD" --check-config nolisten.ini >check.out 2>&1 ||
    fail "gatewayd --check-config took accept mode without listen"
grep -q 'nolisten.ini: \[upstream\] listen: required with mode = accept' \
    check.out || fail "gatewayd --check-config: $(cat check.out)"

# 1. Rank 1 dials first: its links carry the channels; rank 2's stand by.
start gw "$GATEWAYD" -c gateway.ini; wait_port "$G_PORT"
start mgmt1 "$GW_MGMT" -c mgmt1.ini
wait_log gw.log "event=server_selected server=mgmt1" $((10 * SLOW))
start mgmt2 "$GW_MGMT" -c mgmt2.ini
for ((i = 0; i < 100 * SLOW; i++)); do
	[ "$(grep -c 'event=upstream_up .*server=mgmt' gw.log)" -ge 4 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=upstream_up .*server=mgmt2' gw.log)" = 2 ] ||
    fail "mgmt2's two links are not up"
[ "$(grep -c 'event=upstream_up .*server=mgmt1' gw.log)" = 2 ] ||
    fail "mgmt1's two links are not up"
grep -q "event=gateway_ready gateway=gateway .*dialed=127.0.0.1:$U_PORT" \
    mgmt1.log || fail "mgmt1 logged no dialed link ready"
pass "both servers dialed in, 2 links each; mgmt1 (rank 1) selected"

# 2. Agents stream; kill -9 mgmt1 meanwhile.
for n in $AGENTS; do
	mkfifo "$n.fifo"
	start "$n" "$GW_AGENT" --gateway "127.0.0.1:$G_PORT" \
	    --cert "agents/$n.crt" --key "agents/$n.key" --ca pki/ca.crt \
	    --file "$n.fifo"
done
exec 4<>agent-1.fifo 5<>agent-2.fifo 6<>agent-3.fifo
send() {	# send FROM TO: lines FROM..TO to every agent, paced
	local i
	for ((i = $1; i <= $2; i++)); do
		echo "line $i" >&4; echo "line $i" >&5; echo "line $i" >&6
		sleep 0.05
	done
}
# stored AGENT: how many rows of AGENT the store has.
stored() {
	export_store | grep -c "\"agent\":\"$1\"" || true
}
wait_stored() {	# wait_stored N: until every agent has N rows
	local n
	for ((i = 0; i < 300 * SLOW; i++)); do
		n=0
		for a in $AGENTS; do [ "$(stored "$a")" -ge "$1" ] && n=$((n + 1)); done
		[ $n = 3 ] && return 0
		sleep 0.1
	done
	fail "the agents' lines 1..$1 were not all stored"
}
send 1 20
wait_stored 20
send 21 30
kill -KILL "$PID_mgmt1"
wait "$PID_mgmt1" 2>/dev/null || true
send 31 50
wait_log gw.log "event=failover from=mgmt1 to=mgmt2" $((10 * SLOW))
wait_stored 50
pass "mgmt1 killed: the gateway failed over to mgmt2, lines kept flowing"

# 3. mgmt1 dials again: fail-back once it has been up for failback_hold.
: >mgmt1.log
start mgmt1 "$GW_MGMT" -c mgmt1.ini
wait_log gw.log "event=server_health server=mgmt1 from=down to=up" \
    $((10 * SLOW))
T_UP=$(date +%s.%N)
wait_log gw.log "event=failback from=mgmt2 to=mgmt1" $((10 * SLOW + HOLD))
held=$(echo "$(date +%s.%N) - $T_UP" | bc)
[ "$(echo "$held >= $HOLD - 0.3" | bc)" = 1 ] ||
    fail "failed back ${held}s after mgmt1 was up (failback_hold ${HOLD}s)"
send 51 70
exec 4>&- 5>&- 6>&-
wait_stored 70
check_store 70 $AGENTS >store.out ||
    fail "store: $(tail -n 5 store.out)"
pass "failed back to mgmt1 after failback_hold; $(tail -n 1 store.out)" \
    "(70 lines of 3 agents: each once)"
grep -q "event=gateway_ready gateway=gateway .*dialed=" mgmt1.log ||
    fail "no link of the restarted mgmt1 is ready"

# 4. A certificate of the same CA naming no [upstream] server: refused.
start rogue "$GW_MGMT" -c rogue.ini
wait_log gw.log 'event=server_refused peer=127.0.0.1:[0-9]* name="mgmt-rogue" reason="its certificate names no \[upstream\] server' \
    $((10 * SLOW))
sleep 1
! grep -q "event=gateway_ready" rogue.log ||
    fail "the rogue server got a link"
! grep -q "server=mgmt-rogue" gw.log || fail "the rogue server got a rank"
grep -q 'gateway sent ERROR before HELLO: policy: your certificate names no' \
    rogue.log || fail "the rogue server was not told why"
stop rogue
pass "a server whose certificate names no [upstream] server is refused"

# 4a. An agent's certificate named as the rank-1 server (clientAuth only,
# the same CA) is no server's: refused, no link, no rank.
start agentrogue "$GW_MGMT" -c agentrogue.ini
wait_log gw.log 'event=server_refused peer=127.0.0.1:[0-9]* name="mgmt1" reason=.*no serverAuth' \
    $((10 * SLOW))
sleep 1
! grep -q "event=gateway_ready" agentrogue.log ||
    fail "an agent's certificate named mgmt1 got a link"
stop agentrogue
pass "an agent's certificate naming a server is refused (no serverAuth)"

# 4b. mgmt1 has its 2 links: a third one from it is closed.
start extra "$GW_MGMT" -c extra.ini
wait_log gw.log 'event=server_link_refused server=mgmt1 peer=127.0.0.1:[0-9]* reason="connections (2) reached' \
    $((10 * SLOW))
wait_log extra.log 'ERROR before HELLO: policy: this server has its 2 links' \
    $((10 * SLOW))
stop extra
[ "$(grep -c 'event=upstream_up .*server=mgmt1' gw.log)" = 4 ] ||
    fail "mgmt1 has not 2 links (twice up: before the kill, after)"
pass "an extra link of a server beyond [upstream] connections is closed"

# 5. A gateway in dial mode takes no server dialing in: its only port is
# the agents', where a server's certificate is no agent's.
gateway_ini gateway-dial.ini "$D_PORT" "server = 127.0.0.1:$M4_PORT
server_name = mgmt"
dialer mgmt3 "$M3_PORT" mgmt2 "127.0.0.1:$D_PORT"
start gwdial "$GATEWAYD" -c gateway-dial.ini; wait_port "$D_PORT"
start mgmt3 "$GW_MGMT" -c mgmt3.ini
wait_log gwdial.log "event=agent_refused.*mgmt2" $((10 * SLOW))
sleep 1
! grep -q "event=gateway_ready" mgmt3.log ||
    fail "a gateway in dial mode took a server's link"
grep -Eq "event=(gateway_refused|gateway_closed|gateway_dial_failed)" \
    mgmt3.log || fail "mgmt3 logged nothing of its refused link"
pass "a gateway in dial mode refuses a server that dials it"

# 6. SIGHUP: the ranks swapped: mgmt2 (READY, up for long) is rank 1 now.
sed -i 's/^server = mgmt1, mgmt2/server = mgmt2, mgmt1/' gateway.ini
kill -HUP "$PID_gw"
wait_log gw.log "event=failback from=mgmt1 to=mgmt2" $((10 * SLOW))
pass "SIGHUP: ranks swapped, the links moved to the new rank 1"

# 7. A change of mode on SIGHUP is refused, with the reason.
sed -i 's/^mode = accept/mode = dial/; s/^listen = 127.0.0.1:'"$U_PORT"'$//;
    s/^server = mgmt2, mgmt1/server = 127.0.0.1:'"$M4_PORT"'/' gateway.ini
kill -HUP "$PID_gw"
wait_log gw.log 'event=reload_failed errors=1 detail="\[upstream\] mode: cannot change from accept to dial on reload: restart gatewayd"' \
    $((10 * SLOW))
pass "SIGHUP: a change of [upstream] mode is refused"
