#!/usr/bin/env bash
# A gateway that knows it is cut off (issue 21, item 3), real processes and
# mutual TLS.  Gateway 1's management server is at a port where nothing
# listens; gateway 2's is up.  upstream_grace = 2s.
#  - an agent given --gateway G1,G2 that reaches G1 while G1 is still in
#    its grace is told upstream-lost once the grace has passed, moves to
#    G2 and delivers every line there (the time it took is printed; it is
#    bounded generously, never asserted as speed);
#  - G1 reports unhealthy (/healthz 503) and answers a new agent's HELLO
#    with upstream-lost: that agent delivers through G2 too;
#  - G1's server starts: G1 reports healthy again, takes agents again (a
#    running agent fails back to it);
#  - that server is killed: G1 sends its agent GOAWAY upstream-lost, the
#    agent moves to G2, and every line of it is stored (once in each store
#    at most: G1's server has a store of its own).
source "$(dirname "$0")/lib.sh" "$@"

GRACE=2
LINES=20
SLOW=1
grep -qa __asan_init "$GATEWAYD" && SLOW=3
cd "$T"

make_pki pki
mkdir -p agents
for n in agent-early agent-late agent-back; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
M_PORT=$(free_port); M1_PORT=$(free_port)	# M1: nothing listens, yet
G1_PORT=$(free_port); G2_PORT=$(free_port)
METRICS1_PORT=$(free_port)
mgmt_ini mgmt "$M_PORT" "database = store.db"
mgmt_ini mgmt1 "$M1_PORT" "database = store1.db"
for g in 1 2; do
	port=$G1_PORT srv=$M1_PORT extra="[metrics]
listen = 127.0.0.1:$METRICS1_PORT"
	[ $g = 2 ] && port=$G2_PORT srv=$M_PORT extra=
	cat >"gateway$g.ini" <<EOT
[gateway]
name = gateway$g
listen = 127.0.0.1:$port
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
[upstream]
server = 127.0.0.1:$srv
server_name = mgmt
ca = pki/ca.crt
backoff_min = 50ms
backoff_max = 500ms
upstream_grace = ${GRACE}s
$extra
EOT
done
G1=127.0.0.1:$G1_PORT G2=127.0.0.1:$G2_PORT
agent() {
	local n=$1; shift
	"$GW_AGENT" --gateway "$G1,$G2" --cert "agents/$n.crt" \
	    --key "agents/$n.key" --ca pki/ca.crt "$@"
}
healthz() {
	METRICS_PORT=$METRICS1_PORT http GET /healthz | head -n 1 |
	    awk '{ print $2 }'
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | cut -c1-5; }

start mgmt "$GW_MGMT" -c mgmt.ini; wait_port "$M_PORT"
start gw2 "$GATEWAYD" -c gateway2.ini; wait_port "$G2_PORT"
wait_log gw2.log event=upstream_up 10
start gw1 "$GATEWAYD" -c gateway1.ini; wait_port "$G1_PORT"
T0=$(now)

# 1. The agent reaches G1 during its grace: it waits for its HELLO_ACK,
# then is sent away with upstream-lost and delivers through G2.
seq 1 $LINES | sed 's/^/early /' >early.txt
agent agent-early --file early.txt --timeout $((60 * SLOW)) \
    >agent-early.log 2>&1 || fail "agent-early did not deliver its lines"
pass "agent-early delivered $LINES lines in $(since "$T0") s" \
    "(upstream_grace ${GRACE}s + reconnect)"
grep -q "event=connected gateway=$G1" agent-early.log ||
    fail "agent-early never tried G1 (the test proves nothing)"
grep -Eq 'event=(error|goaway) code=upstream-lost' agent-early.log ||
    fail "agent-early was not told upstream-lost"
grep -q "event=failover from=$G1 to=$G2 reason=upstream-lost" agent-early.log ||
    fail "agent-early did not move to G2"
wait_log gw1.log event=upstream_cut_off 5
[ "$(healthz)" = 503 ] || fail "G1 cut off, but /healthz says $(healthz)"
pass "G1 cut off after its grace: its agent moved to G2; /healthz 503"

# 2. A new agent's HELLO is answered upstream-lost: it moves at once.
seq 1 $LINES | sed 's/^/late /' >late.txt
T1=$(now)
agent agent-late --file late.txt --timeout $((60 * SLOW)) \
    >agent-late.log 2>&1 || fail "agent-late did not deliver its lines"
grep -q 'event=error code=upstream-lost' agent-late.log ||
    fail "G1 did not answer agent-late's HELLO with upstream-lost"
grep -q "event=failover from=$G1 to=$G2 reason=upstream-lost" agent-late.log ||
    fail "agent-late did not move to G2"
pass "agent-late refused by G1 (upstream-lost), delivered through G2 in" \
    "$(since "$T1") s"
