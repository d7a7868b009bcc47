#!/usr/bin/env bash
# Interoperability matrix (issue 18): certificates as an enterprise CA makes
# them with openssl (root -> leaf, root -> intermediate -> leaf, and root ->
# policy CA -> issuing CA -> leaf for RSA-4096/PSS and P-256, with
# keyUsage, extendedKeyUsage, CRL distribution points, authorityInfoAccess
# and certificatePolicies) and as gw-cert makes them (every role, root ->
# leaf, and root -> intermediate -> leaf), of every key type: RSA-2048,
# 3072 and 4096 signed with PKCS#1 v1.5 and with RSA-PSS, ECDSA P-256 and
# P-384.  Each PKI runs one gw-mgmt and one gatewayd with its server
# certificates, and each link in TLS 1.3 and 1.2:
#   agent -> gatewayd   1.3: gw-agent, its lines stored end to end;
#                            openssl s_client -tls1_3, authenticated
#                       1.2: gw-loadgen --tls12 handshakes (our client)
#   gatewayd -> gw-mgmt 1.3: gatewayd's own upstream link
#                       1.2: openssl s_client -tls1_2 with the gateway's
#                            certificate, authenticated by gw-mgmt
#   enrollment listener 1.3, 1.2: openssl s_client handshakes (server
#                            authentication; no CSR is sent)
# each checked by the tls= of the logs.  Without RSA-PSS in our mbedTLS
# (4345db1), every RSA cell on TLS 1.3 fails.  Then a Python ssl client
# (OpenSSL) with an RSA-2048 leaf speaks the protocol to gatewayd over TLS
# 1.3: HELLO, DATA, ACK, with an RSA-2048 leaf alone and with its
# intermediate (the enterprise chain, 3,200 bytes), and DATA frames of 16
# KiB (OpenSSL announces no record size limit and writes 16 KiB records).
# A failed cell does not stop the matrix: the test fails at the end naming
# each.  Before cmake/mbedtls-patches/0001 (records of 2 KiB, d75d781),
# every RSA leaf + RSA intermediate was refused at start ("certificate
# chain too big") and the Python client's 16 KiB DATA closed its session.
# Under the sanitizers (each process several times the CPU) the matrix is
# one RSA and one ECDSA case: the largest chain (o3_rsa4096_pss: two
# intermediates, PSS, 5 KB) and gw-cert's with an intermediate (g2_p384,
# its only intermediate CA in the tests); g1_rsa2048 and o2_rsa2048_pkcs1
# are made for the Python client.  The plain build runs every cell.
source "$(dirname "$0")/lib.sh" "$@"
LOADGEN=$BUILD/gateway/loadgen/gw-loadgen
KTS="rsa2048 rsa3072 rsa4096 p256 p384"
SMALL="" CELLS=""
if grep -qa __asan_init "$GATEWAYD"; then
	KTS="rsa2048 rsa4096"
	CELLS="o3_rsa4096_pss g2_p384"
	SMALL="$CELLS g1_rsa2048 o2_rsa2048_pkcs1"
fi
# want NAME: whether this run makes PKI NAME (all but under the sanitizers).
want() { [ -z "$SMALL" ] || [[ " $SMALL " == *" $1 "* ]]; }
# cells NAME: whether it runs the matrix on PKI NAME (idem).
cells() { [ -z "$CELLS" ] || [[ " $CELLS " == *" $1 "* ]]; }

cd "$T"
RESULTS=()	# "pki link version result"
note() { RESULTS+=("$(printf '%-22s %-18s %-8s %s' "$@")"); }

