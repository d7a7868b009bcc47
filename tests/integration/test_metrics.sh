#!/usr/bin/env bash
# The metrics listener ([metrics] listen) during a real run: gw-mgmt <-
# gatewayd <- gw-agents.  The counters are checked against what happened:
# two agents accepted and 2 x 100 DATA relayed up (each in the send-to-ACK
# and the residence histograms; each ACK relayed down in its residence
# one), one agent refused by the
# name policy, the server up and active with both links ready, /healthz
# 200; then gw-mgmt killed: /healthz 503, the server down with a failure
# counted.  Bad requests get 404/405, an endless one is dropped, and the
# listener still answers after all of them.  `gatewayd status` prints the
# same for a human, and exits 1 once no link is usable.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents
for n in agent-a agent-b other-x; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
metrics_port
GW_TAIL=$METRICS_INI
write_configs
start_mgmt
start_gateway
wait_port "$METRICS_PORT"

# At start: nothing happened yet; both links up.
[ "$(http_status GET /healthz)" = "HTTP/1.0 200 OK" ] ||
    fail "/healthz with gw-mgmt up: $(http_status GET /healthz)"
http GET /metrics | grep -q '^Content-Type: text/plain; version=0.0.4' ||
    fail "/metrics is not the Prometheus text format"
expect_metric gatewayd_agents_accepted_total 0
expect_metric 'gatewayd_frames_total{direction="up"}' 0
expect_metric 'gatewayd_upstream_links{state="ready"}' 2
expect_metric "gatewayd_server_up{server=\"127.0.0.1:$MGMT_PORT\",priority=\"0\"}" 1
expect_metric "gatewayd_server_active{server=\"127.0.0.1:$MGMT_PORT\"}" 1
pass "at start: /healthz 200, no agent, both links ready, server up"

# Two agents, 100 lines each; one agent the name policy refuses.
for n in agent-a agent-b; do
	seq 1 100 | sed "s/^/$n event /" >"$n.txt"
	$(agent_cmd "$n" --file "$n.txt" --timeout 30) >>"agent-$n.log" 2>&1 ||
	    fail "$n did not get its lines acknowledged"
done
rc=0
$(agent_cmd other-x --file agent-a.txt --timeout 10) >>agent-other-x.log 2>&1 ||
    rc=$?
[ "$rc" -eq 3 ] || fail "other-x: exit $rc, want 3 (refused)"
expect_metric gatewayd_agents_accepted_total 2
expect_metric gatewayd_agents_refused_total 1
expect_metric 'gatewayd_frames_total{direction="up"}' 200
expect_metric 'gatewayd_agents{state="authenticated"}' 0
expect_metric 'gatewayd_replay_bytes' 0
down=$(metric 'gatewayd_frames_total{direction="down"}')
[ "${down:-0}" -ge 1 ] || fail "no frame relayed down (ACKs): '$down'"
expect_metric 'gatewayd_handshakes_failed_total{reason="policy"}' 1
expect_metric gatewayd_handshakes_resumed_total 0
# Every DATA was acknowledged: 200 in the histogram, each in some bucket
# no larger than the total.
expect_metric gatewayd_ack_latency_seconds_count 200
expect_metric 'gatewayd_ack_latency_seconds_bucket{le="+Inf"}' 200
b10=$(metric 'gatewayd_ack_latency_seconds_bucket{le="10"}')
[ "${b10:-0}" -le 200 ] || fail "histogram bucket le=10 holds $b10 of 200"
# gatewayd's residence: each DATA once, written up; each ACK relayed
# down (every frame down here: no command) once, written to its agent.
expect_metric gatewayd_data_residence_seconds_count 200
expect_metric 'gatewayd_data_residence_seconds_bucket{le="+Inf"}' 200
b5=$(metric 'gatewayd_data_residence_seconds_bucket{le="5"}')
[ "${b5:-0}" -le 200 ] || fail "residence bucket le=5 holds $b5 of 200"
expect_metric gatewayd_ack_residence_seconds_count "$down"
expect_metric 'gatewayd_ack_residence_seconds_bucket{le="+Inf"}' "$down"
closed=$(http GET /metrics | tr -d '\r' |
    awk '/^gatewayd_sessions_closed_total\{/ { n += $2 } END { print n + 0 }')
[ "$closed" -eq 2 ] || fail "$closed sessions counted as closed, want 2"
pass "after the agents: 2 accepted, 1 refused (policy), 200 DATA up and" \
    "acknowledged, $down frames down, 2 sessions closed"

