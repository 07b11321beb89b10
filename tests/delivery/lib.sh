# Helpers for the delivery tests: results, waits on events, free loopback
# ports, and an rsyslog receiver of the test's own. Sourced, not run.
T=$(mktemp -d)
RS_PIDS=""
cleanup() {
	for p in $RS_PIDS; do kill "$p" 2>/dev/null; done
	for p in $RS_PIDS; do wait "$p" 2>/dev/null; done
	umount "$T/small" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
[ -z "${KEEP_T:-}" ] || trap - EXIT

ok() { echo "ok delivery/$1"; }
nok() { echo "not ok delivery/$1 # $2"; }
skip_test() { echo "ok delivery/$1 # SKIP $2"; }

# wait_for SECONDS CMD...: until CMD succeeds (polled), or fail after SECONDS.
wait_for() {
	limit=$1
	shift
	end=$(($(date +%s) + limit))
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

has_lines() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
listening() { ss -Hltn "sport = :$1" | grep -q .; }
# A loopback port nothing listens on (random, checked).
free_port() {
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		listening "$p" || { echo "$p"; return; }
	done
}

# rsyslog_conf NAME PORT OUTFILE [tls|mutual]: a config receiving RFC 5424
# over TCP (octet counting) on 127.0.0.1:PORT, writing each MSG as one
# line; tls: over TLS; mutual: TLS that also requires a client certificate.
rsyslog_conf() {
	name=$1 port=$2 out=$3 tls=${4:-}
	mkdir -p "$T/$name-work"
	{
		echo "global(workDirectory=\"$T/$name-work\" maxMessageSize=\"64k\""
		[ -z "$tls" ] || echo "  defaultNetstreamDriverCAFile=\"$T/ca.pem\" defaultNetstreamDriverCertFile=\"$T/server.pem\" defaultNetstreamDriverKeyFile=\"$T/server.key\""
		echo ")"
		if [ "$tls" = mutual ]; then
			# Clients must show a certificate our CA signed.
			echo 'module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")'
		elif [ -n "$tls" ]; then
			echo 'module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")'
		else
			echo 'module(load="imtcp")'
		fi
		echo 'template(name="msgonly" type="string" string="%msg%\n")'
		echo "ruleset(name=\"in\") { action(type=\"omfile\" file=\"$out\" template=\"msgonly\") }"
		echo "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"$port\" ruleset=\"in\")"
	} > "$T/$name.conf"
}

# rsyslog_start NAME PORT: run it in the foreground of a background job.
rsyslog_start() {
	rsyslogd -n -f "$T/$1.conf" -i "$T/$1.pid" > "$T/$1.log" 2>&1 &
	RS_PID=$!
	RS_PIDS="$RS_PIDS $RS_PID"
	wait_for 20 listening "$2"
}

rsyslog_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# check_alerts FILE N SEQS: FILE holds exactly N lines, each a test alert
# (JSON), no event.id twice, and exfild.test_alert.seq in the order SEQS
# (a jq array, e.g. "[range(1;11)]").
check_alerts() {
	jq -e -s --argjson n "$2" "length == \$n and
		all(.[]; .rule.name == \"exfild test alert\" and .exfild.test == true and .event.kind == \"alert\") and
		(map(.event.id) | unique | length) == \$n and
		map(.exfild.test_alert.seq) == ($3)" "$1" > /dev/null 2>&1
}
