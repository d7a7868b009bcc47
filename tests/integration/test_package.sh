#!/usr/bin/env bash
# The Debian packages as CPack builds them from this build directory
# (cmake/package.cmake), inspected without installing anything: control
# fields, the exact file lists, conffiles and maintainer scripts; then
# unpacked into a temporary root where the programs run, the sample
# configurations pass --check-config with a PKI put where they expect it,
# the units point at the packaged binaries, the man pages render without a
# warning and name every long option their program's usage prints.  Also
# `cmake --install --prefix /usr/local` into a DESTDIR: its own paths.
# The unpacked gatewayd (mode = local) and gw-mgmt start the packaged
# gw-signer from usr/libexec/gatewayd and an agent enrolls through it.
# Skipped (77) without cpack, dpkg-deb, scdoc or groff.
for tool in cpack dpkg-deb scdoc groff; do
	if ! command -v "$tool" >/dev/null; then
		echo "skip: no $tool (scripts/run installs it)"
		exit 77
	fi
done
source "$(dirname "$0")/lib.sh" "$@"
cd "$T"

version=$(sed -n 's/^project(gatewayd VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in $SRC/CMakeLists.txt"
arch=$(dpkg --print-architecture)

cpack -G DEB -B "$T/out" --config "$BUILD/CPackConfig.cmake" >cpack.log 2>&1 ||
    fail "cpack: $(tail -n 5 cpack.log)"
for p in gatewayd gw-cert gw-agent gw-mgmt gw-signer; do
	[ -f "out/${p}_${version}_$arch.deb" ] || fail "no out/${p}_${version}_$arch.deb: $(ls out)"
done
pass "cpack made gatewayd, gw-cert, gw-agent, gw-mgmt and gw-signer ${version}_$arch.deb"

deb() { echo "out/$1_${version}_$arch.deb"; }

# --- control fields -----------------------------------------------------------
field() { dpkg-deb -f "$(deb "$1")" "$2"; }
for p in gatewayd gw-cert gw-agent gw-mgmt gw-signer; do
	[ "$(field $p Package)" = "$p" ] || fail "$p: Package is '$(field $p Package)'"
	[ "$(field $p Version)" = "$version" ] || fail "$p: Version is '$(field $p Version)', want $version"
	[ "$(field $p Architecture)" = "$arch" ] || fail "$p: Architecture is '$(field $p Architecture)'"
	[ "$(field $p Section)" = net ] || fail "$p: Section is '$(field $p Section)'"
	[ "$(field $p Priority)" = optional ] || fail "$p: Priority is '$(field $p Priority)'"
	field $p Maintainer | grep -q '^[^<]*<[^@>]*@[^>]*>$' ||
	    fail "$p: Maintainer is '$(field $p Maintainer)'"
	[ "$(field $p Description | wc -l)" -ge 3 ] ||
	    fail "$p: a one-line Description"
	depends=$(field $p Depends)
	case $p in
	gatewayd) want="libc6 libev4 libinih1 libc-ares2 adduser" ;;
	gw-cert) want="libc6" ;;
	gw-agent) want="libc6 libev4 libinih1 libc-ares2 adduser" ;;
	gw-mgmt) want="libc6 libev4 libinih1 libsqlite3-0 libpq5 adduser" ;;
	gw-signer) want="libc6 libev4" ;;
	esac
	for d in $want; do
		echo "$depends" | tr ',' '\n' | grep -q "^ *$d\( (\|$\)" ||
		    fail "$p: Depends has no $d: $depends"
	done
	echo "$depends" | grep -q mbedtls && fail "$p: depends on mbedTLS (it is static): $depends"
done
for p in gatewayd gw-mgmt; do
	field $p Depends | tr ',' '\n' | grep -qx " *gw-signer (= $version)" ||
	    fail "$p does not depend on gw-signer (= $version): $(field $p Depends)"
