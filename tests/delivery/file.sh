#!/bin/bash
# The file sink end to end: a full disk (a small tmpfs) then free space
# loses no alert and leaves no partial line; `--output file:/dev/full`
# makes an exit that loses records say so and fail; a stdout pipe nobody
# reads never stalls the agent, and SIGTERM ends it within a second.
# Usage: tests/delivery/file.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
. "$(dirname "$0")/lib.sh"

# 1. Full disk, then room again: every alert arrives once, whole lines only.
mkdir -p "$T/small"
if mount -t tmpfs -o size=32k,mode=0700 tmpfs "$T/small" 2> /dev/null; then
	head -c 28672 /dev/zero > "$T/small/filler"
	"$X" test-alert --count 20 --timeout 60 --state-dir "$T/st1" \
		--output "file:$T/small/alerts.json" > "$T/ta1.out" 2> "$T/ta1.err" &
	TA=$!
	if wait_for 30 grep -q "No space left on device" "$T/ta1.err"; then
		partial=$(tail -c 1 "$T/small/alerts.json" | od -An -c | tr -d ' ')
		rm "$T/small/filler"
		wait "$TA"
		rc=$?
		n=$(jq -c . "$T/small/alerts.json" 2> /dev/null | wc -l)
		if [ "$rc" = 0 ] && [ "$n" = 20 ] && [ "$(wc -l < "$T/small/alerts.json")" = 20 ] &&
			{ [ -z "$partial" ] || [ "$partial" = '\n' ]; } &&
			[ "$(jq -s 'map(.exfild.test_alert.seq) == [range(1;21)]' "$T/small/alerts.json")" = true ]; then
			ok full-disk-then-space-no-alert-lost
		else
			nok full-disk-then-space-no-alert-lost "exit $rc, $n records, last byte '$partial': $(tail -c 300 "$T/ta1.err")"
		fi
	else
		kill "$TA" 2> /dev/null
		nok full-disk-then-space-no-alert-lost "the disk never filled: $(tail -c 300 "$T/ta1.err")"
	fi
	umount "$T/small"
else
	skip_test full-disk-then-space-no-alert-lost "cannot mount a tmpfs here"
fi

# An empty output list would drop every alert: refused, in one line.
printf 'output = [];\n' > "$T/empty.conf"
"$X" test-alert --config "$T/empty.conf" --state-dir "$T/st0" > /dev/null 2> "$T/empty.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l < "$T/empty.err")" = 1 ] &&
	grep -q "no output for alerts and loss records" "$T/empty.err"; then
	ok empty-output-list-refused
else
	nok empty-output-list-refused "exit $rc: $(head -c 300 "$T/empty.err")"
fi

# Another process holds the spool (a running agent): test-alert refuses,
# in one line, rather than send alerts without the spool's guarantee.
mkdir -m 700 "$T/st-held"
exec 8> "$T/st-held/alerts.lock"
chmod 600 "$T/st-held/alerts.lock"
flock -x 8
"$X" test-alert --state-dir "$T/st-held" --output "file:$T/held.json" > /dev/null 2> "$T/held.err"
rc=$?
exec 8>&-
if [ "$rc" = 1 ] && [ "$(wc -l < "$T/held.err")" = 1 ] && [ ! -s "$T/held.json" ] &&
	grep -q "alerts.spool is in use by another exfild" "$T/held.err"; then
	ok test-alert-refuses-a-held-spool
else
	nok test-alert-refuses-a-held-spool "exit $rc: $(head -c 300 "$T/held.err")"
fi

# 2. An exit that loses records says so and fails (issue 10: it said "stopped", exit 0).
timeout 60 "$X" run --duration 1 --interval 1 --pin-path none --control none \
	--state-dir "$T/st2" --output file:/dev/full --flows --include-reserved > /dev/null 2> "$T/full.err" &
RUN=$!
# Something to record: loopback sends while it runs.
for i in $(seq 1 50); do echo x > /dev/udp/127.0.0.1/$((30000 + i)) 2> /dev/null; done
wait_for 30 grep -q "running:" "$T/full.err"
for i in $(seq 1 50); do echo x > /dev/udp/127.0.0.1/$((30000 + i)) 2> /dev/null; done
wait "$RUN"
rc=$?
if [ "$rc" = 1 ] && grep -qE "exiting with [0-9]+ records never written: file:/dev/full: .*No space left on device" "$T/full.err" &&
	grep -q "stopped (with errors" "$T/full.err"; then
	ok dev-full-exit-says-so
else
	nok dev-full-exit-says-so "exit $rc: $(tail -c 400 "$T/full.err")"
fi

# 3. Issue 7 defect 1: stdout into a pipe nobody reads. The agent keeps
# draining (exfild status shows the drains go on) and SIGTERM ends it in
# under a second.
mkfifo "$T/fifo"
exec 7<> "$T/fifo"	# a reader that never reads: writes fill the pipe, then block
CTL=$T/ctl.sock
"$X" run --interval 1 --pin-path none --control "$CTL" --state-dir "$T/st3" --flows \
	--include-reserved > "$T/fifo" 2> "$T/stall.err" &
RUN=$!
drains() {
	"$X" status --json --control "$CTL" 2> /dev/null |
		jq -r '[.. | objects | select(has("drain")) | .drain.count] | first // empty' 2> /dev/null
}
drains_at_least() { d=$(drains); [ -n "$d" ] && [ "$d" -ge "$1" ]; }
send_burst() {
	pad=$(head -c 1200 /dev/zero | tr '\0' y)
	for i in $(seq 1 400); do echo "$pad" > /dev/udp/127.0.0.1/$((31000 + i)) 2> /dev/null; done
}
if wait_for 30 grep -q "running:" "$T/stall.err" && wait_for 30 drains_at_least 1; then
	send_burst
	d1=$(drains)
	send_burst
	# The pipe (64 KiB) is full by now; the drains must still go on.
	wait_for 30 drains_at_least $((d1 + 3))
	ok2=$?
	d2=$(drains)
	t0=$(date +%s%N)
	kill -TERM "$RUN"
	# The agent ends on its own (its exit flush is bounded at 250 ms); the
	# 20 s here only ends a broken run, it is no speed test.
	gone() { [ ! -e "/proc/$RUN" ] || [ "$(sed 's/.*) //' "/proc/$RUN/stat" | cut -d' ' -f1)" = Z ]; }
	wait_for 20 gone
	ended=$?
	[ "$ended" = 0 ] || kill -KILL "$RUN" 2> /dev/null
	wait "$RUN"
	t1=$(date +%s%N)
	ms=$(( (t1 - t0) / 1000000 ))
	if [ "$ok2" = 0 ] && [ "$ended" = 0 ]; then
		ok stalled-reader-never-freezes-agent
	else
		nok stalled-reader-never-freezes-agent "drains ${d1:-?} -> ${d2:-?}, SIGTERM took $ms ms: $(tail -c 300 "$T/stall.err")"
	fi
	echo "# stalled pipe: drains ${d1:-?} -> ${d2:-?}, SIGTERM to exit $ms ms"
else
	kill "$RUN" 2> /dev/null
	nok stalled-reader-never-freezes-agent "agent did not start: $(tail -c 300 "$T/stall.err")"
fi
exec 7>&-
exit 0
