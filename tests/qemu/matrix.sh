#!/bin/sh
# The qemu kernel matrix: boot one of Debian 12's kernels under qemu and run
# the integration tests there, so the tiers the development kernel refuses
# are tested for real.
#
#   tests/qemu/matrix.sh [SERIES]
#
#   6.1  (default) fentry and kprobes, no sock_send_length tracepoint
#   6.12 all three tiers (fentry, kprobes, sock_send_length), no tcp_sendpage
#
# Prints only the `ok ...` / `not ok ...` lines from the VM. A missing qemu or
# kernel, a hang or a crash is `not ok qemu-SERIES/boot`: this test never
# skips. Exit 0 only if every line was ok and the VM got to the end.
#
# Environment: QEMU_TIMEOUT (seconds, default 480); QEMU_APPEND (more kernel
# arguments; NAME=value ones reach /init as environment, e.g. WATCHDOG=60);
# QEMU_EXFILD, QEMU_ITEST, QEMU_TRAFFIC replace the binaries put into the VM
# (see tools/mkinitramfs.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
series=${1:-6.1}
P=qemu-$series
out=build/qemu/$series
timeout_s=${QEMU_TIMEOUT:-480}
sentinel=EXFILD-QEMU-DONE
mkdir -p "$out"

boot_fail() {
    echo "not ok $P/boot # $*"
    exit 1
}
elapsed() { echo $(( $(date +%s) - t0 ))s; }
t0=$(date +%s)

command -v qemu-system-x86_64 >/dev/null ||
    boot_fail "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"

# The kernel cache is shared by both series' runs and kept across them.
kdir=build/qemu/kernel-$series
tools/qemu-kernel.sh "$kdir" "$series" > "$out/kernel.log" 2>&1 ||
    boot_fail "no $series kernel: $(tail -n 1 "$out/kernel.log")"

# The VM needs the static agent and test programs; build them if missing.
exfild=${QEMU_EXFILD:-build/static/exfild}
itest=${QEMU_ITEST:-build/tests/itest}
traffic=${QEMU_TRAFFIC:-build/tests/traffic}
missing=
for f in "$exfild" "$itest" "$traffic"; do [ -f "$f" ] || missing="$missing $f"; done
if [ -n "$missing" ]; then
    make -s $missing > "$out/make.log" 2>&1 ||
        boot_fail "make$missing failed: $(tail -n 1 "$out/make.log")"
fi

# itest's geo checks: fixture databases, with the JSON sources it reads.
rm -rf "$out/geo"
mkdir -p "$out/geo"
for s in city asn; do
    perl tools/mkmmdb.pl --schema $s --in tests/fixtures/geo/geo-$s.json \
        --out "$out/geo/geo-$s.mmdb" > "$out/geo.log" 2>&1 &&
        cp tests/fixtures/geo/geo-$s.json "$out/geo/" ||
        boot_fail "fixture geo database: $(tail -n 1 "$out/geo.log")"
done

# Always rebuilt (about a second) so the VM never runs stale binaries.
QEMU_KERNEL_DIR="$kdir" QEMU_EXFILD=$exfild QEMU_ITEST=$itest QEMU_TRAFFIC=$traffic \
    QEMU_GEO_DIR="$out/geo" tools/mkinitramfs.sh "$out/initrd.cpio.gz" > "$out/initrd.log" 2>&1 ||
    boot_fail "initramfs: $(tail -n 1 "$out/initrd.log")"
t_built=$(elapsed)

# No KVM here: TCG emulation. `-cpu max` gives the guest the host's modern
# instructions. `-nic none`: the guest gets no path off this machine (the
# tests use loopback and their own namespaces). The guest's own watchdog
# fires well before this timeout.
t_boot=$(date +%s)
timeout -k 10 "$timeout_s" qemu-system-x86_64 -m 1024 -smp 2 -cpu max -nic none \
    -nographic -no-reboot -kernel "$kdir/vmlinuz" -initrd "$out/initrd.cpio.gz" \
    -append "console=ttyS0 quiet panic=-1 SERIES=$series ${QEMU_APPEND:-}" < /dev/null > "$out/console.raw" 2>&1
qrc=$?
# Drop the CRs and the terminal escapes the firmware writes before our lines.
tr -d '\r' < "$out/console.raw" |
    sed -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' > "$out/console.log"
rm -f "$out/console.raw"

grep -E '^(not )?ok ' "$out/console.log"
vm_s=$(( $(date +%s) - t_boot ))

if ! grep -qx "$sentinel" "$out/console.log"; then
    if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
        why="qemu killed after ${timeout_s}s"
    elif grep -q 'Kernel panic' "$out/console.log"; then
        why=$(grep -o -m1 'Kernel panic.*' "$out/console.log")
    else
        why="qemu exited $qrc, last line: $(grep -v '^$' "$out/console.log" | tail -n 1)"
    fi
    boot_fail "VM did not finish ($why); see $out/console.log"
fi
# Timings (stderr, for the person reading the test log).
grep -E "^# ($P: kernel|stage )" "$out/console.log" >&2
echo "# $P: build ${t_built}, VM ${vm_s}s, total $(elapsed); console: $out/console.log" >&2

grep -q '^ok ' "$out/console.log" || boot_fail "the VM reported no results"
! grep -q '^not ok ' "$out/console.log"
