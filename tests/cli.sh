#!/bin/bash
# Command line, config file, signals and error behaviour of build/exfild (host).
# Usage: tests/cli.sh PATH-TO-EXFILD [PATH-TO-TRAFFIC]
# Prints "ok cli/NAME" or "not ok cli/NAME # why" per check. Every wait is
# for an event (a log line, a record in the output) with a generous bound,
# never a fixed sleep. Needs root, jq, setpriv, taskset and unshare.
set -u
X=${1:-build/exfild}
TR=${2:-build/tests/traffic}
T=$(mktemp -d)
PIN=/sys/fs/bpf/exfild-cli-$$
WAIT_S=60		# bound on every wait for an event
agents=""
cleanup() {
	for p in $agents; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T" "$PIN" "$PIN-stale"
}
trap cleanup EXIT

SUITE=cli
. "$(dirname "$0")/shlib.sh"	# ok, nok, expect
. "$(dirname "$0")/agentlib.sh"	# start, stop, wait_for, wait_rec, flows, short

for tool in jq setpriv taskset unshare bpftool; do
	command -v "$tool" >/dev/null || { nok "tools" "$tool is not installed (make deps)"; exit 1; }
done

# send_udp PORT BYTES [IP]: one write of BYTES on a connected UDP socket
# from a process whose pid ends up in $spid (bash's /dev/udp, then exec).
send_udp() {
	bash -c 'echo $$ > "$0"; exec 3> "/dev/udp/$1/$2"; exec head -c "$3" /dev/zero >&3' \
		"$T/sender.pid" "${3:-127.0.0.1}" "$1" "$2"
	spid=$(cat "$T/sender.pid")
}

# The one record a send_udp must produce, field by field.
udp_rec() {	# udp_rec PORT BYTES [IP]
	echo ".process.pid == $spid and .destination.ip == \"${3:-127.0.0.1}\" and
	      .destination.port == $1 and .network.bytes == $2 and .source.bytes == $2 and
	      .exfild.calls == 1 and .network.transport == \"udp\" and .network.type == \"ipv4\" and
	      .network.iana_number == \"17\" and .exfild.tier == \"tracepoint\" and
	      .process.name == \"head\""
}

expect help 0 "--max-flows" "$X" run --help
expect help-lists-every-option 0 "--include-reserved" "$X" run --help
expect unknown-command 2 "unknown command 'frobnicate'" "$X" frobnicate
expect unknown-option 2 "unknown option.*--bogus" "$X" run --bogus
expect bad-interval 2 "--interval 0: expected a whole number from 1" "$X" run --interval 0
expect bad-attach 2 "--attach sideways: expected auto, fentry" "$X" run --attach sideways
expect bad-output 2 "unknown sink" "$X" run --output tcp:1.2.3.4

printf 'interval = 5;\nbogus_key = 1;\n' > "$T/unknown.conf"
expect config-unknown-key 2 "unknown.conf:2: unknown key 'bogus_key'" "$X" run --config "$T/unknown.conf"
printf 'flows = true;\ninterval = "often";\n' > "$T/badval.conf"
expect config-bad-value 2 "badval.conf:2: key 'interval': expected a number" "$X" run --config "$T/badval.conf"
printf 'interval = 5;\nflows = ;\n' > "$T/syntax.conf"
expect config-syntax 2 "syntax.conf:2: syntax error" "$X" run --config "$T/syntax.conf"
expect config-missing 2 "nope.conf: cannot read" "$X" run --config "$T/nope.conf"
# Bad input that once said "cannot read: Success", blocked forever, or let
# libconfig's scanner end the process with its own message.
mkdir "$T/conf.d"
expect config-directory 2 "conf.d: is a directory, not a config file" "$X" run --config "$T/conf.d"
mkfifo "$T/conf.fifo"
expect config-fifo 2 "conf.fifo: is a FIFO, not a config file" "$X" run --config "$T/conf.fifo"
printf '@include "%s/conf.d"\n' "$T" > "$T/include.conf"
expect config-include 2 "include.conf:1: @include is not supported" "$X" run --config "$T/include.conf"
printf 'interval = 5;\n' > "$T/shared.conf"
chmod 0666 "$T/shared.conf"
expect config-writable-by-others 2 "shared.conf: the config file is writable by others \(mode 0666\): run chmod go-w" \
	"$X" run --config "$T/shared.conf"
