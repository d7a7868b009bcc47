#!/usr/bin/env bash
# tests/integration/chaos.sh BUILD_DIR SOURCE_DIR [--bench]
#
# The failover scenario of issues 4 and 21, with real processes and real
# TLS: two gw-mgmt servers (A primary, B secondary), two gateways (each
# with A, B in that order), AGENTS agents streaming RATE lines/s each (half
# of them prefer gateway 1, half gateway 2), process faults and network
# partitions during the run, then a drain (SIGTERM gateway 2).
#
# The script runs in a network namespace of its own (it re-executes itself
# under unshare -n; -m too with CHAOS_NAMES=1): its loopback alone, where
# each program has an address of its own (servers 127.0.0.11 and .12,
# gateways .21 and .22) and runs under a group id of its own, which an
# nftables rule writes into each connection's conntrack mark when that
# program opens it.  A partition is a set of drop rules (never reject: the
# peers hear silence, and only their heartbeats and deadlines find it) on
# that loopback, removed after a few seconds; nothing ever leaves the
# namespace.  Where unshare -n or nft is missing, the partitions are
# skipped (it says so) and the process faults still run.
#
# The faults (one line each as injected; a fault's hold is how long it
# lasts before it is healed):
#   kill-server S, kill-gateway G       kill -9, restarted after the hold
#   hang-server S, hang-gateway G       SIGSTOP, SIGCONT after the hold
#   restart-server S, restart-gateway G SIGTERM, started again once ended
#   kill-agents                         kill -9 five agents, restart them
#   cut-gw-srv G S                      G <-> S, both directions
#   cut-srv-to-gw S G, cut-gw-to-srv G S   one direction only
#   cut-gw-upstream G                   G <-> both servers (G is cut off)
#   cut-agents-gw G                     every agent <-> G, both directions
#   cut-gw-to-agents G                  G -> agents only
# The suite's run is a fixed list of eight over 31 s (the process faults
# of issue 4, then three partitions: gateway 1 <-> A, A -> gateway 2 only,
# agents <-> gateway 1), then the drain.  CHAOS_FAULTS=N [CHAOS_SEED=S]
# runs N faults drawn at random (seeded: the same seed and bash, the same
# faults; it prints the seed), one at a time, each held 2-5 s, 2-4 s
# apart, then the drain (100 agents at 10 lines/s unless CHAOS_AGENTS
# and CHAOS_RATE say otherwise).
#
# CHAOS_STORE=postgresql (default): A and B share one PostgreSQL store and
# the store must hold every line of every agent exactly once, no gap.
# CHAOS_STORE=sqlite: each has its own SQLite store; nothing may be missing
# from their union, and it reports how many lines stand in both.
# CHAOS_NAMES=1: every program dials the others by name (mgmt-a.test,
# gw1.test, ...), resolved through a hosts file bound over /etc/hosts in
# the test's own mount namespace; the certificates carry those names.
# CHAOS_MODE=dial (default): the gateways dial the servers.
# CHAOS_MODE=accept: the servers dial the gateways ([upstream] mode =
# accept on each gateway, [gateways] dial on each server); each server has
# a certificate of its own (mgmt-a, mgmt-b: the rank each gateway gives
# it), and the partitions cut the links the servers opened.
#
# It prints the failover times, each from a fault's start: a gateway
# moved off a failed or cut server, to its first ACK from the other one
# (kill, hang, restart of a server; the gateway <-> server cuts); an agent
# moved off a failed or cut gateway, to its HELLO_ACK from the next one
# (kill, hang, restart of a gateway; the cuts between agents and a
# gateway, and a gateway cut off); then per kind and in all, the median
# and the max.  --bench runs longer and also prints how many messages
# were delayed by more than 1 s.
if [ -z "${CHAOS_NS:-}" ]; then
	ns=(-n)
	[ "${CHAOS_NAMES:-0}" = 1 ] && ns+=(-m)
	if unshare "${ns[@]}" true 2>/dev/null; then
		exec unshare "${ns[@]}" env CHAOS_NS=1 bash "$0" "$@"
	fi
	echo "note: unshare ${ns[*]} is not permitted here: no partitions," \
	    "no names"
	CHAOS_NS=0
