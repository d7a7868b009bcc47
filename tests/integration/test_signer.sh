#!/usr/bin/env bash
# The CA key lives only in a signer process of its own, never in the
# process that parses agents' or gateways' bytes (issue 17, hole 13, and
# the signing part of hole 5), over real processes and TLS:
#   - gatewayd, gw-mgmt and gw-agent do not contain the signing code (nm:
#     no certificate writer, CA loading or authority decisions), gw-signer
#     does (issue 19);
#   - gatewayd with [enroll] mode = local and gw-mgmt with [enroll] ca_dir
#     each run a child "<prog>-signer", the program gw-signer found beside
#     them (issue 19; before, themselves run again); the CA's private
#     scalar is found in
#     the child's memory (/proc/PID/mem) and not in the parent's; the
#     gateway runs as nobody, its signer as daemon (signer_user), which
#     alone can enter the CA directory;
#   - an agent enrolls at the standalone gateway with a token and streams;
#   - while gw-mgmt's policy hook sleeps 3 s on a request, another agent's
#     lines are stored and acknowledged (the commit does not wait for it);
#   - while gw-mgmt's signer hangs opening issued.txt (a FIFO), DATA is
#     still acknowledged (on 4a5f9ba gw-mgmt itself hangs);
#   - kill -9 of the gateway's signer: gatewayd stays up and logs it,
#     enrollment is refused (internal), agents' DATA still flows.
source "$(dirname "$0")/lib.sh" "$@"

# 0. The code that signs is in gw-signer only (before the root check: any
#    user can read symbols).
SIGNING='pki_sign|pki_make|pki_ca_load|pki_crl_write|authority_open|authority_submit|auth_decide|mbedtls_x509write_crt_der'
# Each with a symbol it must have: nm sees its symbols (not stripped).
for bs in "$GATEWAYD:signer_client_open" "$GW_MGMT:signer_client_open" \
    "$GW_AGENT:pki_csr"; do
	b=${bs%:*}
	nm "$b" >"$T/syms.txt" || fail "nm $b"
	grep -qw "${bs##*:}" "$T/syms.txt" ||
	    fail "$b: no symbol ${bs##*:} (stripped?): nm proves nothing"
	bad=$(awk -v re="^($SIGNING)\$" '$3 ~ re { printf "%s ", $3 }' "$T/syms.txt")
	[ -z "$bad" ] || fail "$(basename "$b") contains the signing code: $bad"
done
nm "$BUILD/certs/gw-signer" >"$T/syms.txt" || fail "nm gw-signer"
for s in pki_sign authority_submit mbedtls_x509write_crt_der; do
	grep -qw "$s" "$T/syms.txt" || fail "gw-signer lacks $s"
done
pass "gatewayd, gw-mgmt and gw-agent contain no signing code; gw-signer does"

[ "$(id -u)" = 0 ] || { echo "skip: reading another process's memory needs root"; exit 0; }
cd "$T"
make_pki pki
"$GW_CERT" ca --out inter --name "workgroup CA" --ca pki >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-a --out agents-a >/dev/null
FP=$("$GW_CERT" fingerprint pki/ca.crt)
mkdir -p agents
seq 1 50 | sed 's/^/line /' >lines.txt

