// The moderation figures the dashboard shows next to the live ones: open reports and appeals,
// active bans. Counted in the database, so they are the same on every process.
import type { Db } from '../db/database.ts';

export interface ModerationCounts {
  openReports: number;
  openAppeals: number;
  /** Bans neither lifted nor expired, quarantines included. */
  activeBans: number;
}

export async function moderationCounts(db: Db, now: number): Promise<ModerationCounts> {
  const [reports, appeals, bans] = await Promise.all([
    db.selectFrom('reports').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    db.selectFrom('appeals').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'open').executeTakeFirstOrThrow(),
    db
      .selectFrom('bans')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lifted_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirstOrThrow(),
  ]);
  return { openReports: Number(reports.n), openAppeals: Number(appeals.n), activeBans: Number(bans.n) };
}
