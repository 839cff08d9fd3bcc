// Bounce processing's loop: every bounceCheckIntervalSeconds, one instance at a time reads what
// arrived in the postmaster's mailbox since the last check, records each delivery report it can
// match and moves it to Postroom/Processed (or Postroom/Unmatched). It never stops sending.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import { errorMessage, type Store } from '../db/index.js';
import type { ReportTags } from '../mail/index.js';
import { LIMITS, type Queue, type RecipientReport } from '../queue/index.js';
import { bounceMailbox, type BounceMailbox, type EmailSettings, type SettingsService } from '../settings/index.js';
import {
  credentialsOf,
  endpointsFor,
  microsoftTrust,
  smtpTrust,
  tokenProviderFor,
  googleTokenProviderFor,
  GMAIL_SCOPE,
  tokenRoles,
  type MailboxSlots,
  type MicrosoftEndpoints,
} from '../transports/index.js';
import { CheckState, emptyCounts, type CheckCounts } from './check-state.js';
import { openGraphMailbox } from './graph-mailbox.js';
import { openImapMailbox } from './imap-mailbox.js';
import { MailboxError, PARENT_FOLDER, type MailboxSession } from './mailbox.js';
import { matchReport } from './match.js';
import { mayBeReport, readReport } from './report.js';

/** A report's own parts come first: its first MiB holds them even when a 30 MB original follows. */
export const REPORT_HEAD_BYTES = 1024 * 1024;
const LEASE_MS = 120_000;

export interface CheckerOptions {
  store: Store;
  settings: SettingsService;
  queue: Queue;
  tags: ReportTags;
  logger: Logger;
  graphSlots: MailboxSlots;
  /** Microsoft endpoints (stand-ins in tests); default from the environment. */
  endpoints?: MicrosoftEndpoints;
  /** Extra trusted CAs, as for the routes (embedders, tests). */
  ca?: string | string[];
  /** How often the loop looks whether a check is due. */
  pollMs?: number;
}

export type CheckOutcome =
  | { state: 'off' }
  /** Another instance is reading the mailbox now. */
  | { state: 'busy' }
  | { state: 'error'; message: string; counts: CheckCounts }
  | { state: 'done'; counts: CheckCounts };

/** Told of each check and each recipient's report (metrics listen here). */
export interface CheckerObserver {
  report?(r: { result: 'matched' | 'unmatched' | 'duplicate' | 'unreadable'; recipients: RecipientReport[] }): void;
  check?(outcome: CheckOutcome): void;
}

