#!/bin/sh
# The libFuzzer harnesses of tests/fuzz/ (make fuzz-build builds them).
#   tests/fuzz.sh            each for FUZZ_SECONDS (default 60) from its seeds
#   tests/fuzz.sh --seeds    each over its seeds once (make test: every crash
#                            found so far is a seed, so this is the regression run)
# Prints "ok fuzz/NAME" / "not ok fuzz/NAME # why"; new inputs go to
# build/fuzz/found/NAME, crashes to build/fuzz/artifacts/ (add each one to
# tests/fuzz/corpus/NAME/ and a unit test, then fix it).
set -u
cd "$(dirname "$0")/.."
B=build/fuzz
SECS=${FUZZ_SECONDS:-60}
mkdir -p "$B/logs" "$B/artifacts"
# Leaks of libraries that are not ours to fix (each explained there).
export LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	short=${name#fuzz_}
	bin=$B/$name
	seeds=tests/fuzz/corpus/$short
	log=$B/logs/$short.log
	if [ ! -x "$bin" ]; then
		echo "not ok fuzz/$short # no $bin (make fuzz-build)"
		continue
	fi
	if [ ! -d "$seeds" ] || [ -z "$(ls "$seeds")" ]; then
		echo "not ok fuzz/$short # no seeds in $seeds"
		continue
	fi
	if [ "${1:-}" = --seeds ]; then
		# Each seed once, as a file: libFuzzer runs it and exits.
		"$bin" -timeout=10 "$seeds"/* > "$log" 2>&1
	else
		mkdir -p "$B/found/$short"
		"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$B/artifacts/$short-" "$B/found/$short" "$seeds" > "$log" 2>&1
	fi
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ $rc = 0 ]; then
		echo "ok fuzz/$short${runs:+ # $runs runs}" | sed 's/ # \([0-9]*\) runs/ (\1 runs)/'
	else
		echo "not ok fuzz/$short # exit $rc: $(grep -m1 -E 'ERROR|SUMMARY|Test unit written' "$log") (log $log)"
	fi
done
exit 0
