#!/usr/bin/env bash
# Black-box abuse of the agent port (tests/tools/gw_abuse.c), while a good
# agent streams 800 lines.  Each abuse must end only its own connection,
# with the reason logged; the good agent's lines must all be stored once;
# gatewayd's memory must stay under the stated bounds:
#   - 500 half-finished handshakes (ClientHello, then silence): closed by
#     handshake_timeout; at most 100 KiB each while they are held;
#   - a DATA header announcing 16 MiB: refused as soon as the header is in
#     (too-big), nothing buffered;
#   - a legal 16 KiB header, then silence: held in the fixed input buffer
#     and closed by idle_timeout;
#   - random bytes after a valid handshake: ERROR protocol, closed;
#   - an agent that never reads: PINGs whose PONGs pile up, and DATA whose
#     ACKs and CREDITs pile up: the session ends (overload, flow or
#     timeout) instead of buffering;
#   - a second flood of half handshakes peaks within 4 MiB of the first:
#     what the first one freed is reused, nothing leaks.
source "$(dirname "$0")/lib.sh" "$@"
ABUSE=$BUILD/tests/gw-abuse

cd "$T"
make_pki pki
mkdir -p agents
for a in agent-good agent-bad; do
	"$GW_CERT" issue --ca pki --role agent --name "$a" --out "agents/$a" >/dev/null
done
export GW_ABUSE_CERT=agents/agent-bad.crt GW_ABUSE_KEY=agents/agent-bad.key \
    GW_ABUSE_CA=pki/ca.crt
# No admission pacing: the floods are taken at once, to measure what each
# connection costs (test_storm covers admission control).
GW_EXTRA="handshake_timeout = 5s
idle_timeout = 3s
handshake_rate = 0
handshake_rate_per_source = 0
max_handshakes = 100000"
write_configs
start_mgmt
start_gateway
ADDR=127.0.0.1:$GW_PORT
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID_gatewayd/status"; }
# Sanitizer builds keep freed memory in quarantine (x=3): the memory bounds
# are not checked there.
x=1
grep -qa __asan_init "$GATEWAYD" && x=3

seq 1 800 | sed 's/^/line /' >lines.txt
$(agent_cmd agent-good --file lines.txt --rate 50 --timeout 120) >agent-good.log 2>&1 &
good=$!
wait_log agent-good.log "event=hello_ack" 10
rss0=$(rss)

# 1. Half-finished handshakes, all held at once (sent within
#    handshake_timeout, so that each flood holds the same 500 and two floods
#    can be compared), then closed by handshake_timeout while gw-abuse
#    still holds its ends open.  Prints the peak RSS while they are held and
#    the fewest open descriptors seen after.
fds() { ls "/proc/$PID_gatewayd/fd" | wc -l; }
half_round() {
	local peak=0 low=1000000 r half
	"$ABUSE" half "$ADDR" 500 60 >half.log 2>&1 &
	half=$!
	# The hellos go out one after the other (each waits for its
	# ServerHello), about 2 s for 500.
	for i in $(seq 600); do
		r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
		grep -q "^sent" half.log && break
		sleep 0.1
	done
	grep -q "sent 500 client hellos" half.log || fail "half: $(cat half.log)"
	for i in $(seq 150); do
		r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
		r=$(fds); [ "$r" -lt "$low" ] && low=$r
		[ "$low" -le "$fd0" ] && break
		sleep 0.1
	done
	kill -0 "$half" || fail "gw-abuse half ended early: $(cat half.log)"
	kill "$half"
	wait "$half" 2>/dev/null
	echo "$peak $low"
}
fd0=$(fds)
read -r peak low <<<"$(half_round)"
# Not under the sanitizers: their quarantine keeps what each handshake
# freed (some 400 KiB each), so RSS does not show what is held.
[ $x = 3 ] || [ $((peak - rss0)) -lt $((500 * 100)) ] ||
    fail "500 half handshakes grew gatewayd by $((peak - rss0)) KiB"
[ "$low" -le $((fd0 + 2)) ] ||
    fail "gatewayd still holds $((low - fd0)) of the 500 half handshakes after handshake_timeout"
pass "500 half handshakes: closed by handshake_timeout while held (descriptors $fd0 -> $low); RSS $rss0 -> $peak KiB ($(( (peak - rss0) / 500 )) KiB each, bound 100$([ $x = 1 ] || echo ', not checked: sanitizers'))"