fi
source "$(dirname "$0")/lib.sh" "$1" "$2"

STORE=${CHAOS_STORE:-postgresql}
MODE=${CHAOS_MODE:-dial}
NFAULTS=${CHAOS_FAULTS:-0}
SEED=${CHAOS_SEED:-$((RANDOM * 32768 + RANDOM))}
if [ "$NFAULTS" -gt 0 ]; then
	AGENTS=${CHAOS_AGENTS:-100}
	RATE=${CHAOS_RATE:-10}
else
	AGENTS=${CHAOS_AGENTS:-200}
	RATE=${CHAOS_RATE:-20}
fi
NAMES=${CHAOS_NAMES:-0}
[ "$MODE" = dial ] || [ "$MODE" = accept ] ||
    fail "CHAOS_MODE=$MODE: dial or accept"
cd "$T"

# --- the namespace: loopback, the tagging rules, the hosts file ---
PARTITIONS=0
declare -A IP GID PORT HOST
IP=([a]=127.0.0.11 [b]=127.0.0.12 [g1]=127.0.0.21 [g2]=127.0.0.22)
GID=([a]=4011 [b]=4012 [g1]=4021 [g2]=4022)
HOST=([a]=mgmt-a.test [b]=mgmt-b.test [g1]=gw1.test [g2]=gw2.test)
if [ "$CHAOS_NS" = 1 ]; then
	ip link set lo up || fail "ip link set lo up"
	# Each connection carries the group id of the program that opened
	# it (0: an agent) in its conntrack mark, both directions.
	if command -v nft >/dev/null && nft -f - <<EOT; then
table ip chaos {
	chain tag {
		type filter hook output priority -10; policy accept;
$(for p in a b g1 g2; do echo "		ct state new meta skgid ${GID[$p]} ct mark set ${GID[$p]}"; done)
	}
	chain faults {
		type filter hook output priority 0; policy accept;
	}
}
EOT
		PARTITIONS=1
	else
		echo "note: no nft (or no nf_tables here): no partitions"
	fi
fi
if [ "$NAMES" = 1 ] && [ "$CHAOS_NS" = 1 ]; then
	{
		echo '127.0.0.1 localhost'
		for p in a b g1 g2; do echo "${IP[$p]} ${HOST[$p]}"; done
	} >hosts
	printf '%s\n' 'nameserver 127.0.0.1' 'options timeout:1 attempts:1' \
	    >resolv.conf
	printf '%s\n' 'hosts: files dns' >nsswitch.conf
	for f in hosts resolv.conf nsswitch.conf; do
		mount --bind "$T/$f" "/etc/$f" ||
		    fail "mount --bind $f over /etc/$f"
	done
else
	[ "$NAMES" = 1 ] && echo "note: CHAOS_NAMES=1 without a mount" \
	    "namespace: addresses instead"
	NAMES=0
fi

# dial P [PORT]: the address others dial program P (a, b, g1, g2) at
# (its PORT, or the one it listens at for its peers).
dial() {
	if [ "$NAMES" = 1 ]; then
		echo "${HOST[$1]}:${2:-${PORT[$1]}}"
	else
		echo "${IP[$1]}:${2:-${PORT[$1]}}"
	fi
}

# --- PKI and configurations: one function per program ---
make_chaos_pki() {
	mkdir -p pki
	"$GW_CERT" ca --out pki --name "gatewayd test CA" >/dev/null
	"$GW_CERT" issue --ca pki --role gateway --name gateway \
	    --ip "${IP[g1]}" --ip "${IP[g2]}" --dns "${HOST[g1]}" \
	    --dns "${HOST[g2]}" --out pki/gateway >/dev/null
	"$GW_CERT" issue --ca pki --role mgmt --name mgmt \
	    --ip "${IP[a]}" --ip "${IP[b]}" --dns "${HOST[a]}" \
	    --dns "${HOST[b]}" --out pki/mgmt >/dev/null
	# accept: each server dials in as a TLS client too (clientAuth:
	# --role gateway), named as the gateways rank it.
	for p in a b; do
		[ "$MODE" = accept ] || break
		"$GW_CERT" issue --ca pki --role gateway --name "mgmt-$p" \
		    --ip "${IP[$p]}" --dns "${HOST[$p]}" --out "pki/mgmt-$p" \
		    >/dev/null
	done
	issue_agents agent- "$AGENTS"
}

