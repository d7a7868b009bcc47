#!/usr/bin/env bash
# Silent connections (TCP, never a ClientHello) must not lock good agents
# out.  With the default limits, while 2,000 silent connections from
# 127.0.0.1 are open, a good agent from the same address completes its
# handshake within the bound (the issue's target is 1 s; the figure is
# printed; before the lobby it took 5 s and more: each silent connection
# held one of the 64 handshake slots for 0.5 s).  Silent ones wait in the
# lobby, at most silent_per_source (64) from one source: the source's
# oldest is closed for each new one, counted and logged once per interval;
# the rest are closed by first_byte_timeout.  After a reload with no
# per-source cap and max_silent = 1000, a second flood fills the lobby to
# max_silent and no further (bounded memory, measured per socket), and
# the good agent still gets in.  Bad values of the new keys are refused
# with file:line.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
BOUND=2.5	# seconds: a lock-out is 5 s and more; the target is 1 s

cd "$T"
make_pki pki
mkdir -p good
"$GW_CERT" issue --ca pki --role agent --name agent-good --out good/agent-good >/dev/null
METRICS_PORT=$(free_port)
GW_TAIL="[metrics]
listen = 127.0.0.1:$METRICS_PORT"
write_configs

# 0. The new keys are checked: ranges with file:line, and a silent peer may
#    not wait longer than a handshaking one.
cp gateway.ini bad.ini
sed -i '/^\[gateway\]/a first_byte_timeout = 20s\nsilent_per_source = -1\nipv6_prefix = 129\nmax_silent = 0' bad.ini
rc=0; "$GATEWAYD" --check-config bad.ini >bad.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "gatewayd accepted bad silent limits"
for want in 'bad.ini:3: \[gateway\] silent_per_source' \
    'bad.ini:4: \[gateway\] ipv6_prefix' 'bad.ini:5: \[gateway\] max_silent' \
    'bad.ini: \[gateway\] first_byte_timeout: above handshake_timeout'; do
	grep -q "$want" bad.log || fail "no '$want' in: $(cat bad.log)"
done
pass "bad values refused: $(grep -c . bad.log) lines, e.g. $(head -n 1 bad.log)"

start_mgmt
start_gateway
wait_port "$METRICS_PORT"

# flood N SECONDS: N silent connections from 127.0.0.1, held SECONDS or
# until the file flood.release appears (release_flood).
flood() {
	local n0
	touch flood.log
	rm -f flood.release
	n0=$(grep -c '^opened' flood.log || true)
	(
		ulimit -n 8192 2>/dev/null || true
		fds=()
		for i in $(seq "$1"); do
			exec {fd}<>"/dev/tcp/127.0.0.1/$GW_PORT" 2>/dev/null || {
				echo "connect failed after ${#fds[@]}"; break; }
			fds+=("$fd")
		done
		echo "opened ${#fds[@]}"
		for ((i = 0; i < $2 * 10; i++)); do
			[ -e flood.release ] && break
			sleep 0.1
		done
	) >>flood.log 2>&1 &
	flood_pid=$!
	for i in $(seq 300); do
		[ "$(grep -c '^opened' flood.log || true)" -gt "$n0" ] && break
		sleep 0.1
	done
	opened=$(awk '/^opened/ { n = $2 } END { print n + 0 }' flood.log)
	[ "$opened" -ge $(($1 * 95 / 100)) ] || fail "only $opened of $1 opened: $(cat flood.log)"
}

# release_flood: once gatewayd has closed every silent connection it kept
# (first_byte_timeout, 5 s), the flood lets go of its ends at once rather
# than at the end of its SECONDS: the gateway closed them, not the client.
release_flood() {
	for i in $(seq 80); do
		silent=$(metric 'gatewayd_connections_silent{listener="agents"}')
		[ "$silent" = 0 ] && break
		sleep 0.1
	done
	[ "$silent" = 0 ] || fail "$silent silent connections still waiting after first_byte_timeout"
	touch flood.release
	wait "$flood_pid"
}

