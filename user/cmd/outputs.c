#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "outputs.h"

struct sinkset *outputs_open(struct loop *l, const struct opts *o, const char *host,
			     char *err, size_t errlen)
{
	struct sink_config c = {
		.state_dir = o->state_dir,
		.spool_max = o->spool_size,
		.rotate_size = o->rotate_size,
		.rotate_keep = o->rotate_keep,
		.tls_ca = o->tls_ca,
		.tls_cert = o->tls_cert,
		.tls_key = o->tls_key,
		.host_name = host,
	};
	struct sinkset *ss;
	unsigned out_kinds = SINK_OUTPUT_KINDS | (o->n_flow_output ? 0 : REC_BIT(REC_FLOW));

	if (!o->n_output) {
		/* Alerts and loss records must go somewhere. */
		snprintf(err, errlen, "no output for alerts and loss records: give at least one "
			 "--output (or output = ... in the config)");
		return NULL;
	}
	ss = sinkset_new(l, &c);
	if (!ss) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < o->n_output; i++)
		if (sinkset_add(ss, o->output[i], out_kinds, err, errlen))
			goto fail;
	for (size_t i = 0; i < o->n_flow_output; i++)
		if (sinkset_add(ss, o->flow_output[i], REC_BIT(REC_FLOW), err, errlen))
			goto fail;
	if (sinkset_start(ss, err, errlen))
		goto fail;
	return ss;
fail:
	sinkset_free(ss);
	return NULL;
}

void outputs_names(const struct opts *o, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < o->n_output && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", o->output[i]);
	if (o->n_flow_output && n < len)
		n += (size_t)snprintf(buf + n, len - n, " flow-output=");
	for (size_t i = 0; i < o->n_flow_output && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : "", o->flow_output[i]);
}

bool outputs_flush(struct loop *l, struct sinkset *ss, int64_t timeout_ns)
{
	int64_t end = clock_ns(CLOCK_MONOTONIC) + timeout_ns;

	sinkset_kick(ss);
	while (!sinkset_idle(ss)) {
		int64_t left = end - clock_ns(CLOCK_MONOTONIC);

		if (left <= 0)
			return false;
		if (loop_run_once(l, (int)((left + 999999) / 1000000)) < 0)
			return false;
	}
	return true;
}