expect interval-plus 2 "--interval \+5: expected a whole number" "$X" run --interval "+5"
expect interval-space 2 "--interval  5: expected a whole number" "$X" run --interval " 5"

# The config file sets options; the command line overrides it.
printf 'output = "file:%s/fromconf.json";\nflows = true;\ninclude_reserved = true;\nduration = 1;\ninterval = 1;\npin_path = "none";\n' "$T" > "$T/good.conf"
expect config-applies 0 "running: .*output=file:$T/fromconf.json" "$X" run --config "$T/good.conf"
expect cli-overrides-config 0 "running: .*output=file:$T/fromcli.json" \
	"$X" run --config "$T/good.conf" --output "file:$T/fromcli.json"

# With no --config, /etc/exfild/exfild.conf is read if it exists: shown in a
# private mount namespace whose /etc is an overlay (the host's stays as is).
mkdir -p "$T/ov"
printf 'interval = 7;\nduration = 1;\npin_path = "none";\n' > "$T/default.conf"
expect config-default-path 0 "running: .*interval=7s" unshare -m sh -c '
	mount -t tmpfs none "$1" && mkdir "$1/up" "$1/scratch" &&
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/up,workdir=$1/scratch" /etc &&
	mkdir -p /etc/exfild && cp "$2" /etc/exfild/exfild.conf && exec "$3" run' sh "$T/ov" "$T/default.conf" "$X"

# Forced tiers that this kernel cannot do fail with their reason.
expect fentry-refused 1 "attach: fentry: refused: .*(trampolines|not permitted)" "$X" run --attach fentry --pin-path none
expect kprobe-refused 1 "attach: kprobe: refused: .*kprobes" "$X" run --attach kprobe --pin-path none
expect auto-explains 0 "attach: fentry: refused.*" "$X" run --duration 1 --pin-path none
expect auto-takes-tracepoint 0 "running: tier=tracepoint" "$X" run --duration 1 --pin-path none

expect pin-bpffs-root 1 "pin path /sys/fs/bpf is the root of a bpf filesystem: give exfild a directory of its own there \(--pin-path /sys/fs/bpf/exfild\)" \
	"$X" run --duration 1 --pin-path /sys/fs/bpf/ --control none
expect pin-not-bpffs 1 "pin path $T/pins is not on a bpf filesystem" "$X" run --duration 1 --pin-path "$T/pins"

# No BTF (hidden in a private mount namespace): exit 1, saying so.
expect no-btf 1 "exfild: error: this kernel has no BTF" \
	unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$0" run --pin-path none --duration 1' "$X"

# No cgroup2 mounted (hidden in a private mount namespace): the agent
# mounts one itself for cgroup/sendmsg4/6, and the tracepoint tier counts
# an unconnected UDP send (whose destination only those programs see),
# with the sender's cgroup id. The mount stays in the agent's namespace.
cat > "$T/no-cgroup2.sh" <<'EOF'
for m in $(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts); do umount -l "$m" || exit 1; done
if grep -q ' cgroup2 ' /proc/self/mounts; then echo "cgroup2 still mounted" >&2; exit 1; fi
exec "$@"
EOF
cg_mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
cg_id=$(stat -c %i "$cg_mnt$(sed -n 's/^0:://p' /proc/self/cgroup)" 2>&1)
unshare -m --propagation private sh "$T/no-cgroup2.sh" "$X" run --attach tracepoint --interval 3600 \
	--flows --include-reserved --pin-path none --control none --output "file:$T/cg2.json" \
	> /dev/null 2> "$T/cgroup2-self-mount.err" &
apid=$!
agents="$agents $apid"
if ! wait_for "$T/cgroup2-self-mount.err" "exfild: running:"; then
	nok cgroup2-self-mount "no 'running:' line: $(short "$T/cgroup2-self-mount.err")"
	kill -KILL $apid 2>/dev/null
