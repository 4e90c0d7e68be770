/* SPDX-License-Identifier: GPL-2.0 */
/* Entry points of the subcommands, dispatched from main.c. Each takes the
 * subcommand's own argv (argv[0] is the subcommand name) and returns the
 * process exit code (enum in cli.h). */
#ifndef MEMSCOPE_TOOLS_H
#define MEMSCOPE_TOOLS_H

int cmd_probe(int argc, char **argv);
int cmd_leak(int argc, char **argv);

#endif
