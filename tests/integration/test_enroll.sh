#!/usr/bin/env bash
# Enrollment of untrusted agents, end to end over real processes and TLS:
# gatewayd's enrollment listener forwards CSRs to gw-mgmt, whose signing
# authority (the CA directory gw-cert manages) decides.
#   - token: one gw-agent command enrolls (key made locally, 0600) and
#     streams; the token is never logged; a second CSR on a one-use token
#     is refused (token-used-up); an expired token is refused;
#   - names: outside the gateway's policy, or outside the token's pattern;
#   - pinning: an agent given another CA's fingerprint sends nothing;
#   - pending: no token queues the request; the agent polls; the operator
#     sees it (with the key fingerprint the agent printed) and approves; the
#     agent then streams with its new certificate; deny gives a refusal;
#   - a CSR with a broken signature (sent raw through openssl s_client) is
#     refused bad-csr by the gateway, which forwards nothing; one signed with
#     MD5 is refused with the cause in the answer and the log;
#   - renewal: an agent whose certificate is two thirds through its life
#     renews over its live session (not dropped) and every line arrives once;
#   - the policy hook: signs, denies, queues, and fails closed on a timeout;
#   - a standalone gateway (mode = local) signs with its own intermediate CA,
#     and its agent streams through it.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents other
"$GW_CERT" ca --out other --name "some other CA" >/dev/null
FP=$("$GW_CERT" fingerprint pki/ca.crt)
ENROLL_PORT=$(free_port)
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
# The policy hook: tokens and renewals pass, auto-* is signed without a
# token, evil-* denied, slow-* too slow; anything else waits for an operator.
cat >hook.sh <<'EOT'
#!/bin/sh
cat >"$0.last-csr"
case "$GW_ENROLL_KIND:$GW_ENROLL_NAME" in
token:*|renewal:*|*:agent-auto-*) exit 0 ;;
*:agent-evil-*) exit 1 ;;
*:agent-slow-*) exec sleep 30 ;;
*) exit 2 ;;
esac
EOT
chmod +x hook.sh
MGMT_TAIL="[enroll]
ca_dir = pki
retry_after = 1s
hook = hook.sh
hook_timeout = 2s"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"

# enroll NAME [args]: gw-agent enroll into agents/NAME.{key,crt}.
enroll() {
	local name=$1; shift
	"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" \
	    --ca-fingerprint "$FP" --name "$name" --key "agents/$name.key" \
	    --cert "agents/$name.crt" --ca agents/ca.crt "$@"
}
# expect_refused RC LOG REASON: exit 3 and the reason named.
expect_refused() {
	[ "$1" -eq 3 ] || fail "exit $1, want 3 (refused): $(tail -n 2 "$2")"
	grep -q -- "$3" "$2" || fail "$2 does not say $3: $(tail -n 2 "$2")"
}

seq 1 50 | sed 's/^/line /' >lines.txt

# 1. A token and a CA fingerprint: one command enrolls and streams.
TOKEN=$("$GW_CERT" token create --ca pki --uses 1 --ttl 1h --names 'agent-*')
"$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" --enroll "127.0.0.1:$ENROLL_PORT" \
    --ca-fingerprint "$FP" --token "$TOKEN" --name agent-new \
    --key agents/agent-new.key --cert agents/agent-new.crt --ca agents/ca.crt \
    --file lines.txt --timeout 30 >agent-new.log 2>&1 ||
    fail "one-command enroll + stream failed: $(tail -n 3 agent-new.log)"
[ "$(stat -c %a agents/agent-new.key)" = 600 ] ||
    fail "key mode $(stat -c %a agents/agent-new.key), want 600"
openssl verify -CAfile pki/ca.crt agents/agent-new.crt >/dev/null ||
    fail "the issued certificate does not verify"
cmp -s agents/ca.crt pki/ca.crt || openssl x509 -in agents/ca.crt -noout \
    -fingerprint -sha256 | tr -d : | grep -qi "$FP" ||
    fail "agents/ca.crt is not the pinned CA"
export_store >export.jsonl
[ "$(grep -c '"agent":"agent-new"' export.jsonl)" = 50 ] ||
    fail "agent-new stored $(grep -c '"agent":"agent-new"' export.jsonl) lines, want 50"
"$GW_CERT" list --ca pki | grep -q 'agent-new .*valid' ||
    fail "gw-cert list does not show agent-new"
pass "token: enrolled (key 0600, chain verifies) and streamed 50 lines in one command"

# 2. The same one-use token for a second CSR.
rc=0; enroll agent-reuse --token "$TOKEN" >reuse.log 2>&1 || rc=$?
expect_refused $rc reuse.log token-used-up
pass "token reuse beyond its count: $(tail -n 1 reuse.log | cut -c1-90)"