# --- openssl, as an enterprise CA -------------------------------------------
cat >ext.cnf <<'EOT'
[pol]
policyIdentifier = 1.3.6.1.4.1.311.21.8.1.1
CPS.1 = http://pki.example.invalid/cps
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[policyca]
basicConstraints = critical,CA:TRUE,pathlen:1
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://pki.example.invalid/crl/root.crl
certificatePolicies = @pol
[inter]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://pki.example.invalid/crl/root.crl
authorityInfoAccess = caIssuers;URI:http://pki.example.invalid/aia/root.crt,OCSP;URI:http://ocsp.example.invalid/
certificatePolicies = @pol
[leaf]
basicConstraints = critical,CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://pki.example.invalid/crl/issuing.crl
authorityInfoAccess = caIssuers;URI:http://pki.example.invalid/aia/issuing.crt,OCSP;URI:http://ocsp.example.invalid/
certificatePolicies = @pol
[gateway]
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:gateway,IP:127.0.0.1
[mgmt]
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:mgmt,IP:127.0.0.1
[agent]
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = DNS:agent.example.invalid
EOT
# ECDSA keys get keyUsage digitalSignature only.
sed 's/,keyEncipherment//' ext.cnf >ext-ec.cnf

# okey KT FILE: a private key of type KT (rsaBITS, p256, p384), PKCS#8.
okey() {
	case $1 in
	rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" \
	    -out "$2" 2>/dev/null ;;
	p256|p384) openssl genpkey -algorithm EC -pkeyopt \
	    "ec_paramgen_curve:P-${1#p}" -pkeyopt ec_param_enc:named_curve \
	    -out "$2" ;;
	esac
}

# osign KT SIG KEY CN EXT OUT [CACERT CAKEY]: a certificate for KEY, signed
# by CAKEY (self-signed without), SHA-256 (SHA-384 by a P-384 key),
# RSA-PSS (salt = hash length) when SIG is pss.
osign() {
	local kt=$1 sig=$2 key=$3 cn=$4 ext=$5 out=$6 cacrt=${7:-} cakey=${8:-}
	local cnf=ext.cnf md=-sha256 opts=()
	case $kt in p*) cnf=ext-ec.cnf ;; esac
	[ "$kt" != p384 ] || md=-sha384
	[ "$sig" != pss ] || opts=(-sigopt rsa_padding_mode:pss
	    -sigopt rsa_pss_saltlen:digest)
	openssl req -new -key "$key" -subj "/C=US/O=Example Corp/OU=IT/CN=$cn" \
	    -out "$out.csr" 2>/dev/null
	if [ -z "$cacrt" ]; then
		openssl x509 -req -in "$out.csr" -signkey "$key" -days 30 $md \
		    "${opts[@]}" -set_serial "0x1$(openssl rand -hex 15)" \
		    -extfile "$cnf" -extensions "$ext" -out "$out" 2>/dev/null
	else
		# Leaves take [leaf] and their role's section together.
		if [ "$ext" != inter ] && [ "$ext" != policyca ]; then
			cat "$cnf" >"$out.cnf"
			printf '[both]\n' >>"$out.cnf"
			sed -n '/^\[leaf\]/,/^\[/p' "$cnf" | sed '1d;$d' >>"$out.cnf"
			sed -n "/^\[$ext\]/,/^\[/p" "$cnf" | sed '1d' |
			    sed '/^\[/d' >>"$out.cnf"
			cnf=$out.cnf ext=both
		fi
		openssl x509 -req -in "$out.csr" -CA "$cacrt" -CAkey "$cakey" \
		    -days 30 $md "${opts[@]}" \
		    -set_serial "0x1$(openssl rand -hex 15)" \
		    -extfile "$cnf" -extensions "$ext" -out "$out" 2>/dev/null
	fi
	[ -s "$out" ] || fail "openssl could not sign $out"
}

# The keys: one set per key type, shared by its PKIs (PKCS#1 and PSS
# signatures, one and two levels).  Made in parallel: RSA-4096 is slow.
mkdir -p keys
for kt in $KTS; do
	for role in root policy inter gateway mgmt agent; do
		okey "$kt" "keys/$kt-$role.key" &
	done
