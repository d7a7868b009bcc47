#!/usr/bin/env bash
# Liveness and inventory, end to end over real processes and mutual TLS
# (PROTOCOL.md 9.9): gw-mgmt ([agents] stale_after = 3s) behind gatewayd
# (its SEEN every [gateway] heartbeat = 500ms), two gw-agents with
# --heartbeat 0.5 that send no DATA after their first line:
#  - both are online, kept so by their gateway's SEEN alone;
#  - `gw-mgmt agents --json` carries every identity field OPEN carried,
#    checked against the certificate (openssl): name, issuer, subject,
#    the first DNS SAN, every SAN in certificate order (agent-2's has DNS,
#    IP, URI and email ones: gw-cert issue makes DNS and IP SANs only, so
#    this one certificate is made with openssl and signed by the test
#    CA), serial, fingerprint, notAfter, gateway, peer;
#  - agent-1 SIGSTOPped: within a bounded wait it is stale (agents --json
#    --state stale), gw-mgmt logged event=agent_stale agent=agent-1 once;
#    agent-2 stays online all along;
#  - SIGCONT: online again, event=agent_back agent=agent-1;
#  - agent-2 stopped (its session ends): offline at once, not stale;
#  - SIGHUP applies a new stale_after; a broken one changes nothing.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki "$T/pki"
mkdir -p agents
"$GW_CERT" issue --ca pki --role agent --name agent-1 --dns agent-1.example \
    --ip 10.1.2.3 --out agents/agent-1 >/dev/null
cat >agent-2.ext <<'EOT'
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:agent-2.example, IP:10.1.2.4, URI:spiffe://gw.test/agent/agent-2, email:ops@example.test, DNS:agent-2
EOT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout agents/agent-2.key -subj "/CN=agent-2/O=gatewayd" \
    -out agent-2.csr 2>/dev/null || fail "openssl req"
openssl x509 -req -in agent-2.csr -CA pki/ca.crt -CAkey pki/ca.key \
    -days 30 -set_serial 0x7a0102 -extfile agent-2.ext \
    -out agents/agent-2.crt 2>/dev/null || fail "openssl x509 -req"

MGMT_TAIL="[agents]
stale_after = 3s"
GW_EXTRA="heartbeat = 500ms"
write_configs
start_mgmt
start_gateway

# online NAME: gw-agent NAME runs, its stdin a FIFO this shell keeps open
# (one line sent, then silence); waits for its first line acknowledged.
declare -A FD
online() {
	local n=$1
	rm -f "in-$n"
	mkfifo "in-$n"
	exec {fd}<>"in-$n"
	FD[$n]=$fd
	$(agent_cmd "$n" --heartbeat 0.5 --log-level info) <"in-$n" \
	    >>"$T/$n.log" 2>&1 &
	PIDS+=($!)
	eval "PID_${n//-/_}=$!"
	echo "hello from $n" >&"$fd"
	wait_log "$T/$n.log" "event=hello_ack" 10
}

# agents [ARGS...]: gw-mgmt agents --json ARGS, on the server's store.
agents() {
	"$GW_MGMT" agents -c "$T/mgmt.ini" --json "$@"
}

# state_of NAME: its state as gw-mgmt agents says ("" if unknown).
state_of() {
	agents | python3 -B -c 'import json, sys
for x in map(json.loads, sys.stdin):
    if x["name"] == sys.argv[1]: print(x["state"])' "$1"
}

# wait_state NAME STATE SECONDS
wait_state() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	kill -CONT "$PID_agent_1" 2>/dev/null || true
	fail "$1 is '$(state_of "$1")', not $2, after $3 s: $(agents)"
}

online agent-1
online agent-2
wait_state agent-1 online 10
wait_state agent-2 online 10
# Twice stale_after of silence (no DATA): the gateway's SEEN keeps both.
sleep 6
[ "$(state_of agent-1)" = online ] || fail "agent-1 went $(state_of agent-1) on SEEN alone"
[ "$(state_of agent-2)" = online ] || fail "agent-2 went $(state_of agent-2) on SEEN alone"
grep -q "event=agent_stale" mgmt.log && fail "an agent went stale: $(grep agent_stale mgmt.log)"
pass "two agents online, silent but for their heartbeats, kept online by SEEN"

# Every identity field of OPEN, against the certificates.
agents >agents.jsonl
for n in agent-1 agent-2; do
	crt=agents/$n.crt
	python3 -B - "$n" "$crt" "$(openssl x509 -in "$crt" -noout -ext subjectAltName |
	    tail -n +2)" "$(openssl x509 -in "$crt" -noout -enddate)" \
	    "$(openssl x509 -in "$crt" -noout -serial)" \
	    "$("$GW_CERT" fingerprint "$crt")" <<'EOT' ||
