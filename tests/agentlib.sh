# shellcheck shell=bash
# Helpers for shell suites that run the agent (sourced after shlib.sh).
# The suite sets X (the exfild binary), T (its temp directory) and
# WAIT_S (the bound on every wait: it only ends a broken run), and kills
# the pids in $agents on exit. Every wait is for an event (a log line, a
# record, a process state), never for a span of time.

short() { head -c 400 "$@" | tr '\n' ' '; }

# nap SECONDS: sleep without starting a process (read on a FIFO nobody
# writes): polling loops add no exec events while the agent is stopped.
mkfifo "$T/.nap" && exec {NAP_FD}<> "$T/.nap"
nap() { read -r -t "$1" -u "$NAP_FD" _; :; }

# until_ok CMD: until the shell command succeeds (0), or WAIT_S pass (1).
# CMD is eval'ed: it may name the caller's locals.
until_ok() {
	local uo_end=$((SECONDS + WAIT_S))
	until eval "$1"; do
		[ "$SECONDS" -lt "$uo_end" ] || return 1
		nap 0.05
	done
}

# wait_for FILE ERE: until a line of FILE matches (0), or WAIT_S pass (1).
wait_for() {
	local wf_file=$1 wf_re=$2
	until_ok 'grep -qE -- "$wf_re" "$wf_file" 2>/dev/null'
}

# flows FILE JQ-CONDITION: the flow records matching, one per line.
flows() {
	jq -c "select(.event.dataset == \"exfild.flow\" and ($2))" "$1" 2>/dev/null
}

# flows_of FILE PID [JQ-CONDITION]: PID's flow records matching, one per
# line (grep first: an agent's output grows large, jq reads it slowly).
flows_of() {
	grep -F "\"pid\":$2," "$1" 2>/dev/null |
		jq -c "select(.event.dataset == \"exfild.flow\" and .process.pid == $2 and (${3:-true}))" 2>/dev/null
}

# wait_rec_of FILE PID [JQ-CONDITION]: until such a record of PID is in FILE.
wait_rec_of() {
	local wo_file=$1 wo_pid=$2 wo_cond=${3:-true}
	until_ok '[ -n "$(flows_of "$wo_file" "$wo_pid" "$wo_cond")" ]'
}

# wait_rec FILE JQ-CONDITION: until a flow record matching it is in FILE.
wait_rec() {
	local wr_file=$1 wr_cond=$2
	until_ok '[ -n "$(flows "$wr_file" "$wr_cond")" ]'
}

# start NAME ARGS...: start the agent in the background, wait for its
# "running:" line; sets $apid. 1 (and a `not ok NAME`) if it never came.
start() {
	sname=$1
	shift
	"$X" run "$@" > "$T/$sname.stdout" 2> "$T/$sname.err" &
	apid=$!
	agents="$agents $apid"
	if ! wait_for "$T/$sname.err" "exfild: running:"; then
		nok "$sname" "no 'running:' line within ${WAIT_S}s: $(short "$T/$sname.err")"
		kill -KILL $apid 2>/dev/null
		wait $apid 2>/dev/null
		return 1
	fi
}

# zombie_or_gone PID: the process has exited (field 3 of /proc/PID/stat).
zombie_or_gone() {
	[ ! -e "/proc/$1" ] || [ "$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -c2)" = Z ]
}

# stop SIGNAL: signal the agent, wait (bounded) for it; sets $rc (999: it
# did not exit within WAIT_S and was killed).
stop() {
	kill "-$1" $apid
	if ! until_ok 'zombie_or_gone $apid'; then
		kill -KILL $apid
		wait $apid
		rc=999
		return
	fi
	wait $apid
	rc=$?
}