else
	"$TR" udp4-unconn --bytes 700 --count 7 > "$T/cg2.out" 2>&1
	read -r cpid cport < <(sed -n 's/^sent pid=\([0-9]*\) .* port=\([0-9]*\) .*/\1 \2/p' "$T/cg2.out")
	stop TERM
	n=$(flows "$T/cg2.json" ".process.pid == ${cpid:-0} and .destination.port == ${cport:-0} and
		.network.bytes == 700 and .exfild.calls == 7 and .exfild.tier == \"tracepoint\" and
		.exfild.cgroup_id == $cg_id" | wc -l)
	if [ $rc != 0 ] || ! grep -q "mounted cgroup v2 on /run/exfild/cgroup2 for cgroup/sendmsg4/6" "$T/cgroup2-self-mount.err"; then
		nok cgroup2-self-mount "exit $rc, no 'mounted cgroup v2' line: $(short "$T/cgroup2-self-mount.err")"
	elif [ "$n" != 1 ]; then
		nok cgroup2-self-mount "expected one record of pid $cpid to port $cport (700 bytes, 7 calls, tier tracepoint, cgroup id $cg_id), got $n: $(short "$T/cg2.json"; short "$T/cg2.out")"
	elif grep -q ' /run/exfild/cgroup2 ' /proc/self/mounts; then
		nok cgroup2-self-mount "the agent's cgroup2 mount is visible outside its namespace"
	else
		ok cgroup2-self-mount
	fi
fi

# --log-level: lines below the level are not printed.
expect log-level-error 0 "" "$X" run --duration 1 --pin-path none --log-level error
if [ -s "$T/err" ]; then nok log-level-error-silent "expected no stderr, got: $(short "$T/err")"; else ok log-level-error-silent; fi
expect log-level-warning 0 "warning: no geo database" "$X" run --duration 1 --pin-path none --log-level warning
if grep -qE 'running:|attach:|debug:|^libbpf: ' "$T/err"; then nok log-level-warning-filters "info lines printed: $(short "$T/err")"; else ok log-level-warning-filters; fi
expect log-level-info 0 "running: " "$X" run --duration 1 --pin-path none
if grep -qE 'debug:|^libbpf: ' "$T/err"; then nok log-level-info-filters "debug lines printed: $(short "$T/err")"; else ok log-level-info-filters; fi
# debug adds libbpf's own messages
expect log-level-debug 0 "^libbpf: loading object" "$X" run --duration 1 --pin-path none --log-level debug

# Not root: one line that says what to do.
expect not-root 1 "run as root \\(sudo\\)" setpriv --reuid=65534 --regid=65534 --clear-groups "$X" run --duration 1
# Said before anything is loaded (as root it would cost ~4 GiB to try).
expect max-flows-cost 1 "warning: --max-flows 16777216: the accounting maps take about 4.0 GiB of kernel memory" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$X" run --max-flows 16777216
for goal in check-root run test; do
	setpriv --reuid=65534 --regid=65534 --clear-groups make -s -C "$(pwd)" $goal > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l < "$T/err")" = 1 ] && [ ! -s "$T/out" ] &&
	   grep -q "\\*\\*\\* exfild: run this as root: sudo make $goal" "$T/err"; then
		ok "make-$goal-not-root"
	else
		nok "make-$goal-not-root" "exit $rc, wanted 2 and one line; stdout: $(short "$T/out"); stderr: $(short "$T/err")"
	fi
done

