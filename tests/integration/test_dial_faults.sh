#!/usr/bin/env bash
# Names dialed through a hostile or lossy network (issue 21), in a network
# and mount namespace of the test's own (unshare -mn): its own loopback, a
# fake name server on 127.0.0.1:53 (fakes.py) named by its own resolv.conf,
# and hostile listeners on other loopback addresses.  Each case failed
# before the fix:
# - mgmt.test's AAAA queries are dropped: gatewayd (connect_timeout 2 s)
#   still dials its A address at once and brings its links up;
# - bh.test is a black hole (SYNs dropped) then gatewayd, stall.test a
#   listener that never speaks TLS then gatewayd, reset.test one that
#   closes every connection then gatewayd: each address gets its share of
#   the agent's 5 s, so the agent reaches gatewayd on the first dial;
# - slow.test is answered after 1.5 s: the agent's 1 s connect timeout
#   starts when its address is dialed, not before;
# - gw.test. (a final dot) is checked against the certificate as gw.test;
# - many.test has 10 A and 10 AAAA records: the 16 addresses kept
#   alternate families in the answer's order (no sorting).
# Skipped (77) where unshare -mn is not permitted (not root).
source "$(dirname "$0")/lib.sh" "$@"
own_namespace -mn
cd "$T"
python3 -c 'import socket' 2>/dev/null || fail "no python3"
own_names "" '127.0.0.1 localhost'
make_pki_names gw.test bh.test stall.test reset.test many.test slow.test
write_configs

cat >fakes.py <<'EOT'
# The fake name server (UDP 127.0.0.1:53) and the hostile listeners on
# port sys.argv[1]: 127.0.0.2 drops SYNs (its accept queue is full),
# 127.0.0.3 accepts and says nothing, 127.0.0.4 accepts and closes.
import socket, struct, sys, threading, time
port = int(sys.argv[1])
A = {"mgmt.test": ["127.0.0.1"], "gw.test": ["127.0.0.1"],
     "slow.test": ["127.0.0.1"],
     "bh.test": ["127.0.0.2", "127.0.0.1"],
     "stall.test": ["127.0.0.3", "127.0.0.1"],
     "reset.test": ["127.0.0.4", "127.0.0.1"],
     "many.test": ["127.0.0.%d" % i for i in range(11, 21)]}
AAAA = {"many.test": ["fd00::%d" % i for i in range(1, 11)]}
DROP_AAAA = {"mgmt.test"}
SLOW = {"slow.test"}	# answered after 1.5 s

def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 53))
    while True:
        q, peer = s.recvfrom(2048)
        i, labels = 12, []
        while q[i] != 0:
            labels.append(q[i + 1:i + 1 + q[i]].decode())
            i += q[i] + 1
        name = ".".join(labels).lower()
        qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
        print("query %s %d" % (name, qtype), flush=True)
        if qtype == 28 and name in DROP_AAAA:
            continue
        known = name in A or name in AAAA
        addrs = A.get(name, []) if qtype == 1 else \
            AAAA.get(name, []) if qtype == 28 else []
        fam = socket.AF_INET if qtype == 1 else socket.AF_INET6
        ans = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", qtype, 1, 60,
            4 if qtype == 1 else 16) + socket.inet_pton(fam, a)
            for a in addrs)
        flags = 0x8180 if known else 0x8183
        r = q[:2] + struct.pack(">HHHHH", flags, 1, len(addrs), 0, 0) + \
            q[12:i + 5] + ans
        if name in SLOW:
            threading.Timer(1.5, s.sendto, args=(r, peer)).start()
        else:
            s.sendto(r, peer)

def listener(addr, backlog):
    l = socket.socket()
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port))
    l.listen(backlog)
    return l

def blackhole():
    l, keep = listener("127.0.0.2", 0), []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.2", port))
        keep.append(c)
        time.sleep(0.3)
    return l, keep

def serve(addr, close):
    l, keep = listener(addr, 16), []
    while True:
        c, _ = l.accept()
        if close:
            c.close()
        else:
            keep.append(c)