done
[ "$(field gatewayd Suggests)" = gw-cert ] || fail "gatewayd does not suggest gw-cert"
[ "$(field gw-mgmt Recommends)" = gw-cert ] || fail "gw-mgmt does not recommend gw-cert"
pass "control fields: version $version, $arch, Section net; gatewayd Depends: $(field gatewayd Depends)"

# --- contents: exactly these files ------------------------------------------------
files() { dpkg-deb -c "$(deb "$1")" | awk '$1 !~ /^d/ { print $6 }' | sort; }
expect_files() { # expect_files PACKAGE PATH...
	local p=$1; shift
	printf '%s\n' "$@" | sort >"want-$p.txt"
	files "$p" >"got-$p.txt"
	diff "want-$p.txt" "got-$p.txt" >"diff-$p.txt" ||
	    fail "$p: files differ (- wanted, + packaged): $(grep '^[<>]' "diff-$p.txt" | tr '\n' ' ')"
}
expect_files gatewayd ./usr/bin/gatewayd \
    ./etc/gatewayd/gateway.ini ./lib/systemd/system/gatewayd.service \
    ./usr/share/man/man8/gatewayd.8.gz ./usr/share/man/man5/gatewayd.ini.5.gz \
    ./usr/share/doc/gatewayd/README.md \
    ./usr/share/doc/gatewayd/SECURITY.md ./usr/share/doc/gatewayd/PROTOCOL.md
expect_files gw-cert ./usr/bin/gw-cert ./usr/share/man/man1/gw-cert.1.gz
expect_files gw-agent ./usr/bin/gw-agent ./usr/share/man/man8/gw-agent.8.gz \
    ./etc/gw-agent/agent.ini ./lib/systemd/system/gw-agent.service \
    ./usr/share/man/man5/gw-agent.ini.5.gz
expect_files gw-mgmt ./usr/bin/gw-mgmt ./etc/gw-mgmt/mgmt.ini \
    ./lib/systemd/system/gw-mgmt.service ./usr/share/man/man8/gw-mgmt.8.gz
expect_files gw-signer ./usr/libexec/gatewayd/gw-signer
pass "each package holds exactly its files (gw-loadgen in none)"

# --- conffiles and maintainer scripts -------------------------------------------
for p in gatewayd gw-mgmt gw-agent; do
	dpkg-deb -e "$(deb $p)" "ctl-$p"
	case $p in
	gatewayd) conf=/etc/gatewayd/gateway.ini ;;
	gw-mgmt) conf=/etc/gw-mgmt/mgmt.ini ;;
	gw-agent) conf=/etc/gw-agent/agent.ini ;;
	esac
	[ "$(cat "ctl-$p/conffiles" 2>/dev/null)" = "$conf" ] ||
	    fail "$p: conffiles is '$(cat "ctl-$p/conffiles" 2>/dev/null)', want $conf"
	for s in postinst prerm postrm; do
		[ -x "ctl-$p/$s" ] || fail "$p: no executable $s"
		head -n 1 "ctl-$p/$s" | grep -qx '#!/bin/sh' || fail "$p: $s is not #!/bin/sh"
		grep -qx 'set -e' "ctl-$p/$s" || fail "$p: $s without set -e"
		sh -n "ctl-$p/$s" || fail "$p: $s: syntax error"
		grep -q '@[A-Z_]*@' "ctl-$p/$s" && fail "$p: $s: unsubstituted $(grep -o '@[A-Z_]*@' "ctl-$p/$s" | head -n 1)"
	done
	grep -q "adduser --system --group" "ctl-$p/postinst" ||
	    fail "$p: postinst makes no system user"
	grep -q 'install -d -o "$name" -g "$name" -m 0700' "ctl-$p/postinst" &&
	    grep -q 'deb-systemd-helper --quiet was-enabled' "ctl-$p/postinst" ||
	    fail "$p: postinst makes no state directory, or enables the unit its own way"
	grep -q -- "--check-config \"\$conf\"" "ctl-$p/postinst" ||
	    fail "$p: postinst starts without --check-config"
