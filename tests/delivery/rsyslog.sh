#!/bin/bash
# Alerts to a real rsyslog (imtcp, and TLS with its OpenSSL driver) on
# loopback: every alert arrives intact and once, survives a receiver
# outage and a kill -9 of the sender in order, and a certificate that does
# not verify is refused in one line with the alerts kept spooled.
# Usage: tests/delivery/rsyslog.sh PATH-TO-EXFILD
set -u
X=${1:-build/exfild}
. "$(dirname "$0")/lib.sh"

if ! command -v rsyslogd > /dev/null || ! command -v jq > /dev/null; then
	skip_test rsyslog "rsyslogd or jq missing (make deps)"
	exit 0
fi

P=$(free_port)
OUT=$T/received.log
SINK="syslog+tcp://127.0.0.1:$P"
rsyslog_conf rs "$P" "$OUT"
if ! rsyslog_start rs "$P"; then
	nok rsyslog-starts "rsyslogd did not listen on $P: $(head -c 300 "$T/rs.log")"
	exit 1
fi

# 1. N alerts over TCP: each arrives once, intact, valid JSON.
if "$X" test-alert --count 50 --state-dir "$T/st1" --output "$SINK" > "$T/ta1.out" 2> "$T/ta1.err" &&
	grep -q "50 test alerts delivered" "$T/ta1.out" && wait_for 20 has_lines "$OUT" 50 &&
	check_alerts "$OUT" 50 "[range(1;51)]"; then
	ok tcp-50-alerts-once
else
	nok tcp-50-alerts-once "$(tail -c 300 "$T/ta1.err") received $(wc -l < "$OUT" 2>/dev/null)"
fi

# 2. The receiver stops in the middle and comes back: every alert arrives, in order.
: > "$OUT.2"
rsyslog_conf rs2 "$P" "$OUT.2"
rsyslog_stop "$RS_PID"
rsyslog_start rs2 "$P"
"$X" test-alert --count 10 --state-dir "$T/st2" --output "$SINK" > /dev/null 2> "$T/ta2a.err"
wait_for 20 has_lines "$OUT.2" 10
rsyslog_stop "$RS_PID"
"$X" test-alert --count 10 --timeout 120 --state-dir "$T/st2" --output "$SINK" > "$T/ta2.out" 2> "$T/ta2.err" &
TA=$!
# Down for a while: the sender has spooled the alerts and failed to connect.
if wait_for 30 grep -q "10 test alerts spooled" "$T/ta2.err" &&
	wait_for 30 grep -q "cannot connect: Connection refused" "$T/ta2.err"; then
	rsyslog_start rs2 "$P"
	wait "$TA"
	rc=$?
	if [ "$rc" = 0 ] && wait_for 20 has_lines "$OUT.2" 20 &&
		check_alerts "$OUT.2" 20 "[range(1;11)] + [range(1;11)]"; then
		ok receiver-outage-all-in-order
	else
		nok receiver-outage-all-in-order "exit $rc: $(tail -c 300 "$T/ta2.err") received $(wc -l < "$OUT.2")"
	fi
else
	kill "$TA" 2>/dev/null
	nok receiver-outage-all-in-order "no spool/connect lines: $(tail -c 300 "$T/ta2.err")"
fi

# 3. kill -9 of the sender with alerts spooled; the agent's next run delivers them.
: > "$OUT.3"
rsyslog_conf rs3 "$P" "$OUT.3"
rsyslog_stop "$RS_PID"
"$X" test-alert --count 12 --timeout 600 --state-dir "$T/st3" --output "$SINK" > /dev/null 2> "$T/ta3.err" &
TA=$!
if wait_for 30 grep -q "12 test alerts spooled" "$T/ta3.err"; then
	kill -9 "$TA"
	wait "$TA" 2> /dev/null
	rsyslog_start rs3 "$P"
	"$X" run --duration 1 --interval 1 --pin-path none --control none --state-dir "$T/st3" \
		--output "$SINK" > /dev/null 2> "$T/run3.err"
	rc=$?
	if [ "$rc" = 0 ] && wait_for 20 has_lines "$OUT.3" 12 &&
		check_alerts "$OUT.3" 12 "[range(1;13)]" &&
		grep -q "12 alerts from an earlier run to deliver" "$T/run3.err"; then
		ok kill-9-then-restart-delivers
	else
		nok kill-9-then-restart-delivers "exit $rc: $(tail -c 300 "$T/run3.err") received $(wc -l < "$OUT.3")"
	fi