done
wait

# opki NAME KT SIG LEVELS: an openssl PKI in NAME/: ca.crt (the root) and
# gateway, mgmt, agent-NAME .crt (leaf, then the intermediates: with LEVELS
# 2 the issuing CA, with 3 the issuing CA and the policy CA between it and
# the root; inter.crt holds them) and .key.
opki() {
	local d=$1 kt=$2 sig=$3 levels=$4 k=keys/$2 ica ikey
	mkdir -p "$d"
	osign "$kt" "$sig" "$k-root.key" "Example Root CA $kt" root "$d/ca.crt"
	ica=$d/ca.crt ikey=$k-root.key
	if [ "$levels" = 3 ]; then
		osign "$kt" "$sig" "$k-policy.key" "Example Policy CA $kt" \
		    policyca "$d/policy.crt" "$d/ca.crt" "$k-root.key"
		ica=$d/policy.crt ikey=$k-policy.key
	fi
	if [ "$levels" -ge 2 ]; then
		osign "$kt" "$sig" "$k-inter.key" "Example Issuing CA $kt" \
		    inter "$d/issuing.crt" "$ica" "$ikey"
		cat "$d/issuing.crt" >"$d/inter.crt"
		[ "$levels" != 3 ] || cat "$d/policy.crt" >>"$d/inter.crt"
		ica=$d/issuing.crt ikey=$k-inter.key
	fi
	for role in gateway mgmt agent; do
		local cn=$role out=$d/$role
		[ $role != agent ] || cn=agent-$d out=$d/agent-$d
		osign "$kt" "$sig" "$k-$role.key" "$cn" "$role" "$out.leaf" \
		    "$ica" "$ikey"
		cp "$k-$role.key" "$out.key"
		cat "$out.leaf" >"$out.crt"
		[ "$levels" = 1 ] || cat "$d/inter.crt" >>"$out.crt"
	done
}

# gpki NAME KT [2]: a gw-cert PKI of key type KT in every role.  Without
# 2: the root CA issues the leaves and each sends its leaf only (the peer
# holds the CA).  With 2: root -> intermediate -> leaves, and each sends
# the chain gw-cert wrote (leaf, intermediate, root).
gpki() {
	local d=$1 kt=$2 levels=${3:-1} opt ca
	case $kt in rsa*) opt=(--rsa "${kt#rsa}") ;; *) opt=(--ec "$kt") ;; esac
	"$GW_CERT" ca --out "$d" --name "gw root $kt" "${opt[@]}" >/dev/null
	ca=$d
	if [ "$levels" = 2 ]; then
		"$GW_CERT" ca --ca "$d" --out "$d/inter" --name "gw inter $kt" \
		    "${opt[@]}" >/dev/null
		ca=$d/inter
	fi
	"$GW_CERT" issue --ca "$ca" --role gateway --name gateway --ip 127.0.0.1 \
	    "${opt[@]}" --out "$d/gateway" >/dev/null
	"$GW_CERT" issue --ca "$ca" --role mgmt --name mgmt --ip 127.0.0.1 \
	    "${opt[@]}" --out "$d/mgmt" >/dev/null
	"$GW_CERT" issue --ca "$ca" --role agent --name "agent-$d" \
	    "${opt[@]}" --out "$d/agent-$d" >/dev/null
	for f in gateway mgmt "agent-$d"; do
		openssl x509 -in "$d/$f.crt" -out "$d/$f.leaf"
		[ "$levels" = 2 ] || cp "$d/$f.leaf" "$d/$f.crt"
	done
	# What follows the leaf in the chains (s_client's -cert_chain).
	[ "$levels" != 2 ] || cp "$d/inter/ca.crt" "$d/inter.crt"
	# Every role has the key type asked for.
	for f in "$d/ca.crt" "$d/gateway.crt" "$d/mgmt.crt" "$d/agent-$d.crt" \
	    ${3:+"$d/inter/ca.crt"}; do
		local want="key: RSA ${kt#rsa}"
		[ "${kt#p}" = "$kt" ] || want="key: ECDSA P-${kt#p}"
		"$GW_CERT" show "$f" | grep -qx "$want" ||
		    fail "gw-cert $kt: $f has $("$GW_CERT" show "$f" | grep '^key')"
	done
}