done
for p in gw-cert gw-signer; do
	dpkg-deb -e "$(deb $p)" ctl-$p
	[ ! -e ctl-$p/postinst ] && [ ! -e ctl-$p/conffiles ] ||
	    fail "$p has maintainer scripts or conffiles"
done
pass "conffiles: /etc/gatewayd/gateway.ini, /etc/gw-mgmt/mgmt.ini, /etc/gw-agent/agent.ini; postinst, prerm, postrm: POSIX sh, set -e"

# --- unpacked: the programs run, the samples check out with a PKI in place -----
R=$T/root
for p in gatewayd gw-cert gw-agent gw-mgmt gw-signer; do dpkg-deb -x "$(deb $p)" "$R"; done
for b in gatewayd gw-cert gw-agent gw-mgmt; do
	rc=0; "$R/usr/bin/$b" --help >"help-$b.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "$b --help: exit $rc: $(cat "help-$b.log")"
	grep -q "^usage: $b " "help-$b.log" || fail "$b --help: no usage: $(cat "help-$b.log")"
done
"$R/usr/bin/gw-cert" ca --out pki --name "package test CA" >gw-cert.log 2>&1 &&
    "$R/usr/bin/gw-cert" issue --ca pki --role gateway --name gateway \
    --ip 127.0.0.1 --out pki/gateway >>gw-cert.log 2>&1 &&
    "$R/usr/bin/gw-cert" issue --ca pki --role mgmt --name mgmt \
    --ip 127.0.0.1 --out pki/mgmt >>gw-cert.log 2>&1 ||
    fail "the packaged gw-cert: $(cat gw-cert.log)"
pass "the unpacked gatewayd, gw-cert, gw-agent, gw-mgmt run (gw-cert made a PKI)"

grep -qx 'ticket_keys = /var/lib/gatewayd/ticket.keys' "$R/etc/gatewayd/gateway.ini" ||
    fail "gateway.ini: ticket_keys not in /var/lib/gatewayd: $(grep ticket_keys "$R/etc/gatewayd/gateway.ini")"
grep -qx 'database = /var/lib/gw-mgmt/gw-mgmt.db' "$R/etc/gw-mgmt/mgmt.ini" ||
    fail "mgmt.ini: database not in /var/lib/gw-mgmt"
grep -qx 'state = /var/lib/gw-agent/state' "$R/etc/gw-agent/agent.ini" ||
    fail "agent.ini: state not in /var/lib/gw-agent"
# Relative paths resolve against the file's directory: etc/NAME/pki.
rc=0; "$R/usr/bin/gatewayd" --check-config "$R/etc/gatewayd/gateway.ini" >check-gw.log 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "$R/etc/gatewayd/pki/" check-gw.log ||
    fail "without a PKI the sample passed, or looked elsewhere: $(cat check-gw.log)"
mkdir "$R/etc/gatewayd/pki" "$R/etc/gw-mgmt/pki"
cp pki/ca.crt pki/gateway.crt pki/gateway.key "$R/etc/gatewayd/pki/"
cp pki/ca.crt pki/mgmt.crt pki/mgmt.key "$R/etc/gw-mgmt/pki/"
"$R/usr/bin/gatewayd" --check-config "$R/etc/gatewayd/gateway.ini" >check-gw.log 2>&1 ||
    fail "the packaged gateway.ini with a PKI in etc/gatewayd/pki: $(cat check-gw.log)"
"$R/usr/bin/gw-mgmt" --check-config "$R/etc/gw-mgmt/mgmt.ini" >check-mgmt.log 2>&1 ||
    fail "the packaged mgmt.ini with a PKI in etc/gw-mgmt/pki: $(cat check-mgmt.log)"
rc=0; "$R/usr/bin/gw-agent" --check-config "$R/etc/gw-agent/agent.ini" >check-agent.log 2>&1 || rc=$?
[ $rc -eq 2 ] && grep -q "$R/etc/gw-agent/pki/" check-agent.log ||
    fail "without a PKI the agent's sample passed, or looked elsewhere: $(cat check-agent.log)"
