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

# ---- detection through replay ----------------------------------------------
# A host that sends 1-2 MB to Germany every 10 minutes for 25 hours, then
# 500 MB within ten minutes to Japan, a country it never used (the fixture
# geo database maps 192.0.2/24 to DE and 203.0.113/24 to JP).
perl tools/mkmmdb.pl --schema city --in tests/fixtures/geo/geo-city.json --out "$T/geo.mmdb"
python3 - "$T" <<'PY'
import json, sys, time
T = sys.argv[1]
t0 = 1793577600          # 2026-11-02T00:00:00Z
def rec(t, ip, n):
    iso = lambda x: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(x)) + ".000Z"
    return json.dumps({"@timestamp": iso(t), "event": {"kind": "event", "module": "exfild",
        "dataset": "exfild.flow", "start": iso(t - 5), "end": iso(t)},
        "host": {"name": "h1"}, "process": {"pid": 4242, "name": "curl", "executable": "/usr/bin/curl"},
        "user": {"id": "1000", "name": "alice"},
        "network": {"transport": "tcp", "type": "ipv4", "direction": "egress", "bytes": n},
        "source": {"bytes": n}, "destination": {"ip": ip, "port": 443}, "exfild": {"calls": 3}},
        separators=(",", ":")) + "\n"
with open(T + "/day1.ndjson", "w") as d1, open(T + "/day2.ndjson", "w") as d2:
    for i in range(26 * 6):
        t = t0 + i * 600
        (d1 if t < t0 + 25 * 3600 else d2).write(rec(t, "192.0.2.%d" % (10 + i % 5), 1000000 + (i * 7919) % 1000000))
    for k in range(50):
        d2.write(rec(t0 + 26 * 3600 + 10 + k * 10, "203.0.113.9", 10000000))
# The same host as a Zeek conn.log sees it (10.0.0.5 is local by default).
row = "%.6f\tC%d\t10.0.0.5\t%d\t%s\t443\ttcp\tssl\t5.000000\t%d\t100\tSF\t-\t-\t0\tShADadFf\t1\t1\t1\t1\t(empty)\n"
with open(T + "/day.conn.log", "w") as z:
    z.write("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
            "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
            "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n")
    for i in range(26 * 6):
        z.write(row % (t0 + i * 600 - 5, i, 40000 + i, "192.0.2.%d" % (10 + i % 5), 1000000 + (i * 7919) % 1000000))
    for k in range(50):
        z.write(row % (t0 + 26 * 3600 + 5 + k * 10, 1000 + k, 50000 + k, "203.0.113.9", 10000000))
PY
RP=("$X" replay --include-reserved --geoip "$T/geo.mmdb")
alerts_to() { grep -c "\"event\":{[^}]*\"kind\":\"alert\"" "$1" | tr -d ' '; }
"${RP[@]}" --output "file:$T/a1.json" "$T/day1.ndjson" "$T/day2.ndjson" 2>/dev/null
"${RP[@]}" --output "file:$T/a2.json" "$T/day1.ndjson" "$T/day2.ndjson" 2>/dev/null
if grep -q '"ip":"203.0.113.9"' "$T/a1.json" 2>/dev/null; then ok alert-new-country; else
	nok alert-new-country "no alert naming 203.0.113.9: $(head -c 300 "$T/a1.json" 2>/dev/null)"; fi
same deterministic-alerts "$T/a1.json" "$T/a2.json"
# Nothing alerts while learning: the second day alone has no history.
"${RP[@]}" --output "file:$T/learning.json" "$T/day2.ndjson" 2>/dev/null
n=$([ -f "$T/learning.json" ] && alerts_to "$T/learning.json" || echo 0)
if [ "$n" = 0 ]; then ok no-alert-while-learning; else nok no-alert-while-learning "$n alerts"; fi
# A saved baseline skips learning, byte-identically each time.
"${RP[@]}" --save-state "$T/s1.state" "$T/day1.ndjson" > /dev/null 2>&1
"${RP[@]}" --save-state "$T/s2.state" "$T/day1.ndjson" > /dev/null 2>&1
same deterministic-state "$T/s1.state" "$T/s2.state"
"${RP[@]}" --load-state "$T/s1.state" --output "file:$T/resumed.json" "$T/day2.ndjson" 2>/dev/null
if grep -q '"ip":"203.0.113.9"' "$T/resumed.json" 2>/dev/null; then ok load-state-skips-learning; else
	nok load-state-skips-learning "no alert after --load-state"; fi
expect threshold-100-is-quiet 0 " 0 alerts" "${RP[@]}" --alert-threshold 100 "$T/day1.ndjson" "$T/day2.ndjson"
head -c 100 "$T/s1.state" > "$T/cut.state"
expect load-state-truncated 1 "--load-state: " "${RP[@]}" --load-state "$T/cut.state" "$T/day2.ndjson"
expect bad-threshold 2 "--alert-threshold 0: expected a score from 1 to 100" "${RP[@]}" --alert-threshold 0 "$T/day2.ndjson"
expect bad-learning-period 2 "--learning-period soon: expected a duration" "${RP[@]}" --learning-period soon "$T/day2.ndjson"
expect learning-period-applies 0 "" "${RP[@]}" --learning-period 0 --output "file:$T/nolearn.json" "$T/day2.ndjson"
if grep -q '"ip":"203.0.113.9"' "$T/nolearn.json" 2>/dev/null; then ok learning-period-zero-alerts; else
	nok learning-period-zero-alerts "no alert with --learning-period 0"; fi
# A Zeek host is named by its address, and host.ip holds it.
"${RP[@]}" --output "file:$T/zeek-alerts.json" "$T/day.conn.log" 2>/dev/null
if python3 -c '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
ok = any(r["host"] == {"name": "10.0.0.5", "ip": ["10.0.0.5"]} and r["destination"]["ip"] == "203.0.113.9" for r in a)
sys.exit(0 if ok else 1)' "$T/zeek-alerts.json" 2>/dev/null; then ok zeek-alert-host-ip; else
	nok zeek-alert-host-ip "no alert with host {name,ip} 10.0.0.5: $(head -c 300 "$T/zeek-alerts.json" 2>/dev/null)"; fi
# The config file gives geoip, include_reserved and output; errors name file and line.
printf 'output = "file:%s/fromconf.json";\ninclude_reserved = true;\n' "$T" > "$T/replay.conf"
"$X" replay --config "$T/replay.conf" --flows "$FIX/conn.log" 2>/dev/null
count config-applies "$T/fromconf.json" 6
printf 'include_reserved = true;\nbogus_key = 1;\n' > "$T/bad.conf"
expect config-unknown-key 2 "bad.conf:2: unknown key 'bogus_key'" "$X" replay --config="$T/bad.conf" "$FIX/conn.log"
# ... and the detection settings, which the command line overrides.
printf 'alert_threshold = 100;\n' > "$T/quiet.conf"
expect config-threshold 0 " 0 alerts" "${RP[@]}" --config "$T/quiet.conf" "$T/day1.ndjson" "$T/day2.ndjson"
expect cli-over-config 0 " [1-9][0-9]* alerts?," "${RP[@]}" --config "$T/quiet.conf" --alert-threshold 75 "$T/day1.ndjson" "$T/day2.ndjson"
printf 'detect = { alert_threshold = 100; };\n' > "$T/group.conf"
expect config-detect-group 0 " 0 alerts" "${RP[@]}" --config "$T/group.conf" "$T/day1.ndjson" "$T/day2.ndjson"