# server_ini S: mgmt-S.ini, server S (a or b) on its store (STORE_A or
# STORE_B).
server_ini() {
	local store=STORE_${1^^}
	mgmt_ini_at "mgmt-$1" "${IP[$1]}:${PORT[$1]}" "${!store}"
	[ "$MODE" = accept ] || return 0
	sed -i "s|^cert = .*|cert = pki/mgmt-$1.crt|; s|^key = .*|key = pki/mgmt-$1.key|" \
	    "mgmt-$1.ini"
	printf '[gateways]\ndial = %s, %s\nlinks = 2\n' "${DIALUP[g1]}" \
	    "${DIALUP[g2]}" >>"mgmt-$1.ini"
}

# gateway_ini G: gatewayG.ini (G is 1 or 2), dialing A then B.  Its
# upstream_grace (2 s) is shorter than a cut of its upstream, so such a
# cut sends its agents away.
gateway_ini() {
	if [ "$MODE" = accept ]; then
		fleet_gateway_ini "$1" "${IP[g$1]}:${PORT[g$1]}" \
		    "mgmt-a, mgmt-b" "heartbeat = 1s" "upstream_grace = 2s
mode = accept
listen = ${IP[g$1]}:${UPORT[g$1]}"
	else
		fleet_gateway_ini "$1" "${IP[g$1]}:${PORT[g$1]}" \
		    "${DIAL[a]}, ${DIAL[b]}" "heartbeat = 1s" \
		    "upstream_grace = 2s"
	fi
}

# agent_gateways NAME: its --gateway list in GWS (odd ones prefer
# gateway 1).  (No $(...): two hundred agents start at once.)
agent_gateways() {
	local i=${1##*-}
	if [ $((10#$i % 2)) -eq 0 ]; then
		GWS=${DIAL[g2]},${DIAL[g1]}
	else
		GWS=${DIAL[g1]},${DIAL[g2]}
	fi
}

# start_prog P: start server or gateway P under its own group id and
# wait until it listens.
start_prog() {
	local p=$1 name cmd
	case $p in
	a|b) name=mgmt_$p cmd=("$GW_MGMT" -c "mgmt-$p.ini") ;;
	*) name=gw${p#g} cmd=("$GATEWAYD" -c "gateway${p#g}.ini") ;;
	esac
	start "$name" setpriv --regid "${GID[$p]}" --clear-groups "${cmd[@]}"
	wait_addr "${IP[$p]}" "${PORT[$p]}"
}

make_chaos_pki
for p in a b g1 g2; do PORT[$p]=$(free_port); done
declare -A UPORT DIALUP	# accept: where the gateways take the servers
for p in g1 g2; do UPORT[$p]=$(free_port); DIALUP[$p]=$(dial $p "${UPORT[$p]}"); done
servers_store "$STORE"
declare -A DIAL
for p in a b g1 g2; do DIAL[$p]=$(dial $p); done
server_ini a; server_ini b; gateway_ini 1; gateway_ini 2
for p in a b g1 g2; do start_prog $p; done
wait_log gw1.log event=upstream_up 10
wait_log gw2.log event=upstream_up 10

# --- the faults ---
# pid_of P: the pid of server or gateway P.
pid_of() {
	case $1 in
	a|b) local v=PID_mgmt_$1 ;;
	*) local v=PID_gw${1#g} ;;
	esac
	echo "${!v}"
}
# label P: how the fault lines name P.
label() {
	case $1 in
	a|b) echo "server ${1^^}" ;;
	agents) echo agents ;;
	*) echo "gateway ${1#g}" ;;
	esac
}

