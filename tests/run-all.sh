#!/bin/sh
# Runs every test suite and ends with the summary line CI reads:
#   N passed, N failed
# Each suite prints "ok NAME" / "not ok NAME # why" lines (cmocka in TAP
# mode does too); a suite that dies without saying why counts as a failure.
set -u
cd "$(dirname "$0")/.."

B=build
LOG=$B/test-logs
mkdir -p "$LOG"
pass=0
fail=0
failed_names=""

# run_suite NAME CMD...: run, echo its result lines, count them.
run_suite() {
	name=$1
	shift
	out="$LOG/$name.out"
	echo "== $name"
	"$@" > "$out" 2> "$LOG/$name.err"
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	grep -E '^(ok|not ok) ' "$out" | sed 's/^/   /'
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "   not ok $name # exited with status $rc; see $LOG/$name.err"
		tail -n 5 "$LOG/$name.err" | sed 's/^/      /'
		f=1
	elif [ "$f" != 0 ]; then
		tail -n 15 "$LOG/$name.err" | sed 's/^/      /'
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" = 0 ] || failed_names="$failed_names $name"
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Unit tests mirror user/: build/tests/unit/<folder>/test_<module>.
for t in $(find $B/tests/unit -type f -name 'test_*' ! -name '*.d' | sort); do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t" | sed 's/^test_//')" "$t"
done

if [ "${1:-}" != --unit-only ]; then
	run_suite cli tests/cli.sh "$B/asan/exfild"
	# The geo checks need fixture databases; itest reads their JSON sources.
	host_itest() {
		g=tests/fixtures/geo
		perl tools/mkmmdb.pl --schema city --in $g/geo-city.json --out $B/tests/geo-city.mmdb &&
		perl tools/mkmmdb.pl --schema asn --in $g/geo-asn.json --out $B/tests/geo-asn.mmdb &&
		"$B/tests/itest" --exfild "$B/asan/exfild" --traffic "$B/tests/traffic" \
			--attach auto --name host-6.18/auto --expect-tier tracepoint \
			--geoip $B/tests/geo-city.mmdb --geo-fixture $g/geo-city.json \
			--geoip $B/tests/geo-asn.mmdb --geo-fixture $g/geo-asn.json
	}
	run_suite host-auto host_itest
	for k in 6.1 6.12; do
		if [ -z "${EXFILD_SKIP_QEMU:-}" ]; then
			run_suite qemu-$k tests/qemu/matrix.sh $k
		else
			echo "== qemu-$k skipped (EXFILD_SKIP_QEMU); make test runs it"
		fi
	done
fi

[ -z "$failed_names" ] || echo "failed suites:$failed_names (logs in $LOG/)"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
