/*
 * exfild: catch data exfiltration to unusual places while it happens.
 * A command table in the style of bpftool: exfild COMMAND [OPTION]...
 * Each command lives in cmd/, one file each, with its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "version.h"



static int do_help(int argc, char **argv);

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
	{ "run", cmd_run, "load the probes and report flows (see exfild run --help)" },
	{ "replay", cmd_replay, "score recorded flows and Zeek conn.logs (see exfild replay --help)" },
	{ "status", cmd_status, "how the running agent is doing (see exfild status --help)" },
	{ "test-alert", cmd_test_alert,
	  "send test alerts through the alert sinks and wait until delivered (see --help)" },
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