# drop_dir ID FROM TO: add to RULES the rules that drop every packet from
# FROM to TO (a, b, g1, g2 or agents; one of them a gateway), tagged with
# fault ID (apply_rules puts them in place, all at once).  Between a
# gateway and a server the connection is told by the mark of whichever
# opened it (so that CHAOS_MODE=accept, where servers dial, needs no
# other rule); between agents and a gateway, by the gateway's listening
# address.
drop_dir() {
	local id=$1 f=$2 t=$3 r=() x
	if [ "$f" = agents ]; then
		r=("ip daddr ${IP[$t]} tcp dport ${PORT[$t]}")
	elif [ "$t" = agents ]; then
		r=("ip saddr ${IP[$f]} tcp sport ${PORT[$f]}")
	else
		r=("ct mark ${GID[$f]} ip daddr ${IP[$t]}"
		    "ct mark ${GID[$t]} ip saddr ${IP[$f]}")
	fi
	for x in "${r[@]}"; do
		RULES+="add rule ip chaos faults $x drop comment \"f$id\""$'\n'
	done
}
# apply_rules: put RULES in place (one nft transaction), and empty it.
apply_rules() {
	nft -f - <<<"$RULES" || fail "nft: cannot add $RULES"
	RULES=
}
# heal ID: remove fault ID's rules.
heal() {
	local h
	for h in $(nft -a list chain ip chaos faults |
	    sed -n "s/.* comment \"f$1\" # handle \([0-9]*\)\$/\1/p"); do
		nft delete rule ip chaos faults handle "$h" ||
		    fail "nft: cannot delete rule $h"
	done
}

# The run's start, and at SECONDS: sleep until SECONDS after it.
now() { date +%s.%N; }
at() {
	local d
	d=$(echo "$T0 + $1 - $(date +%s.%N)" | bc)
	[ "${d:0:1}" = - ] || sleep "$d"
}
rel() { echo "$(now) - $T0" | bc | cut -c1-6; }

# inject ID KIND ARGS...: start fault ID; record it in faults.txt as "ID
# KIND START WINDOW LEVEL FROM WHO": its failovers are measured at LEVEL
# (gw: the gateways moving off server FROM, WHO: gw1, gw2 or all; agent:
# agents moving off gateway FROM; -: none) from START until WINDOW s
# later (6 s after its end) or until the next fault starts, if sooner.
inject() {
	local id=$1 kind=$2 x=${3:-} y=${4:-} t lvl=- from=- who=all
	local what
	RULES=
	t=$(now)
	case $kind in
	kill-server|kill-gateway)
		kill -9 "$(pid_of "$x")"; what="kill -9 $(label "$x")" ;;
	hang-*)	kill -STOP "$(pid_of "$x")"; what="SIGSTOP $(label "$x")" ;;
	restart-*)
		local p
		p=$(pid_of "$x"); kill -TERM "$p"
		reap "$p" 60 || fail "$(label "$x") did not end on SIGTERM"
		start_prog "$x"; what="SIGTERM $(label "$x"), started again" ;;
	esac
	case $kind in
	kill-agents)
		local n r0=$RANDOM victims=()
		for ((n = 0; n < 5; n++)); do
			victims+=("${names[(r0 + n) % AGENTS]}")
		done
		for n in "${victims[@]}"; do kill -9 "${APID[$n]}" 2>/dev/null || true; done
		for n in "${victims[@]}"; do wait "${APID[$n]}" 2>/dev/null || true
			start_agent "$n"; done
		what="kill -9 and restart ${victims[*]}" ;;
	*-server) lvl=gw from=$x ;;
	*-gateway) lvl=agent from=$x ;;
	cut-gw-srv)
		drop_dir "$id" "$x" "$y"; drop_dir "$id" "$y" "$x"
		lvl=gw from=$y who=gw${x#g}
		what="cut $(label "$x") <-> $(label "$y")" ;;
	cut-srv-to-gw)
		drop_dir "$id" "$x" "$y"; lvl=gw from=$x who=gw${y#g}
		what="cut $(label "$x") -> $(label "$y") (one way)" ;;
	cut-gw-to-srv)
		drop_dir "$id" "$x" "$y"; lvl=gw from=$y who=gw${x#g}
		what="cut $(label "$x") -> $(label "$y") (one way)" ;;
	cut-gw-upstream)
		for y in a b; do
			drop_dir "$id" "$x" "$y"; drop_dir "$id" "$y" "$x"
		done
		lvl=agent from=$x what="cut $(label "$x") <-> both servers" ;;
	cut-agents-gw)
		drop_dir "$id" agents "$x"; drop_dir "$id" "$x" agents
		lvl=agent from=$x what="cut agents <-> $(label "$x")" ;;
	cut-gw-to-agents)
		drop_dir "$id" "$x" agents; lvl=agent from=$x
		what="cut $(label "$x") -> agents (one way)" ;;
	esac
	# A partition starts once its rules are all in place.
	[ -z "$RULES" ] || { apply_rules; t=$(now); }
	# A gateway names a server as it lists it: accept, by name.
	case $MODE/$from in
	-*|*/-) ;;
	accept/a|accept/b) from=mgmt-$from ;;
	*) from=${DIAL[$from]} ;;
	esac
	echo "$id $kind $t $((HOLD[id] + 6)) $lvl $from $who" >>faults.txt
	echo "t=$(echo "$t - $T0" | bc | cut -c1-6) fault $id/$NF: $kind:" \
	    "$what${HOLD_TXT[$1]}"
}
# cure ID KIND X: end fault ID (its hold is over).
cure() {
	local id=$1 kind=$2 x=${3:-}
	case $kind in
	kill-server|kill-gateway)
		wait "$(pid_of "$x")" 2>/dev/null || true
		start_prog "$x"; echo "t=$(rel) heal $id: $(label "$x") restarted" ;;
	hang-*)	kill -CONT "$(pid_of "$x")"
		echo "t=$(rel) heal $id: SIGCONT $(label "$x")" ;;
	cut-*)	heal "$id"; echo "t=$(rel) heal $id: rules removed" ;;
	esac
}