# handshake LABEL: one full handshake of the good agent (connect to
# HELLO_ACK) while the flood is open; its time in $hs_s.
handshake() {
	"$LOADGEN" --gateway "127.0.0.1:$GW_PORT" --certs good --ca pki/ca.crt \
	    --agents 1 --mode handshake --handshakes 1 --connect-timeout 60 \
	    --timeout 60 >"hs-$1.out" 2>&1 ||
	    fail "good agent's handshake failed ($1): $(cat "hs-$1.out")"
	hs_s=$(sed -n 's/.* handshakes=1 .*seconds=\([0-9.]*\).*/\1/p' "hs-$1.out")
	[ -n "$hs_s" ] || fail "no handshake figure: $(cat "hs-$1.out")"
	awk -v s="$hs_s" -v b="$BOUND" 'BEGIN { exit !(s < b) }' ||
	    fail "good agent locked out ($1): handshake took $hs_s s (bound $BOUND s, target 1 s)"
}

# 1. Defaults: 2,000 silent connections from the agent's own address.
flood 2000 8
handshake defaults
silent=$(metric 'gatewayd_connections_silent{listener="agents"}')
[ "${silent:-0}" -ge 1 ] && [ "${silent:-0}" -le 64 ] ||
    fail "${silent:-?} silent connections waiting, want 1..64 (silent_per_source)"
pass "2,000 silent connections open: good agent's handshake took $hs_s s (bound $BOUND s); $silent waiting (cap 64)"
# Past first_byte_timeout (5 s), the ones kept are closed.
release_flood
first_opened=$opened
hits=$(grep -c 'event=limit_hit listener=agents limit=silent_per_source' gatewayd.log || true)
[ "$hits" -ge 1 ] && [ "$hits" -le 2 ] ||
    fail "silent_per_source logged $hits times, want once per interval"
hs_first=$hs_s

# 2. Reload: no per-source cap (nor rate limit), at most 1,000 waiting.  A
#    second flood fills the lobby to max_silent, the oldest are closed for
#    the newest; memory per waiting socket is measured.
sed -i '/^\[gateway\]/a silent_per_source = 0\nmax_silent = 1000\nhandshake_rate_per_source = 0' gateway.ini
kill -HUP "$PID_gatewayd"
wait_log gatewayd.log "event=reloaded" 10
rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID_gatewayd/status")
flood 2000 8
handshake reloaded
silent=$(metric 'gatewayd_connections_silent{listener="agents"}')
rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID_gatewayd/status")
[ "${silent:-0}" -ge 900 ] && [ "${silent:-0}" -le 1000 ] ||
    fail "${silent:-?} silent connections waiting, want 900..1000 (max_silent)"
# Our record is under 200 bytes; the kernel's socket is not in our RSS.
# 2 KiB each is the bound (sanitizer builds: three times that).
limit=$((silent * 2))
grep -qa __asan_init "$GATEWAYD" && limit=$((limit * 3))
[ $((rss1 - rss0)) -lt "$limit" ] ||
    fail "gatewayd grew by $((rss1 - rss0)) KiB for $silent waiting sockets (bound $limit KiB)"
pass "after reload (max_silent = 1000, no per-source cap): handshake took $hs_s s; $silent waiting; RSS $rss0 -> $rss1 KiB"
release_flood

stop gatewayd
grep -q "event=limit_totals" gatewayd.log || fail "gatewayd logged no limit_totals at exit"
stats=$(grep 'event=listener_stats listener=agents' gatewayd.log | tail -n 1)
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$stats"; }
by_source=$(get silent_evicted_source)
full=$(get silent_evicted_full)
timed_out=$(sed -n 's/.*event=limit_totals .*first_byte_timeout=\([0-9]*\).*/\1/p' gatewayd.log)
rate=$(get refused_rate_source)
# Every silent connection of the first flood was closed: by the rate limit
# at accept, for a newer one of its source, or by first_byte_timeout.
[ "${by_source:-0}" -ge 500 ] ||
    fail "only ${by_source:-0} closed for silent_per_source: $stats"
[ "${full:-0}" -ge 500 ] || fail "only ${full:-0} closed for max_silent: $stats"
[ "${timed_out:-0}" -ge 900 ] ||
    fail "only ${timed_out:-0} closed by first_byte_timeout"
pass "closed: $by_source for silent_per_source (logged $hits time(s)), $full for max_silent, ${timed_out} by first_byte_timeout, $rate by the rate limit (floods of $first_opened and $opened); handshakes $hs_first s and $hs_s s"
