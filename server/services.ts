// The services, constructed one way for every adapter: the server (server/app.ts) and the CLI
// (cli/services.ts) both call createServices, so a rule (who may ban, what a report resolution
// does, what retention removes) and the wiring between services exist once.
import { join } from 'node:path';
import { oidcInUse, type ServerConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { Logger } from './logger.ts';
import { memoryCluster, type Cluster } from './cluster/cluster.ts';
import { AgeBandLocks } from './access/age-bands.ts';
import { AvailabilityService } from './access/availability.ts';
import { EmailAccessService, createMailTransport } from './access/email.ts';
import { InviteService } from './access/invites.ts';
import { ModeratorService } from './access/moderators.ts';
import { ModeratorSsoService } from './access/moderator-sso.ts';
import { OidcService, type OidcDeps } from './access/oidc.ts';
import { SafeguardingAlerts } from './access/safeguarding-alerts.ts';
import { SessionService } from './access/sessions.ts';
import { TicketService } from './access/tickets.ts';
import { AnnouncementService } from './moderation/announcements.ts';
import { AppealService } from './moderation/appeals.ts';
import { AuditLog } from './moderation/audit.ts';
import { AlertService } from './moderation/alerts.ts';
import { AlertDelivery, type AlertDeliveryDeps } from './moderation/alert-delivery.ts';
import { AUDIT_HEAD_DIR, AuditHeadStore } from './moderation/audit-head.ts';
import { dataDirOf } from './db/data-dir.ts';
import type { BanIndex } from './moderation/ban-index.ts';
import { BanService } from './moderation/bans.ts';
import { DutyService } from './moderation/duty.ts';
import { serverAddresses } from './moderation/lockout.ts';
import { EvidenceService } from './moderation/evidence.ts';
import { PairAvoidStore } from './moderation/pair-avoids.ts';
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
  /** This machine's addresses, for the lockout check of bans (default: its network interfaces and server.host). */
  ownAddresses?: () => readonly string[];
  /** Tests shorten the alert outbox's waits, or give it another HTTP client. */
  alertDelivery?: Pick<AlertDeliveryDeps, 'retryFirstMs' | 'pollMs' | 'fetch'>;
  /** How the school's OpenID provider is reached (default: its discovery document, with the global fetch). */
  discoverOidc?: OidcDeps['discover'];
  /**
   * The state shared with the instance's other processes: the feed's wake-ups, the limits and the
   * locks (default: this process's, in memory; the CLI's writes then reach servers by their poll).
   */
  cluster?: Pick<Cluster, 'events' | 'limiters' | 'locks'>;
}

export interface Services {
  audit: AuditLog;
  bans: BanService;
  tickets: TicketService;
  invites: InviteService;
  /** Age bands that stick to a device and an identity. */
  bands: AgeBandLocks;
  sessions: SessionService;
  /** Who is on duty (the dashboard's toggle, `mod duty`). */
  duty: DutyService;
  /** Opening hours, pauses and whether video is offered now. */
  availability: AvailabilityService;
  /** Only in the email access mode. */
  email: EmailAccessService | undefined;
  moderators: ModeratorService;
  /** Only when the instance signs people in with the school's OpenID provider (oidc). */
  oidc: OidcService | undefined;
  /** Moderators who sign in with that provider, and the roles an owner confirms for them. */
  moderatorSso: ModeratorSsoService;
  announcements: AnnouncementService;
  retention: RetentionService;
  quarantine: QuarantineService;
  reports: ReportService;
  /** Who is never paired with whom after a report, as stored. */
  avoids: PairAvoidStore;
  evidence: EvidenceService;
  reviews: ReportReviewService;
  appeals: AppealService;
  /** The figures of a period: `strangerchat stats` and the transparency page. */
  stats: StatsService;
  /** Safeguarding alerts: raised by reports, quarantines and refused band switches; acknowledged by moderators. */
  alerts: AlertService;
  /** The alerts' outbox sender; only a server process starts it. */
  alertDelivery: AlertDelivery;
  /** Releases what the services hold (the mail transport). The database stays open: its owner closes it. */
  close(): void;
}

/** Whether changes to safeguarding accounts are mailed: as set, else whenever the instance already sends mail (the email access mode). */
export function safeguardingAlertsOn(settings: ServerConfig['settings']): boolean {
  return settings.moderation.safeguardingAlerts ?? settings.accessMode === 'email';
}

/** Where this instance's processes record the audit chain's head: audit-head/ in the data folder. */
export function auditHeadOf(config: Pick<ServerConfig, 'database' | 'dir'>): AuditHeadStore {
  return new AuditHeadStore(join(dataDirOf(config), AUDIT_HEAD_DIR));
}