# --- the schedule: fault ID starts at START[ID] s, lasts HOLD[ID] s ---
declare -a KIND ARGS START HOLD HOLD_TXT
NF=0
# plan START HOLD KIND ARGS...: the next fault.
plan() {
	NF=$((NF + 1))
	START[NF]=$1 HOLD[NF]=$2 KIND[NF]=$3 ARGS[NF]="${*:4}"
	HOLD_TXT[$NF]=
	[ "$2" = 0 ] || HOLD_TXT[$NF]=" for $2 s"
}
PROCESS_KINDS=(kill-server hang-server restart-server kill-gateway
    hang-gateway restart-gateway kill-agents)
CUT_KINDS=(cut-gw-srv cut-srv-to-gw cut-gw-to-srv cut-gw-upstream
    cut-agents-gw cut-gw-to-agents)
if [ "$NFAULTS" -gt 0 ]; then
	echo "seed=$SEED faults=$NFAULTS"
	RANDOM=$SEED
	kinds=("${PROCESS_KINDS[@]}")
	[ "$PARTITIONS" = 1 ] && kinds+=("${CUT_KINDS[@]}")
	t=3
	for ((i = 0; i < NFAULTS; i++)); do
		k=${kinds[RANDOM % ${#kinds[@]}]}
		s=a	# (no $(...): a subshell draws from a generator of its own)
		[ $((RANDOM % 2)) = 0 ] || s=b
		g=g$((1 + RANDOM % 2))
		h=$((2 + RANDOM % 4))
		case $k in
		restart-*|kill-agents) h=0 ;;
		esac
		case $k in
		*-server) plan $t $h "$k" "$s" ;;
		cut-gw-srv|cut-gw-to-srv) plan $t $h "$k" $g "$s" ;;
		cut-srv-to-gw) plan $t $h "$k" "$s" $g ;;
		*) plan $t $h "$k" $g ;;
		esac
		t=$((t + h + 2 + RANDOM % 3))
	done
	DRAIN_AT=$t
	LINES=${CHAOS_LINES:-$((RATE * (t + 15)))}
