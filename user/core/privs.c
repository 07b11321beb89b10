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

/* Set permitted and effective to the steady set (minus CAP_BPF unless
 * asked), limited to what we have; effective without CAP_BPF if eff_bpf
 * is false. Inheritable is emptied. */
static int set_caps(bool prm_bpf, bool eff_bpf)
{
	cap_t now = cap_get_proc(), next = cap_init();
	int rc = -1;

	if (!now || !next)
		goto out;
	for (size_t i = 0; i < N_STEADY; i++) {
		cap_value_t c = steady[i];
		cap_flag_value_t have = CAP_CLEAR;

		if (!CAP_IS_SUPPORTED(c) || cap_get_flag(now, c, CAP_PERMITTED, &have) ||
		    have != CAP_SET || !kept(c, prm_bpf))
			continue;
		if (cap_set_flag(next, CAP_PERMITTED, 1, &c, CAP_SET))
			goto out;
		if ((c != CAP_BPF || eff_bpf) && cap_set_flag(next, CAP_EFFECTIVE, 1, &c, CAP_SET))
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
static int drop_bounding(char *err, size_t errlen)
{
	for (cap_value_t c = 0; c < (cap_value_t)cap_max_bits(); c++) {
		if (kept(c, true) || cap_get_bound(c) != 1)
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
	if (drop_bounding(err, errlen))
		return -1;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient()) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* CAP_BPF still permitted but not effective: can the maps do without it? */
	if (set_caps(true, false)) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	need_bpf = !probe(arg);
	if (set_caps(need_bpf, need_bpf)) {
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
