#!/bin/sh
# make install / make uninstall. Install records every file and directory it
# creates, with the file's sha256, in a manifest; uninstall removes exactly
# those: a file only while it is unchanged (an edited config stays), a
# directory only if install created it and it is empty.
#   tools/install.sh install|uninstall
# Paths come from the environment (the Makefile passes them): DESTDIR,
# PREFIX, SBINDIR, MANDIR, SYSCONFDIR, UNITDIR, and BIN (the built binary).
set -eu
cd "$(dirname "$0")/.."
: "${DESTDIR:=}" "${PREFIX:=/usr/local}"
: "${SBINDIR:=$PREFIX/sbin}" "${MANDIR:=$PREFIX/share/man}"
: "${SYSCONFDIR:=/etc}" "${UNITDIR:=$PREFIX/lib/systemd/system}" "${BIN:=build/exfild}"
MANIFEST="$PREFIX/share/exfild/installed"
M="$DESTDIR$MANIFEST"

die() { echo "exfild: $*" >&2; exit 1; }

# mkdirs DIR: create DIR and its missing parents, recording each one made.
mkdirs() {
	missing=""
	d=$1
	while [ "$d" != / ] && [ ! -d "$DESTDIR$d" ]; do
		missing="$d $missing"
		d=$(dirname "$d")
	done
	for d in $missing; do
		mkdir -m 0755 "$DESTDIR$d"
		echo "dir $d" >> "$LIST"
	done
}

# put SRC DEST MODE: install one file and record its hash.
put() {
	mkdirs "$(dirname "$2")"
	install -m "$3" "$1" "$DESTDIR$2"
	echo "file $(sha256sum < "$DESTDIR$2" | cut -d' ' -f1) $2" >> "$LIST"
	echo "  $2"
}

do_install() {
	[ -x "$BIN" ] || die "no $BIN: run make first"
	# Installed before (an upgrade): first take out what that install put in.
	[ ! -e "$M" ] || do_uninstall
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	LIST=$tmp/list
	: > "$LIST"
	# DESTDIR itself is the caller's: made if missing, never recorded.
	[ -z "$DESTDIR" ] || mkdir -p "$DESTDIR"
	mkdirs "$(dirname "$MANIFEST")"
	sed -e "s|@SBINDIR@|$SBINDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
		etc/exfild.service.in > "$tmp/exfild.service"
	echo "exfild: installing into ${DESTDIR:-/}"
	put "$BIN" "$SBINDIR/exfild" 0755
	put doc/exfild.8 "$MANDIR/man8/exfild.8" 0644
	put "$tmp/exfild.service" "$UNITDIR/exfild.service" 0644
	# An admin's config is never overwritten.
	if [ -e "$DESTDIR$SYSCONFDIR/exfild/exfild.conf" ]; then
		echo "  $SYSCONFDIR/exfild/exfild.conf exists: kept as it is"
	else
		put etc/exfild.conf "$SYSCONFDIR/exfild/exfild.conf" 0644
	fi
	install -m 0644 "$LIST" "$M"
}

do_uninstall() {
	[ -e "$M" ] || die "nothing installed under ${DESTDIR:-/} (no $M)"
	echo "exfild: uninstalling from ${DESTDIR:-/}"
	while read -r kind a b; do
		[ "$kind" = file ] || continue
		f="$DESTDIR$b"
		if [ ! -e "$f" ]; then
			continue
		elif [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$a" ]; then
			rm -f "$f"
			echo "  removed $b"
		else
			echo "  $b changed since install: kept"
		fi
	done < "$M"
	dirs=$(sed -n 's/^dir //p' "$M" | sort -r)
	rm -f "$M"
	# Directories last, deepest first, and only when empty.
	for d in $dirs; do
		rmdir "$DESTDIR$d" 2>/dev/null && echo "  removed $d/" || true
	done
}

case "${1:-}" in
install) do_install ;;
uninstall) do_uninstall ;;
*) die "usage: tools/install.sh install|uninstall" ;;
esac
