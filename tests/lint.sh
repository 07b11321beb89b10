#!/bin/sh
# Static analysis of the project's C (user/): cppcheck and clang-tidy, with
# the checks chosen in committed files that say why each one is off:
# .clang-tidy, tests/lint/cppcheck.supp (and tests/lint/cppcheck.cfg for the
# library macros cppcheck cannot see). Needs build/exfild.skel.h (make).
# Prints "ok lint/TOOL" or "not ok lint/TOOL # findings", details below.
set -u
cd "$(dirname "$0")/.."
LOG=build/test-logs
mkdir -p "$LOG"
INC=""
for m in core conf source/kernel source/replay enrich detect record sink ctl cmd; do
	INC="$INC -Iuser/$m"
done
SRC=$(find user -name '*.c' | sort)

# cppcheck without the generated skeleton (-Ibuild): its multi-megabyte
# byte string costs minutes and holds nothing to check.
cppcheck -j2 --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
	--std=c11 -D_GNU_SOURCE -D__x86_64__ --max-configs=1 --inline-suppr \
	--library=tests/lint/cppcheck.cfg --suppressions-list=tests/lint/cppcheck.supp \
	$INC -Ibpf $SRC > "$LOG/cppcheck.txt" 2>&1
if [ $? = 0 ]; then
	echo "ok lint/cppcheck"
else
	echo "not ok lint/cppcheck # $(grep -cE ': (error|warning|style|performance|portability):' "$LOG/cppcheck.txt") finding(s)"
	sed 's/^/#   /' "$LOG/cppcheck.txt" | head -40
fi

# clang-tidy, two files at a time.
export TIDY_FLAGS="-D_GNU_SOURCE $INC -Ibpf -Ibuild"
echo "$SRC" | xargs -P2 -n4 sh -c 'clang-tidy --quiet "$@" -- $TIDY_FLAGS' clang-tidy \
	> "$LOG/clang-tidy.txt" 2>&1
# Findings in generated code (build/: bpftool's skeleton, whose inline
# functions the analyzer follows even as a system header) are not ours.
grep -E ': (warning|error): ' "$LOG/clang-tidy.txt" | grep -vE '^(build/|[^:]*/build/)' > "$LOG/clang-tidy.ours"
n=$(wc -l < "$LOG/clang-tidy.ours")
if [ "$n" = 0 ]; then
	echo "ok lint/clang-tidy"
else
	echo "not ok lint/clang-tidy # $n finding(s)"
	sed 's/^/#   /' "$LOG/clang-tidy.ours" | head -40
fi
exit 0