# key_in PID KEYFILE: "yes" if the private scalar of KEYFILE (EC or RSA),
# in either byte order, is anywhere in the readable memory of PID.
key_in() {
	python3 - "$1" "$2" <<'EOT'
import re, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
pid, path = sys.argv[1], sys.argv[2]
key = serialization.load_pem_private_key(open(path, 'rb').read(), None)
if isinstance(key, ec.EllipticCurvePrivateKey):
    v = key.private_numbers().private_value
else:
    v = key.private_numbers().p
n = (v.bit_length() + 7) // 8
needles = [v.to_bytes(n, 'big'), v.to_bytes(n, 'little')]
# In chunks that overlap by a needle; a mapping over 1 GiB is a
# sanitizer's shadow (no data of the program's), skipped.
CHUNK = 1 << 24
def search():
    with open('/proc/%s/maps' % pid) as maps, \
         open('/proc/%s/mem' % pid, 'rb', 0) as mem:
        for line in maps:
            f = line.split()
            if 'r' not in f[1] or (len(f) > 5 and f[5] in ('[vvar]', '[vsyscall]')):
                continue
            lo, hi = (int(x, 16) for x in f[0].split('-'))
            if hi - lo > 1 << 30:
                continue
            for at in range(lo, hi, CHUNK):
                try:
                    mem.seek(at)
                    b = mem.read(min(CHUNK + n, hi - at))
                except (OSError, ValueError, OverflowError):
                    break
                if any(x in b for x in needles):
                    return True
    return False
print('yes' if search() else 'no')
EOT
}

# holds PID KEYFILE WANT WHAT: key_in must say WANT, else fail with WHAT.
holds() {
	local r
	r=$(key_in "$1" "$2") || fail "the memory search of $1 failed"
	case "$r" in yes|no) ;; *) fail "the memory search of $1 said '$r'" ;; esac
	[ "$r" = "$3" ] || fail "$4"
}

# signer_of PID: the pid of PID's signer child (its only child).
signer_of() {
	pgrep -P "$1" | head -n 1
}

ENROLL_PORT=$(free_port)
LGW_PORT=$(free_port)
LENROLL_PORT=$(free_port)
# gw-mgmt's hook: agent-slow-* is signed after 3 s; it marks start and end
# and lists its descriptors.
cat >hook.sh <<EOT
#!/bin/sh
case "\$GW_ENROLL_NAME" in
agent-slow-*)
	ls -l /proc/\$\$/fd >"$T/hook.fds"
	touch "$T/hook.started"; sleep 3; touch "$T/hook.done" ;;
esac
exit 0
EOT
chmod +x hook.sh
MGMT_TAIL="[enroll]
ca_dir = pki
retry_after = 1s
hook = hook.sh
hook_timeout = 20s"
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$LGW_PORT/" \
    -e "s/^listen = 127.0.0.1:$ENROLL_PORT/listen = 127.0.0.1:$LENROLL_PORT/" \
    gateway.ini >gateway-local.ini
printf 'mode = local\nca_dir = inter\nsigner_user = daemon\n' >>gateway-local.ini
# The recommended ownership: the signer's user owns the CA directory, which
# the gateway's user cannot enter.
sed -i '/^\[gateway\]/a user = nobody' gateway-local.ini
chmod 755 "$T"
chown -R daemon inter
chmod 700 inter
start gatewayd-local "$GATEWAYD" -c gateway-local.ini
wait_port "$LENROLL_PORT"
wait_port "$LGW_PORT"

# 1. Who holds which key.
holds "$PID_gatewayd_local" inter/ca.key no \
    "gatewayd (mode = local) holds the CA private key in its memory"
holds "$PID_mgmt" pki/ca.key no "gw-mgmt holds the CA private key in its memory"
LSIGNER=$(signer_of "$PID_gatewayd_local")
MSIGNER=$(signer_of "$PID_mgmt")
[ -n "$LSIGNER" ] || fail "gatewayd (mode = local) has no signer child"
[ -n "$MSIGNER" ] || fail "gw-mgmt ([enroll] ca_dir) has no signer child"
[ "$(cat /proc/$LSIGNER/comm)" = gatewayd-signer ] ||
    fail "the gateway's signer is called $(cat /proc/$LSIGNER/comm)"
[ "$(cat /proc/$MSIGNER/comm)" = gw-mgmt-signer ] ||
    fail "gw-mgmt's signer is called $(cat /proc/$MSIGNER/comm)"
[ "$(readlink /proc/$LSIGNER/exe)" = "$(dirname "$GATEWAYD")/gw-signer" ] ||
    fail "the gateway's signer runs $(readlink /proc/$LSIGNER/exe), not gw-signer"
