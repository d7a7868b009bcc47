/*
 * test_store_retain.c: retention in the stores (store_expire_*, on
 * store_fixture.h): old rows go in steps of at most n, by age and past a
 * row cap, never an agent's highest seq (last_seq holds after all its
 * rows grew old) nor the newest id (no id handed out twice after a
 * restart); a seq deleted and delivered again is a duplicate (the
 * floor), legacy rows' floor follows their claim; a cursor reads on
 * across deletions; two servers' passes at once; none inside a
 * transaction.
 * The same tests run on
 * SQLite and, when GW_PG_CONNINFO names a database (the integration test
 * test_postgresql starts one), on PostgreSQL; without it those are
 * reported as skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"
#include "store_fixture.h"

/*
 * Old rows go in steps, but the newest (highest seq) of each agent, so
 * last_seq never goes back, and ids are never handed out twice; a reader
 * at a cursor sees the rows left, in order; two servers' passes at once
 * delete each row once; no pass inside a transaction.
 */
static void
test_expire_age(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0), *s2;
	struct store_expire x;
	int64_t cursor;
	static const char *const left[] = { "a3/1/x", "a4/3/x", "a1/5/x",
	    "a2/3/x" };

	for (uint64_t i = 1; i <= 4; i++)
		put_at(s, "a1", i, 1000);
	put_at(s, "a2", 1, 1000);
	put_at(s, "a2", 2, 1000);
	put_at(s, "a3", 1, 1000);
	for (uint64_t i = 1; i <= 3; i++)
		put_at(s, "a4", i, 1000);
	put_at(s, "a1", 5, 5000);
	put_at(s, "a2", 3, 5000);
	commit(s, 12, 0);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 12);
	cursor = c.ids[1];	/* a follower that has read two rows */
	/* Not inside the group commit's transaction. */
	put_at(s, "a9", 1, 9000);
	assert_int_equal(store_expire_begin(s, 2000, 0, &x), -1);
	store_rollback(s);
	s2 = open_store(f, 0);	/* another server of the group */
	assert_int_equal(expire_all(s, s2, 2000, 0, 2), 8);
	store_close(s2);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 4);
	for (int i = 0; i < 4; i++)
		assert_string_equal(c.lines[i], left[i]);
	c.n = 0;
	assert_int_equal(store_scan(s, cursor, collect_cb, &c), 4);
	assert_int_equal(last_seq(s, "a1"), 5);
	assert_int_equal(last_seq(s, "a3"), 1);	/* its one row, old */
	assert_int_equal(last_seq(s, "a4"), 3);
	/* Everything old: each agent's newest stays. */
	assert_int_equal(expire_all(s, NULL, 99000, 0, 2), 0);
	store_close(s);
	s = open_store(f, 0);	/* a restart numbers on */
	put_at(s, "a3", 2, 6000);
	commit(s, 1, 0);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 5);
	assert_true(c.ids[4] > c.ids[3]);
	assert_string_equal(c.lines[4], "a3/2/x");
	assert_int_equal(expire_all(s, NULL, 99000, 0, 100), 1);	/* a3/1 */
	assert_int_equal(last_seq(s, "a3"), 2);
	store_close(s);
}

/* max_rows keeps the newest N by id. */
static void
test_expire_max_rows(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	for (uint64_t i = 1; i <= 10; i++)
		put_at(s, i % 2 ? "a1" : "a2", i, 1000 + (int64_t)i);
	commit(s, 10, 0);
	assert_int_equal(expire_all(s, NULL, 0, 10, 3), 0);
	assert_int_equal(expire_all(s, NULL, 0, 3, 3), 7);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_string_equal(c.lines[0], "a2/8/x");
	assert_string_equal(c.lines[2], "a2/10/x");
	/* An age limit that deletes less does not hold the cap back. */
	put_at(s, "a1", 11, 2000);
	commit(s, 1, 0);
	assert_int_equal(expire_all(s, NULL, 1005, 2, 1), 2);
	c.n = 0;
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 2);
	assert_string_equal(c.lines[0], "a2/10/x");
	assert_int_equal(last_seq(s, "a1"), 11);
	assert_int_equal(last_seq(s, "a2"), 10);
	store_close(s);
}

/*
 * The newest row of the store stays even when it is not its agent's
 * highest seq: SQLite numbers on from the highest id, after a restart
 * too, and must never hand an id out twice (a follower's cursor).
 */
