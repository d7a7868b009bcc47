#!/usr/bin/env bash
# gw-mgmt's metrics listener ([metrics] listen) during a real run: gw-mgmt
# <- gatewayd (two links) <- gw-agents.  The values are checked against
# what happened: agent-a sends 100 lines and leaves, agent-b stays online
# and runs one command, a second command waits for agent-a: rows stored
# 100, links of gateway "gateway" 2, agents online 1 and offline 1,
# command targets done 1 and queued 1, the commit histogram counted the
# batches that stored them, the DATA-to-commit one each of the 100 rows, no store error; /healthz 200; 404, 405 and
# HEAD answered, the listener still serves after them.  `gw-mgmt status
# -c FILE` prints the same for a human (exit 0), and exits 1 once gw-mgmt
# is gone.  The store's counts come from a cache refreshed every 10 s:
# gw_mgmt_store_view_age_seconds shows its age (under 11 s), which grows
# between two scrapes (a scrape does not read the store).  A gw-mgmt on
# PostgreSQL whose server stops: /healthz 503 "store unavailable" (no
# libpq text: no host, user or port), gw_mgmt_store_up 0, the reason
# logged once however many scrapes, status UNHEALTHY (exit 1).
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
start_pg_early		# for the end
make_pki "$T/pki"
mkdir -p agents
for n in agent-a agent-b; do
	"$GW_CERT" issue --ca pki --role agent --name "$n" \
	    --out "agents/$n" >/dev/null
done
cat >handler <<'EOT'
#!/bin/sh
cat
EOT
chmod +x handler

metrics_port
MGMT_TAIL="[commands]
resend = 1s
$METRICS_INI"
write_configs
start_mgmt
wait_port "$METRICS_PORT"
start_gateway

[ "$(http_status GET /healthz)" = "HTTP/1.0 200 OK" ] ||
    fail "/healthz: $(http_status GET /healthz)"
http GET /metrics | grep -q '^Content-Type: text/plain; version=0.0.4' ||
    fail "/metrics is not the Prometheus text format"
expect_metric gw_mgmt_rows_stored_total 0
expect_metric 'gw_mgmt_links{gateway="gateway"}' 2
expect_metric gw_mgmt_links_open 2
expect_metric 'gw_mgmt_agents{state="online"}' 0
pass "at start: /healthz 200, nothing stored, gateway \"gateway\" has 2 links"

# agent-a: 100 lines, acknowledged, then gone.
seq 1 100 | sed 's/^/agent-a event /' >agent-a.txt
$(agent_cmd agent-a --file agent-a.txt --timeout 30) >>agent-a.log 2>&1 ||
    fail "agent-a did not get its lines acknowledged"
# agent-b: online (its stdin a FIFO this shell keeps open), runs commands.
mkfifo in-b
exec {fdb}<>in-b
$(agent_cmd agent-b --on-command "$T/handler") <in-b >>agent-b.log 2>&1 &
PIDS+=($!)
# The store's counts reach the metrics at the cache's next refresh (every
# 10 s): first make all they count true in the store (which gw-mgmt agents
# and command show read), then wait for one refresh, not one per step.
for ((i = 0; i < 150; i++)); do
	"$GW_MGMT" agents -c "$T/mgmt.ini" --json |
	    grep -q '"name":"agent-b".*"state":"online"' && break
	sleep 0.1
done
[ "$i" -lt 150 ] || fail "agent-b is not online in the store"
# One command agent-b runs, one that waits for agent-a.
id1=$("$GW_MGMT" command send -c "$T/mgmt.ini" --agent agent-b --body hi) ||
    fail "command send to agent-b"
id2=$("$GW_MGMT" command send -c "$T/mgmt.ini" --agent agent-a --body hi) ||
    fail "command send to agent-a"
for ((i = 0; i < 150; i++)); do
	"$GW_MGMT" command show -c "$T/mgmt.ini" "$id1" --json |
	    grep -q '"state":"done"' && break
	sleep 0.1
done
[ "$i" -lt 150 ] || fail "command $id1 is not done in the store"
expect_metric 'gw_mgmt_agents{state="online"}' 1 15
expect_metric 'gw_mgmt_agents{state="offline"}' 1
expect_metric gw_mgmt_rows_stored_total 100
expect_metric gw_mgmt_duplicates_total 0
expect_metric gw_mgmt_store_errors_total 0
expect_metric gw_mgmt_store_up 1
rows=$(metric gw_mgmt_batch_rows_sum)
[ "$rows" = 100 ] || fail "gw_mgmt_batch_rows_sum is '$rows', want 100"
n=$(metric gw_mgmt_commit_seconds_count)
nb=$(metric gw_mgmt_batch_rows_count)
inf=$(metric 'gw_mgmt_commit_seconds_bucket{le="+Inf"}')
[ "${n:-0}" -ge 1 ] && [ "$n" -le 100 ] && [ "$n" = "$nb" ] &&
    [ "$inf" = "$n" ] ||
    fail "commits timed: $n, batches counted: $nb, +Inf bucket: $inf"
# Each row timed from its read to its commit: 100, each in a bucket.
expect_metric gw_mgmt_data_commit_seconds_count 100
expect_metric 'gw_mgmt_data_commit_seconds_bucket{le="+Inf"}' 100
b5=$(metric 'gw_mgmt_data_commit_seconds_bucket{le="5"}')
[ "${b5:-0}" -le 100 ] || fail "data commit bucket le=5 holds $b5 of 100"
pass "100 rows stored in $n batches, all timed, each row timed;" \
    "agent-b online, agent-a offline"

