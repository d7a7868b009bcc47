#!/usr/bin/env bash
# Enrollment exhaustion (issue 17, hole 5), over real processes and TLS: one
# source (127.0.0.1) sends 200 certificate requests without a token through
# gatewayd's enrollment listener (its own rate limits opened wide, so that
# all of them reach gw-mgmt's signing authority):
#   - at most max_pending_per_source (8) of them are pending; the others are
#     refused overload, and the authority logs that once a minute for the
#     source, not once per request;
#   - a request from another source (::1, through a second gateway) still
#     goes pending;
#   - an agent with a certificate streams its DATA throughout, every line
#     stored once.
source "$(dirname "$0")/lib.sh" "$@"
N=200
PER_SOURCE=8

cd "$T"
make_pki pki
mkdir -p agents flood
"$GW_CERT" issue --ca pki --role agent --name agent-good --out agents/agent-good >/dev/null
FP=$("$GW_CERT" fingerprint pki/ca.crt)
ENROLL_PORT=$(free_port)
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT
rate = 10000
rate_per_source = 10000
max_clients = 1024"
MGMT_TAIL="[enroll]
ca_dir = pki
max_pending_per_source = $PER_SOURCE"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"

# A second gateway whose enrollment listener is on ::1: another source.
GW6_PORT=$(free_port)
ENROLL6_PORT=$(free_port)
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$GW6_PORT/" \
    -e "s/^listen = 127.0.0.1:$ENROLL_PORT/listen = [::1]:$ENROLL6_PORT/" \
    gateway.ini >gateway6.ini
start gatewayd6 "$GATEWAYD" -c gateway6.ini
wait_port "$GW6_PORT"
wait_log gatewayd6.log "event=upstream_up" 10

# The honest agent streams throughout.
seq 1 300 | sed 's/^/line /' >lines.txt
$(agent_cmd agent-good --file lines.txt --rate 20 --timeout 120) \
    >agent-good.log 2>&1 &
GOOD=$!

# enroll ADDR NAME: one request without a token, asked once; its exit code.
enroll() {
	local rc=0
	"$GW_AGENT" enroll --enroll "$1" --ca-fingerprint "$FP" --name "$2" \
	    --key "flood/$2.key" --cert "flood/$2.crt" --ca flood/ca.crt \
	    --wait 0 >"flood/$2.log" 2>&1 || rc=$?
	echo "$rc"
}
export -f enroll
export GW_AGENT FP

t0=$(date +%s)
seq 1 $N | xargs -P 4 -I{} bash -c \
    "enroll 127.0.0.1:$ENROLL_PORT agent-flood-{}" >flood.rc
elapsed=$(( $(date +%s) - t0 ))
pending=$(grep -c '^4$' flood.rc || true)
# Refused overload: gw-agent says so and exits 1 (try again later).
refused=$(cat flood/*.log | grep -c 'enroll refused: overload' || true)
[ "$pending" = $PER_SOURCE ] ||
    fail "$pending requests of one source pending, want $PER_SOURCE ($(sort flood.rc | uniq -c | tr '\n' ' '))"
[ "$refused" = $((N - PER_SOURCE)) ] ||
    fail "$refused refused, want $((N - PER_SOURCE)) ($(sort flood.rc | uniq -c | tr '\n' ' '))"
listed=$("$GW_CERT" pending list --ca pki | grep -c agent-flood || true)
[ "$listed" = $PER_SOURCE ] || fail "gw-cert pending list shows $listed, want $PER_SOURCE"
why='overload: too many pending requests from this source (8, max_pending_per_source)'
[ "$(cat flood/*.log | grep -cF "$why" || true)" = "$refused" ] ||
    fail "a refusal does not name max_pending_per_source: $(grep -h overload flood/*.log | sort | uniq -c)"
logged=$(grep -c 'event=enroll_refused .*max_pending_per_source' mgmt.log || true)
[ "$logged" -ge 1 ] && [ "$logged" -le $((1 + elapsed / 60)) ] ||
    fail "the refusal was logged $logged times in ${elapsed}s, want once a minute"
pass "one source, $N requests in ${elapsed}s: $pending pending, $refused refused overload, logged $logged time(s)"

# Another source still gets in.
rc=$(enroll "[::1]:$ENROLL6_PORT" agent-other)
[ "$rc" = 4 ] || fail "another source: exit $rc, want 4 (pending): $(tail -n 2 flood/agent-other.log)"
"$GW_CERT" pending list --ca pki | grep -q agent-other ||
    fail "agent-other is not pending"
pass "another source (::1) still goes pending"

wait "$GOOD" || fail "the honest agent failed: $(tail -n 3 agent-good.log)"
check_store 300 agent-good >/dev/null || fail "agent-good's lines are not all stored once"
pass "the honest agent streamed 300 lines throughout, each stored once"