# 3. An expired token.
OLD=$("$GW_CERT" token create --ca pki --ttl 1s --names "*")
sleep 2
rc=0; enroll agent-late --token "$OLD" >late.log 2>&1 || rc=$?
expect_refused $rc late.log token-expired
pass "expired token: $(tail -n 1 late.log | cut -c1-90)"

# 4. Names: outside the gateway's policy; outside the token's pattern.
WEB=$("$GW_CERT" token create --ca pki --names 'agent-web*')
rc=0; enroll intruder --token "$WEB" >intruder.log 2>&1 || rc=$?
expect_refused $rc intruder.log policy
rc=0; enroll agent-db1 --token "$WEB" >db1.log 2>&1 || rc=$?
expect_refused $rc db1.log policy
pass "names outside the policy: gateway: $(tail -n 1 intruder.log | cut -c1-60); token: $(tail -n 1 db1.log | cut -c1-60)"

# 5. The wrong CA fingerprint: nothing is sent.
n0=$(grep -c 'event=enroll_request' gatewayd.log || true)
rc=0
"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" \
    --ca-fingerprint "$("$GW_CERT" fingerprint other/ca.crt)" --name agent-pin \
    --token "$WEB" --key agents/agent-pin.key --cert agents/agent-pin.crt \
    --ca agents/pin-ca.crt >pin.log 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "wrong pin: exit $rc, want 3"
grep -qi 'pinned\|fingerprint' pin.log || fail "wrong pin: no reason: $(cat pin.log)"
[ "$(grep -c 'event=enroll_request' gatewayd.log || true)" = "$n0" ] ||
    fail "an agent with the wrong pin sent a request"
[ ! -e agents/agent-pin.crt ] || fail "wrong pin: a certificate was written"
pass "wrong CA fingerprint: refused before sending ($(tail -n 1 pin.log | cut -c1-70))"

# 6. No token: pending; the operator approves while the agent polls.
enroll agent-pend --wait 30 >pend.log 2>&1 &
pend=$!
for _ in $(seq 100); do
	"$GW_CERT" pending list --ca pki >pending.txt
	grep -q agent-pend pending.txt && break
	sleep 0.1
done
grep -q agent-pend pending.txt || fail "no pending request: $(cat pending.txt)"
RID=$(awk '/agent-pend/ { print $1 }' pending.txt)
KFP=$(awk '/agent-pend/ { print $3 }' pending.txt)
wait_log pend.log "$KFP" 5
"$GW_CERT" approve --ca pki "$RID" >approve.log || fail "approve failed"
wait "$pend" || fail "pending agent did not get its certificate: $(tail -n 2 pend.log)"
openssl verify -CAfile pki/ca.crt agents/agent-pend.crt >/dev/null ||
    fail "approved certificate does not verify"
$(agent_cmd agent-pend --file lines.txt --timeout 30) >pend-stream.log 2>&1 ||
    fail "approved agent cannot stream: $(tail -n 2 pend-stream.log)"
pass "pending: listed with the key fingerprint the agent printed, approved, polled, streamed"

# 7. Deny.
rc=0; enroll agent-deny --wait 0 >deny1.log 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "no token: exit $rc, want 4 (pending)"
RID=$("$GW_CERT" pending list --ca pki | awk '/agent-deny/ { print $1 }')
[ -n "$RID" ] || fail "agent-deny is not pending"
"$GW_CERT" deny --ca pki "$RID" --reason "unknown host" >/dev/null
rc=0; enroll agent-deny --wait 10 >deny2.log 2>&1 || rc=$?
expect_refused $rc deny2.log denied
grep -q "unknown host" deny2.log || fail "the deny reason did not reach the agent"
pass "deny: $(tail -n 1 deny2.log | cut -c1-90)"

# 7b. A pending request that nobody decides expires (its deadline is moved
# into the past here rather than waiting pending_ttl).
rc=0; enroll agent-forgot --wait 0 >forgot1.log 2>&1 || rc=$?
[ $rc -eq 4 ] || fail "no token: exit $rc, want 4 (pending)"
RID=$("$GW_CERT" pending list --ca pki | awk '/agent-forgot/ { print $1 }')
sed -i 's/^expires=.*/expires=1/' "pki/enroll/requests/$RID/info"
! "$GW_CERT" pending list --ca pki | grep -q agent-forgot ||
    fail "an expired request is still listed"
rc=0; enroll agent-forgot --wait 10 >forgot2.log 2>&1 || rc=$?
expect_refused $rc forgot2.log request-expired
pass "pending request expired: $(tail -n 1 forgot2.log | cut -c1-80)"

