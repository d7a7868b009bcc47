#!/usr/bin/env bash
# gw-agent keeps the key type an operator's PKI asks for (issue 18):
#   - enrollment makes the key asked for: --rsa BITS or --ec p256|p384, not
#     both (a usage error, exit 2, as for gw-cert; --ec p521 too);
#   - an agent enrolled with --rsa 3072 renews over its live session and
#     its new certificate's key is RSA 3072 again (event=renewal_requested
#     key=rsa-3072), not the ECDSA P-256 every renewal used to make;
#   - an agent enrolled with --ec p384 gets a P-384 key, and so does its
#     renewal.
# The authority here signs for 2 days and renews after 1 percent of that,
# and the agents renew with 0.99 of their validity left: a certificate just
# issued (valid from an hour ago) is due at once.
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents
FP=$("$GW_CERT" fingerprint pki/ca.crt)
ENROLL_PORT=$(free_port)
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT"
MGMT_TAIL="[enroll]
ca_dir = pki
cert_days = 2
renew_after = 1"
write_configs
start_mgmt
start_gateway
wait_port "$ENROLL_PORT"
TOKEN=$("$GW_CERT" token create --ca pki --uses 2 --ttl 1h --names 'agent-*')

# enroll NAME [args]: gw-agent enroll into agents/NAME.{key,crt}.
enroll() {
	local name=$1; shift
	"$GW_AGENT" enroll --enroll "127.0.0.1:$ENROLL_PORT" \
	    --ca-fingerprint "$FP" --name "$name" --key "agents/$name.key" \
	    --cert "agents/$name.crt" --ca agents/ca.crt "$@"
}
# keytype FILE: gw-cert show's "key:" line of certificate FILE.
keytype() { "$GW_CERT" show "$1" | sed -n 's/^key: //p'; }
# renew NAME: gw-agent NAME streams 10 lines with its input open until it
# has renewed its certificate (60 s at most); its log in NAME.log.
renew() {
	local name=$1
	{
		seq 1 10 | sed "s/^/$name line /"
		for _ in $(seq 600); do
			grep -q event=cert_renewed "$name.log" 2>/dev/null && break
			sleep 0.1
		done
	} | $(agent_cmd "$name" --renew 0.99 --timeout 90) >"$name.log" 2>&1 ||
	    fail "$name failed: $(tail -n 3 "$name.log")"
	grep -q event=cert_renewed "$name.log" ||
	    fail "$name did not renew: $(tail -n 3 "$name.log")"
}

# 1. --rsa with --ec: a usage error, nothing made; an unknown curve too.
for args in "--rsa 2048 --ec p384" "--ec p384 --rsa 2048" "--ec p521"; do
	rc=0
	# shellcheck disable=SC2086
	enroll agent-both --token "$TOKEN" $args >both.log 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "enroll $args: exit $rc, want 2 (usage)"
	! grep -q unrecognized both.log || fail "enroll $args: --ec unknown"
	grep -qF -- '--rsa BITS | --ec p256|p384' both.log ||
	    fail "enroll $args: the usage does not offer --ec"
	[ ! -e agents/agent-both.key ] || fail "enroll $args made a key"
done
"$GW_AGENT" --gateway 127.0.0.1:1 --cert x --key x --ca x --rsa 3072 \
    --ec p256 >both.log 2>&1 </dev/null && rc=0 || rc=$?
[ $rc -eq 2 ] || fail "gw-agent --rsa 3072 --ec p256: exit $rc, want 2"
# gw-cert reads --ec with the same code (pki_ec_parse).
for args in "--rsa 2048 --ec p384" "--ec p521"; do
	rc=0
	# shellcheck disable=SC2086
	"$GW_CERT" ca --out ca-both --name both $args >both.log 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "gw-cert ca $args: exit $rc, want 2 (usage)"
done
"$GW_CERT" issue --ca pki --role agent --name agent-ec --ec p384 \
    --out agents/agent-ec >/dev/null
[ "$(keytype agents/agent-ec.crt)" = "ECDSA P-384" ] ||
    fail "gw-cert issue --ec p384 made $(keytype agents/agent-ec.crt)"
pass "--rsa with --ec, and --ec p521: usage errors (exit 2) for gw-agent and gw-cert, no key made"

# 2. RSA 3072: enrolled, then renewed as RSA 3072.
enroll agent-rsa --token "$TOKEN" --rsa 3072 >agent-rsa-enroll.log 2>&1 ||
    fail "enroll --rsa 3072 failed: $(tail -n 2 agent-rsa-enroll.log)"
[ "$(keytype agents/agent-rsa.crt)" = "RSA 3072" ] ||
    fail "enrolled with --rsa 3072, got $(keytype agents/agent-rsa.crt)"
old_serial=$(openssl x509 -in agents/agent-rsa.crt -noout -serial)
renew agent-rsa
[ "$(openssl x509 -in agents/agent-rsa.crt -noout -serial)" != "$old_serial" ] ||
    fail "agent-rsa: the certificate file was not replaced"
[ "$(keytype agents/agent-rsa.crt)" = "RSA 3072" ] ||
    fail "agent-rsa renewed as $(keytype agents/agent-rsa.crt), want RSA 3072"
openssl pkey -in agents/agent-rsa.key -noout -text | grep -q '(3072 bit' ||
    fail "agent-rsa's new key is not RSA 3072"
openssl verify -CAfile pki/ca.crt agents/agent-rsa.crt >/dev/null ||
    fail "agent-rsa's renewed certificate does not verify"
grep -q 'event=renewal_requested name=agent-rsa key=rsa-3072' agent-rsa.log ||
    fail "the renewal does not say key=rsa-3072: $(grep renewal_requested agent-rsa.log)"
! grep 'event=renewal_requested' agent-rsa.log | grep -v key=rsa-3072 ||
    fail "agent-rsa asked for another kind of key"
pass "RSA 3072: enrolled, renewed over its session, new key RSA 3072 ($(grep -c event=cert_renewed agent-rsa.log) renewals)"

# 3. P-384: enrolled with --ec p384, renewed as P-384.
enroll agent-p384 --token "$TOKEN" --ec p384 >agent-p384-enroll.log 2>&1 ||
    fail "enroll --ec p384 failed: $(tail -n 2 agent-p384-enroll.log)"
[ "$(keytype agents/agent-p384.crt)" = "ECDSA P-384" ] ||
    fail "enrolled with --ec p384, got $(keytype agents/agent-p384.crt)"
old_serial=$(openssl x509 -in agents/agent-p384.crt -noout -serial)
renew agent-p384
[ "$(openssl x509 -in agents/agent-p384.crt -noout -serial)" != "$old_serial" ] ||
    fail "agent-p384: the certificate file was not replaced"
[ "$(keytype agents/agent-p384.crt)" = "ECDSA P-384" ] ||
    fail "agent-p384 renewed as $(keytype agents/agent-p384.crt), want P-384"
openssl pkey -in agents/agent-p384.key -noout -text | grep -q secp384r1 ||
    fail "agent-p384's new key is not on P-384"
grep -q 'event=renewal_requested name=agent-p384 key=ecdsa-p384' agent-p384.log ||
    fail "the renewal does not say key=ecdsa-p384"
pass "P-384: enrolled with --ec p384, renewed over its session, new key P-384"

# Every line of both agents stored once.
export_store >export.jsonl
for a in agent-rsa agent-p384; do
	[ "$(grep -c "\"agent\":\"$a\"" export.jsonl)" = 10 ] ||
	    fail "$a stored $(grep -c "\"agent\":\"$a\"" export.jsonl) lines, want 10"
done
pass "both agents' 10 lines stored once"
