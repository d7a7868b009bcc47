/*
 * link_fixture.h: the world of the unit tests of gw-mgmt's link.c, mchan.c
 * and commit.c (tests/unit/test_link*.c), with cmocka: a gw-mgmt without
 * sockets (mgmt_world.h) whose gateways are fake conns (fake_conn.h) the
 * test opens, feeds with frames, fills and closes; the store is a real
 * SQLite file in a temporary directory on disk (/var/tmp), read back from a second
 * connection that sees only committed rows.  Every ACK and OPEN_ACK
 * gw-mgmt sends is checked, when it is sent, against that committed view
 * (check_durable, after every step and at teardown): an ACK never covers
 * a row that is not durable.
 *
 * A test file calls link_fixture_init once in main, runs each test with
 * link_fixture_setup and link_fixture_teardown (which checks that nothing
 * is left), and drives the world with the short-named steps below, which
 * assert what they expect (a test's own words: test code only).
 */
#ifndef GW_SUPPORT_LINK_FIXTURE_H
#define GW_SUPPORT_LINK_FIXTURE_H

#include <stdint.h>
#include <sqlite3.h>

#include "mgmt.h"
#include "mgmt_config.h"
#include "proto.h"

struct conn;

#define ISSUER_A	"CN=agents A"
#define ISSUER_B	"CN=agents B"
#define NSENT		512

/* The certificates a gateway may show (gateway()). */
enum { GW1, GW2, AGENT_CRT, NCRTS };

/* One frame gw-mgmt sent (and that fit). */
struct sent {
	struct conn	*c;
	uint8_t		 type;
	uint32_t	 channel;
	uint64_t	 seq;		/* HELLO_ACK: caps; COMMAND: id */
	unsigned	 code;
	char		 text[200];
};

/* Which agent a link's channel is (for the committed view). */
struct chan_agent {
	struct conn	*c;
	uint32_t	 channel;
	char		 agent[32];
};

/* The world of one test: set up and checked by the fixture. */
struct link_world {
	char			 dir[64], path[96];
	struct mgmt_config	 cfg;
	struct mgmt		 m;
	sqlite3			*reader;
	struct sent		 sent[NSENT];
	unsigned		 nsent;
	struct chan_agent	 chans[64];
	unsigned		 nchans;
	struct conn		*closed[16];	/* conns closed, in order */
	unsigned		 reasons[16];
	unsigned		 nclosed;
	int			 refuse_commit;	/* the next COMMIT fails */
	unsigned long		 agent_commits;	/* COMMITs writing agents */
	unsigned long		 pending_queries; /* store_cmd_pending's */
	int			 quiet;		/* record no frame sent */
	unsigned		 undurable;	/* (OPEN_)ACKs above it */
};

extern struct link_world T;

/**
 * link_fixture_init(prog): once, before the tests of program ${prog}: the
 * certificates of GW1, GW2 and AGENT_CRT, the hook by which every SQLite
 * connection can refuse a COMMIT (T.refuse_commit), quiet logs.
 */
void link_fixture_init(const char *prog);

/** link_fixture_setup(state), link_fixture_teardown(state): cmocka's. */
int link_fixture_setup(void **state);
int link_fixture_teardown(void **state);

/** committed_count(agent): rows of ${agent} committed, as another reader. */
unsigned committed_count(const char *agent);

/**
 * sent(c, type, channel, last): how many frames of ${type} gw-mgmt sent on
 * ${c}'s ${channel}; the last into ${last} unless NULL.
 */
unsigned sent(struct conn *c, uint8_t type, uint32_t channel,
    struct sent **last);

/** closed(c): the reason ${c} was closed with; -1 if it was not. */
int closed(struct conn *c);

/** check_durable(): no ACK or OPEN_ACK went above the committed rows. */
void check_durable(void);

/** send_frame(c, f): the gateway on ${c} sends ${f}; then check_durable. */
void send_frame(struct conn *c, const struct gw_frame *f);

/** commit(): the batch commits (a full batch, or gw-mgmt stopping). */
void commit(void);

/**
 * hello(c, caps): the gateway on ${c} sends HELLO with capabilities
 * ${caps}, answered by one HELLO_ACK.
 */
void hello(struct conn *c, uint32_t caps);

/**
 * gateway(crt, hello_too): a gateway with certificate ${crt} connects;
 * HELLO without capabilities (answered by HELLO_ACK) if ${hello_too}.
 * Return its conn.
 */
struct conn *gateway(int crt, int hello_too);

/** open_chan(c, channel, agent, issuer): OPEN ${channel} on ${c}. */
void open_chan(struct conn *c, uint32_t channel, const char *agent,
    const char *issuer);

/** data(c, channel, seq, body): DATA on ${c}'s ${channel}. */
void data(struct conn *c, uint32_t channel, uint64_t seq, const char *body);

/** close_chan(c, channel): the gateway CLOSEs ${channel} (normal). */
void close_chan(struct conn *c, uint32_t channel);

/** assert_alive(c): the link ${c} answers a PING: alive and reading. */
void assert_alive(struct conn *c);

/** batch_timer(): the batch timer fires, as the loop would. */
void batch_timer(void);

#endif /* GW_SUPPORT_LINK_FIXTURE_H */
