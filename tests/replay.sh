#!/bin/bash
# exfild replay end to end (host, no root needed): determinism, the input
# kinds, malformed and wrong-kind input, and exfild's own records read back.
# Usage: tests/replay.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FIX=tests/fixtures/replay

SUITE=replay
EXPECT_TIMEOUT=120
. "$(dirname "$0")/shlib.sh"

# same NAME FILE-A FILE-B: byte-identical and not empty
same() {
	if [ ! -s "$2" ]; then
		nok "$1" "$2 is empty"
	elif cmp -s "$2" "$3"; then
		ok "$1"
	else
		nok "$1" "$2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -1)"
	fi
}

# count NAME FILE N: FILE has exactly N lines
count() {
	n=$(wc -l < "$2")
	if [ "$n" = "$3" ]; then ok "$1"; else nok "$1" "$n lines, wanted $3"; fi
}

expect help 0 "" "$X" replay --help
expect no-files 2 "no input files" "$X" replay
expect bad-local-net 2 "'10.0.0.0/40' is not a CIDR" "$X" replay --local-net 10.0.0.0/40 "$FIX/conn.log"
expect missing-file 2 "nope.log: No such file or directory" "$X" replay "$T/nope.log"
printf '#separator \\x09\n#path\tdns\n#fields\tts\tuid\tquery\n' > "$T/dns.log"
expect wrong-kind 2 "dns.log:2: a Zeek dns log, not conn.log" "$X" replay "$FIX/conn.log" "$T/dns.log"
printf 'GIF89a\001\000' > "$T/picture.gif"
expect wrong-kind-binary 2 "picture.gif: not exfild NDJSON flow records, a Zeek conn.log" "$X" replay "$T/picture.gif"

# Malformed lines: named with file and line, counted, never fatal.
expect malformed-lines 0 "conn.log:16: malformed Zeek conn.log line" \
	"$X" replay --include-reserved --flows "$FIX/conn.log"
expect malformed-summary 0 "conn.log: 3 malformed lines skipped \(first at line 13\)" \
	"$X" replay --include-reserved --flows "$FIX/conn.log"
count zeek-tsv-observations "$T/out" 6
"$X" replay --include-reserved --flows "$FIX/conn.json" > "$T/json.out" 2>/dev/null
count zeek-json-observations "$T/json.out" 6
# Reserved peers are out of scope by default: the fixture has nothing else.
"$X" replay --flows "$FIX/conn.log" > "$T/noscope.out" 2>/dev/null
count reserved-out-of-scope "$T/noscope.out" 0

# A generated day: twice the same bytes, and the same from stdin and gzip.
python3 tools/scengen.py --profile dev --seed 7 --days 2 --injections 1 --out "$T/s" --zeek-json
for fmt in flows.ndjson conn.log conn.json; do
	"$X" replay --include-reserved --flows "$T/s/$fmt.gz" > "$T/$fmt.1" 2>/dev/null
	"$X" replay --include-reserved --flows "$T/s/$fmt.gz" > "$T/$fmt.2" 2>/dev/null
	same "deterministic-$fmt" "$T/$fmt.1" "$T/$fmt.2"
done
zcat "$T/s/conn.log.gz" | "$X" replay --include-reserved --flows - > "$T/stdin" 2>/dev/null
same stdin-plain-equals-gzip "$T/conn.log.1" "$T/stdin"
same zeek-tsv-equals-zeek-json "$T/conn.log.1" "$T/conn.json.1"
# exfild's own records read back give themselves again (after one pass,
# which rounds Zeek's microseconds to the records' milliseconds).
"$X" replay --include-reserved --flows "$T/conn.log.1" > "$T/once" 2>/dev/null
"$X" replay --include-reserved --flows "$T/once" > "$T/twice" 2>/dev/null
same own-records-round-trip "$T/once" "$T/twice"
count own-records-all-read "$T/twice" "$(wc -l < "$T/conn.log.1")"