# chain_len FILE: the bytes of FILE's certificates in a TLS 1.3
# Certificate message, as tls_conf.c counts them (8 + each DER + 5).
chain_len() {
	local n=8 der
	while read -r der; do n=$((n + der + 5)); done < <(
	    awk '/BEGIN CERT/ { f = "cert" NR ".pem" } f { print > f }
	    /END CERT/ { close(f); print f; f = "" }' "$1" |
	    while read -r p; do openssl x509 -in "$p" -outform der | wc -c;
	    rm -f "$p"; done)
	echo $n
}

printf 'interop line %s\n' 1 2 3 >lines.txt

# count FILE PATTERN: lines of FILE matching PATTERN.
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# wait_count FILE PATTERN N [SECONDS]: until N lines match; 1 if never.
wait_count() {
	local i
	for ((i = 0; i < ${4:-5} * 10; i++)); do
		[ "$(count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# port_open PORT: wait_port that returns 1 instead of failing the test.
port_open() { (wait_port "$1" 5) >/dev/null 2>&1; }

# stop_pki NAME: stop NAME's gatewayd and gw-mgmt (if still running).
stop_pki() {
	local p
	for p in "$(eval echo "\$PID_gatewayd_$1")" "$(eval echo "\$PID_mgmt_$1")"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# last_event LOG REGEX: the last line of LOG with event=REGEX, from event=.
last_event() {
	grep -E "event=($2)" "$1" | tail -n 1 | sed 's/.*event=/event=/' |
	    cut -c1-120
}

# A cell that fails is noted and the matrix goes on; the test fails at the
# end, naming every cell that failed.
FAILED=()
ok() { note "$D" "$1" "$2" "ok ($3)"; }
bad() {
	note "$D" "$1" "$2" "FAIL: $3"
	FAILED+=("$D $1 $2: $3")
}

# run_pki NAME: gw-mgmt and gatewayd with NAME's certificates, then every
# cell of the matrix on them.
run_pki() {
	local d=$1 agent=agent-$1 out rc up=1
	local chain=() glog mlog
	D=$d
	echo "$d: chains gateway $(chain_len "$d/gateway.crt"), mgmt" \
	    "$(chain_len "$d/mgmt.crt"), agent $(chain_len "$d/$agent.crt") bytes"
	[ ! -f "$d/inter.crt" ] || chain=(-cert_chain "$d/inter.crt")
	GW_PORT=$(free_port); MGMT_PORT=$(free_port)
	cat >"$d/mgmt.ini" <<EOT
[mgmt]
listen = 127.0.0.1:$MGMT_PORT
cert = $T/$d/mgmt.crt
key = $T/$d/mgmt.key
gateway_ca = $T/$d/ca.crt
[store]
database = $T/$d/store.db
EOT
	cat >"$d/gateway.ini" <<EOT
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = $T/$d/gateway.crt
key = $T/$d/gateway.key
agent_ca = $T/$d/ca.crt
agent_names = agent-*
[upstream]
server = 127.0.0.1:$MGMT_PORT
server_name = mgmt
ca = $T/$d/ca.crt
connections = 1
backoff_min = 50ms
backoff_max = 1s
EOT
	glog=$T/gatewayd-$d.log mlog=$T/mgmt-$d.log
	start "mgmt-$d" "$GW_MGMT" -c "$d/mgmt.ini"
	start "gatewayd-$d" "$GATEWAYD" -c "$d/gateway.ini"
	if ! port_open "$MGMT_PORT" || ! port_open "$GW_PORT"; then
		bad "gw-mgmt, gatewayd" "-" "did not start: $(tail -q -n 1 \
		    "$mlog" "$glog" | cut -c1-160)"
		stop_pki "$d"
		return
	fi
	local gw_seen="event=gateway_authenticated gateway=gateway .*tls="
	local ag_seen="event=agent_authenticated agent=$agent .*tls="
	if wait_count "$glog" "event=upstream_up .*tls=TLSv1.3/" 1 5 &&
	    wait_count "$mlog" "${gw_seen}TLSv1.3/" 1; then
		ok "gatewayd->gw-mgmt" "TLS1.3" "gatewayd, gw-mgmt"
	else
		up=""
		bad "gatewayd->gw-mgmt" "TLS1.3" "$(last_event "$glog" \
		    'upstream_(down|connect_failed)')"
	fi

	# TLS 1.2 on the upstream link: openssl as the gateway.
	openssl s_client -tls1_2 -connect "127.0.0.1:$MGMT_PORT" \
	    -verifyCAfile "$d/ca.crt" -cert "$d/gateway.leaf" -key "$d/gateway.key" \
	    "${chain[@]}" -verify_return_error </dev/null >"$d-s12.log" 2>&1 || true
	if wait_count "$mlog" "${gw_seen}TLSv1.2/" 1; then
		ok "gatewayd->gw-mgmt" "TLS1.2" "openssl s_client, gw-mgmt"
	else
		bad "gatewayd->gw-mgmt" "TLS1.2" "$(last_event "$mlog" \
		    gateway_refused)"
	fi

	if [ -z "$up" ]; then
		bad "agent->gatewayd" "TLS1.3" "gw-agent not run: no upstream"
	elif "$GW_AGENT" --gateway "127.0.0.1:$GW_PORT" \
	    --cert "$d/$agent.crt" --key "$d/$agent.key" \
	    --ca "$d/ca.crt" --file lines.txt --timeout 10 \
	    >"$d-agent.log" 2>&1 &&
	    [ "$(count "$glog" "${ag_seen}TLSv1.3/")" = 1 ] &&
	    [ "$("$GW_MGMT" export --db "$d/store.db" |
	    grep -c "interop line")" = 3 ]; then
		ok "agent->gatewayd" "TLS1.3" "gw-agent, 3 lines stored"
	else
		bad "agent->gatewayd" "TLS1.3" "gw-agent: $(tail -n 1 \
		    "$d-agent.log" | cut -c1-100)"
	fi

	# gw-loadgen's handshake counts once HELLO is answered: an upstream
	# is needed here too.
	mkdir -p "$d/lg"
	cp "$d/$agent.crt" "$d/$agent.key" "$d/lg/"
	out="not run: no upstream"
	[ -z "$up" ] || out=$("$LOADGEN" --gateway "127.0.0.1:$GW_PORT" \
	    --certs "$d/lg" --ca "$d/ca.crt" --agents 1 --mode handshake \
	    --tls12 --handshakes 2 --seconds 10 --timeout 20 2>&1) || true
	if [[ $out =~ \ handshakes=([1-9][0-9]*)\ .*\ failed=0\  ]] &&
	    wait_count "$glog" "${ag_seen}TLSv1.2/" 1; then
		ok "agent->gatewayd" "TLS1.2" "gw-loadgen"
	else
		bad "agent->gatewayd" "TLS1.2" "gw-loadgen: $(echo "$out" |
		    tail -n 1 | cut -c1-100)"
	fi

	# An OpenSSL client, TLS 1.3 (no record_size_limit: its
	# Certificate must fit in the gateway's records itself).
	# -verifyCAfile, not -CAfile: OpenSSL would add the root it
	# finds there to the chain it sends (see the Python client).
	rc=$(count "$glog" "${ag_seen}TLSv1.3/")
	openssl s_client -tls1_3 -connect "127.0.0.1:$GW_PORT" \
	    -verifyCAfile "$d/ca.crt" -cert "$d/$agent.leaf" \
	    -key "$d/$agent.key" "${chain[@]}" \
	    -verify_return_error </dev/null >"$d-s13.log" 2>&1 || true
	if wait_count "$glog" "${ag_seen}TLSv1.3/" $((rc + 1)); then
		ok "agent->gatewayd" "TLS1.3" "openssl s_client"
	else
		bad "agent->gatewayd" "TLS1.3" "openssl s_client: \
$(last_event "$glog" agent_refused)"
	fi
	stop_pki "$d"
	enroll_cells "$d"
}

# enroll_cells NAME: gatewayd's enrollment listener with NAME's gateway
# certificate: it sends its chain and then the agent CA (agents pin that
# CA); openssl s_client completes TLS 1.3 and 1.2 handshakes with it
# (server authentication only, as enrollment is).
enroll_cells() {
	local d=$1 len ep v rc
	len=$(cat "$d/gateway.crt" "$d/ca.crt" >"$d/enroll-chain.pem" &&
	    chain_len "$d/enroll-chain.pem")
	ep=$(free_port)
	sed -e "s/^listen = .*/listen = 127.0.0.1:$(free_port)/" \
	    -e "s/^\[upstream\]/[enroll]\nlisten = 127.0.0.1:$ep\n[upstream]/" \
	    "$d/gateway.ini" >"$d/enroll.ini"
	start "enroll-$d" "$GATEWAYD" -c "$d/enroll.ini"
	if ! port_open "$ep"; then
		bad "enroll" "-" "gatewayd did not start: $(tail -n 1 \
		    "$T/enroll-$d.log" | cut -c1-120)"
	else
		for v in 1_3 1_2; do
			# A refused handshake prints "New, TLSv1.3" and "Verify
			# return code: 0" too: the exit status and the server's
			# certificate tell.
			rc=0
			openssl s_client "-tls$v" -connect "127.0.0.1:$ep" \
			    -verifyCAfile "$d/ca.crt" -verify_return_error \
			    </dev/null >"$d-enroll-s$v.log" 2>&1 || rc=$?
			if [ $rc = 0 ] &&
			    grep -q "^New, TLSv${v/_/.}," "$d-enroll-s$v.log" &&
			    grep -q "^Server certificate" "$d-enroll-s$v.log" &&
			    grep -q "Verify return code: 0 (ok)" \
			    "$d-enroll-s$v.log"; then
				ok "enroll" "TLS${v/_/.}" "openssl s_client, $len bytes"
			else
				bad "enroll" "TLS${v/_/.}" "s_client exit $rc: $(grep \
				    -m1 -i error "$d-enroll-s$v.log" | cut -c1-120)"
			fi
		done
	fi
	kill "$(eval echo "\$PID_enroll_$d")" 2>/dev/null || true
	wait "$(eval echo "\$PID_enroll_$d")" 2>/dev/null || true
}

# Made in parallel, each in its own directory; NAME/.done says it is whole.
PKIS=()
for kt in $KTS; do
	case $kt in rsa*) sigs="pkcs1 pss" ;; *) sigs=ecdsa ;; esac
	for sig in $sigs; do
		for lv in 1 2; do
			want "o${lv}_${kt}_$sig" || continue
			(opki "o${lv}_${kt}_$sig" "$kt" "$sig" $lv &&
			    touch "o${lv}_${kt}_$sig/.done") &
			PKIS+=("o${lv}_${kt}_$sig")
		done
	done
	want "g1_$kt" || continue
	(gpki "g1_$kt" "$kt" && touch "g1_$kt/.done") &
	PKIS+=("g1_$kt")