/** The audit log as every process of an instance keeps it: MACed with its secret, its head in the data folder; `bus` woken after feed events commit. */
export function createAuditLog(deps: { db: Db; config: ServerConfig; now: () => number; logger: Logger; bus?: Cluster['events'] }): AuditLog {
  return new AuditLog({ db: deps.db, now: deps.now, secret: deps.config.secrets.sessionSecret, head: auditHeadOf(deps.config), logger: deps.logger, ...(deps.bus ? { bus: deps.bus } : {}) });
}

export function createServices(deps: ServiceDeps): Services {
  const { db, config, logger, banIndex } = deps;
  const now = deps.now ?? Date.now;
  const { settings } = config;
  const secret = config.secrets.sessionSecret;
  // Made here only when none is given, and then released by close().
  const own = deps.cluster ? undefined : memoryCluster({ now });
  const { events, limiters, locks } = deps.cluster ?? own!;
  const audit = createAuditLog({ db, config, now, logger, bus: events });
  const ownAddresses = deps.ownAddresses ?? (() => serverAddresses(settings.server.host));
  const bans = new BanService({
    db,
    audit,
    now,
    ...(banIndex ? { index: banIndex } : {}),
    lockout: () => ({ trustedProxies: settings.trustedProxies, ownAddresses: ownAddresses() }),
  });
  const tickets = new TicketService({ db, secret, now });
  const invites = new InviteService({ db, audit, secret, now });
  // Built when the instance sends mail; nodemailer connects on the first send, not here.
  const alertsOn = safeguardingAlertsOn(settings);
  const mailer = settings.accessMode === 'email' || alertsOn ? createMailTransport(settings.email.smtp, config.secrets.smtpPassword) : undefined;
  const alertDelivery = new AlertDelivery({
    db,
    now,
    logger,
    transport: alertsOn ? mailer : undefined,
    from: settings.email.from,
    instanceName: settings.name,
    publicUrl: settings.publicUrl,
    webhookSecret: config.secrets.webhookSecret,
    attempts: settings.alerts.deliveryAttempts,
    ...deps.alertDelivery,
  });
  const alerts = new AlertService({ db, audit, now, email: alertsOn, webhooks: settings.alerts.webhooks, repeatReportDays: settings.alerts.repeatReportDays });
  alerts.useOutbox(alertDelivery);
  const bands = new AgeBandLocks({ db, audit, alerts, now, lockDays: settings.safety.ageBandLockDays });
  const duty = new DutyService({ db, audit, now });
  const availability = new AvailabilityService({ db, audit, now, config, duty });
  const sessions = new SessionService({ db, audit, config, tickets, invites, bands, availability, ...(banIndex ? { bans: banIndex } : {}), now });
  const email = mailer && settings.accessMode === 'email' ? new EmailAccessService({ db, config, now, transport: mailer, logger, limiters }) : undefined;
  // Mail about changes to safeguarding accounts (not the alerts outbox above).
  const accountAlerts = new SafeguardingAlerts({ db, transport: alertsOn ? mailer : undefined, from: settings.email.from, instanceName: settings.name, logger });
  const moderators = new ModeratorService({ db, audit, alerts: accountAlerts, secret, now, sessionHours: settings.moderation.sessionHours, limiters });
  // The provider is discovered at the first sign-in, not here: a school's outage never stops the chat from starting.
  const oidc = oidcInUse(settings) ? new OidcService({ db, config, now, logger, limiters, ...(deps.discoverOidc ? { discover: deps.discoverOidc } : {}) }) : undefined;
  const moderatorSso = new ModeratorSsoService({ db, audit, moderators, alerts: accountAlerts, config, now });
  const announcements = new AnnouncementService({ db, audit, now });
  const retention = new RetentionService({ db, audit, now, periods: settings.retention, logger, locks });
  const quarantine = new QuarantineService({
    db,
    audit,
    bans,
    alerts,
    locks,
    now,
    logger,
    settings: {
      reporters: settings.moderation.quarantineReporters,
      windowMs: settings.moderation.quarantineWindowMinutes * 60_000,
      dismissedReportsBeforeDiscount: settings.moderation.dismissedReportsBeforeDiscount,
    },
  });
  const avoids = new PairAvoidStore({ db, now });
  const reports = new ReportService({ db, secret, now, avoids, alerts, afterReport: quarantine, logger });
  const evidence = new EvidenceService({ db, secret, now });
  const reviews = new ReportReviewService({ db, audit, bans, bands, now });
  const appeals = new AppealService({ db, audit, bans, ...(banIndex ? { index: banIndex } : {}), now, cooldownDays: settings.moderation.appealCooldownDays });
  const stats = new StatsService({ db, now });
  return {
    audit,
    bans,
    tickets,
    invites,
    bands,
    sessions,
    duty,
    availability,
    email,
    moderators,
    oidc,
    moderatorSso,
    announcements,
    retention,
    quarantine,
    reports,
    avoids,
    evidence,
    reviews,
    appeals,
    stats,
    alerts,
    alertDelivery,
    close: () => {
      mailer?.close();
      void own?.close();
    },
  };
}
