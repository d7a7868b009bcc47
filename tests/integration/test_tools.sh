#!/usr/bin/env bash
# The command-line tools as an operator meets them: gw-cert's certificates
# checked by an independent X.509 implementation (openssl) for chain, key
# usages, extended key usages per role, SANs and key file modes; and
# --check-config of gatewayd and gw-mgmt naming file, line and key.
source "$(dirname "$0")/lib.sh" "$@"
cd "$T"

# --- gw-cert ---------------------------------------------------------------
make_pki pki
"$GW_CERT" issue --ca pki --role agent --name agent-a --dns a.example \
    --ip 10.0.0.7 --ip ::1 --out pki/agent-a >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-rsa --rsa 2048 \
    --out pki/agent-rsa >/dev/null
"$GW_CERT" issue --ca pki --role agent --name agent-old \
    --not-before 20200101000000 --not-after 20210101000000 \
    --out pki/agent-old >/dev/null

openssl verify -CAfile pki/ca.crt pki/gateway.crt pki/mgmt.crt \
    pki/agent-a.crt pki/agent-rsa.crt >verify.log 2>&1 ||
    fail "openssl does not verify the chain: $(cat verify.log)"
if openssl verify -CAfile pki/ca.crt pki/agent-old.crt >/dev/null 2>&1; then
	fail "an expired certificate verifies"
fi
pass "chains verify with openssl; the expired one does not"

text() { openssl x509 -in "$1" -noout -text; }
expect() { # expect FILE PATTERN WHAT
	text "$1" | grep -q -- "$2" || fail "$1: no $3 ('$2')"
}
refuse() { # refuse FILE PATTERN WHAT
	if text "$1" | grep -q -- "$2"; then fail "$1: unexpected $3"; fi
}
expect pki/ca.crt 'CA:TRUE' "CA basic constraint"
expect pki/ca.crt 'Certificate Sign, CRL Sign' "CA key usage"
expect pki/gateway.crt 'CA:FALSE' "leaf basic constraint"
expect pki/gateway.crt 'TLS Web Server Authentication, TLS Web Client Authentication' "gateway EKU"
expect pki/mgmt.crt 'TLS Web Server Authentication' "mgmt EKU"
refuse pki/mgmt.crt 'TLS Web Client Authentication' "client EKU on mgmt"
expect pki/agent-a.crt 'TLS Web Client Authentication' "agent EKU"
refuse pki/agent-a.crt 'TLS Web Server Authentication' "server EKU on an agent"
expect pki/agent-a.crt 'DNS:agent-a' "DNS SAN of the name"
expect pki/agent-a.crt 'DNS:a.example' "--dns SAN"
expect pki/agent-a.crt 'IP Address:10.0.0.7' "--ip SAN"
expect pki/agent-a.crt 'IP Address:0:0:0:0:0:0:0:1' "--ip v6 SAN"
expect pki/agent-a.crt 'ecdsa-with-SHA256' "ECDSA P-256 signature"
expect pki/agent-rsa.crt 'Public-Key: (2048 bit)' "RSA 2048 key"
expect pki/agent-rsa.crt 'Key Encipherment' "RSA key usage"
pass "key usages, EKUs per role and SANs are right"

for k in pki/ca.key pki/gateway.key pki/agent-a.key pki/agent-rsa.key; do
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k has mode $(stat -c %a "$k")"
done
pass "keys are mode 0600"

"$GW_CERT" show pki/agent-a.crt >show.txt
grep -qx 'name: agent-a' show.txt || fail "show: name"
grep -qx 'san: .*DNS:a.example.*' show.txt || fail "show: san"
grep -qx 'not_after: 20[0-9-]*T[0-9:]*Z' show.txt || fail "show: not_after"
ours=$("$GW_CERT" fingerprint pki/agent-a.crt)
theirs=$(openssl x509 -in pki/agent-a.crt -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr A-F a-f)
[ "$ours" = "$theirs" ] || fail "fingerprint $ours, openssl says $theirs"
grep -qx "sha256: $ours" show.txt || fail "show: sha256"
pass "show and fingerprint agree with openssl ($ours)"

rc=0; "$GW_CERT" ca --out pki --name again >/dev/null 2>err.txt || rc=$?
[ $rc -eq 1 ] && grep -q 'ca.key: exists' err.txt || fail "ca overwrote a CA (rc $rc)"
rc=0; "$GW_CERT" issue --ca pki --role boss --name x --out x 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "a bad role gave exit $rc, want 2"
pass "an existing CA is not overwritten; usage errors exit 2"

