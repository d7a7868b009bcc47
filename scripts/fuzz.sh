#!/usr/bin/env bash
# scripts/fuzz.sh --build: only build them all (scripts/run does, ahead).
# scripts/fuzz.sh [SECONDS] [HARNESS...]: build the libFuzzer harnesses of
# fuzz/ with clang-14 (ASan + UBSan + libFuzzer) in build-fuzz/ and run each
# for SECONDS (default 60), as many at once as there are cores (GW_FUZZ_JOBS),
# each from its checked-in corpus (fuzz/corpus/NAME) plus a working corpus in
# build-fuzz/corpus/NAME.  A crash fails the run (exit 1); the reproducer is written to
# build-fuzz/crash-NAME-* and its bytes are printed (hex) for the CI log.
# So does a harness whose corpus did not replay whole (no INITED line:
# libFuzzer replays every input before it mutates any, however short
# SECONDS is).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-60}
shift || true
OUT=$SRC/build-fuzz
if [ "$SECS" = --build ] || [ $# -eq 0 ]; then
	set -- $(cd "$SRC/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')
fi
command -v clang-14 >/dev/null || { echo "fuzz: clang-14 is needed (apt-get install clang-14)" >&2; exit 1; }
CC=clang-14 cmake -S "$SRC" -B "$OUT" -DGW_SANITIZE=ON -DGW_FUZZ=ON >/dev/null
cmake --build "$OUT" -j"$(nproc)" --target $(printf 'fuzz_%s ' "$@") >/dev/null
[ "$SECS" != --build ] || exit 0
# One harness: its log in build-fuzz/fuzz_NAME.log, its status in .rc.
run_one() {
	local h=$1 ml st=0 opts=()
	mkdir -p "$OUT/corpus/$h"
	[ -f "$SRC/fuzz/$h.dict" ] && opts+=("-dict=$SRC/fuzz/$h.dict")
	ml=$(sed -n 's/^max_len = //p' "$SRC/fuzz/$h.options" 2>/dev/null)
	[ -n "$ml" ] && opts+=("-max_len=$ml")
	"$OUT/fuzz/fuzz_$h" -max_total_time="$SECS" -print_final_stats=1 \
	    -artifact_prefix="$OUT/crash-$h-" "${opts[@]}" \
	    "$OUT/corpus/$h" "$SRC/fuzz/corpus/$h" >"$OUT/fuzz_$h.log" 2>&1 ||
	    st=$?
	echo "$st" >"$OUT/fuzz_$h.rc"
}

# As many harnesses at once as there are cores (GW_FUZZ_JOBS).
par=${GW_FUZZ_JOBS:-$(nproc)}
for h in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do wait -n || true; done
	echo "== fuzz_$h for ${SECS}s"
	rm -f "$OUT/fuzz_$h.rc"
	run_one "$h" &
done
wait
rc=0
for h in "$@"; do
	if [ "$(cat "$OUT/fuzz_$h.rc" 2>/dev/null)" = 0 ] &&
	    ! grep -q 'INITED' "$OUT/fuzz_$h.log"; then
		echo "fuzz_$h FAILED: its corpus did not replay (no INITED)"
		tail -n 20 "$OUT/fuzz_$h.log"
		rc=1
		continue
	fi
	if [ "$(cat "$OUT/fuzz_$h.rc" 2>/dev/null)" != 0 ]; then
		echo "fuzz_$h FAILED; reproducer(s):"
		for f in "$OUT"/crash-"$h"-*; do
			[ -f "$f" ] || continue
			echo "--- $f"
			od -An -tx1 -v "$f" | head -n 64
		done
		tail -n 60 "$OUT/fuzz_$h.log"
		rc=1
		continue
	fi
	echo "== fuzz_$h"
	grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|cov:' \
	    "$OUT/fuzz_$h.log" | tail -n 3 | sed 's/^/   /'
done
exit $rc
