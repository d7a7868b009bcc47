#!/usr/bin/env bash
# gw-loadgen, small, so that the benchmark cannot rot (no timing is
# asserted): 200 agents with their own certificates connect and hold (idle),
# then each sends 20 events of 200 bytes, every one acknowledged end to end,
# then 5 more at a paced 500 per second for all, then 5 more as agents of
# before ACKCREDIT (--legacy-acks); the store must hold each event exactly
# once; then the handshake mode: full handshakes (none
# resumed), resumed ones with --resume, TLS 1.2 ones with --tls12.  Then
# the plain 1:1 mode
# through HAProxy (bench/run's side-by-side relay, same certificates):
# every event reaches the sink and comes back acknowledged, its handshake
# mode counts full and resumed handshakes, a reconnect storm (100 agents,
# HAProxy restarted with SIGTERM and its ticket keys in a file) brings
# every agent back, some resumed, and an agent without a valid
# certificate is refused.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen

cd "$T"
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- --count 200 \
    --out-dir agents >/dev/null
write_configs
start_mgmt
start_gateway
lg() { "$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --agents 200 --timeout 60 "$@"; }

out=$(lg --mode idle --hold 1) || fail "idle run: $out"
case $out in *"opened=200 failed=0"*) ;; *) fail "idle: $out" ;; esac
pass "idle: $out"

out=$(lg --mode send --events 20 --size 200) || fail "send run: $out"
case $out in *"events=4000 acked=4000"*) ;; *) fail "send: $out" ;; esac
pass "send: $out"

# Paced: 1,000 more events at 500 per second, the agents in turn.
out=$(lg --mode send --events 5 --size 200 --rate 500) || fail "paced run: $out"
case $out in *"events=1000 acked=1000"*) ;; *) fail "paced: $out" ;; esac
pass "paced send: $out"

# Agents of before ACKCREDIT (their credit in CREDIT frames): 1,000 more.
out=$(lg --mode send --events 5 --size 200 --legacy-acks) || fail "legacy run: $out"
case $out in *"events=1000 acked=1000"*) ;; *) fail "legacy: $out" ;; esac
pass "agents without ACKCREDIT: $out"

export_store >export.jsonl
[ "$(wc -l <export.jsonl)" = 6000 ] || fail "store holds $(wc -l <export.jsonl) rows, not 6000"
[ "$(sort -u export.jsonl | wc -l)" = 6000 ] || fail "duplicates in the store"
n=$(sed -n 's/.*"agent":"\(agent-[0-9]*\)".*/\1/p' export.jsonl | sort -u | wc -l)
[ "$n" = 200 ] || fail "events from $n agents, not 200"
pass "store: 6000 events from 200 agents, each once"

# Handshake mode, 20 agents in turn, 1.5 s each: counts, never timings.
# hs_check OUT RESUMED: handshakes > 0, none failed, and resumed = 0
# ("none") or > 0 ("some").
hs_check() {
	local n r
	[[ $1 =~ \ handshakes=([0-9]+)\ .*\ resumed=([0-9]+)\ failed=0\  ]] ||
	    fail "handshake run: $1"
	n=${BASH_REMATCH[1]}; r=${BASH_REMATCH[2]}
	[ "$n" -gt 0 ] || fail "no handshake: $1"
	case $2 in
	none) [ "$r" = 0 ] || fail "resumed without --resume: $1" ;;
	some) [ "$r" -gt 0 ] || fail "none resumed with --resume: $1" ;;
	esac
}
hs() { "$LOADGEN" --certs agents --ca pki/ca.crt --agents 20 --timeout 60 \
    --mode handshake --seconds 1.5 --connect-rate 200 "$@"; }
out=$(hs --gateway "127.0.0.1:$GW_PORT") || fail "handshake run: $out"
hs_check "$out" none
pass "full handshakes: $out"
out=$(hs --gateway "127.0.0.1:$GW_PORT" --resume) || fail "resume run: $out"
hs_check "$out" some
case $out in "warm agents=20 handshakes=20"*) ;; *) fail "warm-up: $out" ;; esac
pass "resumed handshakes: ${out##*$'\n'}"
n12=$(grep -c 'event=agent_authenticated.*tls=TLSv1\.2' gatewayd.log || true)
out=$(hs --gateway "127.0.0.1:$GW_PORT" --tls12) || fail "TLS 1.2 run: $out"
hs_check "$out" none
[ "$(grep -c 'event=agent_authenticated.*tls=TLSv1\.2' gatewayd.log)" -gt "$n12" ] ||
    fail "--tls12: gatewayd saw no TLS 1.2 handshake"