else
	# The process faults of issue 4, then three partitions (issue 21),
	# a last kill of A, and the drain at 31 s.
	plan 3 2 kill-server a
	plan 8 1 kill-gateway g1
	plan 11 3 hang-server a
	plan 12 0 kill-agents
	plan 16 3 cut-gw-srv g1 a
	plan 20 3 cut-srv-to-gw a g2
	plan 24 3 cut-agents-gw g1
	plan 29 1 kill-server a
	DRAIN_AT=31
	LINES=${CHAOS_LINES:-650}
	[ "${3:-}" = --bench ] && LINES=${CHAOS_LINES:-1200}
fi
for ((i = 1; i <= NF; i++)); do
	echo "${START[$i]} 1 $i"
	[ "${HOLD[$i]}" = 0 ] || echo "$((START[i] + HOLD[i])) 0 $i"
done | sort -n -k1,1 -k2,2 >events.plan	# "AT INJECT(1)|CURE(0) ID"

# --- the agents ---
agent_state_dir	# the journals, on tmpfs
mkdir -p lines
names=("${AGENT_NAMES[@]}")
declare -A APID
AGENT_TIMEOUT=$((LINES / RATE + 300))
start_agent() { # start_agent NAME
	local n=$1 GWS
	agent_gateways "$n"
	"$GW_AGENT" --gateway "$GWS" \
	    --cert "agents/$n.crt" --key "agents/$n.key" \
	    --ca pki/ca.crt --file "lines/$n.txt" --state "$STATE/$n" \
	    --rate "$RATE" --heartbeat 0.5 --failback-hold 2 \
	    --timeout "$AGENT_TIMEOUT" >>"agent-$n.log" 2>&1 &
	APID[$n]=$!
	PIDS+=($!)	# stopped at exit, if the test fails before they end
}
for n in "${names[@]}"; do
	seq 1 "$LINES" | sed "s/^/$n line /" >"lines/$n.txt"
done
T0=$(now); TSTART=$T0	# (T0 moves with a late schedule)
for n in "${names[@]}"; do start_agent "$n"; done
echo "T0=$(date -d @"$T0" +%T.%N) agents=$AGENTS lines=$LINES rate=$RATE" \
    "names=$NAMES partitions=$PARTITIONS"
: >faults.txt
# A fault in place late (a busy machine: it came late, or took long to
# inject) moves the rest of the schedule with it: each fault keeps its
# hold and the gaps before the next.
while read -r when what id; do
	at "$when"
	# shellcheck disable=SC2086 # ARGS are words
	case ${KIND[$id]}:$PARTITIONS in
	cut-*:0) [ "$what" = 0 ] ||
	    echo "t=$(rel) fault $id/$NF: ${KIND[$id]}: skipped (no partitions)" ;;
	*:*) [ "$what" = 1 ] || { cure "$id" "${KIND[$id]}" ${ARGS[$id]}; continue; }
		inject "$id" "${KIND[$id]}" ${ARGS[$id]}
		late=$(echo "$(now) - $T0 - $when" | bc)
		[ "${late:0:1}" != - ] || continue
		T0=$(echo "$T0 + $late" | bc)
		[ "$(echo "$late > 1" | bc)" = 0 ] ||
		    echo "(the schedule moves ${late:0:5} s later: a busy machine)" ;;
	esac
done <events.plan
at "$DRAIN_AT"; kill -TERM "$PID_gw2"; echo "t=$(rel) SIGTERM gateway 2 (drain)"

rc=0
for n in "${names[@]}"; do wait "${APID[$n]}" || { rc=$((rc + 1)); echo "agent $n failed: $(tail -n 1 "agent-$n.log")"; }; done
T1=$(now)
[ $rc -eq 0 ] || fail "$rc agents did not get every line acknowledged"
declare -A ended
for p in "${APID[@]}"; do ended[$p]=1; done
keep=()	# (the agents are reaped: the cleanup has only the rest to stop)
for p in "${PIDS[@]}"; do [ -n "${ended[$p]:-}" ] || keep+=("$p"); done
PIDS=("${keep[@]}")
pass "$AGENTS agents x $LINES lines acknowledged in $(echo "$T1 - $TSTART" | bc | cut -c1-5) s"
wait "$PID_gw2" || fail "gateway 2 did not exit 0 on SIGTERM"
grep -q 'event=drained' gw2.log || fail "gateway 2 did not drain"
pass "gateway 2 drained and exited 0"

