#!/usr/bin/env bash
# Names instead of addresses (issue 21, item 2), resolved through a hosts
# file of the test's own, never the network: the test runs in a mount
# namespace of its own (unshare -m) where its hosts file, a resolv.conf
# naming only 127.0.0.1 and an nsswitch.conf ("files dns") are bound over
# /etc's.  gatewayd dials gw-mgmt as mgmt.test and gw-agent dials gatewayd
# as gw.test; neither configures a server name, so each certificate is
# checked against the name dialed.  gw.test has two addresses, the first
# refusing: the agent tries them in turn.  A certificate that does not
# name the host dialed is refused; a name that does not resolve fails with
# the reason; a malformed name is a config error with file, line and key.
# Then gw.test moves to another address while gatewayd is down: the agent
# resolves the name again when it reconnects and delivers everything; and
# a new agent enrolls (--enroll gw.test:PORT) and streams, by name only.
# Skipped (77) where unshare -m is not permitted (not root).
source "$(dirname "$0")/lib.sh" "$@"
own_namespace -m
cd "$T"
own_names 'options timeout:1 attempts:1' '127.0.0.1 localhost' \
    '127.0.0.1 mgmt.test' '127.0.0.2 gw.test' '127.0.0.1 gw.test' \
    '127.0.0.1 wrong.test'
make_pki_names gw.test

ENROLL_PORT=$(free_port)
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
MGMT_TAIL="[enroll]
ca_dir = pki"
write_configs
sed -i -e "s/^server = .*/server = mgmt.test:$MGMT_PORT/" \
    -e '/^server_name = /d' gateway.ini
start_mgmt
start_gateway
grep -q "event=dial name=mgmt.test:$MGMT_PORT address=127.0.0.1:$MGMT_PORT try=1/1" \
    gatewayd.log || fail "gatewayd did not log the address it tried"
grep -q "event=upstream_up .*server=mgmt.test:$MGMT_PORT" gatewayd.log ||
    fail "no link up to mgmt.test"
pass "gatewayd dials mgmt.test, its certificate checked against the name"

agent() {
	"$GW_AGENT" --gateway "$1" --cert agents/agent-1.crt \
	    --key agents/agent-1.key --ca pki/ca.crt "${@:2}"
}

# gw.test is 127.0.0.2 (nothing listens) then 127.0.0.1.
seq 1 10 | sed 's/^/agent-1 event /' >lines1
agent "gw.test:$GW_PORT" --file lines1 --timeout 30 >agent1.log 2>&1 ||
    fail "agent via gw.test: $(tail -n 5 agent1.log)"
for want in "event=dial name=gw.test:$GW_PORT address=127.0.0.2:$GW_PORT try=1/2" \
    "event=dial_failed name=gw.test:$GW_PORT address=127.0.0.2:$GW_PORT error=\"Connection refused\" next=yes" \
    "event=dial name=gw.test:$GW_PORT address=127.0.0.1:$GW_PORT try=2/2"; do
	grep -qF "$want" agent1.log || fail "agent1.log lacks '$want'"
done
check_store 10 agent-1 || fail "store after the first agent"
pass "gw.test's two addresses tried in turn; 10 lines stored once"

# wrong.test reaches the same gatewayd, whose certificate does not name it.
agent "wrong.test:$GW_PORT" --file lines1 --timeout 3 >wrong.log 2>&1 &&
    fail "agent accepted a certificate not naming wrong.test"
grep -q 'reason=tls-handshake detail="certificate name-mismatch' wrong.log ||
    fail "no name-mismatch reason: $(tail -n 5 wrong.log)"
pass "a certificate that does not name wrong.test is refused (name-mismatch)"

# A name nobody knows (the one name server, 127.0.0.1, does not answer).
agent "nosuch.test:$GW_PORT" --file lines1 --timeout 3 >nosuch.log 2>&1 &&
    fail "agent delivered through nosuch.test"
grep -q "resolve nosuch.test:$GW_PORT: " nosuch.log ||
    fail "no resolve reason: $(tail -n 5 nosuch.log)"