done
# Two intermediates (root -> policy CA -> issuing CA -> leaf): the largest
# chain here (RSA-4096, about 7 KB with the leaf) and the smallest.
for p in rsa4096_pss p256_ecdsa; do
	want "o3_$p" || continue
	(opki "o3_$p" "${p%_*}" "${p#*_}" 3 && touch "o3_$p/.done") &
	PKIS+=("o3_$p")
done
(gpki g2_p384 p384 2 && touch g2_p384/.done) &
PKIS+=(g2_p384)
wait
for d in "${PKIS[@]}"; do [ -f "$d/.done" ] || fail "could not make PKI $d"; done
# The PSS ones are PSS-signed, the others are not.
! want o2_rsa2048_pss ||
    openssl x509 -in o2_rsa2048_pss/agent-o2_rsa2048_pss.leaf -noout -text |
    grep -q "Signature Algorithm: rsassaPss" || fail "not PSS-signed"
openssl x509 -in o2_rsa2048_pkcs1/agent-o2_rsa2048_pkcs1.leaf -noout -text |
    grep -q "Signature Algorithm: sha256WithRSAEncryption" || fail "not PKCS#1"
pass "made ${#PKIS[@]} PKIs"
rc=0; "$GW_CERT" ca --out both --name both --rsa 2048 --ec p384 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "gw-cert --rsa with --ec: exit $rc, not 2 (usage)"

