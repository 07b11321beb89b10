#!/bin/sh
# Fetch one of Debian 12's cloud kernels for the qemu test matrix.
#
#   tools/qemu-kernel.sh OUTDIR [SERIES]
#
# SERIES is 6.1 (default: bookworm's own kernel) or 6.12 (bookworm's newer
# one, linux-image-6.12.*+deb12-cloud-amd64).
# Leaves OUTDIR/vmlinuz, OUTDIR/modules/*.ko (veth.ko and what it depends on,
# decompressed, with OUTDIR/modules/load-order listing them dependencies first)
# and OUTDIR/release (the kernel release string). The .deb stays in OUTDIR, so a
# second run downloads nothing. QEMU_MODULES (default "veth") names the
# modules to extract. Why 6.1: it has fentry, kprobes and BTF, the
# hooks the development kernel refuses, so those tiers get tested for real.
# Why 6.12: it has all three tiers at once (and no tcp_sendpage).
set -eu

out=${1:?usage: tools/qemu-kernel.sh OUTDIR [SERIES]}
series=${2:-6.1}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Exactly one package name shape per series: a looser glob would match the
# other series and the -dbg/-unsigned variants.
case "$series" in
    6.1)  pattern='^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64$'
          cached='linux-image-6.1.*-cloud-amd64_*.deb' ;;
    6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$'
          cached='linux-image-6.12.*+deb12-cloud-amd64_*.deb' ;;
    *)    echo "qemu-kernel: unknown series $series (6.1 or 6.12)" >&2; exit 2 ;;
esac
sre=$(printf '%s' "$series" | sed 's/\./\\./g')
find_pkg() {
    apt-cache search --names-only "^linux-image-$sre\\." 2>/dev/null |
        cut -d' ' -f1 | grep -E "$pattern" | sort -V | tail -n 1
}

pkg=$(find_pkg)
if [ -z "$pkg" ]; then
    # A cached .deb is good enough when apt has no lists (offline re-run).
    deb=$(ls "$out"/$cached 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$deb" ]; then
        echo "qemu-kernel: apt-cache lists no $series cloud kernel; running apt-get update" >&2
        apt-get update -qq >&2 || true
        pkg=$(find_pkg)
    fi
fi

if [ -n "$pkg" ]; then
    deb=$(ls "$out/${pkg}"_*.deb 2>/dev/null | tail -n 1 || true)
    if [ -z "$deb" ]; then
        echo "qemu-kernel: downloading $pkg"
        # apt-get download writes into the current directory, which the
        # sandbox user _apt may not reach; download as the caller instead.
        (cd "$out" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) || {
            echo "qemu-kernel: apt-get download $pkg failed" >&2; exit 1; }
        deb=$(ls "$out/${pkg}"_*.deb 2>/dev/null | tail -n 1 || true)
    else
        echo "qemu-kernel: using cached $(basename "$deb")"
    fi
fi
[ -n "${deb:-}" ] && [ -f "$deb" ] || { echo "qemu-kernel: no kernel package found" >&2; exit 1; }

# Unpack only when the .deb is newer than what we unpacked last time.
stamp="$out/.unpacked"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(basename "$deb")" ] || [ ! -f "$out/vmlinuz" ]; then
    rm -rf "$out/root" "$out/modules"
    dpkg-deb -x "$deb" "$out/root"
    echo "qemu-kernel: unpacked $(basename "$deb")"
else
    echo "qemu-kernel: already unpacked $(basename "$deb")"
fi

kver=$(ls "$out/root/lib/modules" | head -n 1)
[ -n "$kver" ] || { echo "qemu-kernel: no lib/modules in $deb" >&2; exit 1; }
cp "$out/root/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$kver" > "$out/release"

# The package ships no modules.dep (depmod runs at install time), so follow
# each module's own "depends" field, depth first, so dependencies load first.
moddir="$out/root/lib/modules/$kver"
rm -rf "$out/modules"
mkdir -p "$out/modules"
: > "$out/modules/load-order.tmp"
find_mod() {
    local n
    # module names use _ and - interchangeably
    n=$(printf '%s' "$1" | sed 's/[-_]/[-_]/g')
    find "$moddir/kernel" -regex ".*/$n\.ko\(\.xz\|\.zst\|\.gz\)?" | head -n 1
}
add_mod() {   # recursive: keep f and d local
    local f d
    f=$(find_mod "$1")
    [ -n "$f" ] || { echo "qemu-kernel: module $1 not found in $kver" >&2; exit 1; }
    grep -qxF "$f" "$out/modules/load-order.tmp" && return 0
    for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$d"; done
    echo "$f" >> "$out/modules/load-order.tmp"
}
for m in ${QEMU_MODULES:-veth}; do add_mod "$m"; done

: > "$out/modules/load-order"
while read -r f; do
    name=$(basename "$f")
    case "$name" in
        *.ko.xz)  xz -dc "$f" > "$out/modules/${name%.xz}"; name=${name%.xz} ;;
        *.ko.zst) zstd -qdc "$f" > "$out/modules/${name%.zst}"; name=${name%.zst} ;;
        *.ko.gz)  gzip -dc "$f" > "$out/modules/${name%.gz}"; name=${name%.gz} ;;
        *)        cp "$f" "$out/modules/$name" ;;
    esac
    echo "$name" >> "$out/modules/load-order"
done < "$out/modules/load-order.tmp"
rm -f "$out/modules/load-order.tmp"
basename "$deb" > "$stamp"

echo "qemu-kernel: kernel $kver -> $out/vmlinuz"
echo "qemu-kernel: modules (load order): $(tr '\n' ' ' < "$out/modules/load-order")"