pass "an unknown name fails with: $(grep -m1 -o 'resolve nosuch.test[^"]*' nosuch.log)"

# A malformed name is a config error naming file, line and key.
sed "s/^server = .*/server = mgmt_1.test:$MGMT_PORT/" gateway.ini >bad.ini
line=$(grep -n '^server = ' bad.ini | cut -d: -f1)
"$GATEWAYD" --check-config bad.ini >check.out 2>&1 &&
    fail "--check-config accepted mgmt_1.test"
grep -q "bad.ini:$line: \[upstream\] server: 'mgmt_1.test:$MGMT_PORT' is not HOST:PORT" \
    check.out || fail "config error: $(cat check.out)"
pass "a malformed name: $(head -n 1 check.out)"

# Each reconnect resolves again: gw.test moves to 127.0.0.3 while gatewayd
# is down; the agent, fed through a FIFO, must find it there.
mkfifo feed
start agent2 bash -c 'exec "$@" <feed' _ "$GW_AGENT" \
    --gateway "gw.test:$GW_PORT" --cert agents/agent-1.crt \
    --key agents/agent-1.key --ca pki/ca.crt --timeout 60
exec 5>feed
seq 11 15 | sed 's/^/agent-1 event /' >&5
for ((i = 0; i < 100; i++)); do
	[ "$(export_store | wc -l)" -ge 15 ] && break
	sleep 0.1
done
check_store 15 agent-1 || fail "store before the move"
stop gatewayd
printf '%s\n' '127.0.0.1 localhost' '127.0.0.1 mgmt.test' \
    '127.0.0.3 gw.test' >"$T/hosts"	# in place: the bind mount sees it
sed "s/^listen = 127.0.0.1:/listen = 127.0.0.3:/" gateway.ini >gateway3.ini	# and [enroll]
{ start gatewayd3 "$GATEWAYD" -c "$T/gateway3.ini"; } 5>&-	# EOF is ours
wait_log gatewayd3.log "event=upstream_up" 10
seq 16 20 | sed 's/^/agent-1 event /' >&5
exec 5>&-
reap "$PID_agent2" 60 || fail "agent2 did not end"
[ "$REAP_RC" -eq 0 ] || fail "agent2 exited $REAP_RC: $(tail -n 5 agent2.log)"
grep -qF "event=dial name=gw.test:$GW_PORT address=127.0.0.3:$GW_PORT try=1/1" agent2.log ||
    fail "agent2 did not resolve gw.test again: $(grep dial agent2.log)"
check_store 20 agent-1 || fail "store after the move"
pass "gw.test resolved again at the reconnect (127.0.0.3); 20 lines stored once"

# Enrollment by name too: a token, then lines, both through gw.test
# (127.0.0.3 now).
FP=$("$GW_CERT" fingerprint pki/ca.crt)
TOKEN=$("$GW_CERT" token create --ca pki --uses 1 --ttl 1h --names 'agent-*')
seq 1 5 | sed 's/^/agent-new event /' >lines-new
"$GW_AGENT" --gateway "gw.test:$GW_PORT" --enroll "gw.test:$ENROLL_PORT" \
    --ca-fingerprint "$FP" --token "$TOKEN" --name agent-new \
    --key agents/agent-new.key --cert agents/agent-new.crt \
    --ca agents/ca-new.crt --file lines-new --timeout 30 >enroll.log 2>&1 ||
    fail "enroll through gw.test: $(tail -n 5 enroll.log)"
grep -qF "event=dial name=gw.test:$ENROLL_PORT address=127.0.0.3:$ENROLL_PORT" \
    enroll.log || fail "enrollment did not dial gw.test: $(head -n 5 enroll.log)"
grep -q "enrolled agent-new" enroll.log || fail "not enrolled: $(tail -n 3 enroll.log)"
n=$(export_store | grep -c '"agent":"agent-new"' || true)
[ "$n" -eq 5 ] || fail "agent-new stored $n lines, want 5"
pass "gw-agent enrolls through gw.test:$ENROLL_PORT and streams through gw.test"