for d in "${PKIS[@]}"; do ! cells "$d" || run_pki "$d"; done

# --- a Python ssl (OpenSSL) client, TLS 1.3, RSA-2048 ------------------------
# gatewayd with g1_rsa2048's certificates, taking agents of that CA and of
# o2_rsa2048_pkcs1 (the enterprise chain).
python3 -c 'import ssl' 2>/dev/null || fail "python3 has no ssl module"
D=python
mkdir -p python
cat g1_rsa2048/ca.crt o2_rsa2048_pkcs1/ca.crt >python/agent_ca.crt
cat o2_rsa2048_pkcs1/agent-o2_rsa2048_pkcs1.leaf o2_rsa2048_pkcs1/inter.crt \
    >python/enterprise.crt
GW_PORT=$(free_port); MGMT_PORT=$(free_port)
cat >python/mgmt.ini <<EOT
[mgmt]
listen = 127.0.0.1:$MGMT_PORT
cert = $T/g1_rsa2048/mgmt.crt
key = $T/g1_rsa2048/mgmt.key
gateway_ca = $T/g1_rsa2048/ca.crt
[store]
database = $T/python/store.db
EOT
cat >python/gateway.ini <<EOT
[gateway]
listen = 127.0.0.1:$GW_PORT
cert = $T/g1_rsa2048/gateway.crt
key = $T/g1_rsa2048/gateway.key
agent_ca = $T/python/agent_ca.crt
agent_names = agent-*
[upstream]
server = 127.0.0.1:$MGMT_PORT
server_name = mgmt
ca = $T/g1_rsa2048/ca.crt
connections = 1
backoff_min = 50ms
EOT
start mgmt-python "$GW_MGMT" -c python/mgmt.ini
wait_port "$MGMT_PORT"
start gatewayd-python "$GATEWAYD" -c python/gateway.ini
wait_port "$GW_PORT"
wait_count gatewayd-python.log "event=upstream_up" 1 10 ||
    bad "gatewayd->gw-mgmt" "TLS1.3" "no upstream for the Python client"

