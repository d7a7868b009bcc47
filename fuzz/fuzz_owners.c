/*
 * fuzz_owners.c: the parent's agent -> worker table of workers mode
 * (owners_tab.c, owners_msg.c) under random message sequences from four
 * fake workers.  Input: pairs of bytes (op, arg); op & 7: 0-3 worker
 * (op >> 3) & 3 sends a well-formed message (type arg % 7, 0 invalid, of
 * key arg >> 3 & 3), 4 a worker is gone, 5 the clock moves arg / 16 s and
 * a worker whose RELEASE is overdue is killed (gone), 6 a worker sends
 * arg % 160 raw bytes of the input, 7 a worker claims a new agent (a
 * flood).  Invariants: a GRANT goes to a worker only while no other holds
 * the agent (one owner per agent: a worker holds it from GRANT until its
 * RELEASED or DROP is taken, or it is gone); the table's owner is that
 * holder; each CLAIM gets at most one answer; entries per worker stay
 * within its share and the table within nworkers x share; nothing leaks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "owners_msg.h"
#include "owners_tab.h"

#define W	4
#define K	4
#define SHARE	6

static const char *const keys[K] = {
	"0123456789abcdef\nagent-0", "0123456789abcdef\nagent-1",
	"fedcba9876543210\nagent-0", "0123456789abcdef\na\x01 \"b",
};
static int holds[W][K];		/* GRANT taken, not given back */
static int claims[W][K];	/* CLAIMs taken, not answered */

static int
key_index(const char *key)
{
	for (int i = 0; i < K; i++)
		if (strcmp(key, keys[i]) == 0)
			return i;
	return -1;
}

static void
on_send(void *arg, unsigned worker, unsigned type, const char *key)
{
	int k = key_index(key);

	(void)arg;
	FUZZ_CHECK(worker < W);
	if (k < 0)
		return;		/* a flood agent */
	FUZZ_CHECK(type == OWN_GRANT || type == OWN_DENY ||
	    type == OWN_RELEASE);
	if (type == OWN_RELEASE) {
		FUZZ_CHECK(holds[worker][k]);
		return;
	}
	FUZZ_CHECK(claims[worker][k] > 0);
	claims[worker][k]--;
	if (type != OWN_GRANT)
		return;
	for (unsigned v = 0; v < W; v++)
		FUZZ_CHECK(v == worker || !holds[v][k]);
	holds[worker][k] = 1;
}

static void
gone(struct owners_tab *t, unsigned w)
{
	for (int k = 0; k < K; k++)
		holds[w][k] = claims[w][k] = 0;	/* before: GRANTs follow */
	owners_tab_gone(t, w);
}

/* Worker ${w} sends ${type} of key ${k}. */
static void
send_msg(struct owners_tab *t, unsigned w, unsigned type, int k, double now)
{
	uint8_t b[OWN_MSG_MAX];
	size_t n = strlen(keys[k]);
	int held = holds[w][k];

	b[0] = (uint8_t)type;
	memcpy(b + 1, keys[k], n);
	/* Before: the answers (a GRANT to a waiter) come at once. */
	if (type == OWN_CLAIM)
		claims[w][k]++;
	else
		holds[w][k] = 0;
	if (owners_tab_input(t, w, b, n + 1, now) == 0) {
		FUZZ_CHECK(type == OWN_CLAIM || type == OWN_RELEASED ||
		    type == OWN_DROP);
		return;
	}
	if (type == OWN_CLAIM)
		claims[w][k]--;
	else
		holds[w][k] = held;
}

/*
 * Worker ${w} sends the ${n} bytes at ${p}: through the model if they are
 * a message of one of its agents.  ${n}.
 */
static size_t
raw(struct owners_tab *t, unsigned w, const uint8_t *p, size_t n, double now)
{
	struct own_msg m;
	int k;

	if (own_msg_decode(p, n, &m) != 0)
		FUZZ_CHECK(owners_tab_input(t, w, p, n, now) == -1);
	else if ((k = key_index(m.key)) >= 0)
		send_msg(t, w, m.type, k, now);
	else
		(void)owners_tab_input(t, w, p, n, now);
	return n;
}

static void
check(const struct owners_tab *t)
{
	size_t total = 0;

	for (unsigned w = 0; w < W; w++) {
		FUZZ_CHECK(owners_tab_held(t, w) <= SHARE);
		total += owners_tab_held(t, w);
	}
	FUZZ_CHECK(owners_tab_count(t) <= total);
	FUZZ_CHECK(owners_tab_count(t) <= W * SHARE);
	for (int k = 0; k < K; k++) {
		int o = owners_tab_owner(t, keys[k]);

		for (int w = 0; w < W; w++)
			FUZZ_CHECK(holds[w][k] == (o == w));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct owners_tab *t = owners_tab_new(W, SHARE, on_send, NULL);
	double now = 1;
	unsigned flood = 0;
	char key[OWN_KEY_MAX + 1];
	uint8_t b[OWN_MSG_MAX];
	size_t i = 0, n;

	FUZZ_CHECK(t != NULL);
	memset(holds, 0, sizeof(holds));
	memset(claims, 0, sizeof(claims));
	while (i + 2 <= size) {
		unsigned op = data[i], arg = data[i + 1], w = (op >> 3) & 3;
		int dead;

		i += 2;
		switch (op & 7) {
		case 4:
			gone(t, w);
			break;
		case 5:
			now += arg / 16.0;
			if ((dead = owners_tab_overdue(t, now, NULL)) >= 0)
				gone(t, (unsigned)dead);
			break;
		case 6:
			i += raw(t, w, data + i, arg % 160 < size - i ?
			    arg % 160 : size - i, now);
			break;
		case 7:
			snprintf(key, sizeof(key), "00000000000000ff\nflood-%u",
			    flood++);
			n = own_msg_encode(b, OWN_CLAIM, key);
			FUZZ_CHECK(n > 0);
			(void)owners_tab_input(t, w, b, n, now);
			break;
		default:
			send_msg(t, w, arg % 7, (int)((arg >> 3) & 3),
			    now);
			break;
		}
		check(t);
	}
	owners_tab_free(t);
	return 0;
}
