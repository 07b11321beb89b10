#!/bin/sh
# `make run`: the agent with defaults, plus the default geo database.
# Extra options: make run ARGS="--interval 5 --output file:/var/log/exfild.json"
set -eu
cd "$(dirname "$0")/.."
GEODB_DIR=${GEODB_DIR:-/var/lib/exfild/geoip}

geo=""
if paths=$(tools/fetch-geodb.sh "$GEODB_DIR"); then
	for p in $paths; do geo="$geo --geoip $p"; done
else
	echo "exfild: no geo database could be had; running without geo fields" >&2
fi
# shellcheck disable=SC2086 # word splitting of the option lists is wanted
exec build/exfild run --flows $geo ${ARGS:-}
