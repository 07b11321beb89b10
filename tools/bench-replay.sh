#!/bin/sh
# Replay throughput (part of `make bench`): one generated day of a busy
# public web server (tools/scengen.py --scale) in each input format,
# replayed through the whole pipeline (read, sort, enrich with a geo
# database, score) with no flow output; records per second as
# `exfild replay` measures them (per CPU second: this machine is shared,
# and CPU time is what a busy neighbour disturbs least), median of ROUNDS.
set -eu
cd "$(dirname "$0")/.."
X=${EXFILD:-build/exfild}
D=build/bench-replay
ROUNDS=${ROUNDS:-3}
mkdir -p "$D"
python3 tools/scengen.py --profile web --seed 1 --days 1 --injections 0 --scale "${SCALE:-150}" \
	--out "$D" --zeek-json --geo
perl tools/mkmmdb.pl --schema city --in "$D/geo.json" --out "$D/world.mmdb"
echo "| input (gzip) | records | CPU seconds | records per CPU second |"
echo "|---|---|---|---|"
for f in flows.ndjson:"exfild NDJSON" conn.log:"Zeek conn.log TSV" conn.json:"Zeek conn.log JSON"; do
	file=${f%%:*} name=${f#*:}
	i=0
	: > "$D/runs"
	while [ $i -lt "$ROUNDS" ]; do
		"$X" replay --include-reserved --geoip "$D/world.mmdb" --output "file:$PWD/$D/alerts.json" \
			"$D/$file.gz" 2>&1 >/dev/null | sed -n 's/.*replayed \([0-9]*\) records.*(\([0-9.]*\) s CPU).* \([0-9]*\) per CPU second.*/\3 \1 \2/p' >> "$D/runs"
		i=$((i + 1))
	done
	sort -n "$D/runs" | awk -v name="$name" '{ r[NR] = $0 } END { split(r[int((NR + 1) / 2)], m, " "); printf "| %s | %d | %.2f | %d |\n", name, m[2], m[3], m[1] }'
done
