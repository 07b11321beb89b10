#!/bin/bash
# Process context end to end, where the test makes the case itself and so
# knows the exact answer: user.id of a flow's first send, the executable's
# file facts (writable by others through its owner, its mode or its
# directory, also as a process in another mount namespace sees it), and
# every hash_status / hash_reason an agent can meet: the hashing budget
# (pending, then ok), too_large, changed, a deleted and a memfd executable,
# process_gone, no_executable and open_failed.
# Usage: tests/context.sh PATH-TO-EXFILD PATH-TO-TRAFFIC
# Prints "ok context/NAME" or "not ok context/NAME # why". Needs root, jq,
# perl, setpriv, unshare, truncate and sha256sum.
set -u
X=${1:-build/asan/exfild}
TR=${2:-build/tests/traffic}
T=$(mktemp -d)
WAIT_S=120		# bound on every wait for an event
agents=""
senders=""
failed=
cleanup() {
	for p in $senders $agents; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	# The agents' logs, for the suite's log, when a check failed.
	[ -z "$failed" ] || for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done >&2
	rm -rf "$T"
}
trap cleanup EXIT

SUITE=context
. "$(dirname "$0")/shlib.sh"	# ok, nok
. "$(dirname "$0")/agentlib.sh"	# start, stop, until_ok, wait_for, wait_rec, flows, short
nok() { echo "not ok $SUITE/$1 # $2"; failed=1; }

for tool in jq perl setpriv unshare truncate sha256sum; do
	command -v "$tool" >/dev/null || { nok tools "$tool is not installed (make deps)"; exit 1; }
done
[ -x "$TR" ] || { nok tools "no traffic program $TR (make build/tests/traffic)"; exit 1; }
TR=$(realpath "$TR")
chmod 755 "$T"

# check NAME JQ-CONDITION FILE PID: the last flow record of PID meets the
# condition (a jq boolean over the record); else prints the record.
check() {
	local got
	got=$(flows_of "$3" "$4" | tail -n 1)
	if [ -z "$got" ]; then
		nok "$1" "no flow record of pid $4"
	elif [ "$(jq "$2" <<< "$got")" = true ]; then
		ok "$1"
	else
		nok "$1" "expected $2; got $(head -c 1500 <<< "$got")"
	fi
}

# tick NAME CMD...: run CMD (a traffic ticker, or a command that execs
# one) in the background until its first datagram went; its pid in $tpid
# (traffic's own, after any exec), stdout in $T/NAME.out.
tick() {
	local n=$1
	shift
	"$@" > "$T/$n.out" 2> "$T/$n.err" &
	senders="$senders $!"
	tpid=
	if ! until_ok 'said "$T/$n.out" "ticking pid="'; then
		nok "$n" "the ticker never sent: $(short "$T/$n.err")"
		return 1
	fi
	tpid=${said#ticking pid=}
}

# said FILE PREFIX: the first line of FILE starts with PREFIX; it is in
# $said. Shell builtins only: waiting adds no exec or exit events, which
# matters while the agent is stopped (its ring buffer holds 3196).
said() {
	said=
	read -r said 2>/dev/null < "$1" && [[ $said == "$2"* ]]
}

# untick PID: end a ticker (SIGUSR1) and wait until it has exited.
untick() {
	local ut_pid=$1
	[ -n "$ut_pid" ] || return 0
	kill -USR1 "$ut_pid" 2>/dev/null
	until_ok 'zombie_or_gone "$ut_pid"'
}

# A copy of traffic at PATH (a file of its own: its own hash cache entry).
copy() {
	mkdir -p "$(dirname "$1")"
	cp "$TR" "$1" && chmod 755 "$1"
}

# ---- user.id: the uid of the first send ------------------------------------

# One process (one pid, by exec) sends one byte to a UDP receiver as root,
# then 100 bytes to it as nobody: one flow, one record in the one drain
# (SIGTERM's). user.id is the first send's uid, 0, which is not the
# process's uid (65534): no user.name then; group.* are the process's.
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Proto => "udp")
		or die "udp socket: $!";
	open(my $f, ">", "$ARGV[0].tmp") or die; print $f $s->sockport, "\n"; close $f;
	rename("$ARGV[0].tmp", $ARGV[0]) or die;
	my $b;
	$s->recv($b, 65536) while 1;' "$T/sink.port" 2> "$T/sink.err" &
