#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <sys/capability.h>

#include "privs.h"

static const cap_value_t steady[] = { CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_BPF };
#define N_STEADY (sizeof(steady) / sizeof(steady[0]))

static bool kept(cap_value_t c, bool with_bpf)
{
	for (size_t i = 0; i < N_STEADY; i++)
		if (steady[i] == c)
			return c != CAP_BPF || with_bpf;
	return false;
}

/*
 * Effective: the steady set (CAP_BPF if with_bpf), plus CAP_SETPCAP while
 * the bounding set is still to be cut (setpcap). Permitted: everything we
 * have while the choice is open (keep_all), else exactly the effective set.
 * Inheritable: empty. Always limited to what we were given.
 */
static int set_caps(bool with_bpf, bool setpcap, bool keep_all)
{
	cap_t now = cap_get_proc(), next = cap_init();
	int rc = -1;

	if (!now || !next)
		goto out;
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		cap_flag_value_t have = CAP_CLEAR;
		bool eff = kept(c, with_bpf) || (setpcap && c == CAP_SETPCAP);

		if (cap_get_flag(now, c, CAP_PERMITTED, &have) || have != CAP_SET)
			continue;
		if ((eff || keep_all) && cap_set_flag(next, CAP_PERMITTED, 1, &c, CAP_SET))
			goto out;
		if (eff && cap_set_flag(next, CAP_EFFECTIVE, 1, &c, CAP_SET))
			goto out;
	}
	rc = cap_set_proc(next);
out:
	cap_free(now);
	cap_free(next);
	return rc;
}

/* Drop from the bounding set what we do not keep (needs CAP_SETPCAP: a
 * service manager that took it away has bounded the set already). */
static int drop_bounding(bool with_bpf, char *err, size_t errlen)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if (kept(c, with_bpf) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c)) {
			if (errno == EPERM)
				return 0;
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 (int)c, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int privs_drop(privs_probe_fn probe, void *arg, char *err, size_t errlen)
{
	bool need_bpf;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "cannot set no-new-privs: %s", strerror(errno));
		return -1;
	}
	/* Without CAP_BPF (and CAP_SYS_ADMIN, which implies it) in effect, but
	 * still permitted: can the maps do without it? */
	if (set_caps(false, true, true)) {
		snprintf(err, errlen, "cannot lower the effective capabilities: %s",
			 strerror(errno));
		return -1;
	}
	need_bpf = !probe(arg);
	if (drop_bounding(need_bpf, err, errlen))
		return -1;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient()) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	if (set_caps(need_bpf, false, false)) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

char *privs_describe(void)
{
	cap_t now = cap_get_proc();
	char *text = now ? cap_to_text(now, NULL) : NULL;
	char *copy = text ? strdup(text) : NULL;

	cap_free(text);
	cap_free(now);
	return copy;
}