# The gateway's own certificate: when it expires, as the file says.
exp=$(metric 'gatewayd_certificate_expiry_seconds{cert="agents"}')
if command -v openssl >/dev/null; then
	want=$(date -d "$(openssl x509 -enddate -noout -in pki/gateway.crt |
	    cut -d= -f2)" +%s)
	[ "$exp" = "$want" ] || fail "certificate expiry $exp, file says $want"
else
	now=$(date +%s)
	[ "${exp:-0}" -gt "$now" ] || fail "certificate expiry $exp is past"
fi
[ "$(metric 'gatewayd_certificate_expiry_seconds{cert="upstream"}')" = \
    "$exp" ] || fail "the upstream certificate (the same file) differs"
[ -z "$(metric gatewayd_crl_last_update_seconds)" ] ||
    fail "a CRL age without a CRL"
pass "certificate expiry $exp as in the file; no CRL, no CRL age"

# gatewayd status: the same, for a human, from the same configuration.
"$GATEWAYD" status -c "$T/gateway.ini" >status.out 2>&1 ||
    fail "gatewayd status exit $? while healthy: $(cat status.out)"
for want in "healthy (2 of 2 upstream links ready)" \
    "127.0.0.1:$MGMT_PORT" "in use" "agents: 0 connected" \
    "accepted 2 (resumed 0), refused by policy 1" "handshake failures: policy 1" \
    "200 frames up" "server failures: none" \
    "held by gatewayd, 99 % within: DATA "; do
	grep -qF -- "$want" status.out ||
	    fail "gatewayd status lacks '$want': $(cat status.out)"
done
pass "gatewayd status: healthy, the server in use, the agents, the refusal"

# Bad requests, and one that never ends: the listener keeps answering.
[ "$(http_status GET /nope)" = "HTTP/1.0 404 Not Found" ] || fail "GET /nope"
[ "$(http_status POST /metrics)" = "HTTP/1.0 405 Method Not Allowed" ] ||
    fail "POST /metrics"
exec 4<>"/dev/tcp/127.0.0.1/$METRICS_PORT"	# a request of blank lines
printf '\r\n\r\n' >&4
answer=$(timeout 10 head -n 1 <&4 | tr -d '\r' || true)
exec 4<&-
[ "$answer" = "HTTP/1.0 400 Bad Request" ] || fail "a blank request: '$answer'"
exec 4<>"/dev/tcp/127.0.0.1/$METRICS_PORT"
head -c 4096 /dev/zero | tr '\0' 'x' >&4 2>/dev/null || true
answer=$(timeout 10 cat <&4 | head -c 100 || true)
exec 4<&-
[ -z "$answer" ] || fail "a 4 KiB request line got an answer: $answer"
[ "$(http_status GET /healthz)" = "HTTP/1.0 200 OK" ] ||
    fail "/healthz after the bad requests"
pass "404, 405, 400 for a blank request, an endless request dropped; still answering"

# gw-mgmt dies: no link is usable.
kill -KILL "$PID_mgmt"
for ((i = 0; i < 100; i++)); do
	[ "$(http_status GET /healthz)" = "HTTP/1.0 503 Service Unavailable" ] &&
	    break
	sleep 0.1
done
[ "$(http_status GET /healthz)" = "HTTP/1.0 503 Service Unavailable" ] ||
    fail "/healthz with gw-mgmt killed: $(http_status GET /healthz)"
expect_metric "gatewayd_server_up{server=\"127.0.0.1:$MGMT_PORT\",priority=\"0\"}" 0
expect_metric 'gatewayd_upstream_links{state="ready"}' 0
http GET /metrics | grep -q "^gatewayd_server_failures_total{server=\"127.0.0.1:$MGMT_PORT\",reason=\"[a-z-]*\"} [1-9]" ||
    fail "no server failure counted"
rc=0
"$GATEWAYD" status -c "$T/gateway.ini" >status.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "gatewayd status exit $rc with gw-mgmt down"
grep -q "UNHEALTHY (0 of 2 upstream links ready)" status.out &&
    grep -q "server failures: [a-z]" status.out ||
    fail "gatewayd status with gw-mgmt down: $(cat status.out)"
pass "gw-mgmt killed: /healthz 503, server down, its failure counted," \
    "gatewayd status says UNHEALTHY (exit 1)"
