#!/bin/sh
# The build's layering rule, tried: each stage compiles against the headers
# of the folders it may use, and a header of a folder it may not use is not
# found. Prints TAP-style "ok"/"not ok" lines for tests/run-all.sh.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# try NAME MODULE HEADER WANT: WANT is "compiles" or "refused".
try() {
	name=$1 mod=$2 hdr=$3 want=$4
	flags=$(make -s --no-print-directory mod-flags MOD="$mod")
	printf '#include "%s"\nint layers_probe;\n' "$hdr" > "$tmp/probe.c"
	if ${CC:-cc} -D_GNU_SOURCE $flags -fsyntax-only "$tmp/probe.c" 2> "$tmp/err"; then
		got=compiles
	else
		got=refused
	fi
	if [ "$got" = "$want" ]; then
		echo "ok layers/$name"
	else
		echo "not ok layers/$name # $mod including $hdr: $got, expected $want"
		sed 's/^/#   /' "$tmp/err"
	fi
}

try enrich-sees-core enrich flow.h compiles
try enrich-not-kernel enrich ksource.h refused
try enrich-not-record enrich record.h refused
try record-not-enrich record geo.h refused
try record-sees-core record proc_info.h compiles
try sink-not-enrich sink proc.h refused
try core-alone core json.h refused
try conf-sees-sink conf sink.h compiles
try conf-not-kernel conf loader.h refused
try kernel-sees-contract source/kernel exfild.h compiles
try cmd-sees-stages cmd ksource.h compiles
try cmd-not-contract cmd exfild.h refused
