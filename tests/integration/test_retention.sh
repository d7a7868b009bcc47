#!/usr/bin/env bash
# Retention ([store] retain) while agents stream: 50 agents (gw-loadgen)
# send 40 events each at a paced 500 per second, first with retention off,
# then, gw-mgmt restarted with retain = 1s, again while it deletes the old
# rows, export --follow running throughout; then 5 more each once every
# row has grown old.  Every event is acknowledged; the store falls to the
# newest row of each agent (bounded); each agent's numbering goes on
# across the deletions (its highest seq is kept: 85 in the end, never
# back to 1); the follower sees increasing ids, each agent's seqs
# increasing, every row left in the store, and no error.  It prints the
# DATA-to-ACK latency p99 as gw-loadgen saw it with and without retention
# running (no timing is asserted).  Then the same on PostgreSQL with two
# servers sharing the store, both deleting.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
AGENTS=50

cd "$T"
start_pg_early		# for the end
make_pki pki
"$GW_CERT" issue-many --ca pki --role agent --prefix agent- \
    --count "$AGENTS" --out-dir agents >/dev/null
write_configs
start_mgmt
start_gateway
lg() { "$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs agents \
    --ca pki/ca.crt --agents "$AGENTS" --timeout 60 --mode send \
    --size 200 "$@"; }
p99() { sed -n 's/.* lat_p99_ms=\([0-9.]*\).*/\1/p' <<<"$1"; }
rows() { export_store | wc -l; }

out=$(lg --events 40 --rate 500) || fail "run without retention: $out"
case $out in *"events=2000 acked=2000"*) ;; *) fail "no retention: $out" ;; esac
p99_off=$(p99 "$out")
pass "without retention: $out"

# gw-mgmt again, with retain = 1s (the last section is [store]).
up=$(grep -c event=upstream_up gatewayd.log)
stop mgmt
echo "retain = 1s" >>mgmt.ini
start_mgmt
wait_log mgmt.log event=retention 5
for _ in $(seq 100); do
	[ "$(grep -c event=upstream_up gatewayd.log)" -gt "$up" ] && break
	sleep 0.1
done
"$GW_MGMT" export --db store.db --follow >follow.jsonl 2>follow.err &
FOLLOW=$!
PIDS+=("$FOLLOW")

out=$(lg --events 40 --rate 500) || fail "run with retention: $out"
case $out in *"events=2000 acked=2000"*) ;; *) fail "retention: $out" ;; esac
p99_on=$(p99 "$out")
grep -q 'event=retention_pass deleted=[1-9]' mgmt.log ||
    fail "nothing deleted while the agents streamed"
during=$(rows)
[ "$during" -lt 4000 ] || fail "$during rows kept of 4000"
pass "with retention: $out ($during rows in the store at its end)"

# Every row grows old: one per agent stays, its highest seq.
for _ in $(seq 100); do
	n=$(rows)
	[ "$n" -le "$AGENTS" ] && break
	sleep 0.1
done
[ "$n" = "$AGENTS" ] || fail "store holds $n rows once all are old, want $AGENTS"
pass "store bounded: $n rows, the newest of each agent"

out=$(lg --events 5) || fail "run after the deletions: $out"
case $out in *"events=250 acked=250"*) ;; *) fail "after: $out" ;; esac
# The follower polls: until it has printed every row still stored (10 s
# at most; the check below names what it missed).
for ((i = 0; i < 100; i++)); do
	export_store >now.jsonl
	[ "$(grep -cvxFf follow.jsonl now.jsonl || true)" = 0 ] && break
	sleep 0.1
done
kill -TERM "$FOLLOW"
wait "$FOLLOW" || fail "export --follow: exit $?: $(cat follow.err)"
[ ! -s follow.err ] || fail "export --follow said: $(cat follow.err)"