# 7c. A revoked token; the token list tells each token's state.
REV=$("$GW_CERT" token create --ca pki --uses 5 --names "*" --comment "to revoke")
REV_ID=$("$GW_CERT" token list --ca pki | awk '/to revoke/ { print $1 }')
"$GW_CERT" token revoke --ca pki "$REV_ID" >/dev/null
rc=0; enroll agent-revtok --token "$REV" >revtok.log 2>&1 || rc=$?
expect_refused $rc revtok.log token-invalid
"$GW_CERT" token list --ca pki >tokens.txt
grep -q "^$REV_ID .* revoked .*to revoke" tokens.txt || fail "token list: $(cat tokens.txt)"
grep -q ' 1/1 .* used-up' tokens.txt || fail "token list shows no used-up token"
grep -q ' expired ' tokens.txt || fail "token list shows no expired token"
grep -q ' valid ' tokens.txt || fail "token list shows no valid token"
pass "revoked token refused; token list shows valid, used-up, expired, revoked"

# 8. A CSR whose signature does not verify, sent raw.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout bad.key -subj /CN=agent-bad -outform DER -out bad.der 2>/dev/null
len=$(stat -c %s bad.der)
last=$(od -An -tu1 -j $((len - 1)) bad.der | tr -d ' ')
printf "\\x$(printf %02x $((last ^ 1)))" |
    dd of=bad.der bs=1 seek=$((len - 1)) conv=notrunc 2>/dev/null
! openssl req -in bad.der -inform DER -noout -verify 2>&1 | grep -q 'verify OK' ||
    fail "the broken CSR still verifies"

hex() { printf '%0*x' "$1" "$2"; }
# send_csr NAME: NAME.der raw in an ENROLL; the answer in NAME.reply.
send_csr() {
	local len
	len=$(stat -c %s "$1.der")
	{
		# HELLO v1..1, max_payload 16384; then ENROLL ref 1 with the CSR.
		printf '%s' 01 00 0000 00000000 0000000c 0001 0001 00000000 00004000
		plen=$((4 + 2 + 2 + 2 + len + 2 + 2))
		printf '0b000000%s%s' "$(hex 8 0)" "$(hex 8 $plen)"
		printf '0000000100000000%s' "$(hex 4 "$len")"
		od -An -tx1 -v "$1.der" | tr -d ' \n'
		printf '00000000'
	} | xxd -r -p >"$1.frames"
	(cat "$1.frames"; sleep 2) | timeout 10 openssl s_client -quiet \
	    -connect "127.0.0.1:$ENROLL_PORT" >"$1.reply" 2>/dev/null || true
}
send_csr bad
status=$(od -An -tu1 -j 50 -N 4 bad.reply | awk '{ print $1 * 256 + $2, $3 * 256 + $4 }')
[ "$status" = "2 16" ] || fail "bad CSR: status/reason '$status', want '2 16' (refused bad-csr)"
grep -q 'status=refused reason=bad-csr' gatewayd.log || fail "gatewayd did not log the refusal"
! grep -q agent-bad mgmt.log || fail "the bad CSR reached gw-mgmt"
pass "CSR with a bad signature: refused bad-csr by the gateway"
# A valid CSR signed with MD5 (as OpenSSL still makes them): the cause is
# named to the agent and in the log, not "not a PKCS#10 request".
openssl req -new -md5 -newkey rsa:2048 -nodes -keyout md5.key \
    -subj /CN=agent-md5 -outform DER -out md5.der 2>/dev/null
send_csr md5
why='CSR refused by the gateway: CSR signed with MD5: weak signature'
grep -aqF "$why" md5.reply || fail "MD5 CSR: the answer does not say why: $(tr -cd '[:print:]' <md5.reply | cut -c1-120)"
grep -qF "reason=bad-csr rid= detail=\"$why\"" gatewayd.log ||
    fail "MD5 CSR: gatewayd did not log the cause"
pass "CSR signed with MD5: refused, the answer and the log say so"

# 9. Renewal over the live session.
now=$(date -u +%s)
"$GW_CERT" issue --ca pki --role agent --name agent-renew --out agents/agent-renew \
    --not-before "$(date -u -d @$((now - 2 * 86400)) +%Y%m%d%H%M%S)" \
    --not-after "$(date -u -d @$((now + 86400)) +%Y%m%d%H%M%S)" >/dev/null
old_serial=$(openssl x509 -in agents/agent-renew.crt -noout -serial)
seq 1 100 | sed 's/^/line /' >renew.txt
$(agent_cmd agent-renew --file renew.txt --rate 25 --renew 0.5 --timeout 60) \
    >agent-renew.log 2>&1 || fail "renewing agent failed: $(tail -n 3 agent-renew.log)"
grep -q 'event=cert_renewed' agent-renew.log || fail "no renewal: $(tail -n 3 agent-renew.log)"
[ "$(openssl x509 -in agents/agent-renew.crt -noout -serial)" != "$old_serial" ] ||
    fail "the certificate file was not replaced"
