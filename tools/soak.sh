#!/bin/bash
# make soak: the agent under sustained load for a bounded time (SOAK_S
# seconds, default 600): many processes, 100,000+ distinct loopback
# destinations churning, TCP and UDP, exec/exit storms, SIGHUP every few
# seconds. Reports RSS over time, CPU, drain duration and losses, and ends
# with pass/fail: RSS flat after warm-up (the second half grows by no more
# than 5%), totals exact (every byte the senders sent is in a record or in
# the loss counters, and no record holds more than was sent).
set -u
cd "$(dirname "$0")/.."
S=${SOAK_S:-600}
X=${EXFILD:-build/exfild}
TR=build/tests/traffic
T=$(mktemp -d /tmp/exfild-soak.XXXXXX)
PIN=/sys/fs/bpf/exfild-soak-$$
SOCK=$T/control.sock
INTERVAL=${SOAK_INTERVAL:-2}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${agent:-}" ] && kill -9 "$agent" 2>/dev/null
	rm -rf "$PIN"
}
trap cleanup EXIT
[ "$S" -ge 20 ] || { echo "soak: SOAK_S must be at least 20 seconds" >&2; exit 2; }

mkdir -m 0700 "$T/state"
"$X" run --pin-path "$PIN" --control "$SOCK" --interval "$INTERVAL" --flows --state-dir "$T/state" \
	--include-reserved --output "file:$T/records.json" 2> "$T/agent.err" &
agent=$!
for _ in $(seq 200); do
	"$X" status --control "$SOCK" --json > /dev/null 2>&1 && break
	sleep 0.1
done
"$X" status --control "$SOCK" > /dev/null 2>&1 || { echo "soak: agent did not start:"; tail "$T/agent.err"; exit 1; }
end=$(( $(date +%s) + S ))

# Load generators: each loops until the deadline, logging what it sent.
many() {	# a fresh batch of distinct destinations (new port each run), paced
	while [ "$(date +%s)" -lt "$end" ]; do
		"$TR" many --dests "${SOAK_DESTS:-10000}" >> "$T/sent.$1" 2>> "$T/traffic.err"
		sleep "$INTERVAL"
	done
}
race() {	# continuous TCP + UDP across drains
	while [ "$(date +%s)" -lt "$end" ]; do "$TR" drain-race --seconds 5 >> "$T/sent.$1" 2>> "$T/traffic.err"; done
}
execs() {	# exec/exit storm, plus short-lived senders
	while [ "$(date +%s)" -lt "$end" ]; do
		for _ in $(seq 50); do /bin/true; done
		"$TR" short-exec --bytes 4096 >> "$T/sent.$1" 2>> "$T/traffic.err"
	done
}
many m1 & pids+=($!)
many m2 & pids+=($!)
race r1 & pids+=($!)
execs e1 & pids+=($!)
(while [ "$(date +%s)" -lt "$end" ]; do sleep 3; kill -HUP "$agent" 2>/dev/null; done) & pids+=($!)

# Samples: elapsed s, RSS KiB, agent CPU s, last drain ms, flows in it.
tick=$(getconf CLK_TCK)
start=$(date +%s)
echo "t_s rss_kib cpu_s drain_ms drain_flows" > "$T/samples"
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 5
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$agent/status" 2>/dev/null) || break
	cpu=$(awk -v t="$tick" '{printf "%.1f", ($14 + $15) / t}' "/proc/$agent/stat")
	st=$("$X" status --control "$SOCK" --json 2>> "$T/status.err")
	echo "$(( $(date +%s) - start )) $rss $cpu $(echo "$st" | jq -r '.drain.last_duration_ms') $(echo "$st" | jq -r '.drain.last_flows')" >> "$T/samples"
done
wait "${pids[@]}" 2>/dev/null
pids=()
kill -TERM "$agent"
wait "$agent"
rc=$?
agent=

# Totals: per (pid, transport, destination, port), sent vs recorded.
export LC_ALL=C
sum_by_key() { awk '{s[$1"|"$2"|"$3"|"$4] += $5} END {for (k in s) printf "%s %.0f\n", k, s[k]}' | sort; }
cat "$T"/sent.* | sed -n 's/^sent pid=\([0-9]*\) transport=\([a-z]*\) dst=\([^ ]*\) port=\([0-9]*\) bytes=\([0-9]*\).*/\1 \2 \3 \4 \5/p' |
	sum_by_key > "$T/sent"
jq -r 'select(.event.dataset == "exfild.flow") | "\(.process.pid) \(.network.transport) \(.destination.ip) \(.destination.port) \(.source.bytes)"' \
	"$T/records.json" | sum_by_key > "$T/recorded"
join "$T/sent" "$T/recorded" > "$T/joined"
sent=$(awk '{t += $2} END {printf "%.0f", t}' "$T/sent")
got=$(awk '{t += $3} END {printf "%.0f", t}' "$T/joined")
over=$(awk '$3 > $2 {n++} END {print n + 0}' "$T/joined")
# Streamed, not slurped: a soak's records run to gigabytes.
lost=$(jq -r 'select(.event.dataset == "exfild.loss") | .exfild.loss.bytes' "$T/records.json" |
	awk '{t += $1} END {printf "%.0f", t}')
dests=$(wc -l < "$T/sent")
case "$sent-$got-$lost" in *[!0-9-]* | -* | *--* | *-) echo "soak: FAIL: could not total the run (logs in $T)"; exit 1 ;; esac

echo "soak: ${S} s, interval ${INTERVAL} s, $(nproc) CPUs, $(uname -r)"
column -t "$T/samples"
n=$(($(wc -l < "$T/samples") - 1))
half=$(( n / 2 + 1 ))
rss_mid=$(awk -v h="$half" 'NR == h + 1 {print $2}' "$T/samples")
rss_mid=${rss_mid:-0}
rss_max2=$(awk -v h="$half" 'NR > h + 1 && $2 > m {m = $2} END {print m + 0}' "$T/samples")
echo "senders' destinations: $dests; bytes sent $sent, recorded $got, lost (loss records) $lost"
echo "agent exit status: $rc"
pass=1
if [ "$rc" != 0 ]; then echo "FAIL: agent exited $rc"; pass=0; fi
if [ "$over" != 0 ]; then echo "FAIL: $over flows recorded more than was sent"; pass=0; fi
if [ $((sent - got)) -gt "$lost" ]; then echo "FAIL: $((sent - got)) bytes missing, only $lost reported lost"; pass=0; fi
if [ "$rss_mid" = 0 ]; then echo "FAIL: no RSS samples"; pass=0
elif [ "$rss_max2" -gt $((rss_mid * 105 / 100)) ]; then
	echo "FAIL: RSS grew from $rss_mid KiB at mid-run to $rss_max2 KiB"; pass=0
fi
if [ "$pass" = 1 ]; then echo "soak: PASS"; else echo "soak: FAIL (logs in $T)"; exit 1; fi
rm -rf "$T"
