# Helpers shared by the shell test suites (sourced). The suite sets SUITE
# (the prefix of its result lines) and T (a temp directory it removes).

ok() { echo "ok $SUITE/$1"; }
nok() { echo "not ok $SUITE/$1 # $2"; }

# expect NAME STATUS PATTERN CMD...: exit status and a line of stderr or
# stdout matching PATTERN (empty: any)
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	# A bound on every run: a test that hangs is a failure, not a stuck CI.
	timeout "${EXPECT_TIMEOUT:-60}" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name" "exit $rc, wanted $want: $(head -c 300 "$T/err" | tr '\n' ' ')"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$T/err" "$T/out"; then
		nok "$name" "no line matching '$pat' in: $(head -c 300 "$T/err" | tr '\n' ' ')"
	else
		ok "$name"
	fi
}