# 2. A frame header announcing 16 MiB: refused at once.
out=$("$ABUSE" huge "$ADDR" 16777216 5)
case $out in "closed after 0."*"too-big"*) ;; *) fail "16 MiB header: $out" ;; esac
pass "16 MiB header: $out"

# 3. A legal 16 KiB header, then silence: idle_timeout ends it.
out=$("$ABUSE" huge "$ADDR" 16384 8)
case $out in "closed after "[34]*"timeout (idle timeout)"*) ;; *) fail "stalled frame: $out" ;; esac
pass "stalled 16 KiB frame: $out"

# 4. Random bytes after a valid handshake.
out=$("$ABUSE" garbage "$ADDR" 4096)
case $out in "closed after 0."*"protocol (bad frame"*) ;; *) fail "garbage: $out" ;; esac
pass "random bytes: $out"

# 5. Agents that never read.
for kind in ping data; do
	out=$("$ABUSE" noread "$ADDR" 3000000 "$kind")
	case $out in *"closed after"*) ;; *) fail "noread $kind: $out" ;; esac
	why=$(grep 'event=agent_closed agent=agent-bad' gatewayd.log | tail -n 1 |
	    sed -n 's/.*reason=\([a-z-]*\) detail="\([^"]*\)".*/\1 (\2)/p')
	case $why in overload*|flow*|timeout*) ;; *) fail "noread $kind ended with: $why" ;; esac
	pass "never reads ($kind): $out; gateway: $why"
done

wait "$good" || fail "the good agent failed: $(tail -n 3 agent-good.log)"
kill -0 "$PID_gatewayd" || fail "gatewayd died"
export_store >export.jsonl
[ "$(grep -c '"agent":"agent-good"' export.jsonl)" = 800 ] ||
    fail "the good agent's 800 lines did not all arrive"
[ "$(grep '"agent":"agent-good"' export.jsonl | sort -u | wc -l)" = 800 ] ||
    fail "duplicates among the good agent's lines"
pass "good agent: 800 lines stored once, gatewayd alive"

# 6. Nothing kept: the same flood again reuses the freed memory (the
#    allocator keeps it for the next burst; a leak would add ~20 MiB).
#    Sanitizer builds quarantine freed memory, so only plain builds check.
rss1=$(rss)
read -r peak2 low <<<"$(half_round)"
if [ $x = 1 ]; then
	[ $((peak2 - peak)) -lt 4096 ] ||
	    fail "a second flood grew gatewayd from $peak to $peak2 KiB"
	pass "second flood of 500: peak $peak2 KiB (first $peak KiB): memory reused"
else
	echo "skip: memory reuse not checked under the sanitizers (quarantine)"
fi

# 7. Every limit counted; each logged once per interval, not per event.
stop gatewayd
grep -q "event=limit_totals" gatewayd.log || fail "gatewayd logged no limit_totals at exit"
total() { sed -n "s/.*event=limit_totals .*$1=\([0-9]*\).*/\1/p" gatewayd.log; }
[ "$(total handshake_timeout)" -ge 950 ] || fail "handshake_timeout total $(total handshake_timeout)"
for l in idle_timeout max_payload agent_output agent_window; do
	[ "$(total $l)" -ge 1 ] || fail "limit $l not counted"
done
# Once per interval: lines at least 10 s apart, but for the last, logged
# at exit (floods of real half handshakes last several intervals, longer
# under the sanitizers).
lines=$(grep -c 'event=limit_hit limit=handshake_timeout' gatewayd.log || true)
gap=$(grep 'event=limit_hit limit=handshake_timeout' gatewayd.log |
    awk '{ split(substr($1, 12, 12), t, ":"); s[NR] = t[1] * 3600 + t[2] * 60 + t[3]
	if (NR > 1 && s[NR] < s[NR - 1]) s[NR] += 86400 }	# past midnight
	END { min = 10; for (i = 2; i < NR; i++) if (s[i] - s[i - 1] < min)
		min = s[i] - s[i - 1]; print min }')
awk -v g="$gap" 'BEGIN { exit !(g >= 9.9) }' ||
    fail "handshake_timeout logged $lines times, $gap s apart: want once per interval"
pass "limits counted: $(grep -o 'event=limit_totals.*' gatewayd.log); handshake_timeout in $lines line(s)"