# The agents numbered on: every agent's highest seq is 40 + 40 + 5.
export_store >final.jsonl
bad=$(sed -n 's/.*"agent":"\(agent-[0-9]*\)".*"seq":\([0-9]*\).*/\1 \2/p' \
    final.jsonl | awk '{ if ($2 > m[$1]) m[$1] = $2 }
    END { for (a in m) if (m[a] != 85) print a, m[a]; print length(m) }')
[ "$bad" = "$AGENTS" ] || fail "highest seqs: $bad"
pass "each agent numbered on across the deletions: highest seq 85"

# The follower: ids increasing, each agent's seqs increasing, every row
# still stored among what it saw.
sed -n 's/^{"id":\([0-9]*\),.*"agent":"\(agent-[0-9]*\)".*"seq":\([0-9]*\).*/\1 \2 \3/p' \
    follow.jsonl >follow.txt
[ "$(wc -l <follow.txt)" = "$(wc -l <follow.jsonl)" ] ||
    fail "follow output not understood: $(head -n 2 follow.jsonl)"
awk '$1 <= last { print "id " $1 " after " last; bad++ } { last = $1 }
    $3 <= seq[$2] { print $2 " seq " $3 " after " seq[$2]; bad++ }
    { seq[$2] = $3 } END { exit bad > 0 }' follow.txt ||
    fail "export --follow went back"
missing=$(grep -cvxFf follow.jsonl final.jsonl || true)
[ "$missing" = 0 ] || fail "$missing stored rows the follower did not see"
pass "export --follow: $(wc -l <follow.txt) rows in order, none missing, no error"

echo "commit latency (DATA to ACK, gw-loadgen) p99: without retention" \
    "${p99_off} ms, with retention running ${p99_on} ms"

# PostgreSQL, two servers deleting from the same store at once (A takes
# the gateway's traffic, B only deletes): the same outcome.
stop gatewayd
stop mgmt
start_pg
A_PORT=$(free_port); B_PORT=$(free_port); GW_PORT=$(free_port)
for x in a:$A_PORT b:$B_PORT; do
	mgmt_ini "mgmt-${x%%:*}" "${x#*:}" "type = postgresql
conninfo = $PG_CONNINFO
retain = 1s"
	start "mgmt_${x%%:*}" "$GW_MGMT" -c "mgmt-${x%%:*}.ini"
	wait_port "${x#*:}"
done
cat >gateway-pg.ini <<EOT
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
[upstream]
server = 127.0.0.1:$A_PORT, 127.0.0.1:$B_PORT
ca = pki/ca.crt
EOT
start gateway_pg "$GATEWAYD" -c gateway-pg.ini
wait_port "$GW_PORT"
wait_log gateway_pg.log "event=upstream_up" 10
pgrows() { psql -X -A -t "$PG_CONNINFO" -c "SELECT count(*) FROM messages"; }
out=$(lg --events 40 --rate 500) || fail "PostgreSQL run: $out"
case $out in *"events=2000 acked=2000"*) ;; *) fail "PostgreSQL: $out" ;; esac
pass "PostgreSQL with retention on two servers: $out"
for _ in $(seq 100); do
	n=$(pgrows)
	[ "$n" -le "$AGENTS" ] && break
	sleep 0.1
done
[ "$n" = "$AGENTS" ] || fail "PostgreSQL holds $n rows once all are old, want $AGENTS"
for s in a b; do
	grep -q 'event=retention_pass deleted=[1-9]' "mgmt_$s.log" ||
	    fail "server $s deleted nothing"
done
out=$(lg --events 5) || fail "PostgreSQL run after the deletions: $out"
case $out in *"events=250 acked=250"*) ;; *) fail "PostgreSQL after: $out" ;; esac
bad=$(psql -X -A -t -F ' ' "$PG_CONNINFO" -c "SELECT agent, max(seq) FROM
    messages GROUP BY agent HAVING max(seq) <> 45")
[ -z "$bad" ] || fail "PostgreSQL highest seqs: $bad"
# A step that fails (a deadlock between the servers) is tried again at
# the next tick: counted, not a failure.
nf=$(cat mgmt_a.log mgmt_b.log | grep -c event=retention_failed || true)
pass "PostgreSQL: both servers deleted ($nf failed steps), $n rows left, each agent numbered on"
pass "retention"
