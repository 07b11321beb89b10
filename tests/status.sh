#!/bin/bash
# exfild status against a live agent: the control socket, its answer, its
# mode, a second agent on the same socket, and exit 3 when nobody answers.
# Usage: tests/status.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
T=$(mktemp -d)
PIN=/sys/fs/bpf/exfild-status-$$
SOCK=$T/run/control.sock
agent=
cleanup() {
	[ -n "$agent" ] && kill -9 "$agent" 2>/dev/null
	rm -rf "$T" "$PIN"
}
trap cleanup EXIT

ok() { echo "ok status/$1"; }
nok() { echo "not ok status/$1 # $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "$3"; fi; }

# Wait (bounded) until CMD succeeds; the bound only ends a broken run.
wait_for() {
	for _ in $(seq 600); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

timeout 20 "$X" status --control "$T/nobody.sock" > "$T/out" 2> "$T/err"
rc=$?
check no-agent-exit-3 '[ $rc = 3 ]' "exit $rc"
check no-agent-says-so 'grep -q "no agent is running" "$T/err"' "$(cat "$T/err")"

"$X" run --pin-path "$PIN" --control "$SOCK" --interval 1 --output "file:$T/out.json" \
	2> "$T/agent.err" &
agent=$!
if ! wait_for '"$X" status --control "$SOCK" --json > "$T/st.json" 2>/dev/null'; then
	nok answers "no status answer; agent said: $(tail -3 "$T/agent.err" | tr '\n' ' ')"
	exit 0
fi
ok answers
jqv() { jq -r "$1" "$T/st.json"; }
check pid '[ "$(jqv .pid)" = "$agent" ]' "pid $(jqv .pid), agent $agent"
check tier '[ "$(jqv .attach.tier)" = tracepoint ]' "tier $(jqv .attach.tier)"
check pin-dir '[ "$(jqv .attach.pin_dir)" = "$PIN" ]' "pin_dir $(jqv .attach.pin_dir)"
check interval '[ "$(jqv .drain.interval_s)" = 1 ]' "interval $(jqv .drain.interval_s)"
check max-flows '[ "$(jqv .maps.max_flows)" = 65536 ]' "max_flows $(jqv .maps.max_flows)"
check version '[ "$(jqv .version)" = "$("$X" version | cut -d" " -f2)" ]' "version $(jqv .version)"
check socket-0600 '[ "$(stat -c %a "$SOCK")" = 600 ]' "mode $(stat -c %a "$SOCK")"
check socket-dir-0700 '[ "$(stat -c %a "$T/run")" = 700 ]' "mode $(stat -c %a "$T/run")"

# Drains show up in the status as they happen.
if wait_for '"$X" status --control "$SOCK" --json > "$T/st.json" 2>/dev/null &&
	[ "$(jqv .drain.count)" -ge 2 ]'; then
	ok drains-counted
	check last-drain '[ "$(jqv .drain.last)" != null ]' "drain.last missing"
else
	nok drains-counted "drain.count $(jqv .drain.count)"
fi
"$X" status --control "$SOCK" > "$T/table" 2>&1
check table 'grep -q "attach tier *tracepoint" "$T/table" && grep -q "drain *every 1 s" "$T/table"' \
	"$(head -3 "$T/table" | tr '\n' ' ')"

# A second agent (its own pins) does not take over the live agent's
# socket: it runs without one and says so.
timeout 60 "$X" run --pin-path "$PIN-2" --control "$SOCK" --duration 1 --output "file:$T/o2" \
	> /dev/null 2> "$T/second.err"
rc=$?
check second-agent-no-socket '[ $rc = 0 ] && grep -q "served by another agent.*cannot reach this agent" "$T/second.err"' \
	"exit $rc: $(grep control "$T/second.err")"
rm -rf "$PIN-2"
check first-still-answers '"$X" status --control "$SOCK" > /dev/null 2>&1' "no answer"

kill -TERM "$agent"
wait "$agent"
agent=
check socket-removed '[ ! -e "$SOCK" ]' "socket left behind"
timeout 20 "$X" status --control "$SOCK" > /dev/null 2>&1
rc=$?
check stopped-exit-3 '[ $rc = 3 ]' "exit $rc"
