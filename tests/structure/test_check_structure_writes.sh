#!/bin/bash
# test_check_structure_writes.sh SRC: scripts/check_structure's struct
# writes on the tree of tests/structure/writes/, a program of two modules:
# box (box.c and box_count.c, which share box_impl.h) and user.  user.c
# writes struct box in one line ("the second writer"): flagged, with one
# file:line per module; allowed, it passes; removed, it passes and the
# allowlist line is stale.  Then that line becomes other writes, each
# flagged as the rule says (a member of an embedded struct writes both, a
# TAILQ macro on an embedded head writes its holder, a write through a
# pointer member writes only the struct pointed to, the system's structs
# and another module's struct of the same name are not box, a value the
# function builds in its own variable is not counted, but a static one and
# one reached through a pointer are), and user.c
# includes box_impl.h (a private header from outside its module).  A
# state (a member of an enum type named *_state, *_phase or *_health) set
# by a function other than its one setter is flagged, in another module or
# in its own; so is a callback's void * made a pointer to a struct that
# has a magic by a function that does not check that magic, also when
# only a header changed since the last run (its cache).  The
# files are compiled by clang-14 with the include directories of the
# tree's CMakeLists.txt, without a build; without clang the check fails.
set -u
src=${1:?usage: test_check_structure_writes.sh SRC}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp -r "$src/tests/structure/writes" "$T/tree"
user=$T/tree/gateway/gatewayd/user.c
cp "$user" "$T/user.c"
# The interpreter itself, not a wrapper that finds it (pyenv's shims cost
# more than the check of this small tree).
py=$(python3 -c 'import sys; print(sys.executable)')
# Each run keeps its dumps' findings in $T/cache for the next (a file's
# dump is made again only when it or a header it reads changed).
check() { "$py" "$src/scripts/check_structure" --root "$T/tree" \
    --cache "$T/cache" "$@" >"$T/out" 2>&1; }
fail() { echo "FAIL: $*"; cat "$T/out"; exit 1; }
box='write struct box'
tally='write struct tally'
item='write struct item'
impl='impl gateway/gatewayd/user.c -> gateway/gatewayd/box_impl.h'

