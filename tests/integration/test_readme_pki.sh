#!/usr/bin/env bash
# README's "Using your own PKI", run as written, so that it stays true.
# For each shape of "enterprise" CA below, this test makes the CA the
# README assumes (root-ca.crt; issuing-ca.crt and issuing-ca.key, the CA
# that signs, with the usual CRL, AIA and policy extensions; and the
# issuing CA's CRL), runs the shell block between <!-- pki-commands:begin
# --> and <!-- pki-commands:end --> in its directory, puts the files where
# the README's table says, starts gw-mgmt and gatewayd on the keys of the
# <!-- pki-mgmt-ini --> and <!-- pki-gateway-ini --> blocks, and runs the
# gw-agent line of <!-- pki-agent -->: its lines must be stored by gw-mgmt,
# the agent's and gatewayd's links both TLS 1.3.  Only the README's example
# addresses are replaced by 127.0.0.1 (its ports by this test's) and the
# agent's input file by one of ours.  A README command that fails, a wrong
# extension, name, key or file fails the test.
#
# The shapes:
#   ec-under-rsa   RSA-2048 root (PKCS#1 v1.5) -> ECDSA P-256 issuing CA ->
#                  P-256 leaves: the README as written;
#   rsa-from-root  RSA-2048 root signs RSA-2048 leaves itself, with RSA-PSS:
#                  the README's comments for RSA keys, for PSS signatures
#                  and for a root that signs directly;
#   rsa-enterprise RSA-2048 root -> RSA-2048 issuing CA -> RSA-2048 leaves
#                  (2,074 bytes of chain: refused at start while records
#                  were 2 KiB, d75d781).
source "$(dirname "$0")/lib.sh" "$@"
README=$SRC/README.md

