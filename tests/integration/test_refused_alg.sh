#!/usr/bin/env bash
# Agents refused for the algorithms of their certificate (issue 18): each
# connects with openssl s_client, TLS 1.3 and 1.2, to gatewayd, whose
# event=agent_refused line must name the cause, not an mbedTLS string:
#   ECDSA leaf signed with SHA-1            weak-signature (verify flags)
#   RSA-1024 leaf                           weak-key (verify flags)
#   RSA leaf signed with MD5 (by an RSA     unsupported-signature: mbedTLS
#     intermediate; sent alone)               skips it (1.2: verifies an
#                                             empty leaf; 1.3: fails parsing)
#   P-521 leaf                              1.2: unsupported-key-type (the
#                                             parse fails); 1.3: OpenSSL sends
#                                             no certificate (no signature
#                                             algorithm fits): no-certificate,
#                                             saying why a client sends none
#   Ed25519 leaf                            no-certificate, the same
# and a P-256 leaf signed with SHA-256 is authenticated.  Then the alert:
# over TLS 1.3, an OpenSSL client refused for an unknown CA, a weak key or
# no certificate reads the alert naming it, where it saw "bad record mac"
# (mbedTLS protected the alert with its handshake keys after its Finished:
# cmake/mbedtls-patches/0002).
source "$(dirname "$0")/lib.sh" "$@"

cd "$T"
make_pki pki
mkdir -p agents
write_configs
start_mgmt
start_gateway

cat >ext.cnf <<'EOT'
[agent]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
EOT
# leaf NAME MD CA KEYGEN...: agents/NAME.{key,crt}, its key made by
# openssl genpkey KEYGEN..., signed by CA (.crt, .key) with MD.
leaf() {
	local name=$1 md=$2 ca=$3; shift 3
	openssl genpkey "$@" -out "agents/$name.key" 2>/dev/null
	openssl req -new -key "agents/$name.key" -subj "/CN=$name" \
	    -out "agents/$name.csr"
	openssl x509 -req -in "agents/$name.csr" -CA "$ca.crt" \
	    -CAkey "$ca.key" -CAcreateserial -days 1 "-$md" -extfile ext.cnf \
	    -extensions agent -out "agents/$name.crt" 2>/dev/null
}
EC=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256)
RSA=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048)
leaf agent-ok sha256 pki/ca "${EC[@]}"
leaf agent-sha1 sha1 pki/ca "${EC[@]}"
leaf agent-rsa1024 sha256 pki/ca -algorithm RSA -pkeyopt rsa_keygen_bits:1024
leaf agent-p521 sha256 pki/ca -algorithm EC -pkeyopt ec_paramgen_curve:P-521
leaf agent-ed25519 sha256 pki/ca -algorithm ED25519
# ECDSA has no MD5: an RSA intermediate signs agent-md5.
openssl req -new -newkey rsa:2048 -nodes -keyout inter.key \
    -subj "/CN=RSA issuing CA" -out inter.csr 2>/dev/null
openssl x509 -req -in inter.csr -CA pki/ca.crt -CAkey pki/ca.key \
    -CAcreateserial -days 1 -sha256 -extfile ext.cnf -extensions ca \
    -out inter.crt 2>/dev/null
leaf agent-md5 md5 inter "${RSA[@]}"
openssl x509 -in agents/agent-md5.crt -noout -text |
    grep -q 'Signature Algorithm: md5WithRSAEncryption' ||
    fail "openssl did not sign agent-md5 with MD5"

# try NAME VERSION PATTERN: NAME's certificate (and key) over openssl
# s_client -VERSION (security level 0: it would not send a SHA-1 or RSA-1024
# certificate), then gatewayd's next line about an agent must match PATTERN.
try() {
	local name=$1 v=$2 want=$3 n i line=
	n=$(grep -c 'event=agent_' gatewayd.log || true)
	timeout 10 openssl s_client "-$v" -connect "127.0.0.1:$GW_PORT" \
	    -CAfile pki/ca.crt -cert "agents/$name.crt" \
	    -key "agents/$name.key" \
	    -cipher DEFAULT@SECLEVEL=0 </dev/null >"s_client-$name-$v.log" \
	    2>&1 || true
	for ((i = 0; i < 50; i++)); do
		line=$(grep 'event=agent_' gatewayd.log | tail -n +$((n + 1)) |
		    head -n 1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	[ -n "$line" ] || fail "$name $v: gatewayd logged nothing"
	grep -qE -- "$want" <<<"$line" ||
	    fail "$name $v: want '$want', got: ${line#*event=}"
	pass "$name $v: ${line#*event=}"
}
AUTH='event=agent_authenticated agent=agent-ok'
REFUSED='event=agent_refused peer=[^ ]* reason=tls-handshake detail="certificate'
SENT_NONE="$REFUSED no-certificate: the client sent none .*Ed25519, P-521"
for v in tls1_3 tls1_2; do
	try agent-ok $v "$AUTH"
	try agent-sha1 $v "$REFUSED weak-signature: "
	try agent-rsa1024 $v "$REFUSED weak-key: "
	try agent-md5 $v "$REFUSED unsupported-signature: signed with an algorithm not built in"
	try agent-ed25519 $v "$SENT_NONE"
done
try agent-p521 tls1_3 "$SENT_NONE"
try agent-p521 tls1_2 "$REFUSED unsupported-key-type: an EC key on a curve other than P-256 and P-384\""

# alert NAME WANT: over TLS 1.3, openssl s_client with NAME's certificate
# (none if NAME is -) reads the alert WANT ("unknown ca").  Its input stays
# open a while: it reads after the handshake, and the alert comes then.
alert() {
	local name=$1 want=$2 log=alert-$1.log cert=()
	[ "$name" = - ] || cert=(-cert "agents/$name.crt" -key "agents/$name.key")
	sleep 3 | timeout 10 openssl s_client -tls1_3 \
	    -connect "127.0.0.1:$GW_PORT" -CAfile pki/ca.crt "${cert[@]}" \
	    -cipher DEFAULT@SECLEVEL=0 >"$log" 2>&1 || true
	grep -q "bad record mac" "$log" &&
	    fail "$name: the client could not read the alert: $(grep -m1 'bad record mac' "$log")"
	grep -q "alert $want" "$log" ||
	    fail "$name: no '$want' alert: $(grep -m1 -E 'alert|error' "$log" || true)"
	pass "${name/#-/no certificate}, TLS 1.3: $(grep -m1 -o "alert $want.*" "$log" | cut -d: -f1)"
}
"$GW_CERT" ca --out other --name "some other CA" >/dev/null
leaf agent-foreign sha256 other/ca "${EC[@]}"
alert agent-foreign "unknown ca"
alert agent-rsa1024 "unsupported certificate"
alert - "no certificate"