check_store $LINES agent-early agent-late >/dev/null ||
    fail "store: $(check_store $LINES agent-early agent-late | tail -n 3)"

# 2b. A reload that makes upstream_grace 0 ("never") ends the cut-off at
# once; one back to the grace cuts G1 off again after it.
sed -i "s/^upstream_grace = .*/upstream_grace = 0/" gateway1.ini
kill -HUP "$PID_gw1"
wait_log gw1.log 'event=upstream_cut_off_ended' $((5 * SLOW))
sed -i "s/^upstream_grace = .*/upstream_grace = ${GRACE}s/" gateway1.ini
n=$(grep -c 'event=upstream_cut_off ' gw1.log)
kill -HUP "$PID_gw1"
end=$((SECONDS + 10 * SLOW))
until [ "$(grep -c 'event=upstream_cut_off ' gw1.log)" -gt "$n" ]; do
	[ $SECONDS -lt $end ] || fail "G1 not cut off again after its grace"
	sleep 0.2
done
pass "a reload to upstream_grace 0 ended G1's cut-off; back to ${GRACE}s cut it off again"

# 3. A running agent, on G2 while G1 is cut off; G1's server starts: G1
# is healthy again and the agent fails back to it.
mkfifo back.fifo
exec 7<>back.fifo
start agent-back "$GW_AGENT" --gateway "$G1,$G2" \
    --cert agents/agent-back.crt --key agents/agent-back.key \
    --ca pki/ca.crt --file back.fifo --failback-hold 1 --log-level debug
wait_log agent-back.log "event=hello_ack" $((20 * SLOW))
seq 1 5 | sed 's/^/back /' >&7
# Its fail-back probe hears that G1 is cut off (GOAWAY upstream-lost
# after the handshake): no move back, though the hold is 1 s.
wait_log agent-back.log "event=probe_cut_off" $((30 * SLOW))
sleep 2
! grep -q "event=failback" agent-back.log ||
    fail "agent-back went back to G1 while G1 was cut off"
start mgmt1 "$GW_MGMT" -c mgmt1.ini; wait_port "$M1_PORT"
wait_log gw1.log event=upstream_back $((10 * SLOW))
[ "$(healthz)" = 200 ] || fail "G1 has a link, but /healthz says $(healthz)"
wait_log agent-back.log "event=failback from=$G2 to=$G1" $((30 * SLOW))
pass "G1's server is back: G1 healthy, agent-back failed back to it"
seq 6 10 | sed 's/^/back /' >&7

# 4. G1 loses its server again: GOAWAY upstream-lost moves the agent.
sleep 1
kill -KILL "$PID_mgmt1"
for ((i = 0; i < 100 * SLOW; i++)); do
	[ "$(grep -c "event=upstream_cut_off " gw1.log)" = 3 ] && break
	sleep 0.1
done
[ "$(grep -c "event=upstream_cut_off " gw1.log)" = 3 ] ||
    fail "G1 was not cut off a third time"
wait_log agent-back.log "event=goaway code=upstream-lost" $((10 * SLOW))
seq 11 15 | sed 's/^/back /' >&7
exec 7>&-
# Every line stored: 11..15 through G2; the union of the stores has 1..15
# (a line G1's server stored but never acknowledged is in both).
for ((i = 0; i < 300 * SLOW; i++)); do
	n=$("$GW_MGMT" export --db store.db | grep -c '"agent":"agent-back"' ||
	    true)
	"$GW_MGMT" export --db store.db | grep '"agent":"agent-back"' |
	    grep -q '"seq":15[,}]' && break
	sleep 0.1
done
for db in store.db store1.db; do
	"$GW_MGMT" export --db "$db" | grep '"agent":"agent-back"' |
	    sed 's/.*"seq":\([0-9]*\).*/\1/' | sort -n >"seqs.$db"
	[ -z "$(uniq -d "seqs.$db")" ] || fail "$db has a line twice"
done
[ "$(sort -nu seqs.store.db seqs.store1.db | tr '\n' ' ')" = \
    "$(seq 1 15 | tr '\n' ' ')" ] ||
    fail "agent-back's lines: $(sort -nu seqs.store.db seqs.store1.db |
    tr '\n' ' ')"
seq 11 15 | diff - <(grep -Ex '1[1-5]' seqs.store.db) >/dev/null ||
    fail "lines 11..15 did not go through G2"
grep -q "event=failover from=$G1 to=$G2 reason=upstream-lost" \
    <(sed -n '/event=goaway code=upstream-lost/,$p' agent-back.log) ||
    fail "agent-back did not move to G2 after GOAWAY"
pass "G1 cut off again: GOAWAY upstream-lost, agent-back moved to G2," \
    "lines 1..15 stored ($n through G2)"
