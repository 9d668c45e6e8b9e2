// compileOnce: a query compiled once runs with each call's own values, in the order its SQL
// takes them (a name used twice is bound twice), once per dialect; a builder whose SQL would
// depend on its values is refused at the first run instead of binding the wrong values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery } from 'kysely';
import { compileOnce } from '../../server/db/compiled.ts';
import type { Database } from '../../server/db/schema.ts';
import { newDatabase, type TestDatabase } from '../helpers/database.ts';

let database: TestDatabase;
test.before.each(async () => {
  database = await newDatabase();
});
test.after.each(async () => {
  await database.destroy();
});

/** Takes a lock, or extends it when it holds the same band: `band` and `now` appear twice. */
const upsert = compileOnce<{ subject: string; band: string; now: number; until: number; zero: number; never: null }>(
  ['subject', 'band', 'now', 'until', 'zero', 'never'],
  (db, v) =>
    db
      .insertInto('age_band_locks')
      .values({ subject: v.subject, band: v.band, declared_at: v.now, expires_at: v.until, switch_attempts: v.zero, last_attempt_at: v.never })
      .onConflict((oc) => oc.column('subject').doUpdateSet({ declared_at: v.now, expires_at: v.until }).where('age_band_locks.band', '=', v.band)),
);

const locks = () => database.db.selectFrom('age_band_locks').select(['subject', 'band', 'declared_at', 'expires_at']).orderBy('subject').execute();

test('each run binds its own values, a repeated name every time it appears', async () => {
  const { db } = database;
  const first = await upsert(db, { subject: 'device:a', band: 'minor', now: 1, until: 10, zero: 0, never: null });
  await upsert(db, { subject: 'device:b', band: 'adult', now: 2, until: 20, zero: 0, never: null });
  assert.is(Number(first.numAffectedRows), 1);
  // Same band: extended. Other band: the condition holds it back and no row changes.
  const extended = await upsert(db, { subject: 'device:a', band: 'minor', now: 3, until: 30, zero: 0, never: null });
  const refused = await upsert(db, { subject: 'device:b', band: 'minor', now: 4, until: 40, zero: 0, never: null });
  assert.is(Number(extended.numAffectedRows), 1);
  assert.is(Number(refused.numAffectedRows), 0);
  assert.equal(
    (await locks()).map((row) => [row.subject, row.band, Number(row.declared_at), Number(row.expires_at)]),
    [
      ['device:a', 'minor', 3, 30],
      ['device:b', 'adult', 2, 20],
    ],
  );
});

test('a builder that computes with a value, or writes a constant of its own, is refused at the first run', async () => {
  const { db } = database;
  const computed = compileOnce<{ subject: string; now: number }>(['subject', 'now'], (trx, v) =>
    trx.insertInto('age_band_locks').values({ subject: v.subject, band: 'minor', declared_at: v.now, expires_at: v.now + 1, switch_attempts: 0, last_attempt_at: null }),
  );
  try {
    await computed(db, { subject: 'device:c', now: 5 });
    assert.unreachable('a parameter that is no placeholder must throw');
  } catch (error) {
    assert.instance(error, TypeError);
    assert.match((error as Error).message, 'is not one of its named values');
  }
  assert.equal(await locks(), []);
});

test('compiled once per dialect: PostgreSQL gets its own SQL and the same values', async () => {
  const executed: CompiledQuery[] = [];
  const postgres = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => {
      if (event.level === 'query') executed.push(event.query);
    },
  });
  await upsert(database.db, { subject: 'device:d', band: 'minor', now: 6, until: 60, zero: 0, never: null });
  await upsert(postgres, { subject: 'device:e', band: 'adult', now: 7, until: 70, zero: 0, never: null });
  assert.match(executed[0]!.sql, /values \(\$1, \$2, \$3, \$4, \$5, \$6\) on conflict \("subject"\) do update set "declared_at" = \$7, "expires_at" = \$8 where "age_band_locks"."band" = \$9$/);
  assert.equal(executed[0]!.parameters, ['device:e', 'adult', 7, 70, 0, null, 7, 70, 'adult']);
  assert.equal((await locks()).map((row) => row.subject), ['device:d']);
});

test.run();
