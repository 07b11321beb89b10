/*
 * exfild: catch data exfiltration to unusual places while it happens.
 * A command table in the style of bpftool: exfild COMMAND [OPTION]...
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "opts.h"

#ifndef EXFILD_VERSION
#define EXFILD_VERSION "0.1.0"
#endif

static int do_help(int argc, char **argv);

static int do_run(int argc, char **argv)
{
	struct opts o;
	char err[1024];

	opts_defaults(&o);
	switch (opts_parse(&o, argc, argv, err, sizeof(err))) {
	case OPTS_EXIT:
		return 0;
	case OPTS_ERROR:
		log_err("%s", err);
		return 2;
	case OPTS_OK:
		break;
	}
	log_set_level(o.log_level);
	if (o.config[0])
		log_debug("config read from %s", o.config);
	return agent_run(&o);
}

static int do_version(int argc, char **argv)
{
	printf("exfild %s\n", EXFILD_VERSION);
	return 0;
}

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "run", do_run, "load the probes and report flows (see exfild run --help)" },
	{ "version", do_version, "print the version" },
	{ "help", do_help, "this text" },
};

static int do_help(int argc, char **argv)
{
	printf("usage: exfild COMMAND [OPTION]...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-10s %s\n", cmds[i].name, cmds[i].help);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		do_help(0, NULL);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return do_help(0, NULL);
	if (!strcmp(argv[1], "--version"))
		return do_version(0, NULL);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	log_err("unknown command '%s' (try: exfild help)", argv[1]);
	return 2;
}
