#!/bin/sh
# Build the initramfs for the qemu test matrix.
#
#   tools/mkinitramfs.sh OUT.cpio.gz
#
# Contents: busybox-static and its applet links, tests/qemu/init.sh as /init,
# the static agent and test programs, iproute2's `ip` with its shared libraries
# and loader (busybox's own `ip` cannot create veth pairs), and the kernel
# modules that tools/qemu-kernel.sh extracted.
#
# Inputs (environment, relative to the repository root unless absolute):
#   QEMU_KERNEL_DIR  output of tools/qemu-kernel.sh  (build/qemu/kernel)
#   QEMU_EXFILD      the static agent                 (build/static/exfild)
#   QEMU_ITEST       integration test driver          (build/tests/itest)
#   QEMU_TRAFFIC     traffic generator                (build/tests/traffic)
#   QEMU_GEO_DIR     files copied to /geo: itest's fixture geo databases
#                    and their JSON sources           (none)
#   QEMU_INIT        the VM's /init                   (tests/qemu/init.sh)
#   QEMU_EXTRA       more dynamically linked programs, copied with their
#                    libraries (e.g. "bpftool strace" to look around)
set -eu

out=${1:?usage: tools/mkinitramfs.sh OUT.cpio.gz}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kdir=${QEMU_KERNEL_DIR:-build/qemu/kernel}
exfild=${QEMU_EXFILD:-build/static/exfild}
itest=${QEMU_ITEST:-build/tests/itest}
traffic=${QEMU_TRAFFIC:-build/tests/traffic}
geo=${QEMU_GEO_DIR:-}
init=${QEMU_INIT:-tests/qemu/init.sh}

die() { echo "mkinitramfs: $*" >&2; exit 1; }
for f in "$exfild" "$itest" "$traffic" "$init" "$kdir/modules/load-order"; do
    [ -f "$f" ] || die "missing $f"
done

busybox=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not static (install busybox-static)"
ipbin=$(command -v ip || true)
[ -n "$ipbin" ] || for p in /usr/sbin/ip /sbin/ip /bin/ip; do [ -x "$p" ] && ipbin=$p && break; done
[ -n "$ipbin" ] || die "iproute2 ip not found"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin "$root"/etc \
    "$root"/proc "$root"/sys "$root"/dev "$root"/run "$root"/tmp "$root"/root \
    "$root"/lib/modules "$root"/var
chmod 1777 "$root/tmp"
ln -s /run "$root/var/run"

cp "$busybox" "$root/bin/busybox"
# One link per applet at the path busybox itself names; skip `ip` so the real
# iproute2 binary is the only one on PATH.
"$busybox" --list-full | while read -r applet; do
    case "$applet" in */ip|bin/busybox) continue ;; esac
    mkdir -p "$root/$(dirname "$applet")"
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

install -m 0755 "$init" "$root/init"
install -m 0755 "$exfild" "$root/bin/exfild"
install -m 0755 "$itest" "$root/bin/itest"
install -m 0755 "$traffic" "$root/bin/traffic"
if [ -n "$geo" ]; then
    [ -d "$geo" ] || die "missing $geo"
    mkdir -p "$root/geo"
    cp "$geo"/* "$root/geo/"
fi

# A dynamically linked program plus every library ldd names, at the same
# paths as here (the loader finds them in its built-in multiarch directories).
with_libs() {   # with_libs PROGRAM DEST
    install -m 0755 "$1" "$root/$2"
    ldd "$1" | grep -oE '/[^ ]+' | sort -u | while read -r lib; do
        mkdir -p "$root/$(dirname "$lib")"
        cp -L "$lib" "$root/$lib"
    done
}
# iproute2 at the usual places.
with_libs "$ipbin" sbin/ip
ln -s /sbin/ip "$root/bin/ip"
ln -s /sbin/ip "$root/usr/sbin/ip"
ln -s /sbin/ip "$root/usr/bin/ip"
for p in ${QEMU_EXTRA:-}; do
    bin=$(command -v "$p") || die "QEMU_EXTRA: $p not found"
    rm -f "$root/usr/bin/$p" "$root/bin/$p" "$root/sbin/$p" "$root/usr/sbin/$p"
    with_libs "$bin" "usr/bin/$p"
done

while read -r m; do
    cp "$kdir/modules/$m" "$root/lib/modules/$m"
done < "$kdir/modules/load-order"
cp "$kdir/modules/load-order" "$root/lib/modules/load-order"

printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -k "$out" | cut -f1) KiB)"
