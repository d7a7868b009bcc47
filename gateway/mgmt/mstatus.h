/*
 * mstatus.h: `gw-mgmt status`, a human summary of a running gw-mgmt read
 * from its metrics endpoint (mstatus.c).
 */
#ifndef GW_MGMT_MSTATUS_H
#define GW_MGMT_MSTATUS_H

/**
 * mstatus_main(argc, argv): `gw-mgmt status (-c FILE | --metrics ADDR)`
 * (argv[0] is "status").  Return the exit code: 0 healthy, 1 unhealthy or
 * unreachable, 2 usage.
 */
int mstatus_main(int argc, char **argv);

#endif /* GW_MGMT_MSTATUS_H */
