/*
 * status.h: `gatewayd status`, a human summary of a running gatewayd read
 * from its metrics endpoint (status.c).
 */
#ifndef GW_STATUS_H
#define GW_STATUS_H

/**
 * status_main(argc, argv): `gatewayd status [-c FILE] [--metrics ADDR]`
 * (argv[0] is "status").  Return the exit code: 0 healthy, 1 unhealthy or
 * unreachable, 2 usage.
 */
int status_main(int argc, char **argv);

#endif /* GW_STATUS_H */