[ "$(readlink /proc/$MSIGNER/exe)" = "$(dirname "$GW_MGMT")/gw-signer" ] ||
    fail "gw-mgmt's signer runs $(readlink /proc/$MSIGNER/exe), not gw-signer"
ps -o pid,ppid,user,args -p "$LSIGNER,$MSIGNER"
holds "$LSIGNER" inter/ca.key yes \
    "the CA private key is not in the gateway's signer (the search is blind)"
holds "$MSIGNER" pki/ca.key yes \
    "the CA private key is not in gw-mgmt's signer (the search is blind)"
[ "$(awk '/^Uid:/ { print $2 }' /proc/$PID_gatewayd_local/status)" = "$(id -u nobody)" ] ||
    fail "gatewayd (mode = local) does not run as nobody"
[ "$(awk '/^Uid:/ { print $2 }' /proc/$LSIGNER/status)" = "$(id -u daemon)" ] ||
    fail "the gateway's signer does not run as daemon (signer_user)"
! setpriv --reuid=nobody --regid=nogroup --clear-groups cat inter/ca.key \
    >/dev/null 2>&1 || fail "the gateway's user can read the CA key"
# One socket only (its end of the socketpair): no listener, no link.
for p in "$LSIGNER" "$MSIGNER"; do
	n=$(for f in /proc/$p/fd/*; do readlink "$f"; done | grep -c '^socket:')
	[ "$n" = 1 ] || fail "signer $p has $n sockets, want 1"
done
pass "the CA keys are in the signers ($LSIGNER, $MSIGNER) only, not in gatewayd or gw-mgmt"

# 2. mode = local still enrolls, through the signer.
LOCAL_TOKEN=$("$GW_CERT" token create --ca inter --uses 1 --names 'agent-wg*')
"$GW_AGENT" --gateway "127.0.0.1:$LGW_PORT" --enroll "127.0.0.1:$LENROLL_PORT" \
    --ca-fingerprint "$FP" --token "$LOCAL_TOKEN" --name agent-wg1 \
    --key agents/agent-wg1.key --cert agents/agent-wg1.crt --ca agents/ca-wg.crt \
    --file lines.txt --timeout 30 >agent-wg1.log 2>&1 ||
    fail "enrollment at the standalone gateway failed: $(tail -n 3 agent-wg1.log)"
openssl verify -CAfile pki/ca.crt -untrusted inter/ca.crt agents/agent-wg1.crt >/dev/null ||
    fail "the local certificate does not chain through the intermediate"
pass "mode = local: agent-wg1 enrolled with a token and streamed"

# 3. gw-mgmt: while the hook holds a request, DATA is still acknowledged.
TOKEN=$("$GW_CERT" token create --ca pki --uses 1 --names 'agent-slow-*')
"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" --ca-fingerprint "$FP" \
    --token "$TOKEN" --name agent-slow-1 --key agents/agent-slow-1.key \
    --cert agents/agent-slow-1.crt --ca agents/ca.crt >slow.log 2>&1 &
SLOW=$!
for ((i = 0; i < 100; i++)); do [ -e hook.started ] && break; sleep 0.1; done
[ -e hook.started ] || fail "the hook never ran"
t0=$(date +%s.%N)
"$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" --cert agents-a.crt \
    --key agents-a.key --ca pki/ca.crt --file lines.txt --timeout 30 \
    >agent-a.log 2>&1 || fail "agent-a did not stream: $(tail -n 3 agent-a.log)"
t1=$(date +%s.%N)
[ ! -e hook.done ] ||
    fail "agent-a's 50 lines were acknowledged only after the hook finished"
echo "50 lines stored and acknowledged in $(echo "$t1 - $t0" | bc) s while the hook slept"
wait $SLOW || fail "agent-slow-1 was not signed: $(tail -n 3 slow.log)"
[ -e hook.done ] || fail "agent-slow-1 was signed before its hook ended"
! grep -q 'socket:' hook.fds || fail "the hook inherited the signer's socket"
pass "gw-mgmt: DATA acknowledged while a signing waits on its hook; then signed"

# 3b. A signing stuck in the file system (issued.txt made a FIFO: reading it
#     blocks until a writer comes, as a hung disk would): gw-mgmt still
#     stores and acknowledges DATA.  On 4a5f9ba gw-mgmt itself hangs.
TOKEN3=$("$GW_CERT" token create --ca pki --uses 1 --names 'agent-stuck-*')
mv pki/issued.txt pki/issued.txt.real
mkfifo -m 600 pki/issued.txt
"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" --ca-fingerprint "$FP" \
    --token "$TOKEN3" --name agent-stuck-1 --key agents/agent-stuck-1.key \
    --cert agents/agent-stuck-1.crt --ca agents/ca.crt >stuck.log 2>&1 &
STUCK=$!
PIDS+=($STUCK)
# Until some process of gw-mgmt's sleeps opening the FIFO.
stuck=
for ((i = 0; i < 100; i++)); do
	for p in "$PID_mgmt" $(pgrep -P "$PID_mgmt"); do
		grep -q fifo_open /proc/$p/stack 2>/dev/null && stuck=$p
	done
	[ -z "$stuck" ] || break
	sleep 0.1
done
[ -n "$stuck" ] || fail "no process of gw-mgmt is stuck on issued.txt"
echo "stuck on issued.txt: pid $stuck ($(cat /proc/$stuck/comm))"
rc=0
"$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" --cert agents-a.crt \
    --key agents-a.key --ca pki/ca.crt --file lines.txt --timeout 10 \
    >agent-a2.log 2>&1 || rc=$?
held=no
grep -q fifo_open /proc/$stuck/stack && held=yes
# Unstick it: a writer meets the blocked reader, the real file goes back,
# and the reader sees an empty file.
timeout 10 sh -c 'exec 7>"$1" && rm "$1" && mv "$2" "$1"' sh \
    pki/issued.txt pki/issued.txt.real ||
    fail "cannot unstick the signing (the agent exited $rc)"
[ $rc -eq 0 ] || fail "no ACKs while the signing is stuck: $(tail -n 3 agent-a2.log)"
[ $held = yes ] || fail "the signing got unstuck by itself"
wait "$STUCK" || fail "agent-stuck-1 was not signed once unstuck: $(tail -n 3 stuck.log)"
pass "gw-mgmt: DATA acknowledged while the signer hangs in the file system"

# 4. kill -9 the gateway's signer.
kill -9 "$LSIGNER"
wait_log gatewayd-local.log "event=signer_lost"
kill -0 "$PID_gatewayd_local" 2>/dev/null || fail "gatewayd died with its signer"
TOKEN2=$("$GW_CERT" token create --ca inter --uses 1 --names 'agent-wg*')
rc=0
"$GW_AGENT" enroll --enroll "127.0.0.1:$LENROLL_PORT" --ca-fingerprint "$FP" \
    --token "$TOKEN2" --name agent-wg2 --key agents/agent-wg2.key \
    --cert agents/agent-wg2.crt --ca agents/ca-wg.crt >wg2.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "exit $rc after the signer died, want 3: $(tail -n 2 wg2.log)"
grep -q internal wg2.log || fail "the refusal is not internal: $(tail -n 2 wg2.log)"
"$GW_AGENT" --gateway "127.0.0.1:$LGW_PORT" --cert agents/agent-wg1.crt \
    --key agents/agent-wg1.key --ca agents/ca-wg.crt --file lines.txt \
    --timeout 30 >wg1-again.log 2>&1 ||
    fail "agent-wg1 cannot stream after the signer died: $(tail -n 3 wg1-again.log)"
kill -0 "$PID_gatewayd_local" 2>/dev/null || fail "gatewayd is gone"
pass "signer killed: gatewayd up, logged it, enrollment refused (internal), DATA flows"