pass "TLS 1.2 handshakes: $out"
out=$(hs --gateway "127.0.0.1:$GW_PORT" --tls12 --resume 2>&1) &&
    fail "--resume with --tls12 ran: $out"

# The plain mode through HAProxy, as bench/run sets it up.
HAPROXY=$(command -v haproxy) || fail "haproxy is not installed (scripts/run installs it)"
SINK_PORT=$(free_port); HAP_PORT=$(free_port)
cat pki/gateway.crt pki/gateway.key >pki/gateway.pem
# Ticket keys that survive a restart, as bench/run's: 3 x 80 bytes.
for _ in 1 2 3; do head -c 80 /dev/urandom | base64 -w 0; echo; done >ticket.keys
cat >haproxy.cfg <<EOT
global
    maxconn 1000
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend agents
    bind 127.0.0.1:$HAP_PORT ssl crt $T/pki/gateway.pem ca-file $T/pki/ca.crt verify required tls-ticket-keys $T/ticket.keys
    default_backend sink
backend sink
    server sink 127.0.0.1:$SINK_PORT
EOT
start sink "$LOADGEN" --mode sink --sink "127.0.0.1:$SINK_PORT" --size 200 --timeout 60
wait_port "$SINK_PORT"
start haproxy "$HAPROXY" -f haproxy.cfg -db
wait_port "$HAP_PORT"
plain() { "$LOADGEN" --gateway "127.0.0.1:$HAP_PORT" --certs agents \
    --ca pki/ca.crt --agents 200 --timeout 60 --plain "$@"; }
out=$(plain --mode send --events 20 --size 200) || fail "plain send run: $out"
case $out in *"opened=200 failed=0"*"events=4000 acked=4000"*) ;; *) fail "plain send: $out" ;; esac
pass "plain mode through HAProxy: $out"
out=$(plain --mode send --events 5 --size 200 --rate 500) || fail "plain paced run: $out"
case $out in *"events=1000 acked=1000"*) ;; *) fail "plain paced: $out" ;; esac
pass "plain mode through HAProxy, paced: $out"
out=$(hs --gateway "127.0.0.1:$HAP_PORT" --plain) || fail "plain handshake run: $out"
hs_check "$out" none
pass "full handshakes through HAProxy: $out"
out=$(hs --gateway "127.0.0.1:$HAP_PORT" --plain --resume) || fail "plain resume run: $out"
hs_check "$out" some
pass "resumed handshakes through HAProxy: ${out##*$'\n'}"
out=$(hs --gateway "127.0.0.1:$HAP_PORT" --plain --tls12) || fail "plain TLS 1.2 run: $out"
hs_check "$out" none
pass "TLS 1.2 handshakes through HAProxy: $out"
# The storm through HAProxy, as bench/run's: 100 agents open (one event
# each acknowledged), HAProxy stopped hard (SIGTERM closes every
# connection) and started again; every agent back, some from a ticket.
"$LOADGEN" --gateway "127.0.0.1:$HAP_PORT" --certs agents --ca pki/ca.crt \
    --agents 100 --timeout 30 --plain --mode storm >plain-storm.out 2>&1 &
lg=$!
wait_log plain-storm.out all_open 20
kill -TERM "$PID_haproxy"
wait "$PID_haproxy" || true
start haproxy "$HAPROXY" -f haproxy.cfg -db
wait "$lg" || fail "plain storm run: $(cat plain-storm.out)"
out=$(tail -n 1 plain-storm.out)
[[ $out =~ \ opened=100\ failed=0\ .*\ back=100\ resumed=([0-9]+)\  ]] ||
    fail "plain storm: $(cat plain-storm.out)"
[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "plain storm: none resumed: $out"
grep -q "^all_back agents=100 " plain-storm.out || fail "plain storm: $(cat plain-storm.out)"
pass "storm through HAProxy: $out"
# A client HAProxy must refuse: its certificate is from another CA.
mkdir -p other
"$GW_CERT" ca --out other --name "another CA" >/dev/null
"$GW_CERT" issue --ca other --role agent --name agent-x --out other/agent-x >/dev/null
out=$("$LOADGEN" --gateway "127.0.0.1:$HAP_PORT" --certs other --ca pki/ca.crt \
    --agents 1 --timeout 10 --plain --mode send --events 1 2>&1) &&
    fail "HAProxy took a certificate of another CA: $out"
case $out in *"failed=1"*) ;; *) fail "plain refused: $out" ;; esac
pass "HAProxy refuses an agent of another CA (as gatewayd does)"
