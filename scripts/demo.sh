#!/usr/bin/env bash
# scripts/demo.sh BUILD_DIR SOURCE_DIR: the live local demo (README's first
# command runs it through scripts/run demo).  Everything real, on 127.0.0.1:
# a PKI made by gw-cert, gw-mgmt with its SQLite store, gatewayd on its
# embedded default configuration (conf/gateway.ini), three agents sending
# a file each, one that enrolls, and one run as a service (gw-agent -c)
# following a log and running monitoring-plugins' check_load.
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
GATEWAYD=$BUILD/gateway/gatewayd/gatewayd
GW_MGMT=$BUILD/gateway/mgmt/gw-mgmt
GW_AGENT=$BUILD/gateway/agent/gw-agent
GW_CERT=$BUILD/certs/gw-cert
RUN=${GW_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gatewayd-demo.XXXXXX")}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 7443 7444 7445; do
	port_busy $p && { echo "demo: port $p is in use; stop what uses it" >&2; exit 1; }
done

cd "$RUN"
say "1. A PKI, made by gw-cert (in $RUN/pki)"
"$GW_CERT" ca --out pki --name "gatewayd demo CA" >/dev/null
"$GW_CERT" issue --ca pki --role gateway --name gateway --ip 127.0.0.1 --out pki/gateway >/dev/null
"$GW_CERT" issue --ca pki --role mgmt --name mgmt --ip 127.0.0.1 --out pki/mgmt >/dev/null
agents=(agent-web01 agent-db01 agent-dmz01)
for a in "${agents[@]}"; do
	"$GW_CERT" issue --ca pki --role agent --name "$a" --out "pki/$a" >/dev/null
done
"$GW_CERT" issue --ca pki --role agent --name agent-old --out pki/agent-old \
    --not-before 20200101000000 --not-after 20210101000000 >/dev/null
for f in pki/ca.crt pki/gateway.crt pki/agent-web01.crt; do
	printf '  %-22s %s\n' "$f" "$("$GW_CERT" show "$f" | sed -n 's/^subject: //p')"
done

say "2. gw-mgmt: the management-server endpoint, storing into gw-mgmt.db"
cp "$SRC/conf/mgmt.ini" mgmt.ini
"$GW_MGMT" -c mgmt.ini >mgmt.log 2>&1 &
pids+=($!)
say "3. gatewayd on its embedded default configuration (agents: 127.0.0.1:7443)"
"$GATEWAYD" >gatewayd.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q event=upstream_up gatewayd.log && break; sleep 0.1; done
grep event=upstream_up gatewayd.log | sed 's/^/  /'

say "4. Three agents send monitoring events over mutual TLS"
n=0
for a in "${agents[@]}"; do
	for i in 1 2 3 4; do
		printf '{"host":"%s","check":"cpu","value":%d}\n' "${a#agent-}" $((RANDOM % 100))
	done >"$a.events"
	n=$((n + 4))
	"$GW_AGENT" --gateway 127.0.0.1:7443 --cert "pki/$a.crt" --key "pki/$a.key" \
	    --ca pki/ca.crt --file "$a.events" --timeout 30 2>"$a.log" &
	pids+=($!)
done
ok=1
for p in "${pids[@]:2}"; do wait "$p" || ok=0; done
pids=("${pids[@]:0:2}")
[ $ok = 1 ] && echo "  every agent exited 0: each of its events was acknowledged by the store"

say "5. An agent whose certificate expired in 2021 is refused before any frame"
"$GW_AGENT" --gateway 127.0.0.1:7443 --cert pki/agent-old.crt --key pki/agent-old.key \
    --ca pki/ca.crt --file /dev/null --timeout 10 2>agent-old.log || true
sleep 0.2
grep -m1 'event=agent_refused' gatewayd.log | sed 's/.*\(event=.*\)/  gatewayd: \1/'

say "6. A new agent enrolls: a bootstrap token and the CA fingerprint are all it has"
token=$("$GW_CERT" token create --ca pki --uses 1 --ttl 1h --names 'agent-*' 2>/dev/null)
fp=$("$GW_CERT" fingerprint pki/ca.crt)
echo "  operator: gw-cert token create --ca pki --uses 1 --ttl 1h --names 'agent-*'  ->  ${token:0:16}..."
echo "  operator: gw-cert fingerprint pki/ca.crt                   ->  ${fp:0:16}..."
mkdir -p new
printf '{"host":"new01","check":"enrolled","value":1}\n' >agent-new01.events
"$GW_AGENT" --gateway 127.0.0.1:7443 --enroll 127.0.0.1:7445 --ca-fingerprint "$fp" \
    --token "$token" --name agent-new01 --key new/agent.key --cert new/agent.crt \
    --ca new/ca.crt --file agent-new01.events --timeout 30 2>agent-new01.log
n=$((n + 1))
echo "  agent-new01 made its key, got $("$GW_CERT" show new/agent.crt | sed -n 's/^subject: //p') and sent its event"
"$GW_CERT" list --ca pki | grep -E 'NAME|agent-new01' | sed 's/^/  /'

say "7. An agent as a service: gw-agent -c agent.ini follows a log and runs a check"
"$GW_CERT" issue --ca pki --role agent --name agent-svc01 --out pki/agent-svc01 >/dev/null
mkdir -p svc
printf 'GET /index.html 200\nGET /login 302\nPOST /login 200\n' >svc/app.log
plugin=/usr/lib/nagios/plugins/check_load
cat >svc/agent.ini <<EOT
[agent]
gateway = 127.0.0.1:7443
cert = ../pki/agent-svc01.crt
key = ../pki/agent-svc01.key
ca = ../pki/ca.crt
state = journal
[file app]
path = app.log
read_from = beginning
EOT
[ -x "$plugin" ] && printf '[check load]\ncommand = %s -w 50,40,30 -c 100,80,60\nevery = 1s\nsplay = 0\n' \
    "$plugin" >>svc/agent.ini
sed 's/^/  /' svc/agent.ini
"$GW_AGENT" --check-config svc/agent.ini
"$GW_AGENT" -c svc/agent.ini 2>svc/agent.log &
svc=$!
for _ in $(seq 50); do
	[ "$("$GW_MGMT" export -c mgmt.ini | grep -c '"agent":"agent-svc01"')" -ge 4 ] && break
	sleep 0.1
done
echo 'GET /logout 200' >>svc/app.log
sleep 1.5
kill -TERM "$svc"
wait "$svc" && echo "  SIGTERM: its inputs stopped, what they had read was acknowledged, exit 0"

say "8. What the management server stored (gw-mgmt export, JSON Lines)"
"$GW_MGMT" export -c mgmt.ini >export.jsonl
printf '  %-12s %4s  %-24s  %s\n' agent seq received payload
sed -E 's/.*"agent":"([^"]*)","issuer":"[^"]*","seq":([0-9]+),.*"received":"([^"]*)","payload":"(.*)"\}$/\1 \2 \3 \4/' export.jsonl |
    while read -r agent seq received payload; do
	printf '  %-12s %4s  %-24s  %s\n' "$agent" "$seq" "$received" "${payload//\\\"/\"}"
    done
echo
echo "  One record as a pipeline reads it (export.jsonl, one JSON object per line):"
head -n 1 export.jsonl | sed 's/^/  /'
stored=$(wc -l <export.jsonl)
echo
svc_lines=$(grep '"agent":"agent-svc01"' export.jsonl | grep -c 'kind.....log')
svc_checks=$(grep '"agent":"agent-svc01"' export.jsonl | grep -c 'kind.....check') || true
n=$((n + svc_lines + svc_checks))
echo "  agent-svc01: $svc_lines log lines (4 written) and $svc_checks check runs, as JSON events (docs/PROTOCOL.md 12)"
echo "  $stored of $n events delivered, each exactly once (the store's key is agent + seq)."
echo "  Logs, certificates and the SQLite store are in $RUN"
[ "$stored" -eq "$n" ] && [ "$svc_lines" -eq 4 ]