# While it runs, the maps are pinned with BTF, so bpftool shows named fields.
# Two flows sent on one CPU: the per-CPU last-flow cache (tracepoint tier)
# moves the first into the accounting map when the second arrives.
if start bpftool-dump-pinned --interval 3600 --pin-path "$PIN"; then
	taskset -c 0 bash -c 'echo $$ > "$0"; exec 3> /dev/udp/127.0.0.1/9; exec head -c 10 /dev/zero >&3' "$T/sender.pid"
	spid=$(cat "$T/sender.pid")
	taskset -c 0 bash -c 'exec 3> /dev/udp/127.0.0.1/10; exec head -c 20 /dev/zero >&3'
	for m in flows_a flows_b; do bpftool -j map dump pinned "$PIN/$m"; done > "$T/dump" 2>&1
	n=$(jq -s '[.[][] | .formatted | select(.key.tgid == '"$spid"' and .key.rport == 9 and .key.proto == 17 and
		.key.family == 2 and .key.raddr[0:4] == [127,0,0,1] and .value.bytes == 10 and
		.value.calls == 1)] | length' "$T/dump" 2>&1)
	if [ "$n" = 1 ]; then
		ok bpftool-dump-pinned
	else
		nok bpftool-dump-pinned "expected one flows_a/flows_b entry {tgid $spid, rport 9, proto 17, raddr 127.0.0.1, bytes 10, calls 1}, got $n: $(short "$T/dump")"
	fi
	# A second agent on the same pins is refused, naming the first (issue 7,
	# defect 5): it would unlink the first's maps and both would count.
	expect second-agent-refused 1 "another exfild agent \(pid $apid\) is running with pin path $PIN " \
		"$X" run --duration 1 --pin-path "$PIN" --control none
	if [ -e "$PIN/flows_a" ]; then ok second-agent-left-pins; else nok second-agent-left-pins "$PIN/flows_a gone"; fi
	stop TERM
	if [ $rc = 0 ] && [ ! -e "$PIN" ]; then ok clean-exit-unpins; else nok clean-exit-unpins "exit $rc, $PIN left: $(ls "$PIN" 2>&1)"; fi
fi

# A killed agent leaves its pins; the next start replaces them with its own
# maps, and removes them when it exits cleanly.
if start stale-pins-first --interval 3600 --pin-path "$PIN-stale"; then
	old=$(bpftool -j map show pinned "$PIN-stale/flows_a" | jq .id)
	kill -KILL $apid
	wait $apid 2>/dev/null
	if [ ! -e "$PIN-stale/flows_a" ]; then
		nok stale-pins-replaced "kill -9 left no pins to replace"
	elif start stale-pins-replaced --interval 3600 --pin-path "$PIN-stale"; then
		new=$(bpftool -j map show pinned "$PIN-stale/flows_a" | jq .id)
		stop TERM
		if [ -z "$old" ] || [ -z "$new" ] || [ "$old" = "$new" ]; then
			nok stale-pins-replaced "flows_a map id before kill -9: '$old', after restart: '$new'"
		elif [ $rc != 0 ] || [ -e "$PIN-stale" ]; then
			nok stale-pins-replaced "exit $rc, $PIN-stale left: $(ls "$PIN-stale" 2>&1)"
		else
			ok stale-pins-replaced
		fi
	fi
fi

# SIGTERM and SIGINT: final drain (the interval never ends), exit 0; the
# port and bytes in one record, with every field the send determines.
for sig in TERM INT; do
	if start "sig$sig-final-drain" --interval 3600 --flows --include-reserved --pin-path none \
		--output "file:$T/$sig.json"; then
		send_udp 9 777
		stop $sig
		n=$(flows "$T/$sig.json" "$(udp_rec 9 777)" | wc -l)
		if [ $rc = 0 ] && [ "$n" = 1 ]; then
			ok "sig$sig-final-drain"
		else
			nok "sig$sig-final-drain" "exit $rc, $n records for pid $spid 127.0.0.1:9 udp 777 bytes; records: $(short "$T/$sig.json")"
		fi
	fi
done

# Default scope: without --include-reserved, loopback (127/8) is not reported.
if start default-scope --interval 3600 --flows --pin-path none --output "file:$T/scope.json"; then
	send_udp 9 333
	stop TERM
	if [ $rc = 0 ] && [ -z "$(flows "$T/scope.json" ".destination.port == 9 and .network.bytes == 333")" ] &&
	   [ -f "$T/scope.json" ]; then
		ok default-scope
	else
		nok default-scope "exit $rc; expected no record for 127.0.0.1:9, got: $(short "$T/scope.json" 2>&1)"
	fi
fi

# --flows off: no flow records, but loss records still written (a map of 16
# flows and 40 destinations).
if start flows-off --interval 3600 --include-reserved --max-flows 16 --pin-path none \
	--output "file:$T/noflows.json"; then
	for p in $(seq 20001 20040); do send_udp $p 5; done
	stop TERM
	nflow=$(jq -c 'select(.event.dataset == "exfild.flow")' "$T/noflows.json" 2>&1 | wc -l)
	nloss=$(jq -c 'select(.event.dataset == "exfild.loss" and .exfild.loss.entries > 0)' "$T/noflows.json" 2>&1 | wc -l)
	if [ $rc = 0 ] && [ "$nflow" = 0 ] && [ "$nloss" = 1 ]; then
		ok flows-off
	else
		nok flows-off "exit $rc; expected 0 flow records and 1 loss record, got $nflow and $nloss: $(short "$T/noflows.json" 2>&1)"
	fi
