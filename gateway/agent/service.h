/*
 * service.h: gw-agent run as a service (gw-agent -c FILE): the inputs of
 * the configuration file (input.h) feed the sink (sink.h) until SIGTERM;
 * SIGHUP reloads the file; systemd hears of it all (sdnotify.h).
 */
#ifndef GW_SERVICE_H
#define GW_SERVICE_H

/**
 * service_check(path): --check-config: load ${path} and its TLS files,
 * print every error on stderr.  0 if good, else 2.
 */
int service_check(const char *path);

/**
 * service_main(path): run the service on the configuration file ${path}
 * until SIGTERM (0 once drained or at drain_timeout), or until the
 * session fails (1) or is refused (3); 2 for a bad file.
 */
int service_main(const char *path);

#endif /* GW_SERVICE_H */
