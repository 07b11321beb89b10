#!/bin/sh
# /init of the qemu test VM (busybox sh). Runs the integration tests against a
# real Debian kernel (SERIES, from the kernel command line: 6.1 or 6.12),
# prints one `ok NAME` / `not ok NAME # reason` line per
# check, then the sentinel and powers off. tests/qemu/matrix.sh reads the
# console. Nothing here may block forever: every command runs under timeout
# and a watchdog powers the VM off if the whole run takes too long.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
SERIES=${SERIES:-6.1}
P=qemu-$SERIES
SENTINEL=EXFILD-QEMU-DONE
WATCHDOG=${WATCHDOG:-420}   # seconds; the host kills qemu a little later
# Debian's busybox sh runs its own applets before searching PATH, and its
# `ip` applet knows no veth or netns: name iproute2's binary by path.
IP=/sbin/ip

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup

off() {
    sync
    poweroff -f
    echo o > /proc/sysrq-trigger   # poweroff failed: ask the kernel directly
    sleep 5
    exit 1                         # init exits -> panic -> qemu -no-reboot quits
}

# Watchdog: the sentinel is not printed, so the host reports the hang.
( sleep "$WATCHDOG"; echo "not ok $P/watchdog # VM still running after ${WATCHDOG}s"; off ) &

up() { cut -d' ' -f1 /proc/uptime; }
stage_t0=$(up)
stage() {   # stage NAME: time since the previous stage, for the console log
    now=$(up)
    echo "# stage $1: $(awk "BEGIN{printf \"%.2f\", $now - $stage_t0}")s (uptime ${now}s)"
    stage_t0=$now
}
ok() { echo "ok $P/$1"; }
notok() { echo "not ok $P/$1 # $2"; }

echo "# $P: kernel $(uname -r), booted in $(up)s"

while read -r m; do
    insmod "/lib/modules/$m" || echo "# insmod $m failed"
done < /lib/modules/load-order
$IP link set lo up

# The VM itself: what the tests below need from it.
if [ -f /sys/kernel/btf/vmlinux ] && grep -q ' /sys/fs/bpf bpf ' /proc/mounts; then
    ok vm-bpf
else
    notok vm-bpf "no /sys/kernel/btf/vmlinux or bpffs not mounted"
fi
if $IP netns add probe && $IP link add probe0 type veth peer name probe1 &&
   $IP link set probe1 netns probe && $IP -n probe link set probe1 up; then
    ok vm-netns-veth
else
    notok vm-netns-veth "ip netns add / veth pair failed"
fi
$IP link del probe0 2>/dev/null
$IP netns del probe 2>/dev/null
stage setup

# Fixture geo databases and their sources (tests/qemu/matrix.sh puts them in
# /geo): itest checks every record's geo fields against them.
GEO=
for s in city asn; do
    if [ -f /geo/geo-$s.mmdb ] && [ -f /geo/geo-$s.json ]; then
        GEO="$GEO --geoip /geo/geo-$s.mmdb --geo-fixture /geo/geo-$s.json"
    else
        notok geo-files "no /geo/geo-$s.mmdb or /geo/geo-$s.json in the initramfs"
    fi
done

# itest prints its own ok/not ok lines; make sure a crash or a timeout still
# leaves a `not ok` behind. drain-race sends until the agent's output shows
# two drains, however slow the emulation.
run_itest() {   # run_itest ATTACH EXPECT_TIER
    name=$P/$1
    # $GEO unquoted on purpose: it is a list of arguments without spaces.
    { timeout -s TERM 150 /bin/itest --exfild /bin/exfild --traffic /bin/traffic \
        --attach "$1" --name "$name" --expect-tier "$2" $GEO
      echo $? > /tmp/rc; } 2>&1 |
        tee /tmp/itest.out
    rc=$(cat /tmp/rc)
    # A killed itest leaves its agent and traffic behind; they would skew the
    # next run. (This is the VM: nothing else runs under these names.)
    [ "$rc" = 0 ] || killall -q -KILL exfild traffic 2>/dev/null
    if grep -q "^not ok " /tmp/itest.out; then
        :
    elif [ "$rc" != 0 ]; then
        notok "$1" "itest exited $rc (143: stopped after 150s)"
    elif ! grep -q "^ok " /tmp/itest.out; then
        notok "$1" "itest printed no result"
    fi
    stage "itest $1"
}
# Every tier this kernel has, each forced, then auto (which takes the first
# that works: fentry on both kernels).
run_itest fentry fentry
run_itest kprobe kprobe
[ "$SERIES" = 6.1 ] || run_itest tracepoint tracepoint
run_itest auto fentry

# exfild run: stdout (records) and stderr (log) kept apart; the log is shown.
run_exfild() {   # run_exfild ATTACH -> sets rc, log in /tmp/exfild.err
    timeout -s KILL 60 /bin/exfild run --attach "$1" --duration 2 \
        > /tmp/exfild.out 2> /tmp/exfild.err
    rc=$?
    sed 's/^/# stderr: /' /tmp/exfild.err | head -n 40
}

# No sock_send_length tracepoint before 6.3: the tier must refuse by name.
if [ "$SERIES" = 6.1 ]; then
    run_exfild tracepoint
    if [ "$rc" != 1 ]; then
        notok tracepoint-refused "exit $rc, want 1"
    elif ! grep -q sock_send_length /tmp/exfild.err; then
        notok tracepoint-refused "stderr does not name sock_send_length"
    else
        ok tracepoint-refused
    fi
    stage "exfild tracepoint"
fi

run_exfild auto
if [ "$rc" != 0 ]; then
    notok auto-explains "exit $rc, want 0"
elif ! grep 'exfild: running' /tmp/exfild.err | grep -q 'tier=fentry'; then
    notok auto-explains "no 'exfild: running ... tier=fentry' line"
elif ! grep 'exfild: attach:' /tmp/exfild.err | grep -q fentry; then
    notok auto-explains "no 'exfild: attach:' line about fentry"
else
    ok auto-explains
fi
stage "exfild auto"

# Kernel warnings raised during the tests end up in the console log.
dmesg | grep -iE 'warn|bug|oops|call trace|bpf' | head -n 40 | sed 's/^/# dmesg: /'
echo "$SENTINEL"
off
