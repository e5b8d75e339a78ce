/*
 * The live commands (trace, tree, zombies): attach the BPF programs, seed the
 * process model from /proc, then apply and print events until stopped.
 */
#ifndef PL_LIVE_H
#define PL_LIVE_H

#include "cli.h"

/* The process exit status. */
int live_run(const struct options *o);

#endif
