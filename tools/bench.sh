#!/bin/sh
# `make bench`: the send path (in-kernel cost, throughput A/B), geo lookups,
# the userspace pipeline (drain -> enrich -> records) and replay. Prints
# markdown tables for the README, with the machine they came from. Not part
# of `make test`: numbers are measured, not asserted.
set -eu
cd "$(dirname "$0")/.."
echo "# exfild benchmarks"
echo
echo "Machine: $(uname -srm), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# Throughput: ROUNDS interleaved rounds of SECS per send type and variant;
# each run's figures are kept, and the next run says whether it agrees.
mkdir -p build/bench
build/tests/bench_send --exfild build/exfild --calib build/calib.bpf.o --rounds "${ROUNDS:-20}" \
	--secs "${SECS:-0.25}" --save build/bench/send-throughput.txt
echo
echo "## Geo lookups"
echo
build/tests/bench_geo
echo
echo "## Userspace pipeline"
echo
# The synthetic City database bench_geo built (build/bench/geo-bench.mmdb).
build/tests/bench_pipeline build/bench/geo-bench.mmdb
echo
echo "## Detection"
echo
build/tests/bench_detect
echo
echo "## Replay throughput"
echo
tools/bench-replay.sh
