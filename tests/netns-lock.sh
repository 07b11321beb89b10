# Sourced by shell suites that put test hosts in documentation subnets.
# Test runs side by side on one machine (two checkouts, a helper's run)
# would pick the same free subnets, so such suites hold one lock while
# their hosts exist, and remove what a killed earlier run left behind:
# links and namespaces our tests name after their pid (exdh/exfh PID,
# exfild-dl/exfild-it PID) whose process is gone.
NETNS_LOCK=/run/lock/exfild-test-netns.lock

# netns_lock FD: take the lock on FD (blocks while another run holds it).
netns_lock() {
	mkdir -p /run/lock
	eval "exec $1>>\"\$NETNS_LOCK\""
	flock "$1"
}

netns_remove_stale() {
	local l p n
	for l in $(ip -o link show 2>/dev/null | sed -nE 's/^[0-9]+: (ex[df]h[0-9]+)[@:].*/\1/p'); do
		p=${l#ex?h}
		kill -0 "$p" 2>/dev/null || ip link del "$l" 2>/dev/null
	done
	for n in $(ip netns list 2>/dev/null | sed -nE 's/^(exfild-(dl|it)[0-9]+).*/\1/p'); do
		p=${n#exfild-??}
		kill -0 "$p" 2>/dev/null || ip netns del "$n" 2>/dev/null
	done
}