# block NAME: README's one code block between <!-- NAME:begin --> and
# <!-- NAME:end -->, without its fences, in $T/NAME.txt.
block() {
	local n
	n=$(grep -c -x "<!-- $1:begin -->" "$README" || true)
	[ "$n" = 1 ] || fail "README.md has $n blocks marked $1 (want 1)"
	awk -v b="<!-- $1:begin -->" -v e="<!-- $1:end -->" '
	$0 == b { on = 1; next }
	$0 == e { on = 0 }
	on && !/^```/ { print }' "$README" >"$T/$1.txt"
	[ -s "$T/$1.txt" ] || fail "README.md block $1 is empty"
}

# localize NAME OUT WANT...: block NAME with the README's example
# addresses, ports and input file made this test's, in OUT; each WANT must
# be in the block.
localize() {
	local name=$1 out=$2 want
	shift 2
	for want in "$@"; do
		grep -qF -- "$want" "$T/$name.txt" || fail "README.md block \
$name no longer has '$want': update the test"
	done
	sed -e "s/192\.0\.2\.10:7443/127.0.0.1:$GW_PORT/g" \
	    -e "s/10\.1\.0\.10:7444/127.0.0.1:$MGMT_PORT/g" \
	    -e 's/192\.0\.2\.10/127.0.0.1/g' -e 's/10\.1\.0\.10/127.0.0.1/g' \
	    -e "s|/var/log/events\.jsonl|$T/lines.txt|g" "$T/$name.txt" >"$out"
}

# swap FILE FROM TO: replace the text FROM by TO in FILE, which must have it.
swap() {
	grep -qF -- "$2" "$1" ||
	    fail "README.md's pki-commands no longer have '$2': update the test"
	FROM=$2 TO=$3 perl -0pi -e 's/\Q$ENV{FROM}\E/$ENV{TO}/g' "$1"
}

# okey KT FILE: a private key of type KT (rsaBITS, p256, p384).
okey() {
	case $1 in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt \
	    "rsa_keygen_bits:${1#rsa}" -out "$2" 2>/dev/null ;;
	p*) openssl genpkey -algorithm EC \
	    -pkeyopt "ec_paramgen_curve:P-${1#p}" -out "$2" ;;
	esac
}

# der_sizes FILE: the DER bytes of each certificate in FILE.
der_sizes() {
	local pem
	awk '/BEGIN CERT/ { f = "cert" NR ".pem" } f { print > f }
	    /END CERT/ { close(f); print f; f = "" }' "$1" |
	while read -r pem; do
		printf ' %s' "$(openssl x509 -in "$pem" -outform der | wc -c)"
		rm -f "$pem"
	done
}

cat >"$T/ent.cnf" <<'EOT'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[issuing]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://pki.example.com/crl/root-ca.crl
authorityInfoAccess = caIssuers;URI:http://pki.example.com/aia/root-ca.crt
certificatePolicies = 1.3.6.1.4.1.32473.1.1
[crl]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 30
EOT

# enterprise_ca ROOT_KT ISSUING_KT: the operator's CA in the current
# directory; ISSUING_KT "root": the root signs itself.  The CA that signs
# has the DN README's agent_issuers example names.
enterprise_ca() {
	local cn="Example Root CA"
	[ "$2" != root ] || cn="Example Issuing CA"
	okey "$1" root-ca.key
	openssl req -new -key root-ca.key -out root-ca.csr \
	    -subj "/O=Example Corp/CN=$cn"
	openssl x509 -req -in root-ca.csr -signkey root-ca.key -days 30 \
	    -sha256 -extfile "$T/ent.cnf" -extensions root \
	    -out root-ca.crt 2>/dev/null
	if [ "$2" = root ]; then
		cp root-ca.crt issuing-ca.crt
		cp root-ca.key issuing-ca.key
	else
		okey "$2" issuing-ca.key
		openssl req -new -key issuing-ca.key -out issuing-ca.csr \
		    -subj "/O=Example Corp/CN=Example Issuing CA"
		openssl x509 -req -in issuing-ca.csr -CA root-ca.crt \
		    -CAkey root-ca.key -days 30 -sha256 -extfile "$T/ent.cnf" \
		    -extensions issuing -out issuing-ca.crt 2>/dev/null
	fi
	# The issuing CA's CRL, as it publishes it (nothing revoked).
	: >index.txt
	echo 01 >crlnumber
	openssl ca -config "$T/ent.cnf" -name crl -gencrl \
	    -keyfile issuing-ca.key -cert issuing-ca.crt \
	    -out issuing-ca.crl 2>/dev/null
	[ -s root-ca.crt ] && [ -s issuing-ca.crt ] && [ -s issuing-ca.crl ] ||
	    fail "could not make the enterprise CA"
	rm -f ./*.csr
}

# started NAME PORT: 0 once NAME (started by start) accepts on PORT; 1 if
# it exited first.
started() {
	local pid i
	pid=$(eval echo "\$PID_${1//-/_}")
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	fail "$1 neither listens on $2 nor exits"
}

printf 'readme pki line %s\n' 1 2 3 4 5 >"$T/lines.txt"
block pki-commands
block pki-gateway-ini
block pki-mgmt-ini
block pki-agent
RESULTS=()

# run_shape NAME ROOT_KT ISSUING_KT LEAF_KT: the README on that CA.
run_shape() {
	local s=$1 d=$T/$1 rc sizes="" f n glog mlog
	local rsa="-algorithm RSA -pkeyopt rsa_keygen_bits:${4#rsa}"
	local pss="-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest"
	mkdir -p "$d/ca" "$d/gw/pki" "$d/mgmt/pki" "$d/agent"
	cd "$d/ca" || fail "no $d/ca"
	enterprise_ca "$2" "$3"
	GW_PORT=$(free_port)
	MGMT_PORT=$(free_port)

	# --- README: keys, requests, signatures, chains -----------------
	localize pki-commands commands.sh IP:192.0.2.10 IP:10.1.0.10
	if [ "$4" != p256 ]; then
		# The README's RSA keys, as its comment gives them.
		swap commands.sh "#   openssl genpkey $rsa -out NAME.key" ""
		swap commands.sh \
		    "-algorithm EC -pkeyopt ec_paramgen_curve:P-256" "$rsa"
	fi
	if [ "$3" = root ]; then
		# The root signs directly: its comments, PSS and the leaf alone.
		swap commands.sh "# -sigopt rsa_padding_mode:pss \
-sigopt rsa_pss_saltlen:digest)." ""
		swap commands.sh "-sha256 -extfile" "-sha256 $pss -extfile"
		swap commands.sh "#   cp \$name.leaf \$name.crt" ""
		swap commands.sh "cat \$name.leaf issuing-ca.crt >\$name.crt" \
		    "cp \$name.leaf \$name.crt"
	fi
	rc=0
	bash -euo pipefail commands.sh >"$T/$s-commands.log" 2>&1 || rc=$?
	# (Without openssl's progress dots of RSA key generation.)
	[ $rc = 0 ] || fail "$s: README.md pki-commands failed (exit $rc): \
$(grep -v -x '[.+*]*' "$T/$s-commands.log" | tail -n 5)"
	for f in gw-dmz1 mgmt1 agent-web01; do
		[ -s "$f.crt" ] && [ -s "$f.key" ] ||
		    fail "$s: README.md pki-commands made no $f.crt and $f.key"
		n=2
		[ "$3" != root ] || n=1
		[ "$(grep -c 'BEGIN CERTIFICATE' "$f.crt")" = $n ] ||
		    fail "$s: $f.crt does not hold $n certificates"
		sizes+=" $f$(der_sizes "$f.crt"),"
	done
	openssl x509 -in gw-dmz1.leaf -noout -text >leaf.txt
	case $4 in
	p256) grep -q "ASN1 OID: prime256v1" leaf.txt ;;
	rsa*) grep -q "Public-Key: (${4#rsa} bit)" leaf.txt ;;
	esac || fail "$s: gw-dmz1's key is not $4"
	if [ "$3" = root ]; then
		grep -q "Signature Algorithm: rsassaPss" leaf.txt ||
		    fail "$s: gw-dmz1.leaf is not PSS-signed"
	fi
	echo "$s: DER bytes of each chain's certificates:${sizes%,}"

	# --- deployed as the README's table says -------------------------
	install -m 0644 gw-dmz1.crt "$d/gw/pki/gateway.crt"
	install -m 0600 gw-dmz1.key "$d/gw/pki/gateway.key"
	install -m 0644 mgmt1.crt "$d/mgmt/pki/mgmt.crt"
	install -m 0600 mgmt1.key "$d/mgmt/pki/mgmt.key"
	for f in gw mgmt; do
		install -m 0644 root-ca.crt "$d/$f/pki/ca.crt"
		install -m 0644 issuing-ca.crl "$d/$f/pki/ca.crl"
	done
	install -m 0644 agent-web01.crt root-ca.crt "$d/agent/"
	install -m 0600 agent-web01.key "$d/agent/"

	# The README's keys, and what a test needs besides (its ports, a
	# store, one quick link), after each section's header.
	localize pki-gateway-ini gw.ini 10.1.0.10:7444
	awk -v gw="$GW_PORT" '{ print }
	/^\[gateway\]$/ { print "listen = 127.0.0.1:" gw
	    print "name = gw-dmz1" }
	/^\[upstream\]$/ { print "connections = 1"; print "backoff_min = 50ms";
	    print "backoff_max = 1s" }' gw.ini >"$d/gw/gateway.ini"
	localize pki-mgmt-ini mgmt.ini
	awk -v m="$MGMT_PORT" -v db="$d/mgmt/store.db" '{ print }
	/^\[mgmt\]$/ { print "listen = 127.0.0.1:" m }
	END { print "[store]"; print "database = " db }' mgmt.ini \
	    >"$d/mgmt/mgmt.ini"

	glog=$T/gatewayd-$s.log mlog=$T/mgmt-$s.log
	start "mgmt-$s" "$GW_MGMT" -c "$d/mgmt/mgmt.ini"
	if started "mgmt-$s" "$MGMT_PORT"; then
		start "gatewayd-$s" "$GATEWAYD" -c "$d/gw/gateway.ini"
		started "gatewayd-$s" "$GW_PORT" || mlog=$glog
	fi
	f=$(eval echo "\${PID_gatewayd_${s//-/_}:-}")
	if [ -z "$f" ] || ! kill -0 "$f" 2>/dev/null; then
		fail "$s: $(basename "$mlog" .log) did not start: \
$(tail -n 1 "$mlog")"
	fi
	wait_log "$glog" "event=upstream_up .*tls=TLSv1.3/" 10
	wait_log "$mlog" \
	    "event=gateway_authenticated gateway=gw-dmz1 .*tls=TLSv1.3/" 5

	# --- README: the agent -------------------------------------------
	localize pki-agent agent.sh 192.0.2.10:7443 /var/log/events.jsonl
	grep -q '^gw-agent ' agent.sh ||
	    fail "README.md pki-agent is not a gw-agent command"
	sed -e 's/\\$//' agent.sh | tr '\n' ' ' |
	    sed "s|^gw-agent |\"\$GW_AGENT\" |; s|\$| --timeout 20|" >agent1.sh
	rc=0
	(cd "$d/agent" && GW_AGENT=$GW_AGENT bash -eu "$d/ca/agent1.sh") \
	    >"$T/agent-$s.log" 2>&1 || rc=$?
	[ $rc = 0 ] || fail "$s: README.md's gw-agent exited $rc: $(tail -n 3 \
	    "$T/agent-$s.log")"
	wait_log "$glog" \
	    "event=agent_authenticated agent=agent-web01 .*tls=TLSv1.3/" 5
	n=$("$GW_MGMT" export --db "$d/mgmt/store.db" |
	    grep -c '"agent":"agent-web01".*readme pki line' || true)
	[ "$n" = 5 ] || fail "$s: gw-mgmt stored $n of the agent's 5 lines"
	RESULTS+=("$s: 5 lines stored, gateway and agent links TLS 1.3")
	stop "gatewayd-$s"
	stop "mgmt-$s"
}

run_shape ec-under-rsa rsa2048 p256 p256
run_shape rsa-from-root rsa2048 root rsa2048
run_shape rsa-enterprise rsa2048 rsa2048 rsa2048
printf '%s\n' "${RESULTS[@]}"
pass "README's PKI commands, configuration and agent line work"
