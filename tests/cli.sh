#!/bin/bash
# Command line, config file and error behaviour of build/exfild (host).
# Usage: tests/cli.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
PIN=/sys/fs/bpf/exfild-cli-$$

ok() { echo "ok cli/$1"; }
nok() { echo "not ok cli/$1 # $2"; }

# expect NAME STATUS PATTERN CMD...: exit status and a stderr line matching PATTERN
expect() {
	name=$1 want=$2 pat=$3
	shift 3
	# A bound on every run: a test that hangs is a failure, not a stuck CI.
	timeout 60 "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		nok "$name" "exit $rc, wanted $want: $(head -c 300 "$T/err" | tr '\n' ' ')"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" "$T/err" "$T/out"; then
		nok "$name" "no line matching '$pat' in: $(head -c 300 "$T/err" | tr '\n' ' ')"
	else
		ok "$name"
	fi
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

# Forced tiers that this kernel cannot do fail with their reason.
expect fentry-refused 1 "attach: fentry: refused: .*(trampolines|not permitted)" "$X" run --attach fentry --pin-path none
expect kprobe-refused 1 "attach: kprobe: refused: .*kprobes" "$X" run --attach kprobe --pin-path none
expect auto-explains 0 "attach: fentry: refused.*" "$X" run --duration 1 --pin-path none
expect auto-takes-tracepoint 0 "running: tier=tracepoint" "$X" run --duration 1 --pin-path none

expect pin-bpffs-root 1 "pin path /sys/fs/bpf is the root of a bpf filesystem: give exfild a directory of its own there \(--pin-path /sys/fs/bpf/exfild\)" \
	"$X" run --duration 1 --pin-path /sys/fs/bpf/ --control none
expect pin-not-bpffs 1 "pin path $T/pins is not on a bpf filesystem" "$X" run --duration 1 --pin-path "$T/pins"

# Not root: one line that says what to do.
if command -v setpriv >/dev/null; then
	expect not-root 1 "run as root \\(sudo\\)" setpriv --reuid=65534 --regid=65534 --clear-groups "$X" run --duration 1
	# Said before anything is loaded (as root it would cost ~4 GiB to try).
	expect max-flows-cost 1 "warning: --max-flows 16777216: the accounting maps take about 4.0 GiB of kernel memory" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$X" run --max-flows 16777216
	expect make-not-root 2 "\\*\\*\\* exfild: run this as root: sudo make check-root" \
		setpriv --reuid=65534 --regid=65534 --clear-groups make -s -C "$(pwd)" check-root
fi

# While it runs, the maps are pinned with BTF, so bpftool shows named fields.
"$X" run --interval 1 --pin-path "$PIN" --control none > /dev/null 2> "$T/pin.err" &
pid=$!
i=0
while [ $i -lt 50 ] && ! grep -q "running:" "$T/pin.err"; do sleep 0.2; i=$((i + 1)); done
head -c 10 /dev/zero > /dev/udp/127.0.0.1/9
if bpftool map dump pinned "$PIN/flows_a" > "$T/dump" 2>&1 &&
   bpftool map dump pinned "$PIN/flows_b" >> "$T/dump" 2>&1 && bpftool map dump pinned "$PIN/losses" >> "$T/dump" 2>&1 &&
   grep -q '"entries"' "$T/dump"; then
	ok bpftool-dump-pinned
else
	nok bpftool-dump-pinned "$(head -c 300 "$T/dump")"
fi
# A second agent on the same pins is refused, naming the first (issue 7,
# defect 5): it would unlink the first's maps and both would count.
expect second-agent-refused 1 "another exfild agent \(pid $pid\) is running with pin path $PIN " \
	"$X" run --duration 1 --pin-path "$PIN" --control none
if [ -e "$PIN/flows_a" ]; then ok second-agent-left-pins; else nok second-agent-left-pins "$PIN/flows_a gone"; fi
kill -TERM $pid
wait $pid
rc=$?
if [ $rc = 0 ] && [ ! -e "$PIN" ]; then ok clean-exit-unpins; else nok clean-exit-unpins "exit $rc, $PIN left: $(ls "$PIN" 2>&1)"; fi

# SIGTERM: final drain, exit 0.
"$X" run --interval 60 --flows --include-reserved --pin-path none --output "file:$T/term.json" 2> "$T/term.err" &
pid=$!
i=0
while [ $i -lt 50 ] && ! grep -q "running:" "$T/term.err"; do sleep 0.2; i=$((i + 1)); done
# bash's /dev/udp: a connected UDP socket, one 777-byte write.
head -c 777 /dev/zero > /dev/udp/127.0.0.1/9
kill -TERM $pid
wait $pid
rc=$?
if [ $rc = 0 ] && grep -q '"port":9}' "$T/term.json" && grep -q '"bytes":777' "$T/term.json"; then
	ok sigterm-final-drain
else
	nok sigterm-final-drain "exit $rc; records: $(head -c 300 "$T/term.json")"
fi
# Geo: a corrupt database at start is an error naming the file; none is a
# warning; a database replaced by rename while flows are written is picked
# up at the next drain and nothing is lost.
head -c 4096 /dev/urandom > "$T/corrupt.mmdb"
expect geo-corrupt-start 1 "corrupt.mmdb" "$X" run --duration 1 --pin-path none --geoip "$T/corrupt.mmdb"
expect geo-none-warns 0 "warning: no geo database" "$X" run --duration 1 --pin-path none
printf '{"127.1.0.0/16": {"country": "US", "country_name": "United States"}}\n' > "$T/us.json"
printf '{"127.1.0.0/16": {"country": "NZ", "country_name": "New Zealand"}}\n' > "$T/nz.json"
if tools/mkmmdb.pl --schema country --in "$T/us.json" --out "$T/geo.mmdb" &&
   tools/mkmmdb.pl --schema country --in "$T/nz.json" --out "$T/nz.mmdb"; then
	"$X" run --interval 1 --flows --include-reserved --pin-path none --geoip "$T/geo.mmdb" \
		--output "file:$T/geo.json" 2> "$T/geo.err" &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! grep -q "running:" "$T/geo.err"; do sleep 0.2; i=$((i + 1)); done
	head -c 1111 /dev/zero > /dev/udp/127.1.0.7/4001
	sleep 1.5
	mv "$T/nz.mmdb" "$T/geo.mmdb"	# atomic replace, as geoipupdate does
	sleep 1.5
	head -c 2222 /dev/zero > /dev/udp/127.1.0.7/4002
	sleep 1.5
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $rc = 0 ] && grep '"port":4001' "$T/geo.json" | grep -q '"country_iso_code":"US"' &&
	   grep '"port":4002' "$T/geo.json" | grep -q '"country_iso_code":"NZ"' &&
	   grep '"port":4001' "$T/geo.json" | grep -q '"bytes":1111' &&
	   grep '"port":4002' "$T/geo.json" | grep -q '"bytes":2222'; then
		ok geo-atomic-replace
	else
		nok geo-atomic-replace "exit $rc; $(grep -E '"port":400[12]' "$T/geo.json" | head -c 400)"
	fi
else
	nok geo-atomic-replace "tools/mkmmdb.pl failed"
fi
exit 0