# pyagent CERT KEY BIG: HELLO, DATA (100 bytes), its ACK; then, with BIG,
# four DATA frames of 16 KiB (max_payload: the seq and 16,376 bytes) in one
# write, acknowledged up to the last.  Prints what happened; exit 0 if all
# was acknowledged.
pyagent() {
	PYTHONPATH=$SRC/tests/tools python3 - "$GW_PORT" g1_rsa2048/ca.crt \
	    "$1" "$2" "$3" <<'EOT'
import socket, ssl, sys
import gwproto as gp
port, ca, cert, key, big = int(sys.argv[1]), sys.argv[2], sys.argv[3], \
    sys.argv[4], sys.argv[5] == "1"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_verify_locations(ca)
ctx.load_cert_chain(cert, key)
def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise EOFError("closed by the gateway")
        buf += b
    return buf
def until(s, want):
    while True:
        t, _, n = gp.header(recv_exact(s, gp.HEADER_LEN))
        body = recv_exact(s, n)
        if t == want:
            return body
        if t == gp.ERROR:
            raise EOFError("ERROR %r" % gp.reason(body))
step = "handshake"
try:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    step = "HELLO (%s)" % s.version()
    s.sendall(gp.hello())
    last = gp.hello_ack(until(s, gp.HELLO_ACK))["last_seq"]
    writes = [[(last + 1, 100)]]
    if big:
        writes.append([(last + 1 + i, gp.MAX_PAYLOAD - 8) for i in range(1, 5)])
    for w in writes:
        step = "DATA seq %d-%d of %d bytes" % (w[0][0], w[-1][0], w[0][1])
        s.sendall(b"".join(gp.data(seq, b"x" * size) for seq, size in w))
        while gp.seq(until(s, gp.ACK)) != w[-1][0]:
            pass
    print("ok %s: every DATA acknowledged" % s.version())
except Exception as e:
    print("failed at %s: %s" % (step, e))
    sys.exit(1)
EOT
}

