/*
 * cli.h: gw-mgmt's commands on the store beside the server (cli.c):
 *
 *   gw-mgmt command send (-c FILE | --db PATH) (--agent NAME | --match GLOB)
 *       [--ttl DURATION] (--body TEXT | --file F)     the new id
 *   gw-mgmt command list (-c FILE | --db PATH) [--state S] [--json]
 *   gw-mgmt command show (-c FILE | --db PATH) ID [--json]
 *   gw-mgmt agents (-c FILE | --db PATH) [--state online|offline|stale]
 *       [--match GLOB] [--json]
 *
 * A readable table, or JSON Lines with --json.  Each returns the exit
 * status: 0, 1 (an error, said on standard error) or 2 (usage).
 */
#ifndef GW_MGMT_CLI_H
#define GW_MGMT_CLI_H

/**
 * cli_command(argc, argv): gw-mgmt command ${argv}[1] (send, list, show)
 * with the rest of ${argv} ([0] is "command").  Return the exit status.
 */
int cli_command(int argc, char **argv);

/**
 * cli_agents(argc, argv): gw-mgmt agents with the options in ${argv} ([0]
 * is "agents").  Return the exit status.
 */
int cli_agents(int argc, char **argv);

#endif /* GW_MGMT_CLI_H */
