/* proclife replay FILE: the model as of a recorded trace's end (or --at). */
#ifndef PL_REPLAY_CMD_H
#define PL_REPLAY_CMD_H

#include "cli.h"

/* The process exit status: 1 when the trace had lines that could not be used. */
int replay_command(const struct options *o);

#endif