senders="$senders $!"
if ! until_ok '[ -s "$T/sink.port" ]'; then
	nok user-id-first-send "the UDP receiver did not start: $(short "$T/sink.err")"
elif start user-id-first-send --interval 3600 --flows --include-reserved --pin-path none \
	--control none --output "file:$T/uid.json"; then
	port=$(cat "$T/sink.port")
	bash -c 'echo $$ > "$0"; exec 3> "/dev/udp/127.0.0.1/$1"; printf x >&3 &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups head -c 100 /dev/zero >&3' \
		"$T/uid.pid" "$port" 2> "$T/uid.err"
	upid=$(cat "$T/uid.pid")
	stop TERM
	n=$(flows "$T/uid.json" ".process.pid == $upid" | wc -l)
	got=$(flows "$T/uid.json" ".process.pid == $upid and .destination.port == $port and
		.network.bytes == 101 and .exfild.calls == 2 and .user.id == \"0\" and
		(.user | has(\"name\") | not) and .group.id == \"65534\" and .process.name == \"head\"" | wc -l)
	if [ "$rc" = 0 ] && [ "$n" = 1 ] && [ "$got" = 1 ]; then
		ok user-id-first-send
	else
		nok user-id-first-send "exit $rc; expected one record of pid $upid (101 bytes in 2 sends, user.id 0, no user.name, group.id 65534), got $n: $(flows "$T/uid.json" ".process.pid == $upid" | head -c 1200)"
	fi
fi

# ---- one agent, drains every second, for the rest ---------------------------

OUT=$T/ctx.json
CTL=$T/control.sock
if ! start agent --interval 1 --flows --include-reserved --pin-path none --control "$CTL" \
	--output "file:$OUT"; then
	exit 0
fi
main_agent=$apid
# drains: how many drains the agent has done (it answers between drains).
drains() { "$X" status --control "$CTL" --json 2>/dev/null | jq -e .drain.count 2>/dev/null; }

# ---- executable_writable_by_others -------------------------------------------

# "The file or its directory can be written by a non-root user (group or
# other write bits, or not owned by root)", the directory as the process
# sees it. Each case is a copy of traffic in a directory of its own.
W=$T/w
copy "$W/plain/sender"			# root's 0755 in root's 0755: false
copy "$W/file-owner/sender"
chown 65534:65534 "$W/file-owner/sender"	# the file is nobody's
copy "$W/file-group/sender"
chmod 775 "$W/file-group/sender"		# the file is group-writable
copy "$W/dir-other/sender"
chmod 757 "$W/dir-other"			# the directory is world-writable
copy "$W/dir-owner/sender"
chown 65534:65534 "$W/dir-owner"		# the directory is nobody's
# Another mount namespace: the process runs VIEW/sender, where its VIEW is
# a bind mount of REAL; the host's VIEW holds a hard link to the same file
# but has the opposite mode. Only the process's own view counts (resolved
# through /proc/PID/root).
copy "$W/ns-w-real/sender"
chmod 777 "$W/ns-w-real"
mkdir -m 755 "$W/ns-w-view"
ln "$W/ns-w-real/sender" "$W/ns-w-view/sender"
copy "$W/ns-p-real/sender"
mkdir -m 777 "$W/ns-p-view"
ln "$W/ns-p-real/sender" "$W/ns-p-view/sender"
chmod 755 "$W" "$W"/plain "$W"/file-* "$W/dir-owner" "$W/ns-p-real"

wcase() {	# wcase NAME WANT PATH CMD...
	local name=$1 want=$2 path=$3
	shift 3
	tick "writable-$name" "$@" || return
	wait_rec_of "$OUT" "$tpid" \
		'(.exfild.process.executable_writable_by_others | type) == "boolean"'
	check "writable-$name" ".exfild.process.executable_writable_by_others == $want and
		.process.executable == \"$path\"" "$OUT" "$tpid"
	untick "$tpid"
}
wcase plain false "$W/plain/sender" "$W/plain/sender" ticker
wcase file-owner true "$W/file-owner/sender" "$W/file-owner/sender" ticker
wcase file-group true "$W/file-group/sender" "$W/file-group/sender" ticker
wcase dir-other true "$W/dir-other/sender" "$W/dir-other/sender" ticker
wcase dir-owner true "$W/dir-owner/sender" "$W/dir-owner/sender" ticker
wcase mountns-dir-writable true "$W/ns-w-view/sender" unshare -m --propagation private \
	sh -c 'mount --bind "$0" "$1" && exec "$1/sender" ticker' "$W/ns-w-real" "$W/ns-w-view"
wcase mountns-dir-private false "$W/ns-p-view/sender" unshare -m --propagation private \
	sh -c 'mount --bind "$0" "$1" && exec "$1/sender" ticker' "$W/ns-p-real" "$W/ns-p-view"

# ---- hashing ------------------------------------------------------------------

H=$T/h
SHA=$(sha256sum < "$TR" | cut -d' ' -f1)
B=$((64 << 20))		# the hashing budget of a drain at --interval 1

# statuses PID: the hash_status of each of PID's records, in drain order.
statuses() {
	flows_of "$OUT" "$1" | jq -r '.exfild.process.hash_status' | tr '\n' ' '
}

# frozen CMD...: run CMD with the agent stopped (SIGSTOP): what CMD starts
# is read by the agent only after SIGCONT. Before stopping it, the drain
# count is taken: $d0.
frozen() {
	d0=$(drains) || { d0=; return 1; }
	kill -STOP "$main_agent"
	"$@"
	local r=$?
	kill -CONT "$main_agent"
	return $r
}

# The budget is 64 MiB per second of interval: with --interval 1 a
# 160 MiB executable takes three drains. The agent is stopped while the
# ticker starts and sends, so its first record is in the drain that sees
# its exec event. Read at the exec event (context_source exec), the file
# is hashed from that drain on: pending, pending, ok. Looked up by that
# drain after its hashing (context_source lookup: the drain was under way
# when the agent stopped), pending three times. Files made by truncate
# are sparse: cheap to write, hashed like any other.
copy "$H/big/sender"
truncate -s $((5 * B / 2)) "$H/big/sender"
big_sha=$(sha256sum < "$H/big/sender" | cut -d' ' -f1)
if frozen tick hash-budget "$H/big/sender" ticker; then
	wait_rec_of "$OUT" "$tpid" '.exfild.process.hash_status != "pending"'
	untick "$tpid"
	cs=$(flows_of "$OUT" "$tpid" | head -n 1 | jq -r .exfild.process.context_source)
	case $cs in
	exec) want="pending pending ok " ;;
	lookup) want="pending pending pending ok " ;;
	*) want="(a first record read at the exec event or looked up)" ;;
	esac
	got=$(statuses "$tpid")
	if [ "${got#"$want"}" = "$got" ]; then
		nok hash-budget "context_source $cs: expected hash_status $want(then ok), got $got"
	else
		check hash-budget ".process.hash.sha256 == \"$big_sha\" and
			(.exfild.process | has(\"hash_reason\") | not)" "$OUT" "$tpid"
	fi
	bad=$(flows_of "$OUT" "$tpid" '.exfild.process.hash_status == "pending" and
		((.process | has("hash")) or (.exfild.process | has("hash_reason")))' | head -c 600)
	if [ -z "$bad" ]; then ok hash-pending-fields; else nok hash-pending-fields "a pending record with a hash or a reason: $bad"; fi
fi

# changed: the file's mtime changes while it is hashed (4.5 budgets: five
# drains). The agent read it by drain d0 + 1, the first after SIGCONT; the
# earliest drain that can finish it is d0 + 5. Touched in between (the
# agent says it has done at most d0 + 4 drains after the touch), the hash
# must end skipped, changed. A touch later than that (a machine so loaded
# that this shell lagged 3 s behind the agent) says nothing: tried again,
# with a new file, up to three times.
changed_try() {	# changed_try N: sets $verdict (ok, bad, late) and $why
	local f=$H/changed$1/sender d1
	verdict=bad
	copy "$f" && truncate -s $((9 * B / 2)) "$f"
	frozen tick "hash-changed-$1" "$f" ticker || { why="no ticker or no status"; return; }
	until_ok '[ "$(drains)" -ge $((d0 + 1)) ]'
	touch -d '2001-01-01 00:00:00' "$f"
	d1=$(drains)
	wait_rec_of "$OUT" "$tpid" '.exfild.process.hash_status != "pending"'
	untick "$tpid"
	got=$(statuses "$tpid")
	if [ -z "$d1" ] || [ "$d1" -gt $((d0 + 4)) ]; then
		verdict=late
	elif ! [[ $got =~ ^(pending )+skipped ]]; then
		why="expected hash_status pending until skipped, got $got"
	else
		verdict=ok
	fi
}
for try in 1 2 3; do
	changed_try $try
	[ $verdict = late ] || break
	echo "hash-changed: try $try touched the file after drain $d1 (first drain after reading it: $((d0 + 1))): again" >&2
done
case $verdict in
ok) check hash-changed '.exfild.process.hash_reason == "changed" and (.process | has("hash") | not)' "$OUT" "$tpid" ;;
late) nok hash-changed "three tries, each touched the file too late (this shell lagged the agent by seconds)" ;;
*) nok hash-changed "$why" ;;
esac

