#!/bin/bash
# make install / make uninstall into throw-away roots, the systemd unit
# through systemd-analyze verify, the man page through groff, and the
# default config against the option table. Usage: tests/install.sh
set -u
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

ok() { echo "ok install/$1"; }
nok() { echo "not ok install/$1 # $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "$3"; fi; }
tree() { (cd "$1" && find . | sort) ; }
X=build/exfild

# A root that already has something of its own in /etc: it must stay.
D=$T/root
mkdir -p "$D/etc/ssh"
echo mine > "$D/etc/ssh/keep"
tree "$D" > "$T/before"
make -s install DESTDIR="$D" PREFIX=/usr > "$T/install.out" 2>&1
check install-exit '[ $? = 0 ]' "$(tail -3 "$T/install.out")"
m() { stat -c %a "$D$1" 2>/dev/null; }
check binary '[ "$(m /usr/sbin/exfild)" = 755 ] && "$D/usr/sbin/exfild" version | grep -q "^exfild "' \
	"mode $(m /usr/sbin/exfild)"
check man-page '[ "$(m /usr/share/man/man8/exfild.8)" = 644 ]' "mode $(m /usr/share/man/man8/exfild.8)"
check unit '[ "$(m /usr/lib/systemd/system/exfild.service)" = 644 ] &&
	grep -qx "ExecStart=/usr/sbin/exfild run --config /etc/exfild/exfild.conf" "$D/usr/lib/systemd/system/exfild.service"' \
	"$(grep ExecStart "$D/usr/lib/systemd/system/exfild.service" 2>&1)"
check config '[ "$(m /etc/exfild/exfild.conf)" = 644 ] && cmp -s etc/exfild.conf "$D/etc/exfild/exfild.conf"' \
	"mode $(m /etc/exfild/exfild.conf)"

# Installing again (an upgrade) keeps an edited config and leaves one copy of everything.
echo 'interval = 30;' >> "$D/etc/exfild/exfild.conf"
make -s install DESTDIR="$D" PREFIX=/usr > "$T/install2.out" 2>&1
check reinstall-keeps-config '[ $? = 0 ] && grep -qx "interval = 30;" "$D/etc/exfild/exfild.conf" &&
	grep -q "/etc/exfild/exfild.conf changed since install: kept" "$T/install2.out" &&
	grep -q "/etc/exfild/exfild.conf exists: kept as it is" "$T/install2.out"' \
	"$(tr '\n' ' ' < "$T/install2.out")"

make -s uninstall DESTDIR="$D" PREFIX=/usr > "$T/uninstall.out" 2>&1
check uninstall-exit '[ $? = 0 ]' "$(tail -3 "$T/uninstall.out")"
# Exactly what install put there is gone; the edited config and what was there before stay.
printf './etc/exfild\n./etc/exfild/exfild.conf\n' | cat - "$T/before" | sort > "$T/want"
tree "$D" > "$T/after"
check uninstall-exact 'cmp -s "$T/want" "$T/after"' "$(diff "$T/want" "$T/after" | tr '\n' ' ')"
check uninstall-nothing 'make -s uninstall DESTDIR="$D" PREFIX=/usr 2>&1 | grep -q "nothing installed"' \
	"second uninstall did not say so"

# An unchanged install comes out whole: the root is as it was.
rm -rf "$D/etc/exfild"
make -s install DESTDIR="$D" PREFIX=/usr > /dev/null 2>&1 && make -s uninstall DESTDIR="$D" PREFIX=/usr > /dev/null 2>&1
tree "$D" > "$T/after2"
check round-trip 'cmp -s "$T/before" "$T/after2"' "$(diff "$T/before" "$T/after2" | tr '\n' ' ')"

# The unit as installed (its ExecStart exists there), its man page found.
P=$T/prefix
make -s install PREFIX="$P" SYSCONFDIR="$P/etc" > /dev/null 2>&1
MANPATH=$P/share/man systemd-analyze verify "$P/lib/systemd/system/exfild.service" > "$T/verify" 2>&1
rc=$?
check systemd-analyze-verify '[ $rc = 0 ] && [ ! -s "$T/verify" ]' "exit $rc: $(tr '\n' ' ' < "$T/verify")"
u=etc/exfild.service.in
for k in ProtectSystem=strict ProtectHome= NoNewPrivileges=yes CapabilityBoundingSet= ReadWritePaths= Restart=on-failure; do
	check "unit-has-${k%%=*}" 'grep -q "^$k" "$u"' "no $k in $u"
done
# The bounding set holds what loading and the steady state need (user/core/privs.h).
for c in CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_SETPCAP; do
	grep "^CapabilityBoundingSet=" "$u" | grep -qw "$c" || nok "unit-bounding-$c" "missing"
done
check unit-no-sys-admin '! grep "^CapabilityBoundingSet=" "$u" | grep -q CAP_SYS_ADMIN' "CAP_SYS_ADMIN in the bounding set"

# The man page: clean roff, and every option of exfild run in it.
groff -man -ww -z doc/exfild.8 > "$T/groff" 2>&1
check man-roff-clean '[ $? = 0 ] && [ ! -s "$T/groff" ]' "$(head -3 "$T/groff" | tr '\n' ' ')"
missing=""
for o in $("$X" run --help | grep -oE '^  (-., )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
	grep -qF -- "$(echo "$o" | sed 's/-/\\-/g')" doc/exfild.8 || missing="$missing $o"
done
check man-every-option '[ -z "$missing" ]' "not in doc/exfild.8:$missing"

# The default config: every option of the table, commented out, and it
# parses (as the defaults) with exfild itself.
missing=""
for o in $("$X" run --help | grep -oE '^  --[a-z-]+' | grep -oE '[a-z][a-z-]+'); do
	case $o in config|verbose|help) continue ;; esac
	grep -q "^#$(echo "$o" | tr - _) = " etc/exfild.conf || missing="$missing $o"
done
check config-every-option '[ -z "$missing" ]' "not in etc/exfild.conf:$missing"
exit 0