static void
test_expire_newest_id(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	put_at(s, "a1", 5, 1000);
	put_at(s, "a1", 3, 1000);	/* a lower seq, later */
	commit(s, 2, 0);
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 0);
	assert_int_equal(expire_all(s, NULL, 0, 1, 10), 0);
	store_close(s);
	s = open_store(f, 0);
	put_at(s, "a2", 1, 1000);
	commit(s, 1, 0);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 3);
	assert_true(c.ids[2] > c.ids[1] && c.ids[1] > c.ids[0]);
	store_close(s);
}

/*
 * A seq retention deleted, delivered again (a stale channel read after
 * the new one, another server's old channel), is a duplicate: never
 * stored twice.  The floor is the highest seq deleted, not the highest
 * stored: a seq above it never stored (4, the other channel's) is still
 * stored.  A restart (or another server) sees the floor.
 */
static void
test_expire_floor(void **state)
{
	struct fixture *f = *state;
	struct collect c = { 0 };
	struct store *s = open_store(f, 0);

	for (uint64_t i = 1; i <= 5; i++)
		put_at(s, "a1", i, 1000);
	put_at(s, "a2", 1, 1000);
	put_at(s, "a2", 2, 1000);
	put_at(s, "a2", 3, 1000);
	put_at(s, "a2", 5, 1000);
	commit(s, 9, 0);
	/* Keep the newest 2 ids: a1/1..4, a2/1..2 go (a1/5 is a1's). */
	assert_int_equal(expire_all(s, NULL, 0, 2, 3), 6);
	put_at(s, "a1", 3, 2000);	/* the reviewer's case */
	commit(s, 0, 1);
	put_at(s, "a2", 4, 2000);	/* above the floor (2): stored */
	put_at(s, "a2", 2, 2000);	/* at the floor: a duplicate */
	put_at(s, "a2", 3, 2000);	/* kept: its key */
	commit(s, 1, 2);
	store_close(s);
	s = open_store(f, 0);		/* a restart, or another server */
	put_at(s, "a1", 4, 3000);
	put_at(s, "a1", 1, 3000);
	put_at(s, "a1", 6, 3000);
	commit(s, 1, 2);
	assert_int_equal(store_scan(s, 0, collect_cb, &c), 5);
	assert_string_equal(c.lines[0], "a1/5/x");
	assert_string_equal(c.lines[1], "a2/3/x");
	assert_string_equal(c.lines[2], "a2/5/x");
	assert_string_equal(c.lines[3], "a2/4/x");
	assert_string_equal(c.lines[4], "a1/6/x");
	/* A second pass raises the floors (a1: 5, a2: 4). */
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 3);
	put_at(s, "a2", 4, 4000);
	put_at(s, "a1", 5, 4000);
	commit(s, 0, 2);
	assert_int_equal(last_seq(s, "a1"), 6);
	assert_int_equal(last_seq(s, "a2"), 5);
	store_close(s);
}

/*
 * Retention of legacy rows (issuer ""): their floor follows the claim,
 * so the issuer that takes them sees a deleted seq as a duplicate; other
 * issuers' rows of the name are not theirs.
 */
static void
test_expire_floor_claim(void **state)
{
	struct fixture *f = *state;
	struct store *s;

	if (f->conf.type == STORE_SQLITE)
		make_old_sqlite(f);
	else
		make_old_pg(f);
	s = open_store(f, 0);
	assert_int_equal(expire_all(s, NULL, 99000, 0, 10), 1);	/* a1/1 */
	assert_int_equal(last_seq_as(s, CA2, "a1"), 2);	/* takes them */
	assert_int_equal(put_as(s, CA2, "a1", 1, "resent"), 0);
	assert_int_equal(put_as(s, CA2, "a1", 2, "resent"), 0);
	assert_int_equal(put_as(s, CA1, "a1", 1, "other"), 0);
	commit(s, 1, 2);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expire_age, setup_sqlite,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_max_rows,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_age, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_max_rows, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor, setup_pg,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor_claim,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_floor_claim,
		    setup_pg, teardown),
		cmocka_unit_test_setup_teardown(test_expire_newest_id,
		    setup_sqlite, teardown),
		cmocka_unit_test_setup_teardown(test_expire_newest_id,
		    setup_pg, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