# Over 512 MiB: skipped at once, too_large (one byte over the bound).
copy "$H/huge/sender"
truncate -s $((512 * 1024 * 1024 + 1)) "$H/huge/sender"
if tick hash-too-large "$H/huge/sender" ticker; then
	wait_rec_of "$OUT" "$tpid"
	untick "$tpid"
	check hash-too-large ".exfild.process.hash_status == \"skipped\" and
		.exfild.process.hash_reason == \"too_large\" and (.process | has(\"hash\") | not) and
		.process.executable == \"$H/huge/sender\"" "$OUT" "$tpid"
fi

# Deleted before the agent read the process: hashed all the same (through
# /proc/PID/exe), named by its path, executable_deleted.
copy "$H/deleted/sender"
deleted() { tick hash-deleted "$H/deleted/sender" ticker && rm -f "$H/deleted/sender"; }
if frozen deleted; then
	wait_rec_of "$OUT" "$tpid" '.exfild.process.hash_status != "pending"'
	untick "$tpid"
	check hash-deleted ".exfild.process.hash_status == \"ok\" and .process.hash.sha256 == \"$SHA\" and
		.process.executable == \"$H/deleted/sender\" and .exfild.process.executable_deleted == true and
		.exfild.process.fileless == false" "$OUT" "$tpid"