expect_metric 'gw_mgmt_commands{state="done"}' 1 15
expect_metric 'gw_mgmt_commands{state="queued"}' 1
expect_metric 'gw_mgmt_commands{state="failed"}' 0
expect_metric 'gw_mgmt_enroll_answers_total{status="issued"}' 0
age=$(metric gw_mgmt_store_view_age_seconds)
[ -n "$age" ] && awk -v a="$age" 'BEGIN { exit !(a >= 0 && a < 11) }' ||
    fail "gw_mgmt_store_view_age_seconds is '$age', want 0 to 11"
# A scrape does not read the store: the view ages between two scrapes
# (unless the timer refreshed it in between: try again).
for ((i = 0; i < 3; i++)); do
	a1=$(metric gw_mgmt_store_view_age_seconds)
	sleep 1.5
	a2=$(metric gw_mgmt_store_view_age_seconds)
	awk -v a="$a1" -v b="$a2" 'BEGIN { exit !(b >= a + 1) }' && break
done
[ "$i" -lt 3 ] || fail "the view does not age between scrapes: $a1, $a2"
pass "commands $id1 done (agent-b) and $id2 queued (agent-a offline); view ${age}s old, then $a1 s, $a2 s"

[ "$(http_status POST /metrics)" = "HTTP/1.0 405 Method Not Allowed" ] ||
    fail "POST: $(http_status POST /metrics)"
[ "$(http_status GET /nope)" = "HTTP/1.0 404 Not Found" ] ||
    fail "GET /nope: $(http_status GET /nope)"
head=$(http HEAD /metrics | tr -d '\r')
echo "$head" | grep -q '^Content-Length: [1-9]' || fail "HEAD: $head"
echo "$head" | grep -q '^gw_mgmt' && fail "HEAD sent a body"
# An endless request is dropped; the listener goes on.
exec 4<>"/dev/tcp/127.0.0.1/$METRICS_PORT"
head -c 4096 /dev/zero | tr '\0' a >&4 2>/dev/null || true
exec 4<&-
[ "$(http_status GET /healthz)" = "HTTP/1.0 200 OK" ] ||
    fail "/healthz after bad requests: $(http_status GET /healthz)"
pass "405, 404, HEAD without a body; an oversized request dropped; still serving"

# gw-mgmt status: the same, for a human, from the same configuration.
"$GW_MGMT" status -c "$T/mgmt.ini" >status.out 2>&1 ||
    fail "gw-mgmt status exit $? while healthy: $(cat status.out)"
for want in "gw-mgmt at 127.0.0.1:$METRICS_PORT: healthy" \
    "links: 2 open (max 256): gateway 2;" "stored: 100 rows, 0 duplicates" \
    "store errors: 0" "agents: 1 online, 1 offline" \
    "command targets: queued 1, done 1" "enrollment answers: none"; do
	grep -qF -- "$want" status.out ||
	    fail "gw-mgmt status lacks '$want': $(cat status.out)"
done
rc=0
"$GW_MGMT" status --metrics "127.0.0.1:$METRICS_PORT" -c mgmt.ini \
    >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "status with both -c and --metrics: exit $rc, want 2"
stop mgmt
rc=0
"$GW_MGMT" status -c "$T/mgmt.ini" >status2.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "gw-mgmt status with gw-mgmt gone: exit $rc, want 1"
pass "gw-mgmt status: $(head -n 1 status.out); exit 1 once gw-mgmt is gone"

# A store that stops answering: gw-mgmt on PostgreSQL, the server stopped.
start_pg
PGM_PORT=$(free_port)
metrics_port
mgmt_ini pgm "$PGM_PORT" "type = postgresql
conninfo = $PG_CONNINFO
$METRICS_INI"
start pgm "$GW_MGMT" -c "$T/pgm.ini"
wait_port "$METRICS_PORT"
[ "$(http_status GET /healthz)" = "HTTP/1.0 200 OK" ] ||
    fail "/healthz on PostgreSQL: $(http_status GET /healthz)"
"$SRC/scripts/pg-cluster.sh" stop "$PG_DIR"
for ((i = 0; i < 150; i++)); do
	[ "$(http_status GET /healthz)" = "HTTP/1.0 503 Service Unavailable" ] &&
	    break
	sleep 0.1
done
[ "$(http_status GET /healthz)" = "HTTP/1.0 503 Service Unavailable" ] ||
    fail "/healthz with PostgreSQL stopped: $(http_status GET /healthz)"
why=$(http GET /healthz | tr -d '\r' | tail -n 1)
[[ "$why" == "store unavailable"* ]] || fail "/healthz does not say why: '$why'"
body=$(http GET /healthz | tr -d '\r' | sed '1,/^$/d')
echo "$body" | grep -Eiq 'host|user|port|connect|server|postgres' &&
    fail "/healthz shows the store's details: $body"
for ((i = 0; i < 20; i++)); do http GET /healthz >/dev/null; done
n=$(grep -c 'event=metrics_store_down' "$T/pgm.log" || true)
[ "$n" = 1 ] || fail "store down logged $n times, want 1: $(cat "$T/pgm.log")"
expect_metric gw_mgmt_store_up 0
rc=0
"$GW_MGMT" status -c "$T/pgm.ini" >status3.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q "UNHEALTHY (store DOWN" status3.out ||
    fail "gw-mgmt status with the store down: exit $rc: $(cat status3.out)"
pass "PostgreSQL stopped: /healthz 503 ($why), status UNHEALTHY, exit 1"