export class BounceChecker {
  private readonly log: Logger;
  private readonly state: CheckState;
  private readonly holder = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly observers: CheckerObserver[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CheckOutcome> | null = null;
  /** Set by stop(): a check in progress ends after the message in hand (the cursor stays before the rest). */
  private stopping = false;

  constructor(private readonly o: CheckerOptions) {
    this.log = o.logger.child({ module: 'bounces' });
    this.state = new CheckState(o.store);
  }

  observe(observer: CheckerObserver): void {
    this.observers.push(observer);
  }

  /** Looks every pollMs whether a check is due (serve runs it; a CLI command does not). */
  start(): void {
    if (this.timer) return;
    const tick = () => void this.checkIfDue().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, 'bounce check failed'));
    this.timer = setInterval(tick, this.o.pollMs ?? 5_000);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping = true;
    await this.running?.catch(() => undefined);
  }

  /** A check now, whatever the interval (the console's "Check now", tests); one at a time. */
  checkNow(): Promise<CheckOutcome> {
    if (this.stopping) return Promise.resolve({ state: 'off' });
    this.running ??= this.check().finally(() => (this.running = null));
    return this.running;
  }

  private async checkIfDue(): Promise<void> {
    if (this.running || this.stopping) return;
    // Two plain settings, not load(): nothing decrypted every few seconds for nothing.
    if (!(await this.o.settings.value('bounceProcessing'))) return;
    const interval = await this.o.settings.value('bounceCheckIntervalSeconds');
    const row = await this.state.read();
    const last = row?.finished_at ?? 0;
    if (Date.now() - last < interval * 1000) return;
    await this.checkNow();
  }

  private async check(): Promise<CheckOutcome> {
    const outcome = await this.checkOnce();
    for (const o of this.observers) o.check?.(outcome);
    return outcome;
  }

  private async checkOnce(): Promise<CheckOutcome> {
    const s = await this.o.settings.load();
    if (!s.bounceProcessing) return { state: 'off' };
    const plan = bounceMailbox(s);
    const now = Date.now();
    if (!plan.mailbox) {
      const message = plan.problems.map((p) => p.message).join('; ');
      await this.state.failed('(incomplete)', now, message);
      return { state: 'error', message, counts: emptyCounts() };
    }
    const identity = identityOf(plan.mailbox, s);
    const row = await this.state.take(this.holder, identity, now, now + LEASE_MS);
    if (!row) return { state: 'busy' };
    const counts = emptyCounts();
    let session: MailboxSession | null = null;
    try {
      session = await this.open(plan.mailbox, s);
      let cursor = row.cursor;
      for (;;) {
        const page = await session.page(cursor, s.retentionDays);
        const whole = await this.readPage(session, page.entries, counts);
        // A page cut short by a stop keeps the cursor before it: the next check reads the rest
        // (what was recorded and moved is gone from the Inbox, or recognised).
        if (!whole) break;
        cursor = page.cursor;
        await this.state.advance(this.holder, cursor, Date.now() + LEASE_MS);
        if (page.done) break;
      }
      await this.state.finish(this.holder, Date.now(), counts, null);
      if (counts.read) this.log.info({ counts }, 'postmaster mailbox checked');
      return { state: 'done', counts };
    } catch (err) {
      // The mailbox (or the database) failed mid-check: what was recorded stays recorded, the
      // cursor stays at the last page dealt with, and sending is untouched.
      const message = err instanceof MailboxError ? err.message : `the mailbox check failed: ${errorMessage(err)}`;
      this.log.warn({ err: message }, 'postmaster mailbox not read; sending goes on');
      await this.state.finish(this.holder, Date.now(), counts, message).catch(() => undefined);
      return { state: 'error', message, counts };
    } finally {
      await session?.close().catch(() => undefined);
    }
  }

  private async open(mailbox: BounceMailbox, s: EmailSettings): Promise<MailboxSession> {
    const endpoints = endpointsFor(s, this.o.endpoints);
    if (mailbox.kind === 'graph') {
      const ca = microsoftTrust(s, this.o.ca);
      return openGraphMailbox({
        graphUrl: endpoints.graphUrl,
        scope: endpoints.graphScope,
        provider: tokenProviderFor(credentialsOf(s), endpoints, ca),
        ca,
        mailbox: mailbox.mailbox,
        slots: this.o.graphSlots,
      });
    }
    const imap = { host: mailbox.host, port: mailbox.port, implicitTls: mailbox.implicitTls, user: mailbox.user, ca: smtpTrust(s, this.o.ca) };
    if (mailbox.auth.kind === 'password') return openImapMailbox({ ...imap, secret: { password: mailbox.auth.password } });
    const google = mailbox.auth.kind === 'google';
    const provider = google ? googleTokenProviderFor(s.googleServiceAccountKey, mailbox.user, this.o.ca) : tokenProviderFor(credentialsOf(s), endpoints, microsoftTrust(s, this.o.ca));
    const scope = google ? GMAIL_SCOPE : endpoints.smtpScope;
    const token = (renew: boolean) => () => provider.getToken(scope, { forceRefresh: renew });
    try {
      return await openImapMailbox({ ...imap, secret: { token: token(false) } });
    } catch (err) {
      // A permission granted since is only in a new token (as for SMTP's 535): one more try with one.
      if (!(err instanceof MailboxError && err.signInRefused)) throw err;
      provider.invalidate(scope);
      return openImapMailbox({ ...imap, secret: { token: token(true) } });
    }
  }

  /**
   * Reads the page's likely reports, records those it can match, and moves each read report.
   * False when a stop cut it short.
   */
  private async readPage(session: MailboxSession, entries: { ref: string; headers: Record<string, string>; size: number | null }[], counts: CheckCounts): Promise<boolean> {
    const processed: string[] = [];
    const unmatched: string[] = [];
    let whole = true;
    for (const entry of entries) {
      if (this.stopping) {
        whole = false;
        break;
      }
      counts.seen++;
      if (!mayBeReport(entry.headers)) continue;
      counts.read++;
      const fetched = await session.fetch(entry.ref, REPORT_HEAD_BYTES);
      const reading = await readReport(fetched.raw, { maxRecipients: LIMITS.recipients, truncatedAt: fetched.truncated ? fetched.raw.length : null });
      if (reading.kind === 'not-report') {
        counts.notReports++;
        continue;
      }
      if (reading.kind === 'unreadable') {
        counts.unreadable++;
        this.log.warn({ message: entry.ref, subject: entry.headers.subject, why: reading.why }, 'a delivery report could not be read; left in the mailbox');
        for (const o of this.observers) o.report?.({ result: 'unreadable', recipients: [] });
        continue;
      }
      const receivedAt = Date.now();
      const match = await matchReport(reading.report, this.o.queue.reports, this.o.tags, receivedAt);
      if (!match) {
        counts.unmatched++;
        unmatched.push(entry.ref);
        this.log.info({ message: entry.ref, subject: reading.report.subject }, 'a delivery report names no e-mail of this Postroom; moved to Postroom/Unmatched');
        for (const o of this.observers) o.report?.({ result: 'unmatched', recipients: [] });
        continue;
      }
      const recorded = await this.o.queue.reports.record({
        emailId: match.email.id,
        fingerprint: reading.report.fingerprint,
        receivedAt,
        reportedAt: reading.report.reportedAt ?? receivedAt,
        matchedBy: match.by,
        reporter: reading.report.reporter,
        subject: reading.report.subject,
        recipients: match.recipients,
        raw: fetched.raw.toString('utf8'),
        rawTruncated: fetched.truncated,
      });
      processed.push(entry.ref);
      if (!recorded.recorded) {
        counts.duplicates++;
        for (const o of this.observers) o.report?.({ result: 'duplicate', recipients: [] });
        continue;
      }
      counts.matched++;
      for (const r of match.recipients) {
        if (r.action === 'delayed') counts.delayed++;
        else if (r.action === 'failed' && r.type) counts[r.type]++;
      }
      for (const o of this.observers) o.report?.({ result: 'matched', recipients: match.recipients });
      this.log.info(
        { email: match.email.id, by: match.by, status: recorded.status, recipients: match.recipients.map((r) => ({ recipient: r.recipient, action: r.action, type: r.type, status: r.status })) },
        'delivery report recorded',
      );
    }
    await session.move(processed, 'Processed');
    await session.move(unmatched, 'Unmatched');
    return whole;
  }

  /**
   * Test connection's mailbox step: signs in, opens the Inbox, makes Postroom's folders; says which
   * right is missing when the app's token lacks one. Reads and moves nothing.
   */
  async testMailbox(): Promise<{ ok: boolean; detail: string }> {
    const s = await this.o.settings.load();
    const plan = bounceMailbox(s);
    if (!plan.mailbox) return { ok: false, detail: plan.problems.map((p) => p.message).join('; ') };
    const mailbox = plan.mailbox;
    if (mailbox.kind === 'graph' || mailbox.auth.kind === 'xoauth2') {
      const endpoints = endpointsFor(s, this.o.endpoints);
      const scope = mailbox.kind === 'graph' ? endpoints.graphScope : endpoints.smtpScope;
      const need = mailbox.kind === 'graph' ? 'Mail.ReadWrite' : 'IMAP.AccessAsApp';
      const api = mailbox.kind === 'graph' ? 'Microsoft Graph' : 'Office 365 Exchange Online';
      try {
        // An administrator asked: a fresh token, whose roles show what was granted since.
        const roles = tokenRoles(await tokenProviderFor(credentialsOf(s), endpoints, microsoftTrust(s, this.o.ca)).getToken(scope, { forceRefresh: true, now: true }));
        if (roles !== null && !roles.includes(need)) {
          return {
            ok: false,
            detail: `the app's token has no ${need} application permission (roles: ${roles.join(', ') || 'none'}): add ${api} > Application permissions > ${need} to the app registration and grant admin consent, so that the postmaster's mailbox can be read`,
          };
        }
      } catch (err) {
        return { ok: false, detail: errorMessage(err) };
      }
    }
    try {
      const session = await this.open(mailbox, s);
      await session.close();
      return { ok: true, detail: `${describe(mailbox)}: signed in, Inbox opened, ${PARENT_FOLDER}/Processed and ${PARENT_FOLDER}/Unmatched ready` };
    } catch (err) {
      return { ok: false, detail: errorMessage(err) };
    }
  }

  /** Where the last checks stand, for the console and the API. */
  async status(): Promise<MailboxCheckStatus> {
    const s = await this.o.settings.load();
    const row = await this.state.read();
    const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);
    const plan = s.bounceProcessing ? bounceMailbox(s) : null;
    return {
      enabled: s.bounceProcessing,
      mailbox: plan?.mailbox ? describe(plan.mailbox) : null,
      problems: plan?.problems.map((p) => ({ key: p.key, message: p.message })) ?? [],
      checking: row?.holder !== null && row?.holder !== undefined && (row.lease_until ?? 0) > Date.now(),
      lastCheckAt: iso(row?.finished_at),
      lastSuccessAt: iso(row?.succeeded_at),
      error: row?.error ?? null,
      errorAt: iso(row?.error_at),
      lastCounts: row?.last_counts ? (JSON.parse(row.last_counts) as CheckCounts) : null,
      matchedTotal: row?.matched_total ?? 0,
      unmatchedTotal: row?.unmatched_total ?? 0,
      nextCheckAt: s.bounceProcessing ? iso((row?.finished_at ?? Date.now()) + s.bounceCheckIntervalSeconds * 1000) : null,
      last24h: await this.o.queue.reports.countSince(Date.now() - 86_400_000),
    };
  }
}

