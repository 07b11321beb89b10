#!/bin/bash
# Detection end to end on the live agent: a baseline replayed from 26 hours
# of recorded flows that end now (a process that sends ~200 KB every
# 10 minutes to one peer), then, live, the same process sends a usual
# amount to its usual peer (no alert) and 20 MB to a peer in a country the
# baseline never saw (an alert, from the first or second
# drain that holds those bytes, with the fields a SIEM needs).
# Peers are test hosts in a network namespace this script creates
# (documentation addresses, mapped to countries by the fixture database).
# Usage: tests/detect_live.sh EXFILD TRAFFIC
set -u
X=${1:-build/exfild}
TR=${2:-build/tests/traffic}
T=$(mktemp -d)
NS=exfild-dl$$
PIN=/sys/fs/bpf/exfild-dl-$$
agent=
cleanup() {
	[ -n "$agent" ] && kill -9 "$agent" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip link del "exdh$$" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T" "$PIN"
}
trap cleanup EXIT
ok() { echo "ok detect-live/$1"; }
nok() { echo "not ok detect-live/$1 # $2"; }
bail() { nok "$1" "$2"; exit 0; }
wait_for() {	# wait_for CMD: until it succeeds (bounded; the bound only ends a broken run)
	for _ in $(seq 1200); do eval "$1" && return 0; sleep 0.05; done
	return 1
}

perl tools/mkmmdb.pl --schema city --in tests/fixtures/geo/geo-city.json --out "$T/geo.mmdb" ||
	bail geo-fixture "mkmmdb failed"

