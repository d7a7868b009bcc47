#!/bin/bash
# test_check_structure.sh SRC: scripts/check_structure on the fixture tree
# of tests/structure/fixture/, which has one of each violation: a cycle of
# two modules (one through a_impl.h), a program including another's header,
# gateway/common including a program's header, the PKI library including
# gw-cert's, a daemon including the signing code's (certs/ca: only gw-cert
# and gw-signer may), a header that only the build's include path order tells
# apart from its namesake, and a function of 81 lines beside one of 80
# and a long table; b.c's include of a_impl.h is also a private header
# included from outside its module.  The tree does not compile (its
# includes cross where the build would not find them): --no-writes, struct
# writes have their own fixture (test_check_structure_writes.sh).
# It must flag exactly those (fixture.expected), pass when they are all
# allowed, and fail on an allowlist line that no longer occurs or that has
# no issue number.
set -u
src=${1:?usage: test_check_structure.sh SRC}
check="python3 $src/scripts/check_structure --no-writes
    --root $src/tests/structure/fixture"
exp=$src/tests/structure/fixture.expected
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T/out"; exit 1; }

$check --allow none >"$T/out"; rc=$?
[ $rc -eq 1 ] || fail "no allowlist: exit $rc, want 1"
sed -n 's/^NEW //p' "$T/out" | sort >"$T/got"
diff -u "$exp" "$T/got" || fail "flagged other than fixture.expected"
grep -q 'cycle gateway/gatewayd/a -> gateway/gatewayd/b -> gateway/gatewayd/a' \
    "$T/out" || fail "the cycle's path is not named"
grep -q '^    gateway/gatewayd/c.c:109: c_long() is 81 lines' "$T/out" ||
    fail "the long function's file and line are not named"

sed 's/$/  #19/' "$exp" >"$T/allow"
$check --allow "$T/allow" >"$T/out"; rc=$?
[ $rc -eq 0 ] || fail "all allowed: exit $rc, want 0"

cp "$T/allow" "$T/stale"
echo 'long gateway/gatewayd/c.c c_just  #19' >>"$T/stale"
$check --allow "$T/stale" >"$T/out"; rc=$?
[ $rc -eq 1 ] || fail "a stale line: exit $rc, want 1"
grep -q '^STALE .*c_just: no longer occurs' "$T/out" ||
    fail "the stale line is not named"

sed '1s/#19//' "$T/allow" >"$T/nonum"
$check --allow "$T/nonum" >"$T/out" 2>&1; rc=$?
[ $rc -eq 2 ] || fail "a line without an issue number: exit $rc, want 2"
echo "ok"