fi

# A memfd executable: fileless, hashed, no path on disk. Its mode (0777,
# as for every memfd) counts as writable by others.
if tick hash-memfd "$TR" memfd ticker; then
	wait_rec_of "$OUT" "$tpid" '.exfild.process.hash_status != "pending"'
	untick "$tpid"
	check hash-memfd ".exfild.process.hash_status == \"ok\" and .process.hash.sha256 == \"$SHA\" and
		.process.executable == \"/memfd:exf-memfd\" and .exfild.process.fileless == true and
		.exfild.process.executable_deleted == true and
		.exfild.process.executable_writable_by_others == true" "$OUT" "$tpid"
fi

# Gone before the agent read it (it was stopped meanwhile): what the exec
# event carried, process_gone.
copy "$H/gone/sender"
frozen "$H/gone/sender" udp4-conn --bytes 321 --count 1 > "$T/gone.out" 2> "$T/gone.err"
gpid=$(sed -n 's/^sent pid=\([0-9]*\) .*/\1/p' "$T/gone.out")
if [ -z "$gpid" ]; then
	nok hash-process-gone "traffic failed: $(short "$T/gone.err")"
else
	wait_rec_of "$OUT" "$gpid"
	check hash-process-gone ".exfild.process.hash_status == \"skipped\" and
		.exfild.process.hash_reason == \"process_gone\" and (.process | has(\"hash\") | not) and
		.exfild.process.context_source == \"event\" and .exfild.process.exited == true and
		.process.executable == \"$H/gone/sender\" and .network.bytes == 321" "$OUT" "$gpid"
fi