# Passes: an RSA-2048 leaf (gw-cert's), OpenSSL adding its root to it.
len=$(( $(chain_len g1_rsa2048/ca.crt) + $(chain_len g1_rsa2048/agent-g1_rsa2048.crt) - 8 ))
if out=$(pyagent g1_rsa2048/agent-g1_rsa2048.crt \
    g1_rsa2048/agent-g1_rsa2048.key 0) &&
    grep -q "event=agent_authenticated agent=agent-g1_rsa2048 .*tls=TLSv1.3/" \
    gatewayd-python.log; then
	ok "python->gatewayd" "TLS1.3" "RSA-2048 leaf + root, $len bytes: $out"
else
	bad "python->gatewayd" "TLS1.3" "RSA-2048 leaf + root, $len bytes: $out"
fi
# A 16 KiB DATA frame: OpenSSL writes records of up to 16 KiB.
if out=$(pyagent g1_rsa2048/agent-g1_rsa2048.crt \
    g1_rsa2048/agent-g1_rsa2048.key 1); then
	ok "python->gatewayd" "TLS1.3" "16 KiB DATA: $out"
else
	bad "python->gatewayd" "TLS1.3" "16 KiB DATA: $out"
fi
# The enterprise chain: an RSA-2048 leaf and its RSA intermediate, then 16
# KiB DATA.
len=$(chain_len python/enterprise.crt)
if out=$(pyagent python/enterprise.crt \
    o2_rsa2048_pkcs1/agent-o2_rsa2048_pkcs1.key 1) &&
    grep -q "event=agent_authenticated agent=agent-o2_rsa2048_pkcs1 .*tls=TLSv1.3/" \
    gatewayd-python.log; then
	ok "python->gatewayd" "TLS1.3" "RSA-2048 leaf + intermediate, $len bytes, 16 KiB DATA: $out"
else
	bad "python->gatewayd" "TLS1.3" "RSA-2048 leaf + intermediate, $len bytes, 16 KiB DATA: $out"
fi
# What gatewayd said of each.
grep -E "event=agent_(refused|closed)" gatewayd-python.log |
    sed 's/.*event=/  gatewayd: event=/' | cut -c1-160

echo "--- matrix"
printf '%s\n' "${RESULTS[@]}"
[ ${#FAILED[@]} -eq 0 ] || fail "${#FAILED[@]} cells failed: $(printf '\n  %s' "${FAILED[@]}")"
pass "every cell accepted"
