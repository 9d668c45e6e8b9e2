// The avoids reports create (server/chat/avoids.ts), stored so that a restarted process keeps
// them: one row per pair of keys. A second report of the same pair keeps the longer and stricter
// of the two, as the Hub's index does. Expired rows, and address rows past the address retention
// period, are deleted by retention.
import { sql, type Transaction } from 'kysely';
import type { Avoid } from '../chat/avoids.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

export class PairAvoidStore {
  readonly #db: Db;
  readonly #now: () => number;

  constructor(deps: { db: Db; now: () => number }) {
    this.#db = deps.db;
    this.#now = deps.now;
  }

  /** Stores avoids (inside the report's transaction when given one). */
  async save(avoids: readonly Avoid[], reportId: string | null, trx: Transaction<Database> | Db = this.#db): Promise<void> {
    for (const avoid of avoids) {
      await trx
        .insertInto('pair_avoids')
        .values({
          key_a: avoid.a,
          key_b: avoid.b,
          created_at: avoid.createdAt,
          expires_at: avoid.expiresAt,
          shared: avoid.shared ? 1 : 0,
          report_id: reportId,
        })
        .onConflict((oc) =>
          oc.columns(['key_a', 'key_b']).doUpdateSet({
            // The same merge as mergeAvoids (portable CASE expressions: no GREATEST on SQLite).
            created_at: sql`case when excluded.created_at < pair_avoids.created_at then excluded.created_at else pair_avoids.created_at end`,
            expires_at: sql`case when pair_avoids.expires_at is null or excluded.expires_at is null then null when excluded.expires_at > pair_avoids.expires_at then excluded.expires_at else pair_avoids.expires_at end`,
            shared: sql`case when excluded.shared < pair_avoids.shared then excluded.shared else pair_avoids.shared end`,
          }),
        )
        .execute();
    }
  }

  /** Every avoid still in force, a page at a time in key order (what a starting server loads). */
  async *liveInPages(pageSize: number): AsyncGenerator<Avoid[]> {
    const now = this.#now();
    let after: [string, string] | undefined;
    for (;;) {
      let query = this.#db
        .selectFrom('pair_avoids')
        .select(['key_a', 'key_b', 'created_at', 'expires_at', 'shared'])
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('key_a')
        .orderBy('key_b')
        .limit(pageSize);
      if (after) {
        const [a, b] = after;
        query = query.where((eb) => eb(eb.refTuple('key_a', 'key_b'), '>', eb.tuple(a, b)));
      }
      const rows = await query.execute();
      const page = rows.map(
        (row): Avoid => ({
          a: row.key_a,
          b: row.key_b,
          createdAt: Number(row.created_at),
          expiresAt: row.expires_at === null ? null : Number(row.expires_at),
          shared: Number(row.shared) === 1,
        }),
      );
      if (page.length > 0) yield page;
      if (rows.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.a, last.b];
    }
  }
}
