/* The commands main.c dispatches to: each takes its own argv (argv[0] is
 * the command's name) and returns the process exit status. */
#ifndef EXFILD_CMD_H
#define EXFILD_CMD_H

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_test_alert(int argc, char **argv);

#endif
