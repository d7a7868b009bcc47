# tests/integration/lib.sh: sourced by every integration test.
#   source "$(dirname "$0")/lib.sh" "$@"     (args: BUILD_DIR SOURCE_DIR)
# Gives: a temp dir ($T) removed on success, the binaries, process helpers
# that stop everything on exit, and logs dumped when a test fails.
set -euo pipefail

BUILD=$(cd "${1:?build dir}" && pwd)
SRC=$(cd "${2:?source dir}" && pwd)
GATEWAYD=$BUILD/gateway/gatewayd/gatewayd
GW_MGMT=$BUILD/gateway/mgmt/gw-mgmt
GW_AGENT=$BUILD/gateway/agent/gw-agent
GW_CERT=$BUILD/certs/gw-cert
T=$(mktemp -d "${TMPDIR:-/tmp}/gwtest.XXXXXX")
PIDS=()
TEST_NAME=$(basename "$0" .sh)

PG_DIR=
PG_EARLY=	# start_pg_early's pg-cluster.sh, until start_pg waits for it
CLEANUP_DIRS=()	# removed at exit, whatever happens

# ours PID: 0 if PID is still a child of this shell that has not been
# reaped (a PID that was reaped may already be another process's).
ours() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "$(cut -d' ' -f2 <<<"$stat")" = $$ ]
}

# reap PID SECONDS: wait for our child PID to end, at most SECONDS; 0 once
# it has ended (its status in REAP_RC).  If it has not, say where it is
# stuck, SIGKILL it and return 1: a process that does not end on SIGTERM
# fails the test in seconds, with what it was doing, instead of holding
# the suite until ctest's timeout.
reap() {
	local p=$1 i state
	REAP_RC=0
	for ((i = 0; i < $2 * 10; i++)); do
		state=$(sed -n 's/^State:\t\(.\).*/\1/p' "/proc/$p/status" \
		    2>/dev/null || true)
		case $state in ''|Z) wait "$p" 2>/dev/null || REAP_RC=$?
			return 0 ;;
		esac
		sleep 0.1
	done
	echo "FAIL: pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
	    cut -c1-120)) did not end within $2 s of SIGTERM:" \
	    "$(grep -E '^(State|TracerPid):' "/proc/$p/status" 2>/dev/null |
	    tr '\n\t' '  ')wchan=$(cat "/proc/$p/wchan" 2>/dev/null)"
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	return 1
}

# stop NAME [SIGNAL]: send NAME (started by start) SIGNAL (TERM) once and
# wait for it to end (60 s at most); its exit status in STOP_RC.  Cleanup
# then leaves it alone: a second signal that lands while a process exits
# (under ASan, while LeakSanitizer stops its threads to scan them) is how
# a test once hung until ctest's timeout.
stop() {
	local var=PID_${1//-/_} p q keep=()
	p=${!var:?stop: no process $1}
	ours "$p" && kill "-${2:-TERM}" "$p" 2>/dev/null || true
	reap "$p" 60 || fail "$1 did not stop"
	STOP_RC=$REAP_RC
	for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do
		ours "$p" || continue
		kill -CONT "$p" 2>/dev/null || true
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do reap "$p" 60 || rc=1; done
	for d in "${CLEANUP_DIRS[@]}"; do rm -rf "$d"; done
	# A cluster still starting (start_pg_early) is stopped once started.
	[ -z "${PG_EARLY:-}" ] || wait "$PG_EARLY" 2>/dev/null || true
	if [ -n "$PG_DIR" ]; then
		"$SRC/scripts/pg-cluster.sh" stop "$PG_DIR"
		[ $rc -eq 0 ] || cp "$PG_DIR/server.log" "$T/postgresql.log" 2>/dev/null || true
		rm -rf "$PG_DIR"
	fi
	# Under GW_SANITIZE a report in any process's log fails the test.
	if [ $rc -eq 0 ] && grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	    "$T"/*.log >/dev/null 2>&1; then
		echo "FAIL: sanitizer report in $(grep -l -E 'Sanitizer|runtime error:' "$T"/*.log | tr '\n' ' ')"
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		echo "=== $TEST_NAME FAILED (rc=$rc); logs in $T:"
		# The servers' logs first, then at most three agents': a CI
		# log keeps only so much, and fifty agent logs hid gw-mgmt's.
		local n=0
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			case $(basename "$f") in agent*) continue ;; esac
			echo "--- $f (last 40 lines)"
			tail -n 40 "$f"
		done
		for f in "$T"/agent*.log; do
			[ -f "$f" ] || continue
			n=$((n + 1))
			[ $n -le 3 ] || { echo "--- ($n-th and later agent logs: see $T)"; break; }
			echo "--- $f (last 40 lines)"
			tail -n 40 "$f"
		done
	elif [ -n "${GW_KEEP_TEST_DIR:-}" ]; then
		echo "=== $TEST_NAME: kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

# free_port: a TCP port nobody listens on now, below Linux's ephemeral
# range (32768-60999), where thousands of clients' own ends would collide.
# Tests run side by side (tests/CMakeLists.txt) and a test may leave its
# port unbound for a while (before its server starts, between a kill and a
# restart, or on purpose): the port is also locked for the test's whole
# life, and a port another test holds is not given out.  The lock (flock
# on $GW_PORT_LOCKS/PORT) is held by a child that ends with the test's
# shell, so the kernel drops it however the test ends.
GW_PORT_LOCKS=${TMPDIR:-/tmp}/gwtest-ports-$(id -u)
free_port() {
	local p fd f
	mkdir -p "$GW_PORT_LOCKS"
	while :; do
		p=$((10000 + RANDOM % 22000))
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && continue
		: >>"$GW_PORT_LOCKS/$p"
		exec {fd}<"$GW_PORT_LOCKS/$p"
		if flock -n "$fd"; then
			(	# the holder keeps no other descriptor of the test's
				for f in /proc/$BASHPID/fd/*; do
					f=${f##*/}
					[ "$f" -gt 2 ] && [ "$f" != "$fd" ] &&
					    eval "exec $f>&-"
				done
				exec tail --pid=$$ -f /dev/null
			) </dev/null >/dev/null 2>&1 &
			exec {fd}<&-
			echo "$p"
			return
		fi
		exec {fd}<&-
	done
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on port $1"
}