# open_failed: at most 64 files wait for hashing with an fd held; the
# next ones are opened through /proc/PID/exe when their turn comes. With
# the agent stopped, an executable of 4.5 budgets (five drains) and 63
# other new ones start, then the case's own, the 65th file. Once the agent
# has read it (drain d0 + 1 is done), its main thread exits: /proc/PID/exe
# resolves to nothing, and when its turn comes (d0 + 5 at the earliest)
# its file cannot be opened. The process lives on (another thread sends).
# As for changed: tried again when this shell was too late. Its exec event
# must have been read (context_source exec): then so were the 64 before it
# (the ring buffer refuses only the newest), which hold the fds.
of_start() {	# of_start N: the 64 tickers, then the case's own
	local i n=$1
	tick "of-$n-big" "$H/of$n/big/sender" ticker || return
	for i in $(seq 63); do
		"$H/of$n/$i/sender" ticker > "$T/of-$n-$i.out" 2> "$T/of-$n-$i.err" &
		senders="$senders $!"
	done
	for i in $(seq 63); do until_ok 'said "$T/of-$n-$i.out" "ticking pid="'; done
	"$H/of$n/case/sender" leader-exit > "$T/of-$n-case.out" 2> "$T/of-$n-case.err" &
	senders="$senders $!"
	until_ok 'said "$T/of-$n-case.out" "ready pid="'
}
of_try() {	# of_try N: sets $verdict (ok, bad, late) and $why
	local i d1 first n try_n=$1
	verdict=bad
	copy "$H/of$1/big/sender" && truncate -s $((9 * B / 2)) "$H/of$1/big/sender"
	for i in $(seq 63) case; do copy "$H/of$1/$i/sender"; done
	frozen of_start "$1"
	opid=$(sed -n 's/^ready pid=//p' "$T/of-$1-case.out")
	if [ -z "$opid" ] || [ -z "$d0" ]; then
		why="leader-exit did not start or no status: $(short "$T/of-$1-case.err")"
	else
		until_ok '[ "$(drains)" -ge $((d0 + 1)) ]'
		kill -USR1 "$opid"
		until_ok 'grep -q "^leader-gone pid=" "$T/of-$try_n-case.out"'
		d1=$(drains)
		wait_rec_of "$OUT" "$opid" '.exfild.process.hash_status != "pending"'
		untick "$opid"
		first=$(flows_of "$OUT" "$opid" | head -n 1)
		if [ -z "$d1" ] || [ "$d1" -gt $((d0 + 4)) ] ||
		   [ "$(jq -r .exfild.process.context_source <<< "$first")" != exec ]; then
			verdict=late
		elif [ "$(jq '.exfild.process.hash_status == "pending" and
			.process.executable == "'"$H/of$1/case/sender"'"' <<< "$first")" != true ]; then
			why="expected the first record pending, read while the process was whole; got $(head -c 1200 <<< "$first")"
		else
			verdict=ok
		fi
	fi
	for n in big $(seq 63); do
		untick "$(sed -n 's/^ticking pid=//p' "$T/of-$1-$n.out" 2>/dev/null)"
	done
}
for try in 1 2 3; do
	of_try $try
	[ $verdict = late ] || break
	echo "hash-open-failed: try $try came too late (drain $d1 after the exit, first read by $((d0 + 1)); or its exec event was lost): again" >&2
done
case $verdict in
ok) check hash-open-failed '.exfild.process.hash_status == "skipped" and
	.exfild.process.hash_reason == "open_failed" and (.process | has("hash") | not)' "$OUT" "$opid" ;;
late) nok hash-open-failed "three tries, each too late (this shell lagged the agent by seconds)" ;;
*) nok hash-open-failed "$why" ;;
esac

stop TERM
if [ "$rc" = 0 ]; then ok agent-exit; else nok agent-exit "exit $rc: $(short "$T/agent.err")"; fi

# no_executable: a process whose main thread has exited (another thread
# lives on) has no executable to read. Found so by an agent that starts
# then (context_source scan).
"$TR" leader-exit > "$T/nx.out" 2> "$T/nx.err" &
senders="$senders $!"
until_ok 'said "$T/nx.out" "ready pid="'
npid=${said#ready pid=}
if [ -z "$npid" ]; then
	nok hash-no-executable "leader-exit did not start: $(short "$T/nx.err")"
else
	kill -USR1 "$npid"
	if until_ok 'grep -q "^ticking pid=" "$T/nx.out"' &&
	   start hash-no-executable --interval 1 --flows --include-reserved --pin-path none \
		--control none --output "file:$T/nx.json"; then
		wait_rec_of "$T/nx.json" "$npid"
		untick "$npid"
		stop TERM
		check hash-no-executable '.exfild.process.hash_status == "skipped" and
			.exfild.process.hash_reason == "no_executable" and
			.exfild.process.context_source == "scan" and
			(.process | has("hash") or has("executable") | not)' "$T/nx.json" "$npid"
	fi
fi
exit 0