fi

# SIGHUP: the output file is reopened (after rotation) and the geo database
# reloaded. The interval never ends, so only the SIGHUP can load the new one.
printf '{"127.1.0.0/16": {"country": "US", "country_name": "United States"}}\n' > "$T/us.json"
printf '{"127.1.0.0/16": {"country": "NZ", "country_name": "New Zealand"}}\n' > "$T/nz.json"
if tools/mkmmdb.pl --schema country --in "$T/us.json" --out "$T/geo.mmdb" &&
   tools/mkmmdb.pl --schema country --in "$T/nz.json" --out "$T/nz.mmdb" &&
   cp "$T/geo.mmdb" "$T/hup.mmdb" && cp "$T/nz.mmdb" "$T/hup-nz.mmdb"; then
	if start sighup --interval 3600 --flows --include-reserved --pin-path none \
		--geoip "$T/hup.mmdb" --output "file:$T/hup.json"; then
		mv "$T/hup.json" "$T/hup.json.1" || nok sighup "the output file was not created at start"	# rotated
		mv "$T/hup-nz.mmdb" "$T/hup.mmdb"
		kill -HUP $apid
		if wait_for "$T/sighup.err" "geo database $T/hup.mmdb reloaded"; then
			send_udp 4003 444 127.1.0.9
			stop TERM
			n=$(flows "$T/hup.json" "$(udp_rec 4003 444 127.1.0.9) and
				.destination.geo.country_iso_code == \"NZ\"" | wc -l)
			if [ $rc = 0 ] && [ "$n" = 1 ] && [ ! -s "$T/hup.json.1" ]; then
				ok sighup
			else
				nok sighup "exit $rc; $n NZ records in the reopened file; new: $(short "$T/hup.json" 2>&1); rotated: $(short "$T/hup.json.1")"
			fi
		else
			nok sighup "no 'geo database ... reloaded' line after SIGHUP: $(short "$T/sighup.err")"
			stop KILL
		fi
	fi
else
	nok sighup "tools/mkmmdb.pl failed"
fi

# Geo: a corrupt database at start is an error naming the file; none is a
# warning; a database replaced by rename while flows are written is picked
# up at the next drain and nothing is lost.
head -c 4096 /dev/urandom > "$T/corrupt.mmdb"
expect geo-corrupt-start 1 "corrupt.mmdb" "$X" run --duration 1 --pin-path none --geoip "$T/corrupt.mmdb"
expect geo-none-warns 0 "warning: no geo database" "$X" run --duration 1 --pin-path none
if [ -f "$T/nz.mmdb" ] && start geo-atomic-replace --interval 1 --flows --include-reserved \
	--pin-path none --geoip "$T/geo.mmdb" --output "file:$T/geo.json"; then
	send_udp 4001 1111 127.1.0.7
	r1=$(udp_rec 4001 1111 127.1.0.7)
	if wait_rec "$T/geo.json" "$r1"; then
		mv "$T/nz.mmdb" "$T/geo.mmdb"	# atomic replace, as geoipupdate does
		wait_for "$T/geo-atomic-replace.err" "geo database $T/geo.mmdb changed on disk, reloaded"
		send_udp 4002 2222 127.1.0.7
		wait_rec "$T/geo.json" ".destination.port == 4002"
	fi
	r2=$(udp_rec 4002 2222 127.1.0.7)
	stop TERM
	n1=$(flows "$T/geo.json" "$r1 and .destination.geo.country_iso_code == \"US\"" | wc -l)
	n2=$(flows "$T/geo.json" "$r2 and .destination.geo.country_iso_code == \"NZ\"" | wc -l)
	if [ $rc = 0 ] && [ "$n1" = 1 ] && [ "$n2" = 1 ]; then
		ok geo-atomic-replace
	else
		nok geo-atomic-replace "exit $rc; US records for 4001: $n1, NZ records for 4002: $n2: $(short "$T/geo.json")"
	fi
fi
exit 0