import calendar, json, re, sys, time
name, crt, san, end, serial, fp = sys.argv[1:]
L = [x for x in map(json.loads, open("agents.jsonl")) if x["name"] == name]
assert len(L) == 1, L
a = L[0]
want = []
for item in san.strip().split(", "):
    t, v = item.split(":", 1)
    want.append({"DNS": "DNS", "IP Address": "IP", "URI": "URI",
                 "email": "EMAIL"}[t] + ":" + v)
assert a["sans"] == want, (a["sans"], want)
assert a["san"] == [w[4:] for w in want if w.startswith("DNS:")][0], a
t = time.strptime(end.split("=", 1)[1].replace(" GMT", ""),
                  "%b %d %H:%M:%S %Y")
assert a["not_after_ms"] == calendar.timegm(t) * 1000, (a, end)
hexser = serial.split("=", 1)[1].lower()
assert a["serial"].replace(":", "").lower().lstrip("0") == \
    hexser.lstrip("0"), (a["serial"], serial)
assert a["fingerprint"] == fp, (a["fingerprint"], fp)
assert a["issuer"] == "CN=gatewayd test CA, O=gatewayd", a
assert a["subject"] == "CN=%s, O=gatewayd" % name, a
assert a["gateway"] == "gateway" and a["via"] == ["gateway"], a
assert re.fullmatch(r"127\.0\.0\.1:[0-9]+", a["peer"]), a
assert a["state"] == "online" and a["last_seq"] == 1, a
for k in ("first_seen_ms", "connected_ms", "seen_ms"):
    assert a[k] > 1.7e12, (k, a)
assert set(a) == {"name", "issuer", "subject", "san", "sans", "serial",
    "fingerprint", "not_after_ms", "gateway", "via", "peer", "first_seen_ms",
    "connected_ms", "seen_ms", "last_seq", "state"}, a
EOT
	    fail "$n: identity: $(grep "\"name\":\"$n\"" agents.jsonl)"
done
pass "agents --json: every identity field OPEN carried (DNS, IP, URI, email SANs in order, notAfter, serial, fingerprint)"

kill -STOP "$PID_agent_1"
wait_state agent-1 stale 10
agents --state stale >stale.jsonl
[ "$(wc -l <stale.jsonl)" = 1 ] && grep -q '"name":"agent-1"' stale.jsonl ||
    { kill -CONT "$PID_agent_1"; fail "--state stale: $(cat stale.jsonl)"; }
[ "$(state_of agent-2)" = online ] ||
    { kill -CONT "$PID_agent_1"; fail "agent-2 is $(state_of agent-2)"; }
grep -q 'event=agent_stale agent=agent-1 issuer="CN=gatewayd test CA, O=gatewayd" silent_ms=[0-9]' mgmt.log ||
    { kill -CONT "$PID_agent_1"; fail "no event=agent_stale: $(grep agent_ mgmt.log)"; }
[ "$(grep -c 'event=agent_stale' mgmt.log)" = 1 ] ||
    { kill -CONT "$PID_agent_1"; fail "$(grep agent_stale mgmt.log)"; }
pass "agent-1 SIGSTOPped: stale (agents --state stale, event=agent_stale once); agent-2 online"

kill -CONT "$PID_agent_1"
wait_state agent-1 online 10
wait_log mgmt.log 'event=agent_back agent=agent-1 issuer="CN=gatewayd test CA, O=gatewayd" stale_ms=[0-9]' 5
[ "$(state_of agent-2)" = online ] || fail "agent-2 is $(state_of agent-2)"
pass "SIGCONT: agent-1 online again, event=agent_back"

stop agent-2
wait_state agent-2 offline 3
[ "$(state_of agent-1)" = online ] || fail "agent-1 is $(state_of agent-1)"
grep -q "event=agent_stale agent=agent-2" mgmt.log && fail "agent-2 went stale"
pass "agent-2's session ended: offline at once"

# SIGHUP: a new stale_after holds from the next sweep; a broken file
# changes nothing.
sed -i 's/^stale_after = 3s$/stale_after = 1h/' mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log "event=liveness stale_after_s=3600.000" 5
sed -i 's/^stale_after = 1h$/stale_after = 0s/' mgmt.ini
kill -HUP "$PID_mgmt"
wait_log mgmt.log "event=reload_failed" 5
[ "$(grep -c 'event=liveness' mgmt.log)" = 2 ] ||
    fail "a broken stale_after changed the sweep: $(grep liveness mgmt.log)"
pass "SIGHUP: stale_after 1h applied; 0s refused, nothing changed"