# The peers live in their own namespace, in two documentation subnets this
# host does not use (another test may hold one): the usual peer's and the
# new one's, each mapped to its country by the fixture database.
declare -A country=([192.0.2]=DE [198.51.100]=BR [203.0.113]=JP)
. "$(dirname "$0")/netns-lock.sh"
netns_lock 8
netns_remove_stale
pick_free() {
	free=()
	for n in 203.0.113 198.51.100 192.0.2; do
		[ -z "$(ip -o addr show to "$n.0/24")" ] && free+=("$n")
	done
	[ ${#free[@]} -ge 2 ]
}
# A subnet held for a moment (an interface going away) frees itself.
wait_for pick_free || bail netns "fewer than two free documentation subnets here (free: ${free[*]:-none}): $(ip -o addr | grep -v ' lo ' | tr -s ' ' | tr '\n' ';') routes: $(ip -o route | tr '\n' ';')"
U=${free[0]} N=${free[1]}
USUAL=$U.2 NEW=$N.2 NEWCC=${country[$N]}
ip netns add "$NS" && ip link add "exdh$$" type veth peer name "exdn$$" &&
	ip link set "exdn$$" netns "$NS" &&
	ip addr add "$U.1/24" dev "exdh$$" && ip addr add "$N.1/24" dev "exdh$$" &&
	ip -n "$NS" addr add "$U.2/24" dev "exdn$$" && ip -n "$NS" addr add "$N.2/24" dev "exdn$$" &&
	ip link set "exdh$$" up && ip -n "$NS" link set "exdn$$" up && ip -n "$NS" link set lo up ||
	bail netns "cannot set up the test hosts in $U.0/24 and $N.0/24"
wait_for '[ "$(cat /sys/class/net/exdh$$/operstate)" = up ]' || bail netns "veth never came up"

# History: 26 h ending now, every 10 min ~200 KB from "traffic" to the usual peer, port 443.
exe=$(readlink -f "$TR")
now=$(date +%s)
awk -v now="$now" -v exe="$exe" -v peer="$USUAL" -v src="$U.1" 'BEGIN {
	srand(7);
	for (t = now - 26 * 3600; t < now - 60; t += 600) {
		b = 150000 + int(rand() * 100000);
		ts = strftime("%Y-%m-%dT%H:%M:%S.000Z", t, 1);
		st = strftime("%Y-%m-%dT%H:%M:%S.000Z", t - 5, 1);
		printf "{\"@timestamp\":\"%s\",\"event\":{\"kind\":\"event\",\"module\":\"exfild\",\"dataset\":\"exfild.flow\",\"category\":[\"network\"],\"start\":\"%s\",\"end\":\"%s\"},\"host\":{\"name\":\"detect-live\"},\"process\":{\"pid\":4242,\"name\":\"traffic\",\"executable\":\"%s\"},\"user\":{\"id\":\"0\",\"name\":\"root\"},\"network\":{\"transport\":\"tcp\",\"type\":\"ipv4\",\"direction\":\"egress\",\"bytes\":%d},\"source\":{\"ip\":\"%s\",\"port\":40000,\"bytes\":%d},\"destination\":{\"ip\":\"%s\",\"port\":443}}\n", ts, st, ts, exe, b, src, b, peer;
	}
}' > "$T/history.ndjson"
mkdir -m 0700 "$T/state"
"$X" replay --include-reserved --geoip "$T/geo.mmdb" --learning-period 24h --output "file:$T/replay.json" \
	--save-state "$T/state/baseline.state" "$T/history.ndjson" 2> "$T/replay.err" ||
	bail replay-baseline "$(tail -2 "$T/replay.err" | tr '\n' ' ')"
if [ -s "$T/state/baseline.state" ] && ! grep -q '"exfild.alert"' "$T/replay.json" 2>/dev/null; then
	ok replay-baseline
else
	nok replay-baseline "no baseline, or the history alerted by itself"
fi

"$X" run --pin-path "$PIN" --control none --interval 2 --flows --include-reserved --geoip "$T/geo.mmdb" \
	--learning-period 24h --state-dir "$T/state" --output "file:$T/out.json" 2> "$T/agent.err" 8>&- &
agent=$!
wait_for 'grep -q "exfild: running:" "$T/agent.err"' || bail agent-start "$(tail -3 "$T/agent.err" | tr '\n' ' ')"
if grep -q "baseline loaded" "$T/agent.err" && grep -q "learning complete" "$T/agent.err"; then
	ok baseline-resumed
else
	nok baseline-resumed "$(grep detection "$T/agent.err" | tr '\n' ' ')"
fi

# Usual: ~200 KB to the usual peer. Then the exfiltration: 20 MB to Brazil.
"$TR" tcp4 --dst "$USUAL" --port 443 --bytes 200000 --sink-netns "/run/netns/$NS" > "$T/usual.sent" 2> "$T/traffic.err" ||
	bail usual-send "$(cat "$T/traffic.err")"
"$TR" tcp4 --dst "$NEW" --port 443 --bytes 20000000 --sink-netns "/run/netns/$NS" > "$T/exfil.sent" 2>> "$T/traffic.err" ||
	bail exfil-send "$(cat "$T/traffic.err")"
epid=$(sed -n "s/^sent pid=\\([0-9]*\\) .*dst=$NEW .*/\\1/p" "$T/exfil.sent")
upid=$(sed -n "s/^sent pid=\\([0-9]*\\) .*dst=$USUAL .*/\\1/p" "$T/usual.sent")

alerts() { jq -c 'select(.event.kind == "alert")' "$T/out.json" 2>/dev/null; }
if ! wait_for '[ -n "$(alerts | grep -F "\"$NEW\"")" ]'; then
	nok alert "no alert for $NEW; agent said: $(grep -i 'alert\|detect' "$T/agent.err" | tail -3 | tr '\n' ' ')"
else
	ok alert
	a=$(alerts | jq -c --arg ip "$NEW" 'select(.destination.ip == $ip)' | head -1)
	f() { echo "$a" | jq -r "$1"; }
	check() { if [ "$(f "$2")" = "$3" ]; then ok "alert/$1"; else nok "alert/$1" "$2 is '$(f "$2")', expected '$3'"; fi; }
	check kind .event.kind alert
	check dataset .event.dataset exfild.alert
	check rule .rule.name "Potential Data Exfiltration Activity to an Unusual IP Address"
	check tactic .threat.tactic.id TA0010
	check technique .threat.technique.id T1041
	check risk .event.risk_score 21
	check destination .destination.ip "$NEW"
	check port .destination.port 443
	check country .destination.geo.country_iso_code "$NEWCC"
	check direction .network.direction egress
	check process .process.pid "$epid"
	check process-name .process.name traffic
	s=$(f .exfild.anomaly.score)
	if [ "${s%.*}" -ge 75 ] 2>/dev/null; then ok alert/score; else nok alert/score "score '$s'"; fi
	if [ "$(f .event.id)" != null ] && [ -n "$(f .message)" ] && [ "$(f .message)" != null ]; then
		ok alert/id-and-message
	else
		nok alert/id-and-message "event.id $(f .event.id), message $(f .message)"
	fi
	# From the drain that made the sum anomalous: at the latest the second
	# drain holding bytes for that destination.
	second=$(jq -r --arg p "$epid" 'select(.event.dataset == "exfild.flow" and (.process.pid|tostring) == $p
		and .destination.ip == "'"$NEW"'") | .event.end' "$T/out.json" | sort | sed -n 2p)
	first=$(jq -r --arg p "$epid" 'select(.event.dataset == "exfild.flow" and (.process.pid|tostring) == $p
		and .destination.ip == "'"$NEW"'") | .event.end' "$T/out.json" | sort | sed -n 1p)
	at=$(f '."@timestamp"')
	if [ -n "$first" ] && { [ "$at" = "$first" ] || [ "$at" = "$second" ]; }; then
		ok alert/within-two-drains
	else
		nok alert/within-two-drains "alert at $at; the destination's drains ended at $first, $second"
	fi
fi
# (An alert may list the usual peer among the others in its port or
# country; it must not be about it.)
n=$(alerts | jq -r --arg ip "$USUAL" 'select(.destination.ip == $ip) | .event.id' | wc -l)
if [ "$n" = 0 ]; then ok usual-no-alert; else nok usual-no-alert "$n alert(s) about the usual peer (pid $upid)"; fi

kill -TERM "$agent"
wait "$agent"
rc=$?
agent=
if [ $rc = 0 ] && grep -q "exfild: stopped" "$T/agent.err"; then ok agent-exit; else nok agent-exit "exit $rc"; fi