# wait_addr ADDRESS PORT [SECONDS]: until something accepts on ADDRESS:PORT
# (wait_port for a listener on another loopback address than 127.0.0.1).
wait_addr() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on $1:$2"
}

# wait_log FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN.
wait_log() {
	local i
	for ((i = 0; i < ${3:-10} * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 never logged '$2'"
}

# make_pki DIR: CA, gateway, mgmt certificates (the agents come later).
make_pki() {
	local d=$1
	mkdir -p "$d"
	"$GW_CERT" ca --out "$d" --name "gatewayd test CA" >/dev/null
	"$GW_CERT" issue --ca "$d" --role gateway --name gateway \
	    --ip 127.0.0.1 --out "$d/gateway" >/dev/null
	"$GW_CERT" issue --ca "$d" --role mgmt --name mgmt --ip 127.0.0.1 \
	    --out "$d/mgmt" >/dev/null
}

# write_configs: $T/gateway.ini and $T/mgmt.ini on fresh ports.
# Sets GW_PORT, MGMT_PORT.  Extra [gateway] lines may be passed in GW_EXTRA,
# more sections after the last in GW_TAIL and MGMT_TAIL.
write_configs() {
	GW_PORT=$(free_port)
	MGMT_PORT=$(free_port)
	cat >"$T/mgmt.ini" <<EOT
[mgmt]
listen = 127.0.0.1:$MGMT_PORT
cert = pki/mgmt.crt
key = pki/mgmt.key
gateway_ca = pki/ca.crt
[store]
database = store.db
${MGMT_TAIL:-}
EOT
	cat >"$T/gateway.ini" <<EOT
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
agent_names = agent-*
${GW_EXTRA:-}
[upstream]
server = 127.0.0.1:$MGMT_PORT
server_name = mgmt
ca = pki/ca.crt
connections = 2
backoff_min = 50ms
backoff_max = 1s
${GW_TAIL:-}
EOT
}

# start NAME CMD...: run in the background, log to $T/NAME.log.
start() {
	local name=$1; shift
	"$@" >>"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_${name//-/_}=$!"
}

start_mgmt() {
	start mgmt "$GW_MGMT" -c "$T/mgmt.ini"
	wait_port "$MGMT_PORT"
}

start_gateway() {
	start gatewayd "$GATEWAYD" -c "$T/gateway.ini"
	wait_port "$GW_PORT"
	wait_log "$T/gatewayd.log" "event=upstream_up" 10
}

# agent NAME [gw-agent args...]: gw-agent for certificate $T/agents/NAME.
agent_cmd() {
	local name=$1; shift
	echo "$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" \
	    --cert "$T/agents/$name.crt" --key "$T/agents/$name.key" \
	    --ca "$T/pki/ca.crt" "$@"
}

# export_store: JSON Lines of everything gw-mgmt stored.
export_store() {
	"$GW_MGMT" export --db "$T/store.db"
}

# check_store EXPECTED_PER_AGENT AGENT...: every agent has exactly seq
# 1..N, each once, and nothing else is stored.
check_store() {
	local n=$1; shift
	export_store >"$T/export.jsonl"
	printf '%s\n' "$@" >"$T/expected_agents"
	awk -v n="$n" -v list="$T/expected_agents" '
	BEGIN { while ((getline a < list) > 0) want[a] = 1 }
	{
		if (!match($0, /"agent":"[^"]*"/)) { print "no agent: " $0; bad++; next }
		a = substr($0, RSTART + 9, RLENGTH - 10)
		if (!match($0, /"seq":[0-9]+/)) { print "no seq: " $0; bad++; next }
		s = substr($0, RSTART + 6, RLENGTH - 6) + 0
		if (!(a in want)) { print "unexpected agent " a; bad++ }
		if ((a, s) in seen) { print "duplicate " a " seq " s; bad++ }
		seen[a, s] = 1; count[a]++; total++
		if (s > max[a]) max[a] = s
	}
	END {
		for (a in want) {
			if (count[a] != n || max[a] != n) {
				print a ": " count[a] + 0 " records, max seq " max[a] + 0 ", want " n
				bad++
			}
		}
		print "records=" total + 0 " problems=" bad + 0
		exit bad > 0
	}' "$T/export.jsonl"
}

# metrics_port: a fresh port for a metrics listener (gatewayd's or
# gw-mgmt's [metrics] listen) in METRICS_PORT, and in METRICS_INI its
# section, for GW_TAIL, MGMT_TAIL or mgmt_ini.  http, metric, http_status
# and expect_metric then talk to that listener.
metrics_port() {
	METRICS_PORT=$(free_port)
	METRICS_INI="[metrics]
listen = 127.0.0.1:$METRICS_PORT"
}

# http METHOD PATH: the whole answer (status line, headers, body) of the
# metrics listener on $METRICS_PORT.
http() {
	exec 3<>"/dev/tcp/127.0.0.1/$METRICS_PORT"
	printf '%s %s HTTP/1.0\r\nHost: x\r\n\r\n' "$1" "$2" >&3
	cat <&3
	exec 3<&-
}

# http_status METHOD PATH: the status line of its answer, without CR.
http_status() { http "$1" "$2" | head -n 1 | tr -d '\r'; }

# metric NAME{LABELS}: its value in a fresh scrape ("" if absent).
metric() {
	http GET /metrics | tr -d '\r' | awk -v m="$1" '$1 == m { print $2 }'
}

# expect_metric NAME{LABELS} VALUE [SECONDS]: until the metric has VALUE
# (5 s at most, or SECONDS); fails the test if it never has.
expect_metric() {
	local i v
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		v=$(metric "$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 is '$v', want '$2'"
}

# start_pg: a throwaway PostgreSQL cluster; sets PG_CONNINFO.  After
# start_pg_early, the cluster that one started (waited for).
start_pg() {
	if [ -n "${PG_EARLY:-}" ]; then
		wait "$PG_EARLY" ||
		    fail "PostgreSQL did not start: $(cat "$T/pg-start.out")"
		PG_EARLY=
		PG_CONNINFO=$(tail -n 1 "$T/pg-start.out")
		return 0
	fi
	PG_DIR=$(mktemp -d /tmp/gwpg.XXXXXX)
	PG_CONNINFO=$("$SRC/scripts/pg-cluster.sh" start "$PG_DIR" "$(free_port)")
}

# start_pg_early: start_pg's cluster started in the background now (its
# initdb takes seconds), for a test that needs it only later.
start_pg_early() {
	local port
	PG_DIR=$(mktemp -d /tmp/gwpg.XXXXXX)
	port=$(free_port)
	"$SRC/scripts/pg-cluster.sh" start "$PG_DIR" "$port" \
	    >"$T/pg-start.out" 2>&1 &
	PG_EARLY=$!
}

# mgmt_ini NAME PORT STORE_LINES: a gw-mgmt configuration $T/NAME.ini.
mgmt_ini() { mgmt_ini_at "$1" "127.0.0.1:$2" "$3"; }

# mgmt_ini_at NAME ADDRESS:PORT STORE_LINES: mgmt_ini listening there.
mgmt_ini_at() {
	cat >"$T/$1.ini" <<EOT
[mgmt]
name = $1
listen = $2
cert = pki/mgmt.crt
key = pki/mgmt.key
gateway_ca = pki/ca.crt
[store]
$3
EOT
}

# The fleet: several gateways and servers on one store (test_fleet.sh,
# chaos.sh).

# issue_agents PREFIX COUNT: COUNT agent certificates $T/agents/PREFIXnnnn
# (gw-cert issue-many); their names, sorted, in AGENT_NAMES.
issue_agents() {
	local f
	"$GW_CERT" issue-many --ca "$T/pki" --role agent --prefix "$1" \
	    --count "$2" --out-dir "$T/agents" >/dev/null
	AGENT_NAMES=()
	for f in "$T/agents/$1"*.crt; do
		AGENT_NAMES+=("$(basename "$f" .crt)")
	done
	[ ${#AGENT_NAMES[@]} -eq "$2" ] ||
	    fail "gw-cert issued ${#AGENT_NAMES[@]} agents, not $2"
}

# agent_state_dir: a directory for the agents' journals in STATE, on
# tmpfs when there is one (removed at exit): on a real network each agent
# syncs its own disk, and a hundred of them syncing this machine's disk
# would slow down the servers under test, not the agents.
agent_state_dir() {
	STATE=$T/state
	if [ -d /dev/shm ]; then
		STATE=$(mktemp -d "/dev/shm/gw$TEST_NAME.XXXXXX")
		CLEANUP_DIRS+=("$STATE")
	fi
	mkdir -p "$STATE"
}

# servers_store KIND [LINES]: the [store] lines of servers A and B in
# STORE_A and STORE_B, then LINES (more sections) in each.  KIND
# postgresql: one shared store (start_pg); sqlite: a.db and b.db.
servers_store() {
	if [ "$1" = postgresql ]; then
		start_pg
		STORE_A="type = postgresql
conninfo = $PG_CONNINFO"
		STORE_B=$STORE_A
	else
		STORE_A="database = a.db"
		STORE_B="database = b.db"
	fi
	if [ -n "${2:-}" ]; then
		STORE_A+=$'\n'$2
		STORE_B+=$'\n'$2
	fi
}

# fleet_gateway_ini N LISTEN SERVERS [GATEWAY_LINES [UPSTREAM_LINES]]:
# $T/gatewayN.ini, gateway N on LISTEN dialing SERVERS (a list, best
# first), failback_hold 2s; more lines in each section.
fleet_gateway_ini() {
	cat >"$T/gateway$1.ini" <<EOT
[gateway]
name = gateway$1
listen = $2
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
${4:-}
[upstream]
server = $3
ca = pki/ca.crt
failback_hold = 2s
${5:-}
EOT
}

# own_namespace FLAGS: run the rest of this test in namespaces of its own
# (unshare FLAGS: -m a mount namespace, for own_names; -mn a network one
# too, whose loopback is brought up, for listeners on any 127.x address).
# The first call runs the test again inside them (the same arguments; a
# fresh $T) and never returns; there it returns.  Exits 77 (skipped) where
# unshare FLAGS is not permitted (not root).  Call it first.
own_namespace() {
	if [ -z "${GW_OWN_NS:-}" ]; then
		trap - EXIT
		rm -rf "$T"
		if ! unshare "$1" true 2>/dev/null; then
			echo "skip: unshare $1 is not permitted here"
			exit 77
		fi
		exec unshare "$1" env GW_OWN_NS=1 bash "$0" "$BUILD" "$SRC"
	fi
	case $1 in
	*n*) ip link set lo up || fail "no loopback in the namespace" ;;
	esac
}

# own_names RESOLV_LINE HOSTS_LINE...: in this test's mount namespace
# (own_namespace), names resolve through files of its own, never the
# network: /etc/hosts holds the HOSTS_LINEs, /etc/resolv.conf names only
# 127.0.0.1 (then RESOLV_LINE, if not empty), nsswitch.conf says "files
# dns".  Each is $T/NAME bound over /etc/NAME: rewrite $T/hosts in place
# and the change shows.
own_names() {
	local f extra=$1
	shift
	printf '%s\n' "$@" >"$T/hosts"
	printf '%s\n' 'nameserver 127.0.0.1' ${extra:+"$extra"} \
	    >"$T/resolv.conf"
	printf '%s\n' 'hosts: files dns' >"$T/nsswitch.conf"
	for f in hosts resolv.conf nsswitch.conf; do
		mount --bind "$T/$f" "/etc/$f" ||
		    fail "mount --bind $f over /etc/$f"
	done
}

# make_pki_names NAME...: $T/pki with certificates for names, not
# addresses: the CA, gatewayd's naming each NAME, gw-mgmt's naming
# mgmt.test, and $T/agents/agent-1.
make_pki_names() {
	local n dns=()
	for n in "$@"; do dns+=(--dns "$n"); done
	mkdir -p "$T/pki" "$T/agents"
	"$GW_CERT" ca --out "$T/pki" --name "gatewayd test CA" >/dev/null
	"$GW_CERT" issue --ca "$T/pki" --role gateway --name gateway \
	    "${dns[@]}" --out "$T/pki/gateway" >/dev/null
	"$GW_CERT" issue --ca "$T/pki" --role mgmt --name mgmt \
	    --dns mgmt.test --out "$T/pki/mgmt" >/dev/null
	"$GW_CERT" issue --ca "$T/pki" --role agent --name agent-1 \
	    --out "$T/agents/agent-1" >/dev/null
}
