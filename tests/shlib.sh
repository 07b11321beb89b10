# Helpers for shell test suites (sourced). The suite sets SUITE (the prefix
# of its result lines) and T (a temp directory it removes).

ok() { echo "ok $SUITE/$1"; }
nok() { echo "not ok $SUITE/$1 # $2"; }

# expect NAME STATUS PATTERN CMD...: the exit status, a line of stderr or
# stdout matching PATTERN (empty: any), and for a failure exactly one
# "exfild: error:" line (one clear error, not a cascade; 255 is the
# internal-error path, which says nothing more). On a failure the whole
# stderr goes to the suite's stderr, so the log shows what the reason cut.
expect() {
	local name=$1 want=$2 pat=$3 rc nerr why
	shift 3
	# A bound on every run: a test that hangs is a failure, not a stuck CI.
	timeout "${EXPECT_TIMEOUT:-60}" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	nerr=$(grep -c '^exfild: error:' "$T/err")
	why=$(head -c 300 "$T/err" | tr '\n' ' ')
	if [ "$rc" != "$want" ]; then
		why="exit $rc, wanted $want: $why"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$T/err" "$T/out"; then
		why="no line matching '$pat' in: $why"
	elif [ "$want" != 0 ] && [ "$want" != 255 ] && [ "$nerr" != 1 ]; then
		why="expected one 'exfild: error:' line, got $nerr: $why"
	else
		ok "$name"
		return
	fi
	nok "$name" "$why"
	{ echo "--- $SUITE/$name: $* (exit $rc), stderr:"; cat "$T/err"; } >&2
}