bh = blackhole()
threading.Thread(target=serve, args=("127.0.0.3", False), daemon=True).start()
threading.Thread(target=serve, args=("127.0.0.4", True), daemon=True).start()
print("ready", flush=True)
dns()
EOT
start fakes python3 -u fakes.py "$GW_PORT"
wait_log fakes.log "^ready" 10
timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.2/$GW_PORT" 2>/dev/null &&
    fail "the black hole on 127.0.0.2 accepts"

# gatewayd dials mgmt.test, whose AAAA query is never answered.
sed -i -e "s/^server = .*/server = mgmt.test:$MGMT_PORT/" \
    -e '/^server_name = /d' -e '/^backoff_/d' gateway.ini
start_mgmt
start gatewayd "$GATEWAYD" -c "$T/gateway.ini"
wait_port "$GW_PORT"
wait_log gatewayd.log "event=upstream_up .*server=mgmt.test:$MGMT_PORT" 10
grep -q "query mgmt.test 28" fakes.log || fail "no AAAA query for mgmt.test"
! grep -q "event=upstream_cut_off" gatewayd.log || fail "gatewayd was cut off"
pass "mgmt.test's AAAA lost: gatewayd dials its A address and is up"

agent() {
	"$GW_AGENT" --gateway "$1" --cert agents/agent-1.crt \
	    --key agents/agent-1.key --ca pki/ca.crt "${@:2}"
}

# A dead first address costs its share of the 5 s, not every dial.
n=0
for bad in bh.test:127.0.0.2 stall.test:127.0.0.3 reset.test:127.0.0.4; do
	name=${bad%%:*} addr=${bad#*:}
	n=$((n + 3))
	seq $((n - 2)) $n | sed 's/^/agent-1 event /' >"lines-$name"
	agent "$name:$GW_PORT" --file "lines-$name" --timeout 20 \
	    >"agent-$name.log" 2>&1 ||
	    fail "agent via $name: $(tail -n 5 "agent-$name.log")"
	grep -qF "event=dial name=$name:$GW_PORT address=$addr:$GW_PORT try=1/2" \
	    "agent-$name.log" || fail "agent-$name.log: no try of $addr"
	[ "$(grep -c 'try=1/2' "agent-$name.log")" -eq 1 ] ||
	    fail "$name dialed more than once: $(grep event=dial "agent-$name.log")"
	pass "$name: $addr dropped for the next address on the first dial"
done
check_store 9 agent-1 || fail "store after the dead addresses"

# Resolving takes 1.5 s, longer than the connect timeout, which starts after.
echo "agent-1 event 10" >lines-slow
agent "slow.test:$GW_PORT" --connect-timeout 1 --file lines-slow \
    --timeout 20 >slow.log 2>&1 || fail "agent via slow.test: $(tail -n 5 slow.log)"
[ "$(grep -c "event=dial name=slow.test" slow.log)" -eq 1 ] ||
    fail "slow.test dialed more than once: $(grep event=dial slow.log)"
check_store 10 agent-1 || fail "store after slow.test"
pass "slow.test resolved in 1.5 s, then dialed within the 1 s connect timeout"

# A final dot: resolved as given, checked against the certificate as gw.test.
echo "agent-1 event 11" >lines-dot
agent "gw.test.:$GW_PORT" --file lines-dot --timeout 10 >dot.log 2>&1 ||
    fail "agent via gw.test.: $(tail -n 5 dot.log)"
check_store 11 agent-1 || fail "store after gw.test."
pass "gw.test. is checked as gw.test"

# 20 addresses: 16 kept, alternating families, in the answer's order.
agent "many.test:$GW_PORT" --file lines-dot --timeout 2 >many.log 2>&1 &&
    fail "agent reached gatewayd through many.test"
for want in "address=[fd00::1]:$GW_PORT try=1/16" \
    "address=127.0.0.11:$GW_PORT try=2/16" \
    "address=[fd00::2]:$GW_PORT try=3/16" \
    "address=127.0.0.18:$GW_PORT try=16/16"; do
	grep -qF "event=dial name=many.test:$GW_PORT $want" many.log ||
	    fail "many.log lacks '$want': $(grep -m4 event=dial many.log)"
done
pass "many.test: 16 of 20 addresses tried, families alternating"
