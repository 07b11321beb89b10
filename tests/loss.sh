#!/bin/bash
# Loss records end to end, for the losses the map-full case (itest fill)
# does not make: process events the ring buffer refused (loss.events) and
# records an output's queue dropped (loss.records), with the counts exact
# where the test can know them.
# Usage: tests/loss.sh PATH-TO-EXFILD PATH-TO-TRAFFIC
# Prints "ok loss/NAME" or "not ok loss/NAME # why". Needs root, jq, bpftool.
set -u
X=${1:-build/asan/exfild}
TR=${2:-build/tests/traffic}
T=$(mktemp -d)
PIN=/sys/fs/bpf/exfild-loss-$$
WAIT_S=120		# bound on every wait for an event
agents=""
others=""
failed=
cleanup() {
	for p in $others $agents; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ -z "$failed" ] || for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done >&2
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT

SUITE=loss
. "$(dirname "$0")/shlib.sh"	# ok, nok
. "$(dirname "$0")/agentlib.sh"	# start, stop, until_ok, wait_for, flows, short
nok() { echo "not ok $SUITE/$1 # $2"; failed=1; }

for tool in jq bpftool; do
	command -v "$tool" >/dev/null || { nok tools "$tool is not installed (make deps)"; exit 1; }
done
[ -x "$TR" ] || { nok tools "no traffic program $TR (make build/tests/traffic)"; exit 1; }

# losses FILE FIELD: the sum of exfild.loss.FIELD over FILE's loss records.
losses() {
	jq -s "[.[] | select(.event.dataset == \"exfild.loss\") | .exfild.loss.$2] | add // 0" "$1" 2>/dev/null
}

# ---- loss.events: the ring buffer overrun --------------------------------

# The exec/exit ring buffer holds 1 MiB: 3196 events of 328 bytes (320 and
# the ring's 8-byte header). The agent is stopped while STORM processes
# exec and exit (two events each): at least 2 * STORM - 3196 are refused
# (other processes on the machine can only add to that). The loss records
# must sum to what the kernel counted, read from the pinned map.
STORM=2000
RING_EVENTS=3196
if start loss-events --interval 1 --pin-path "$PIN" --control none --output "file:$T/ev.json"; then
	kill -STOP "$apid"
	for _ in $(seq "$STORM"); do /bin/true; done
	kill -CONT "$apid"
	until_ok '[ "$(losses "$T/ev.json" events)" -gt 0 ]'	# the drain after it (checked below)
	kernel=$(bpftool -j map dump pinned "$PIN/losses" 2>&1 |
		jq '[.[].formatted.values[].value.events] | add' 2>&1)
	stop TERM
	got=$(losses "$T/ev.json" events)
	echo "loss-events: $got events lost, the kernel counted $kernel" >&2
	other=$(jq -s '[.[] | select(.event.dataset == "exfild.loss") | .exfild.loss |
		.bytes + .entries + .records] | add // 0' "$T/ev.json" 2>&1)
	if [ "$rc" != 0 ]; then
		nok loss-events "exit $rc: $(short "$T/loss-events.err")"
	elif [ "$got" = 0 ]; then
		nok loss-events "no loss record with events after $STORM execs (the kernel counted $kernel): $(short "$T/ev.json" 2>&1)"
	elif [ "$got" != "$kernel" ]; then
		nok loss-events "the loss records say $got events, the kernel's losses map $kernel"
	elif [ "$got" -lt $((2 * STORM - RING_EVENTS)) ]; then
		nok loss-events "$got events lost, expected at least $((2 * STORM - RING_EVENTS)) (2 x $STORM execs, a ring of $RING_EVENTS)"
	elif [ "$other" != 0 ]; then
		nok loss-events "expected no lost bytes, entries or records, got $other: $(short "$T/ev.json")"
	elif ! grep -q "warning: lost 0 bytes in 0 sends, [0-9]* process events and 0 records" "$T/loss-events.err"; then
		nok loss-events "no warning line: $(short "$T/loss-events.err")"
	else
		ok loss-events
	fi
fi

# ---- loss.records: an output's queue full ----------------------------------

# Flow records go to a file and to stdout, a pipe nobody reads for now:
# 64 KiB fit in the pipe and 8 MiB in the queue. traffic sends to 12000
# destinations (a record of about 1.4 KB each), so the queue overflows.
# Then the pipe is read: every record the file has, the pipe has too,
# except those the loss records count.
DESTS=12000
mkfifo "$T/pipe"
exec 5<> "$T/pipe"	# a reader that reads nothing: the agent's writes stall
"$X" run --interval 1 --include-reserved --pin-path none --control none \
	--flow-output stdout --flow-output "file:$T/all.json" --output "file:$T/main.json" \
	> "$T/pipe" 2> "$T/loss-records.err" 5>&- &
apid=$!
agents="$agents $apid"
if ! wait_for "$T/loss-records.err" "exfild: running:"; then
	nok loss-records "no 'running:' line: $(short "$T/loss-records.err")"
	exit 0
fi
"$TR" many --dests "$DESTS" > "$T/many.out" 2> "$T/many.err" 5>&-
tpid=$(sed -n 's/^sent pid=\([0-9]*\) .*/\1/p' "$T/many.out" | head -n 1)
until_ok '[ "$(losses "$T/main.json" records)" -gt 0 ]'	# (checked below)
cat "$T/pipe" > "$T/piped.json" 5>&- &
others="$others $!"
catpid=$!
exec 5>&-
# Until the pipe has caught up: every record in the file is in the pipe
# or counted lost (checked again after the exit).
nflows() { jq -c 'select(.event.dataset == "exfild.flow")' "$1" 2>/dev/null | wc -l; }
until_ok '[ $(nflows "$T/all.json") = $(( $(nflows "$T/piped.json") + $(losses "$T/main.json" records) )) ]'
stop TERM
until_ok 'zombie_or_gone $catpid'
all=$(nflows "$T/all.json")
piped=$(nflows "$T/piped.json")
lines=$(wc -l < "$T/piped.json")
lost=$(losses "$T/main.json" records)
mine=$(flows "$T/all.json" ".process.pid == ${tpid:-0}" | wc -l)
echo "loss-records: $all records in the file, $piped in the pipe, $lost lost" >&2
if [ "$rc" != 0 ]; then
	nok loss-records "exit $rc: $(short "$T/loss-records.err")"
elif [ "$mine" != "$DESTS" ]; then
	nok loss-records "expected the file to hold a record for each of traffic's $DESTS destinations, got $mine"
elif [ "$lost" -le 0 ]; then
	nok loss-records "no loss record with records (the file has $all records, the pipe $piped): $(short "$T/main.json")"
elif [ "$all" != $((piped + lost)) ]; then
	nok loss-records "expected the file's $all records = the pipe's $piped + $lost lost (loss.records)"
elif [ "$lines" != "$piped" ]; then
	nok loss-records "the pipe has $lines lines, $piped of them flow records: a record was cut"
else
	ok loss-records
fi
exit 0