"$GW_CERT" revoke --ca pki --cert pki/agent-rsa.crt >/dev/null
"$GW_CERT" list --ca pki >list.txt
grep -q ' agent-a .* valid$' list.txt || fail "list: agent-a not valid: $(cat list.txt)"
grep -q ' agent-rsa .* revoked$' list.txt || fail "list: agent-rsa not revoked"
grep -q ' agent-old .* 2021-01-01 expired$' list.txt || fail "list: agent-old not expired"
openssl verify -crl_check -CRLfile pki/ca.crl -CAfile pki/ca.crt pki/agent-rsa.crt \
    >/dev/null 2>&1 && fail "openssl does not see agent-rsa revoked in gw-cert's CRL"
openssl verify -crl_check -CRLfile pki/ca.crl -CAfile pki/ca.crt pki/agent-a.crt \
    >/dev/null 2>&1 || fail "openssl rejects gw-cert's CRL"
pass "revoke writes a CRL openssl accepts; list shows valid, revoked, expired"

# --- --check-config ----------------------------------------------------------
write_configs
"$GATEWAYD" --check-config gateway.ini >out.txt 2>&1 || fail "gateway.ini: $(cat out.txt)"
"$GW_MGMT" --check-config mgmt.ini >out.txt 2>&1 || fail "mgmt.ini: $(cat out.txt)"
cat >bad-gw.ini <<EOT
[gateway]
cert = pki/gateway.crt
key = pki/gateway.key
agent_ca = pki/ca.crt
max_agents = lots
colour = blue
[upstream]
server = 127.0.0.1:1
ca = pki/ca.crt
EOT
rc=0; "$GATEWAYD" --check-config bad-gw.ini >out.txt 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "gatewayd accepted bad-gw.ini"
grep -q 'bad-gw.ini:5: \[gateway\] max_agents: ' out.txt || fail "no line 5 error: $(cat out.txt)"
grep -q 'bad-gw.ini:6: \[gateway\] colour: ' out.txt || fail "no line 6 error: $(cat out.txt)"
pass "gatewayd --check-config: exit $rc, $(head -n 1 out.txt)"

sed 's|key = pki/gateway.key|key = pki/missing.key|; /max_agents/d; /colour/d' \
    bad-gw.ini >nokey.ini
rc=0; "$GATEWAYD" --check-config nokey.ini >out.txt 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q 'missing.key' out.txt || fail "a missing key file passed: $(cat out.txt)"
pass "gatewayd --check-config loads the files it names: $(head -n 1 out.txt)"

printf '[mgmt]\ncert = pki/mgmt.crt\nkey = pki/mgmt.key\ngateway_ca = pki/ca.crt\n[store]\nbatch_max = 0\n' >bad-mgmt.ini
rc=0; "$GW_MGMT" --check-config bad-mgmt.ini >out.txt 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q 'bad-mgmt.ini:6: \[store\] batch_max: ' out.txt ||
    fail "gw-mgmt: $(cat out.txt)"
pass "gw-mgmt --check-config: exit $rc, $(head -n 1 out.txt)"

# gw-cert as root in a CA directory a service owns (gw-mgmt's ca_dir): it
# works as that owner, so what it creates (tokens, the token key,
# certificates) is the service's, and a link the service planted cannot
# make root write through it.
if [ "$(id -u)" = 0 ] && getent passwd nobody >/dev/null; then
	chmod 711 "$T"
	mkdir svc && chown "nobody:$(id -gn nobody)" svc
	"$GW_CERT" ca --out svc/pki --name "service CA" >/dev/null 2>ca.err
	grep -q "working as nobody, the owner of svc" ca.err || fail "gw-cert ca: $(cat ca.err)"
	"$GW_CERT" token create --ca svc/pki --uses 1 --ttl 1h --names "*" >/dev/null 2>&1
	"$GW_CERT" issue --ca svc/pki --role agent --name agent-x --out svc/pki/agent-x >/dev/null 2>&1
	bad=$(find svc/pki ! -user nobody | head -n 3)
	[ -z "$bad" ] || fail "gw-cert as root left files the CA directory's owner cannot use: $bad"
	echo "root's" >victim && chmod 600 victim
	rm svc/pki/issued.txt && ln -s "$T/victim" svc/pki/issued.txt
	"$GW_CERT" issue --ca svc/pki --role agent --name agent-y --out svc/pki/agent-y >/dev/null 2>&1 || true
	[ "$(cat victim)" = "root's" ] && [ "$(stat -c %U victim)" = root ] ||
	    fail "gw-cert as root wrote through a link in the CA directory: $(stat -c %U victim) $(cat victim)"
	pass "gw-cert as root in a directory of nobody: works as nobody ($(find svc/pki | wc -l) files, all nobody's); a planted link leads nowhere"
else
	echo "skip: gw-cert as root in a directory a service owns (not root)"
fi