openssl x509 -in agents/agent-renew.crt -noout -checkend $((300 * 86400)) >/dev/null ||
    fail "the renewed certificate is not valid for a year"
openssl verify -CAfile pki/ca.crt agents/agent-renew.crt >/dev/null ||
    fail "the renewed certificate does not verify"
[ "$(grep -c 'event=agent_authenticated agent=agent-renew' gatewayd.log)" = 1 ] ||
    fail "the session was dropped during renewal"
export_store >export.jsonl
[ "$(grep -c '"agent":"agent-renew"' export.jsonl)" = 100 ] ||
    fail "agent-renew stored $(grep -c '"agent":"agent-renew"' export.jsonl) lines, want 100"
pass "renewal: new certificate over the live session, one session, 100 lines once"

# 10. The policy hook.
rc=0; enroll agent-auto-1 --wait 5 >auto.log 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "hook exit 0 did not sign: $(tail -n 1 auto.log)"
grep -q 'BEGIN CERTIFICATE REQUEST' hook.sh.last-csr || fail "the hook got no CSR"
rc=0; enroll agent-evil-1 --wait 5 >evil.log 2>&1 || rc=$?
expect_refused $rc evil.log denied
rc=0; enroll agent-slow-1 --wait 0 >slow.log 2>&1 || rc=$?
expect_refused $rc slow.log internal
grep -q 'no answer in 2s' slow.log || fail "the hook timeout is not explained: $(cat slow.log)"
pass "policy hook: signs (auto-*), denies (evil-*), fails closed after its timeout (slow-*)"

# 11. A standalone gateway signs with its own intermediate CA.
"$GW_CERT" ca --out inter --name "workgroup CA" --ca pki >/dev/null
LOCAL_TOKEN=$("$GW_CERT" token create --ca inter --uses 1 --names 'agent-wg*')
LGW_PORT=$(free_port)
LENROLL_PORT=$(free_port)
sed -e "s/^listen = 127.0.0.1:$GW_PORT/listen = 127.0.0.1:$LGW_PORT/" \
    -e "s/^listen = 127.0.0.1:$ENROLL_PORT/listen = 127.0.0.1:$LENROLL_PORT/" \
    gateway.ini >gateway-local.ini
printf 'mode = local\nca_dir = inter\n' >>gateway-local.ini
start gatewayd-local "$GATEWAYD" -c gateway-local.ini
wait_port "$LENROLL_PORT"
"$GW_AGENT" --gateway "127.0.0.1:$LGW_PORT" --enroll "127.0.0.1:$LENROLL_PORT" \
    --ca-fingerprint "$FP" --token "$LOCAL_TOKEN" --name agent-wg1 \
    --key agents/agent-wg1.key --cert agents/agent-wg1.crt --ca agents/ca-wg.crt \
    --file lines.txt --timeout 30 >agent-wg1.log 2>&1 ||
    fail "enrollment at the standalone gateway failed: $(tail -n 3 agent-wg1.log)"
openssl verify -CAfile pki/ca.crt -untrusted inter/ca.crt agents/agent-wg1.crt >/dev/null ||
    fail "the local certificate does not chain through the intermediate"
[ "$(openssl x509 -in agents/agent-wg1.crt -noout -issuer | sed 's/.*CN *= *//;s/,.*//')" = "workgroup CA" ] ||
    fail "agent-wg1 was not signed by the workgroup CA"
! grep -q agent-wg1 mgmt.log || fail "the standalone gateway forwarded its request"
export_store >export.jsonl
[ "$(grep -c '"agent":"agent-wg1"' export.jsonl)" = 50 ] || fail "agent-wg1 did not stream"
pass "standalone gateway: signed by its intermediate CA, nothing forwarded, 50 lines streamed"

# 12. Revocation by name finds the enrolled certificate.
"$GW_CERT" revoke --ca pki --name agent-new >revoke.log || fail "revoke --name failed"
"$GW_CERT" list --ca pki | grep -q 'agent-new .*revoked' ||
    fail "agent-new is not revoked: $("$GW_CERT" list --ca pki | grep agent-new)"
openssl crl -in pki/ca.crl -noout -text | grep -qi "$(openssl x509 -in agents/agent-new.crt -noout -serial | cut -d= -f2)" ||
    fail "agent-new's serial is not on the CRL"
pass "gw-cert revoke --name: $(cut -c1-90 revoke.log)"

# Nothing ever logged a token.
for t in "$TOKEN" "$OLD" "$WEB" "$LOCAL_TOKEN" "$REV"; do
	! grep -qF -- "$t" ./*.log || fail "a token appears in $(grep -lF -- "$t" ./*.log)"
done
pass "no token in any log"
