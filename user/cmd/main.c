#include "cli.h"
#include "live.h"
#include "replay_cmd.h"

int main(int argc, char **argv)
{
	struct options opts;

	switch (cli_parse(&opts, argc, argv)) {
	case CLI_EXIT_OK:
		return 0;
	case CLI_EXIT_USAGE:
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	return opts.command == CMD_REPLAY ? replay_command(&opts) : live_run(&opts);
}