# expect WHAT LINE...: with user.c's second writer replaced by WHAT, the
# check without an allowlist flags exactly the LINEs.
expect() {
	local what=$1 rc want=1
	shift
	sed "s|^.*the second writer.*\$|$what|" "$T/user.c" >"$user"
	check --allow none; rc=$?
	[ $# -gt 0 ] || want=0
	[ $rc -eq $want ] || fail "with '$what': exit $rc, want $want"
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$T/want"
	sed -n 's/^NEW //p' "$T/out" | sort >"$T/got"
	diff -u "$T/want" "$T/got" || fail "with '$what': flagged otherwise"
}

check --allow none; rc=$?
[ $rc -eq 1 ] || fail "user.c writes struct box: exit $rc, want 1"
[ "$(sed -n 's/^NEW //p' "$T/out")" = "$box" ] ||
	fail "not exactly struct box flagged"
d=gateway/gatewayd
grep -qxF "    struct box ($d/box.h:21) is written by 2 modules: $d/box at\
 $d/box.c:15 (n); $d/user at $d/user.c:21 (n)" "$T/out" ||
	fail "the modules and a file:line each are not named"

echo "$box  #19" >"$T/allow"
check --allow "$T/allow"; rc=$?
[ $rc -eq 0 ] || fail "allowed: exit $rc, want 0"

sed -i '/the second writer/d' "$user"
check --allow none; rc=$?
[ $rc -eq 0 ] || fail "the second writer removed: exit $rc, want 0"
check --allow "$T/allow"; rc=$?
[ $rc -eq 1 ] || fail "a stale write line: exit $rc, want 1"
grep -q "^STALE .*$box: no longer occurs" "$T/out" ||
	fail "the stale write line is not named"

expect 'b->tally.hits++;' "$box" "$tally"
expect 'b->tally.last[n] += 2;' "$box" "$tally"
expect 'TAILQ_INIT(\&b->items);' "$box"
expect 'TAILQ_INSERT_HEAD(\&b->items, it, link);' "$box" "$item"
expect 'b->l = n;' "$box"
expect 'b->tv.tv_usec = n;' "$box"
expect '(*b).n--;' "$box"
expect 'b->first->v = n;' "$item"
expect '*b->count = n;'
expect 'c.k = n;'
expect '{ struct box v; v.n = n; v.tally.hits = n; (\&v)->l = n; (void)v; }'
expect '{ static struct box v; v.n = n; }' "$box"
expect '{ struct box v[2]; v[1].n = n; (void)v; }'
expect '{ struct box v, *p = \&v; p->n = n; (void)v; }' "$box"
setter='setter struct box.state'
expect 'b->state = BOX_FULL;' "$box" "$setter"
expect 'box_set_state(b, BOX_FULL);'

# A second setter in module box itself: not a second writer, but a state
# set outside its one setter.
count=$T/tree/gateway/gatewayd/box_count.c
cp "$count" "$T/box_count.c"
printf 'void\nbox_fill(struct box *b)\n{\n\tb->state = BOX_FULL;\n}\n' \
    >>"$count"
expect 'box_set_state(b, BOX_FULL);' "$setter"
grep -qF "set by 2 functions: box_fill at $d/box_count.c:" "$T/out" ||
	fail "the two setters are not named"
cp "$T/box_count.c" "$count"

# expect_cb CODE LINE...: user.c without its second writer and with CODE
# after it: the check flags exactly the LINEs.  A callback's void * made a
# struct box * (box has a magic) must be checked in the function that
# does it.
expect_cb() {
	local code=$1 rc want=1
	shift
	sed '/the second writer/d' "$T/user.c" >"$user"
	printf '%s\n' "$code" >>"$user"
	check --allow none; rc=$?
	[ $# -gt 0 ] || want=0
	[ $rc -eq $want ] || fail "with '$code': exit $rc, want $want"
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$T/want"
	sed -n 's/^NEW //p' "$T/out" | sort >"$T/got"
	diff -u "$T/want" "$T/got" || fail "with '$code': flagged otherwise"
}
magic="magic $d/user.c user_cb"
expect_cb 'int user_cb(void *arg) { struct box *b = arg; return b->n; }' \
    "$magic"
expect_cb 'int user_cb(void *arg) { return ((struct box *)arg)->n; }' \
    "$magic"
expect_cb 'int user_cb(void *arg) { struct box *b = arg;
return b->magic == 7 ? b->n : -1; }'
expect_cb 'static struct box *box_of(void *p) { struct box *b = p;
return b->magic == 7 ? b : 0; }
int user_cb(void *arg) { return box_of(arg)->n; }'
expect_cb 'int user_cb(void *arg) { struct item *it = arg; return it->v; }'
# A header's change is seen through the cache: with a magic in struct
# item (box.h), the same user.c is flagged.
box_h=$T/tree/gateway/gatewayd/box.h
cp "$box_h" "$T/box.h"
sed -i 's/^\tint\t\t\t v;$/&\n\tunsigned\t\t magic;/' "$box_h"
! cmp -s "$box_h" "$T/box.h" || fail "box.h not changed"
expect_cb 'int user_cb(void *arg) { struct item *it = arg; return it->v; }' \
    "$magic"
cp "$T/box.h" "$box_h"

sed -e '/the second writer/d' \
    -e 's|^#include "box.h"$|#include "box_impl.h"|' "$T/user.c" >"$user"
check --allow none; rc=$?
[ $rc -eq 1 ] || fail "user.c includes box_impl.h: exit $rc, want 1"
[ "$(sed -n 's/^NEW //p' "$T/out")" = "$impl" ] ||
	fail "not exactly the include of box_impl.h flagged"

sed 's|^.*the second writer.*$|b->n = n;|' "$T/user.c" >"$user"
check --allow none --clang "$T/no-such-clang"; rc=$?
[ $rc -eq 2 ] || fail "without clang: exit $rc, want 2"
grep -q 'no-such-clang is not installed' "$T/out" ||
	fail "a missing clang is not named"
echo "ok"
