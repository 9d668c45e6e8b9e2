// The services, constructed one way for every adapter: the server (server/app.ts) and the CLI
// (cli/services.ts) both call createServices, so a rule (who may ban, what a report resolution
// does, what retention removes) and the wiring between services exist once.
import type { ServerConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { Logger } from './logger.ts';
import { EmailAccessService, createMailTransport } from './access/email.ts';
import { InviteService } from './access/invites.ts';
import { ModeratorService } from './access/moderators.ts';
import { SessionService } from './access/sessions.ts';
import { TicketService } from './access/tickets.ts';
import { AnnouncementService } from './moderation/announcements.ts';
import { AppealService } from './moderation/appeals.ts';
import { AuditLog } from './moderation/audit.ts';
import type { BanIndex } from './moderation/ban-index.ts';
import { BanService } from './moderation/bans.ts';
import { EvidenceService } from './moderation/evidence.ts';
import { QuarantineService } from './moderation/quarantine.ts';
import { ReportReviewService } from './moderation/report-review.ts';
import { ReportService } from './moderation/reports.ts';
import { RetentionService } from './moderation/retention.ts';
import { StatsService } from './moderation/stats.ts';

export interface ServiceDeps {
  db: Db;
  config: ServerConfig;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  logger: Logger;
  /**
   * The in-memory index of active bans of a process that enforces them (the server). Without one
   * (the CLI), bans are written and checked through the database only, and the enforcing calls
   * (SessionService.create, AppealService.file) refuse to run.
   */
  banIndex?: BanIndex;
}

export interface Services {
  audit: AuditLog;
  bans: BanService;
  tickets: TicketService;
  invites: InviteService;
  sessions: SessionService;
  /** Only in the email access mode. */
  email: EmailAccessService | undefined;
  moderators: ModeratorService;
  announcements: AnnouncementService;
  retention: RetentionService;
  quarantine: QuarantineService;
  reports: ReportService;
  evidence: EvidenceService;
  reviews: ReportReviewService;
  appeals: AppealService;
  /** The figures of a period: `strangerchat stats` and the transparency page. */
  stats: StatsService;
  /** Releases what the services hold (the mail transport). The database stays open: its owner closes it. */
  close(): void;
}

export function createServices(deps: ServiceDeps): Services {
  const { db, config, logger, banIndex } = deps;
  const now = deps.now ?? Date.now;
  const { settings } = config;
  const secret = config.secrets.sessionSecret;
  const audit = new AuditLog({ db, now });
  const bans = new BanService({ db, audit, now, ...(banIndex ? { index: banIndex } : {}) });
  const tickets = new TicketService({ db, secret, now });
  const invites = new InviteService({ db, audit, secret, now });
  const sessions = new SessionService({ db, audit, config, tickets, invites, ...(banIndex ? { bans: banIndex } : {}), now });
  // Built only in the email mode; nodemailer connects on the first send, not here.
  const mailer = settings.accessMode === 'email' ? createMailTransport(settings.email.smtp, config.secrets.smtpPassword) : undefined;
  const email = mailer ? new EmailAccessService({ db, config, now, transport: mailer, logger }) : undefined;
  const moderators = new ModeratorService({ db, audit, secret, now, sessionHours: settings.moderation.sessionHours });
  const announcements = new AnnouncementService({ db, audit, now });
  const retention = new RetentionService({ db, audit, now, periods: settings.retention, logger });
  const quarantine = new QuarantineService({
    db,
    bans,
    now,
    logger,
    settings: {
      reporters: settings.moderation.quarantineReporters,
      windowMs: settings.moderation.quarantineWindowMinutes * 60_000,
      dismissedReportsBeforeDiscount: settings.moderation.dismissedReportsBeforeDiscount,
    },
  });
  const reports = new ReportService({ db, secret, now, afterReport: quarantine, logger });
  const evidence = new EvidenceService({ db, secret, now });
  const reviews = new ReportReviewService({ db, audit, bans, now });
  const appeals = new AppealService({ db, audit, bans, ...(banIndex ? { index: banIndex } : {}), now });
  const stats = new StatsService({ db, now });
  return {
    audit,
    bans,
    tickets,
    invites,
    sessions,
    email,
    moderators,
    announcements,
    retention,
    quarantine,
    reports,
    evidence,
    reviews,
    appeals,
    stats,
    close: () => mailer?.close(),
  };
}
