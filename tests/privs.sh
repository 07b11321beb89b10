#!/bin/bash
# Least privilege of a running agent (issue 11): after setup it keeps only
# the capabilities its loop needs (user/core/privs.h says which and why),
# with no-new-privs; what it writes and pins is root's alone; and it still
# names a process of another user, which is what the kept capabilities are for.
# Usage: tests/privs.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
T=$(mktemp -d)
PIN=/sys/fs/bpf/exfild-privs-$$
agent=
sender=
cleanup() {
	[ -n "$sender" ] && kill "$sender" 2>/dev/null
	[ -n "$agent" ] && kill -9 "$agent" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT

ok() { echo "ok privs/$1"; }
nok() { echo "not ok privs/$1 # $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "$3"; fi; }

# Wait (bounded) until CMD succeeds; the bound only ends a broken run.
wait_for() {
	for _ in $(seq 600); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

# The exact set: CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE (19); CAP_BPF
# (39) too where the kernel checks it on every bpf(2) command (before 6.5,
# with unprivileged BPF disabled).
want=0000000000080004
IFS=. read -r kmaj kmin _ < /proc/sys/kernel/osrelease
unpriv=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null || echo 0)
if [ "$unpriv" != 0 ] && { [ "$kmaj" -lt 6 ] || { [ "$kmaj" = 6 ] && [ "${kmin%%[!0-9]*}" -lt 5 ]; }; }; then
	want=0000008000080004
fi

"$X" run --interval 1 --flows --include-reserved --pin-path "$PIN" --control none \
	--output "file:$T/out.json" 2> "$T/agent.err" &
agent=$!
if ! wait_for 'grep -q "running:" "$T/agent.err"'; then
	nok running "agent did not start: $(tail -3 "$T/agent.err" | tr '\n' ' ')"
	exit 0
fi
ok running
st() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$agent/status"; }
check cap-effective '[ "$(st CapEff)" = $want ]' "CapEff $(st CapEff), want $want"
check cap-permitted '[ "$(st CapPrm)" = $want ]' "CapPrm $(st CapPrm), want $want"
check cap-bounding '[ "$(st CapBnd)" = $want ]' "CapBnd $(st CapBnd), want $want"
check cap-inheritable '[ "$(st CapInh)" = 0000000000000000 ]' "CapInh $(st CapInh)"
check cap-ambient '[ "$(st CapAmb)" = 0000000000000000 ]' "CapAmb $(st CapAmb)"
check no-new-privs '[ "$(st NoNewPrivs)" = 1 ]' "NoNewPrivs $(st NoNewPrivs)"
check says-what-it-kept 'grep -q "privileges dropped: capabilities now cap_dac_read_search,cap_sys_ptrace" "$T/agent.err"' \
	"$(grep privileges "$T/agent.err")"

# Files and pins: root's alone.
mode() { stat -c '%a %u' "$1"; }
check pin-dir-0700 '[ "$(mode "$PIN")" = "700 0" ]' "$PIN: $(mode "$PIN")"
bad=$(for f in "$PIN"/*; do [ "$(mode "$f")" = "600 0" ] || echo "$f: $(mode "$f")"; done)
check pinned-maps-0600 '[ -z "$bad" ] && [ -e "$PIN/flows_a" ]' "$bad"
check output-0600 '[ "$(mode "$T/out.json")" = "600 0" ]' "$(mode "$T/out.json")"
lock=$(ls /run/exfild/exfild-*.lock 2>/dev/null | while read -r l; do [ "$(cat "$l")" = "$agent" ] && echo "$l"; done)
check lock-0600 '[ -n "$lock" ] && [ "$(mode "$lock")" = "600 0" ]' "lock '$lock'"
check run-dir-0700 '[ "$(mode /run/exfild)" = "700 0" ]' "$(mode /run/exfild)"
if command -v setpriv > /dev/null; then
	check others-cannot-list-pins '! setpriv --reuid=65534 --regid=65534 --clear-groups ls "$PIN" > /dev/null 2>&1' \
		"nobody can list $PIN"
fi

# A process of another user (nobody) sends; the agent, without its root
# powers, still reads its executable, hash and working directory. The
# sender (bash itself: printf is a builtin) waits on a FIFO so it is alive
# until its record is written.
mkfifo "$T/go"
chmod 755 "$T"
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
	bash -c 'printf "%1234s" "" > /dev/udp/127.0.0.1/4399; read -r _') < "$T/go" &
sender=$!
exec 4> "$T/go"
# The record is the flow to port 4399 (matched as a field: source.port may
# start with the same digits).
to4399() { jq -c 'select(.event.dataset == "exfild.flow" and .destination.port == 4399)' "$T/out.json" 2>/dev/null; }
if wait_for '[ -n "$(to4399)" ]'; then
	rec=$(to4399 | head -1)
	jq_() { printf '%s' "$rec" | jq -r "$1"; }
	check other-user-bytes '[ "$(jq_ .source.bytes)" = 1234 ] && [ "$(jq_ .user.id)" = 65534 ]' "$rec"
	check other-user-executable '[ "$(jq_ .process.executable)" = "$(readlink -f /bin/bash)" ]' \
		"executable $(jq_ .process.executable)"
	check other-user-hash '[ "$(jq_ .process.hash.sha256)" = "$(sha256sum "$(readlink -f /bin/bash)" | cut -d" " -f1)" ]' \
		"hash $(jq_ .process.hash.sha256) status $(jq_ .exfild.process.hash_status)"
	check other-user-cwd '[ "$(jq_ .process.working_directory)" = / ]' "cwd $(jq_ .process.working_directory)"
else
	nok other-user-record "no record for port 4399: $(tail -2 "$T/agent.err" | tr '\n' ' ')"
fi
exec 4>&-
wait "$sender"
sender=

# It still stops cleanly, unpinning, without the powers it dropped.
kill -TERM "$agent"
wait "$agent"
rc=$?
agent=
check clean-exit '[ $rc = 0 ] && [ ! -e "$PIN" ]' "exit $rc, $(ls "$PIN" 2>&1)"

# The systemd unit's CapabilityBoundingSet is enough to load, attach and
# pin: run the agent with exactly that bounding set.
unit=$(dirname "$0")/../etc/exfild.service.in
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed 's/^CAP_/+/' |
	tr 'A-Z' 'a-z' | paste -sd, -)
if command -v setpriv > /dev/null && [ -n "$bset" ]; then
	timeout 60 setpriv --bounding-set "-all,$bset" "$X" run --duration 1 --pin-path "$PIN-unit" \
		--control none > /dev/null 2> "$T/unit.err"
	rc=$?
	check unit-bounding-set-enough '[ $rc = 0 ] && grep -q "running:" "$T/unit.err"' \
		"with $bset: exit $rc: $(grep error "$T/unit.err")"
	rm -rf "$PIN-unit"
fi
exit 0