mkdir "$R/etc/gw-agent/pki"
"$R/usr/bin/gw-cert" issue --ca pki --role agent --name agent-pkg \
    --out "$R/etc/gw-agent/pki/agent" >>gw-cert.log 2>&1 ||
    fail "gw-cert issue agent: $(tail -n 3 gw-cert.log)"
cp pki/ca.crt "$R/etc/gw-agent/pki/"
"$R/usr/bin/gw-agent" --check-config "$R/etc/gw-agent/agent.ini" >check-agent.log 2>&1 ||
    fail "the packaged agent.ini with a PKI in etc/gw-agent/pki: $(cat check-agent.log)"
[ ! -e "$R/etc/gatewayd/pki/ticket.keys" ] || fail "--check-config wrote ticket keys"
pass "the sample configurations check out with the PKI in /etc/NAME/pki; state in /var/lib/NAME"

# --- the unpacked servers start the packaged gw-signer; it signs -----------------
ENROLL_PORT=$(free_port)
MGMT_TAIL="[enroll]
ca_dir = pki"
GW_TAIL="[enroll]
listen = 127.0.0.1:$ENROLL_PORT
mode = local
ca_dir = pki"
write_configs
start mgmt "$R/usr/bin/gw-mgmt" -c mgmt.ini
start gatewayd "$R/usr/bin/gatewayd" -c gateway.ini
wait_port "$MGMT_PORT"
wait_port "$ENROLL_PORT"
for p in "$PID_mgmt" "$PID_gatewayd"; do
	s=$(pgrep -P "$p" | head -n 1)
	[ -n "$s" ] || fail "pid $p has no signer child"
	[ "$(readlink /proc/$s/exe)" = "$R/usr/libexec/gatewayd/gw-signer" ] ||
	    fail "the signer of $p runs $(readlink /proc/$s/exe)"
done
TOKEN=$("$R/usr/bin/gw-cert" token create --ca pki --uses 1 --names 'agent-pkg*')
"$R/usr/bin/gw-agent" enroll --enroll "127.0.0.1:$ENROLL_PORT" \
    --ca-fingerprint "$("$R/usr/bin/gw-cert" fingerprint pki/ca.crt)" \
    --token "$TOKEN" --name agent-pkg1 --key agent-pkg1.key \
    --cert agent-pkg1.crt --ca agent-ca.crt >enroll.log 2>&1 ||
    fail "enrollment through the packaged signer: $(tail -n 3 enroll.log)"
openssl verify -CAfile pki/ca.crt agent-pkg1.crt >/dev/null ||
    fail "the packaged signer's certificate does not verify"
pass "the unpacked gatewayd and gw-mgmt run usr/libexec/gatewayd/gw-signer; an agent enrolled through it"

# --- the units ---------------------------------------------------------------------
for p in gatewayd gw-mgmt gw-agent; do
	unit=$R/lib/systemd/system/$p.service
	case $p in
	gatewayd) conf=/etc/gatewayd/gateway.ini ;;
	gw-mgmt) conf=/etc/gw-mgmt/mgmt.ini ;;
	gw-agent) conf=/etc/gw-agent/agent.ini ;;
	esac
	grep -qx "ExecStart=/usr/bin/$p -c $conf" "$unit" ||
	    fail "$p.service: ExecStart is '$(grep ^ExecStart= "$unit")'"
	grep -qx "ExecStartPre=/usr/bin/$p --check-config $conf" "$unit" ||
	    fail "$p.service: ExecStartPre is '$(grep ^ExecStartPre= "$unit")'"
	[ -x "$R/usr/bin/$p" ] && [ -f "$R$conf" ] || fail "$p.service: /usr/bin/$p or $conf not packaged"
	grep -v '^#' "$unit" | grep /usr/local >local.txt &&
	    fail "$p.service still says /usr/local: $(cat local.txt)"
	grep -q "^Documentation=man:$p(8)" "$unit" || fail "$p.service: no Documentation=man:$p(8)"
