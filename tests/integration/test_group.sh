#!/usr/bin/env bash
# A group of gateways (issue 21, item 3), real processes and mutual TLS:
# 200 agents (gw-loadgen, one process) given --gateway "G1|G2|G3" spread
# over the three by the hash of their names, within 20 % of even; G1 stops
# (its agents move to their next gateway of the group); G1 starts again
# and the agents that prefer it come back (fail-back): within 20 % of even
# again, and each agent is back on the gateway it had first.
source "$(dirname "$0")/lib.sh" "$@"

AGENTS=200
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
SLOW=1
grep -qa __asan_init "$GATEWAYD" && SLOW=3
cd "$T"

make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- \
    --count $AGENTS --out-dir agents >/dev/null
M_PORT=$(free_port)
mgmt_ini mgmt "$M_PORT" "database = store.db"
declare -A PORT MPORT
for g in 1 2 3; do
	PORT[$g]=$(free_port); MPORT[$g]=$(free_port)
	cat >"gateway$g.ini" <<EOT
[gateway]
name = gateway$g
listen = 127.0.0.1:${PORT[$g]}
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
[upstream]
server = 127.0.0.1:$M_PORT
server_name = mgmt
ca = pki/ca.crt
[metrics]
listen = 127.0.0.1:${MPORT[$g]}
EOT
done
start mgmt "$GW_MGMT" -c mgmt.ini; wait_port "$M_PORT"
for g in 1 2 3; do
	start "gw$g" "$GATEWAYD" -c "gateway$g.ini"
	wait_port "${PORT[$g]}"
	wait_log "gw$g.log" event=upstream_up 10
done

# agents G: the sessions gateway G holds (past their handshake).
agents() {
	METRICS_PORT=${MPORT[$1]} metric 'gatewayd_agents{state="authenticated"}'
}
counts() { echo "$(agents 1) $(agents 2) $(agents 3)"; }
# even: 0 if all three hold AGENTS/3 within 20 %, and all AGENTS in all.
even() {
	local a b c
	read -r a b c <<<"$(counts)"
	[ $((a + b + c)) -eq $AGENTS ] || return 1
	for n in $a $b $c; do
		[ $((n * 3 * 10)) -ge $((AGENTS * 8)) ] &&
		    [ $((n * 3 * 10)) -le $((AGENTS * 12)) ] || return 1
	done
}
# wait_even SECONDS: until even, at most SECONDS (times SLOW).
wait_even() {
	local end=$((SECONDS + $1 * SLOW))
	until even; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}

G="127.0.0.1:${PORT[1]}|127.0.0.1:${PORT[2]}|127.0.0.1:${PORT[3]}"
start loadgen "$LOADGEN" --gateway "$G" --certs agents --ca pki/ca.crt \
    --agents $AGENTS --mode idle --hold 3600 --timeout 3600 \
    --failback-hold 2 --heartbeat 5
wait_log loadgen.log all_open $((60 * SLOW))
wait_even 20 || fail "not spread within 20 % of even: $(counts)"
FIRST=$(counts)
pass "$AGENTS agents over G1|G2|G3: $FIRST"

stop gw1
end=$((SECONDS + 60 * SLOW))
until [ $(($(agents 2) + $(agents 3))) -eq $AGENTS ]; do
	[ $SECONDS -lt $end ] || fail "G1's agents did not move: $(agents 2) $(agents 3)"
	sleep 0.5
done
# G1's agents spread over G2 and G3 (each one's next by rendezvous hashing),
# not all onto one: each within 20 % of half the fleet.
for k in 2 3; do
	n=$(agents $k)
	[ $((n * 10)) -ge $((AGENTS / 2 * 8)) ] &&
	    [ $((n * 10)) -le $((AGENTS / 2 * 12)) ] ||
	    fail "G1's agents not spread over G2, G3: $(agents 2) $(agents 3)"
done
pass "G1 stopped: its agents moved to G2, G3 evenly: $(agents 2) $(agents 3)"

start gw1 "$GATEWAYD" -c gateway1.ini
wait_port "${PORT[1]}"
T0=$(date +%s.%N)
wait_even 60 || fail "no rebalance after G1 returned: $(counts)"
pass "G1 back: rebalanced to $(counts) in $(echo "$(date +%s.%N) - $T0" |
    bc | cut -c1-5) s"
# Each agent is back on its own first gateway: the first spread exactly.
end=$((SECONDS + 60 * SLOW))
until [ "$(counts)" = "$FIRST" ]; do
	[ $SECONDS -lt $end ] || fail "not each back on its own: $(counts)," \
	    "first $FIRST"
	sleep 0.5
done
pass "each agent back on its own gateway: $(counts)"
stop loadgen

# gw-agent reads the same list: agent-0001 goes to the gateway FNV-1a of
# its name picks (computed here), and delivers there; a malformed group is
# a usage error.
fnv1a() {
	local s=$1 h=2166136261 i c
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( ((h ^ c) * 16777619) & 0xffffffff ))
	done
	echo $h
}
want=$(( $(fnv1a agent-0001) % 3 + 1 ))
seq 1 5 >lines.txt
"$GW_AGENT" --gateway "$G" --cert agents/agent-0001.crt \
    --key agents/agent-0001.key --ca pki/ca.crt --file lines.txt \
    --timeout $((30 * SLOW)) >agent-0001.log 2>&1 ||
    fail "gw-agent with a group did not deliver"
grep -q "event=connected gateway=127.0.0.1:${PORT[$want]} " agent-0001.log ||
    fail "agent-0001 did not start at G$want, its hash's"
rc=0
"$GW_AGENT" --gateway "127.0.0.1:${PORT[1]}||127.0.0.1:${PORT[2]}" \
    --cert agents/agent-0001.crt --key agents/agent-0001.key \
    --ca pki/ca.crt --file lines.txt >bad.log 2>&1 || rc=$?
[ $rc = 2 ] && grep -q 'empty address' bad.log ||
    fail "a malformed group: exit $rc, $(cat bad.log)"
# A malformed address anywhere in the list is a usage error at once, not
# an exit at the failover that finally reaches it.
rc=0
"$GW_AGENT" --gateway "127.0.0.1:${PORT[1]},gw2_typo.example:7443" \
    --cert agents/agent-0001.crt --key agents/agent-0001.key \
    --ca pki/ca.crt --file lines.txt --timeout 5 >typo.log 2>&1 || rc=$?
[ $rc = 2 ] && grep -q 'gw2_typo' typo.log ||
    fail "a typo in the second gateway: exit $rc, $(cat typo.log)"
pass "gw-agent: agent-0001 started at G$want (FNV-1a of its name), a bad group or address is a usage error"