# --- what was stored ---
# counts: how many of the expected lines are stored, lost, twice or more.
counts() {
	awk -v n="$LINES" -v agents="$AGENTS" '
	{
		match($0, /"agent":"[^"]*"/); a = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
		if (s < 1 || s > n) bad++
		if ((a, s) in seen) dup++; else { seen[a, s] = 1; distinct++ }
	}
	END {
		printf "stored=%d expected=%d lost=%d duplicated=%d out_of_range=%d\n",
		    NR, n * agents, n * agents - distinct, dup, bad
	}'
}
if [ "$STORE" = postgresql ]; then
	export_store() { "$GW_MGMT" export -c mgmt-b.ini; }
	export_store | counts
	check_store "$LINES" "${names[@]}" || fail "the shared store is not exactly-once"
	pass "shared store: $((AGENTS * LINES)) lines, each exactly once, no gap"
else
	("$GW_MGMT" export --db a.db; "$GW_MGMT" export --db b.db) >union.jsonl
	counts <union.jsonl | sed 's/duplicated=/in_both_stores=/'
	for db in a b; do	# within one store, never twice
		c=$("$GW_MGMT" export --db $db.db | counts)
		case $c in *" duplicated=0 "*) ;;
		*) fail "$db.db: $c" ;; esac
	done
	awk -v n="$LINES" -v agents="$AGENTS" '
	{
		match($0, /"agent":"[^"]*"/); a = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
		if (s < 1 || s > n) { print "bad seq " a " " s; bad++ }
		if ((a, s) in seen) both++; else { seen[a, s] = 1; distinct++ }
	}
	END {
		printf "union: %d distinct lines of %d, %d stored in both stores\n", distinct, n * agents, both
		exit (bad > 0 || distinct != n * agents)
	}' union.jsonl || fail "lines missing from the union of the two stores"
	pass "nothing lost in the union of the two SQLite stores"
fi