else
	kill -9 "$TA" 2>/dev/null
	nok kill-9-then-restart-delivers "not spooled: $(tail -c 300 "$T/ta3.err")"
fi
rsyslog_stop "$RS_PID"

# 4. TLS with rsyslog's OpenSSL driver; certificates made now, never committed.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=exfild test CA" \
	-keyout "$T/ca.key" -out "$T/ca.pem" 2> /dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$T/server.key" \
	-out "$T/server.csr" 2> /dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$T/san.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/san.ext" -out "$T/server.pem" 2> /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=someone else" \
	-keyout "$T/other.key" -out "$T/other.pem" 2> /dev/null
PT=$(free_port)
TOUT=$T/tls.log
rsyslog_conf rst "$PT" "$TOUT" tls
if rsyslog_start rst "$PT"; then
	if "$X" test-alert --count 20 --state-dir "$T/st4" --output "syslog+tls://127.0.0.1:$PT" \
		--tls-ca "$T/ca.pem" > /dev/null 2> "$T/ta4.err" && wait_for 20 has_lines "$TOUT" 20 &&
		check_alerts "$TOUT" 20 "[range(1;21)]"; then
		ok tls-20-alerts-once
	else
		nok tls-20-alerts-once "$(tail -c 300 "$T/ta4.err") received $(wc -l < "$TOUT" 2>/dev/null)"
	fi
	# 5. A certificate that does not verify: refused, one line, alerts stay spooled.
	"$X" test-alert --count 3 --timeout 3 --state-dir "$T/st5" \
		--output "syslog+tls://127.0.0.1:$PT" --tls-ca "$T/other.pem" > /dev/null 2> "$T/ta5.err"
	rc=$?
	n=$(grep -c "output syslog+tls://127.0.0.1:$PT: certificate of 127.0.0.1 not accepted: " "$T/ta5.err")
	if [ "$rc" = 1 ] && [ "$n" = 1 ] && [ "$(wc -l < "$TOUT")" = 20 ] &&
		grep -q "3 alerts not delivered within 3 s, they stay spooled in $T/st5" "$T/ta5.err" &&
		[ -s "$T/st5/alerts.spool" ]; then
		ok tls-bad-certificate-refused-and-spooled
	else
		nok tls-bad-certificate-refused-and-spooled "exit $rc, $n refusal lines: $(tail -c 400 "$T/ta5.err")"
	fi
	rsyslog_stop "$RS_PID"
	# 6. Mutual TLS: a receiver that wants a client certificate gets one
	# with --tls-cert/--tls-key, and refuses a client without.
	openssl req -newkey rsa:2048 -nodes -subj "/CN=exfild agent" -keyout "$T/client.key" \
		-out "$T/client.csr" 2> /dev/null
	openssl x509 -req -in "$T/client.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
		-days 2 -out "$T/client.pem" 2> /dev/null
	PM=$(free_port)
	MOUT=$T/mutual.log
	rsyslog_conf rsm "$PM" "$MOUT" mutual
	if rsyslog_start rsm "$PM"; then
		"$X" test-alert --count 2 --timeout 3 --state-dir "$T/st6" \
			--output "syslog+tls://127.0.0.1:$PM" --tls-ca "$T/ca.pem" > /dev/null 2> "$T/ta6a.err"
		rc_without=$?
		"$X" test-alert --count 5 --state-dir "$T/st6" --output "syslog+tls://127.0.0.1:$PM" \
			--tls-ca "$T/ca.pem" --tls-cert "$T/client.pem" --tls-key "$T/client.key" \
			> /dev/null 2> "$T/ta6.err"
		rc_with=$?
		# The 2 spooled without a certificate go first, then the 5.
		if [ "$rc_without" = 1 ] && [ "$rc_with" = 0 ] && wait_for 20 has_lines "$MOUT" 7 &&
			check_alerts "$MOUT" 7 "[range(1;3)] + [range(1;6)]"; then
			ok tls-client-certificate
		else
			nok tls-client-certificate "without: exit $rc_without, with: exit $rc_with: $(tail -c 300 "$T/ta6.err") received $(wc -l < "$MOUT" 2>/dev/null)"
		fi
		rsyslog_stop "$RS_PID"
	else
		nok tls-client-certificate "rsyslogd (ossl, x509) did not listen: $(head -c 300 "$T/rsm.log")"
	fi
else
	nok tls-20-alerts-once "rsyslogd (ossl) did not listen: $(head -c 300 "$T/rst.log")"
fi

exit 0