done
grep -qx 'ReadOnlyPaths=/etc/gatewayd' "$R/lib/systemd/system/gatewayd.service" ||
    fail "gatewayd.service: ReadOnlyPaths"
grep -qx 'ReadOnlyPaths=/etc/gw-agent' "$R/lib/systemd/system/gw-agent.service" &&
    grep -qx 'StateDirectory=gw-agent' "$R/lib/systemd/system/gw-agent.service" &&
    grep -qx 'User=gw-agent' "$R/lib/systemd/system/gw-agent.service" ||
    fail "gw-agent.service: ReadOnlyPaths, StateDirectory or User"
doc=$(sed -n 's|^Documentation=.* file://||p' "$R/lib/systemd/system/gatewayd.service")
[ -f "$R$doc" ] || fail "gatewayd.service: Documentation file://$doc is not packaged"
pass "units: ExecStart=/usr/bin/gatewayd -c /etc/gatewayd/gateway.ini (and gw-mgmt's, gw-agent's), all packaged"

# --- a manual install: the same files, paths of its own prefix -------------------
DESTDIR=$T/local cmake --install "$BUILD" --prefix /usr/local >install.log 2>&1 ||
    fail "cmake --install: $(tail -n 5 install.log)"
L=$T/local/usr/local
grep -qx 'ExecStart=/usr/local/bin/gatewayd -c /usr/local/etc/gatewayd/gateway.ini' \
    "$L/lib/systemd/system/gatewayd.service" && [ -x "$L/bin/gatewayd" ] &&
    [ -f "$L/etc/gatewayd/gateway.ini" ] && [ -f "$L/etc/gw-mgmt/mgmt.ini" ] &&
    [ -f "$L/share/man/man8/gatewayd.8.gz" ] &&
    grep -qx 'ExecStart=/usr/local/bin/gw-agent -c /usr/local/etc/gw-agent/agent.ini' \
    "$L/lib/systemd/system/gw-agent.service" && [ -f "$L/etc/gw-agent/agent.ini" ] &&
    [ -x "$L/libexec/gatewayd/gw-signer" ] ||
    fail "cmake --install --prefix /usr/local: $(cd "$T/local" && find . -type f | sort | tr '\n' ' ')"
[ ! -e "$L/bin/gw-loadgen" ] || fail "cmake --install installs gw-loadgen"
pass "cmake --install --prefix /usr/local: unit, configuration and man pages under /usr/local"

# --- man pages -------------------------------------------------------------------------
render() { # render PAGE.gz [groff args]: text, no bold or underline
	local f=$1; shift
	zcat "$f" | groff -man -Tutf8 -ww -P-cbou "$@"
}
n=0
for f in "$R"/usr/share/man/man*/*.gz; do
	page=$(basename "$f" .gz); name=${page%.*}
	render "$f" >"man-$page.txt" 2>"man-$page.err" || fail "$page: groff failed"
	[ ! -s "man-$page.err" ] || fail "$page: groff warns: $(head -n 3 "man-$page.err")"
	grep -A1 -x NAME "man-$page.txt" | grep -q "^ *$name - ." ||
	    fail "$page: no NAME section for $name"
	n=$((n + 1))
done
[ $n -eq 6 ] || fail "$n man pages, want 6"
# Anti-drift: each long option of a program's usage is in its man page
# (rendered wide and unhyphenated, so that no option is split).
for b in gatewayd gw-cert gw-agent gw-mgmt; do
	page=$(ls "$R"/usr/share/man/man*/"$b".[18].gz)
	render "$page" -rLL=400n -rHY=0 >"wide-$b.txt" 2>/dev/null
	opts=$(grep -o -- '--[a-z][a-z-]*' "help-$b.log" | sort -u)
	[ -n "$opts" ] || fail "$b: no long options in its usage"
	for o in $opts; do
		grep -qE -- "$o([^a-z-]|$)" "wide-$b.txt" || fail "$(basename "$page"): no $o (in $b's usage)"
	done
done
pass "6 man pages render with a NAME section and no warning; they name every long option of the usages"