export interface MailboxCheckStatus {
  enabled: boolean;
  /** "IMAP postmaster@example.com on imap.example.com:993", "Microsoft Graph postmaster@…". */
  mailbox: string | null;
  problems: { key: string; message: string }[];
  checking: boolean;
  lastCheckAt: string | null;
  lastSuccessAt: string | null;
  /** Why the last check failed (it never stops sending); null after a good one. */
  error: string | null;
  errorAt: string | null;
  lastCounts: CheckCounts | null;
  matchedTotal: number;
  unmatchedTotal: number;
  nextCheckAt: string | null;
  /** Reports recorded in the last 24 hours, by kind: policy ones are a problem of ours. */
  last24h: { hard: number; soft: number; policy: number; delayed: number };
}

function describe(m: BounceMailbox): string {
  return m.kind === 'graph' ? `Microsoft Graph, mailbox ${m.mailbox}` : `IMAP ${m.user} on ${m.host}:${m.port} (${m.implicitTls ? 'TLS' : 'STARTTLS'}${m.auth.kind === 'xoauth2' ? ', OAuth 2.0' : m.auth.kind === 'google' ? ', Google service account' : ''})`;
}

/** The cursor belongs to one mailbox: another host, user or route starts over. */
function identityOf(m: BounceMailbox, s: EmailSettings): string {
  return m.kind === 'graph' ? `graph:${s.tenantId}:${m.mailbox.toLowerCase()}` : `imap:${m.host.toLowerCase()}:${m.port}:${m.user.toLowerCase()}`;
}
