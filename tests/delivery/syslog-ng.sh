#!/bin/bash
# Alerts to a real syslog-ng (its syslog() source over TCP: RFC 5424 with
# octet counting) on loopback: every alert arrives once, intact.
# syslog-ng runs from the tree tools/deps.sh unpacks it into (as a Debian
# package it conflicts with rsyslog).
# Usage: tests/delivery/syslog-ng.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
. "$(dirname "$0")/lib.sh"
R=${SYSLOG_NG_ROOT:-/opt/exfild-test/syslog-ng}

if [ ! -x "$R/usr/sbin/syslog-ng" ] || ! command -v jq > /dev/null; then
	skip_test syslog-ng "no syslog-ng under $R or no jq (make deps)"
	exit 0
fi
P=$(free_port)
OUT=$T/received.log
mkdir -p "$T/run"
cat > "$T/sng.conf" <<CONF
@version: 3.38
options { log-msg-size(65536); };
source s_exfild { syslog(ip("127.0.0.1") port($P) transport("tcp")); };
destination d_msg { file("$OUT" template("\${MSG}\n")); };
log { source(s_exfild); destination(d_msg); };
CONF
LD_LIBRARY_PATH=$R/usr/lib/syslog-ng "$R/usr/sbin/syslog-ng" -F --no-caps \
	--module-path="$R/usr/lib/syslog-ng/3.38" -f "$T/sng.conf" -R "$T/run/persist" \
	-p "$T/run/pid" -c "$T/run/ctl" > "$T/sng.log" 2>&1 &
RS_PIDS="$!"
if ! wait_for 20 listening "$P"; then
	nok syslog-ng-30-alerts-once "syslog-ng did not listen on $P: $(head -c 300 "$T/sng.log")"
	exit 1
fi
if "$X" test-alert --count 30 --state-dir "$T/st" --output "syslog+tcp://127.0.0.1:$P" \
	> "$T/ta.out" 2> "$T/ta.err" && wait_for 20 has_lines "$OUT" 30 &&
	check_alerts "$OUT" 30 "[range(1;31)]"; then
	ok syslog-ng-30-alerts-once
else
	nok syslog-ng-30-alerts-once "$(tail -c 300 "$T/ta.err") received $(wc -l < "$OUT" 2>/dev/null)"
fi
exit 0