# --- failover times ---
# One line per event of interest: "PROGRAM EPOCH EVENT FROM", from the
# gateways' logs (failover, failover_first_ack) and the agents'
# (failover, hello_ack), in time order per program.
awk '
function epoch(ts,   y, m, d, era, yoe, doy, doe) {	# ISO 8601, UTC
	y = substr(ts, 1, 4) + 0; m = substr(ts, 6, 2) + 0
	d = substr(ts, 9, 2) + 0; if (m <= 2) y--
	era = int(y / 400); yoe = y - era * 400
	doy = int((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
	doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
	return (era * 146097 + doe - 719468) * 86400 + \
	    substr(ts, 12, 2) * 3600 + substr(ts, 15, 2) * 60 + substr(ts, 18, 6)
}
/ event=(failover|failover_first_ack|hello_ack) / {
	p = FILENAME; sub(/\.log$/, "", p)
	match($0, / event=[a-z_]+/); ev = substr($0, RSTART + 7, RLENGTH - 7)
	from = "-"
	if (ev == "failover" && match($0, / from=[^ ]+/))
		from = substr($0, RSTART + 6, RLENGTH - 6)
	printf "%s %.3f %s %s\n", p, epoch($1), ev, from
}' gw1.log gw2.log agent-*.log | sort -k1,1 -k2,2n >events.txt

# Per fault: each gateway (level gw; of WHO) or agent (level agent) whose
# first failover off FROM within the fault's window is followed by its
# first ACK (gateway) or HELLO_ACK (agent): "ID KIND PROGRAM MS".  The
# window ends at the next fault's start (but kill-agents, which moves
# nothing), or WINDOW s after the fault's, whichever comes first.
awk 'NR == FNR { id[++nf] = $1; kind[nf] = $2; t[nf] = $3; win[nf] = $4
		lvl[nf] = $5; from[nf] = $6; who[nf] = $7; next }
	!ends { ends = 1
		for (i = 1; i <= nf; i++) {
			end[i] = t[i] + win[i]
			for (j = i + 1; j <= nf; j++)
				if (kind[j] != "kill-agents") break
			if (j <= nf && t[j] < end[i]) end[i] = t[j]
		}
	}
	$1 != prog { prog = $1; for (i = 1; i <= nf; i++) st[i] = 0
		lv = prog ~ /^agent-/ ? "agent" : "gw" }
	{
		for (i = 1; i <= nf; i++) {
			if (lvl[i] != lv || st[i] == 2) continue
			if (who[i] != "all" && who[i] != prog) continue
			if (st[i] == 0 && $3 == "failover" && $4 == from[i] &&
			    $2 >= t[i] && $2 < end[i]) st[i] = 1
			else if (st[i] == 1 && ($3 == "failover_first_ack" ||
			    $3 == "hello_ack")) {
				st[i] = 2
				printf "%s %s %s %d\n", id[i], kind[i], prog,
				    ($2 - t[i]) * 1000
			}
		}
	}' faults.txt events.txt | sort -n -k1,1 >failover.txt

# stats: "N measured, median M ms, max X ms" of the numbers on stdin.
stats() {
	sort -n | awk '{ v[n++] = $1 }
	END {
		if (n == 0) { print "none measured"; exit }
		printf "%d measured, median %d ms, max %d ms\n", n,
		    (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2, v[n - 1]
	}'
}
while read -r id kind _; do
	m=$(awk -v i="$id" '$1 == i' failover.txt)
	[ -n "$m" ] || { echo "  fault $id ($kind): no failover measured"; continue; }
	case $(awk 'NR == 1 { print $3 }' <<<"$m") in
	agent-*) echo "  fault $id ($kind): agents: $(awk '{ print $4 }' <<<"$m" | stats)" ;;
	*) awk -v k="$kind" '{ printf "  fault %s (%s): %s: first ACK from the next server after %d ms\n", $1, k, $3, $4 }' <<<"$m" ;;
	esac
done <faults.txt
echo "faults by kind: $(awk '{ print $2 }' faults.txt | sort | uniq -c |
    awk '{ printf "%s%s=%d", sep, $2, $1; sep = " " }')"
for kind in $(awk '{ print $2 }' failover.txt | sort -u); do
	echo "failover ($kind): $(awk -v k="$kind" '$2 == k { print $4 }' failover.txt | stats)"
done
echo "failover (gateways, all faults): $(awk '$3 !~ /^agent-/ { print $4 }' failover.txt | stats)"
echo "failover (agents, all faults): $(awk '$3 ~ /^agent-/ { print $4 }' failover.txt | stats)"

if [ "${3:-}" = --bench ]; then
	export_store() { "$GW_MGMT" export -c mgmt-b.ini; }
	[ "$STORE" = postgresql ] || export_store() { cat union.jsonl; }
	# An agent reads at RATE: line i is due at (its first line) + (i-1)/RATE.
	export_store | awk -v rate="$RATE" '
	{
		match($0, /"agent":"[^"]*"/); a = substr($0, RSTART + 9, RLENGTH - 10)
		match($0, /"seq":[0-9]+/); s = substr($0, RSTART + 6, RLENGTH - 6) + 0
		match($0, /"received":"[^"]*"/); r = substr($0, RSTART + 12, 24)
		split(substr(r, 12, 12), hms, ":")
		t = hms[1] * 3600 + hms[2] * 60 + hms[3]
		if (!(a in t0) || s == 1) t0[a] = t - (s - 1) / rate
		at[a, s] = t; total++
	}
	END {
		for (k in at) { split(k, p, SUBSEP); d = at[k] - (t0[p[1]] + (p[2] - 1) / rate)
			if (d > 1) late++ }
		printf "messages delayed by more than 1 s: %d of %d\n", late, total
	}'
fi
