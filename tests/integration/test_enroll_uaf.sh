#!/usr/bin/env bash
# Enrollment answers given before enroll_submit returns (the gateway refuses
# a CSR itself; a standalone gateway's authority decides at once) may close
# the requester: its object must outlive the call (SECURITY.md: objects with
# callbacks are freed only when no call of theirs is on the stack).  Under
# the ASan build a use after free fails the test (lib.sh):
#   - 20 requests on one enrollment connection: the 16th answer closes it
#     (request limit), at a forwarding gateway (CSRs it refuses itself) and
#     at a standalone one (mode = local: polls and CSRs);
#   - a renewal at a standalone gateway whose certificate chain does not fit
#     the agent's output (agent_output_buffer = 1k): the session ends
#     (overload) inside the call that asked;
# and both gateways carry on: an agent still streams afterwards.
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse

cd "$T"
make_pki pki
mkdir -p agents
for a in agent-good agent-good2; do
	"$GW_CERT" issue --ca pki --role agent --name "$a" --out "agents/$a" >/dev/null
done
# Due for renewal (renew_after): two thirds of its validity over.
now=$(date -u +%s)
"$GW_CERT" issue --ca pki --role agent --name agent-renew --out agents/agent-renew \
    --not-before "$(date -u -d @$((now - 2 * 86400)) +%Y%m%d%H%M%S)" \
    --not-after "$(date -u -d @$((now + 86400)) +%Y%m%d%H%M%S)" >/dev/null
export GW_ABUSE_CERT=agents/agent-renew.crt GW_ABUSE_KEY=agents/agent-renew.key \
    GW_ABUSE_CA=pki/ca.crt
ENROLL_PORT=$(free_port)
GW_EXTRA="agent_output_buffer = 4k"
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"

# expect_limit OUT WHAT: 16 answers, then the gateway closed.
expect_limit() {
	case "$1" in
	"answered 16 of 20 requests; closed after"*) pass "$2: $1" ;;
	*) fail "$2: $1 (want 16 answers, then closed)" ;;
	esac
}

# 1. Forwarding gateway: 20 bad CSRs on one connection, each refused at once.
expect_limit "$("$ABUSE" enroll "127.0.0.1:$ENROLL_PORT" 20 port)" \
    "forwarding gateway, CSRs it refuses"
kill -0 "$PID_gatewayd" 2>/dev/null || fail "gatewayd died: $(tail -n 5 gatewayd.log)"

# 2. A standalone gateway signing with the CA itself.
LGW_PORT=$(free_port)
LENROLL_PORT=$(free_port)
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$LGW_PORT/" \
    -e "s/^listen = 127.0.0.1:$ENROLL_PORT/listen = 127.0.0.1:$LENROLL_PORT/" \
    -e "s/^agent_output_buffer = 4k/agent_output_buffer = 1k/" \
    gateway.ini >gateway-local.ini
printf 'mode = local\nca_dir = pki\n' >>gateway-local.ini
start gatewayd-local "$GATEWAYD" -c gateway-local.ini
wait_port "$LENROLL_PORT"
wait_log gatewayd-local.log "event=upstream_up" 10
for kind in poll port; do
	expect_limit "$("$ABUSE" enroll "127.0.0.1:$LENROLL_PORT" 20 $kind)" \
	    "standalone gateway, $kind"
done
openssl req -new -key agents/agent-renew.key -subj /CN=agent-renew \
    -outform DER -out renew.csr 2>/dev/null
out=$("$ABUSE" enroll "127.0.0.1:$LGW_PORT" renew.csr renew)
wait_log gatewayd-local.log 'event=agent_closed agent=agent-renew .*reason=overload' 5
pass "renewal whose chain does not fit the agent's output: $out"
for p in "$PID_gatewayd" "$PID_gatewayd_local"; do
	kill -0 "$p" 2>/dev/null || fail "a gatewayd died: $(tail -n 5 ./gatewayd*.log)"
done

# Both still relay.
seq 1 20 | sed 's/^/line /' >lines.txt
$(agent_cmd agent-good --file lines.txt --timeout 30) >agent-good.log 2>&1 ||
    fail "agent-good failed: $(tail -n 3 agent-good.log)"
GW_PORT=$LGW_PORT
$(agent_cmd agent-good2 --file lines.txt --timeout 30) >agent-good2.log 2>&1 ||
    fail "agent-good2 failed: $(tail -n 3 agent-good2.log)"
check_store 20 agent-good agent-good2 >/dev/null ||
    fail "the agents' lines are not all stored once"
pass "both gateways still relay: 20 lines stored once"
