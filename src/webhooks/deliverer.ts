// The webhook deliverer: its own timer, beside the sending process and never in its way. Each
// round fans new e-mail events out to the webhooks listening, then POSTs the deliveries that are due,
// in one lane per owner (a token, or the administrators): a receiver that hangs holds its own lane only.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Logger } from 'pino';
import type { Selectable } from 'kysely';
import { sql, type Kysely } from 'kysely';
import { errorMessage, GroupCommit, writeTransaction, type Database, type Store } from '../db/index.js';
import type { Sealer, SettingsService } from '../settings/index.js';
import { addressRefusal, guardedLookup, WebhookAddressError } from './address.js';
import { deliveredTypes, eventBody, type EmailFacts } from './payload.js';
import { backoffDelay, Leases, PollLoop, PurgeSchedule, skipLocked } from '../jobs/index.js';
import { signPayload, SIGNATURE_HEADER, EVENT_ID_HEADER } from './signature.js';
import { SECRET_NAME, audit } from './service.js';

export interface DelivererOptions {
  store: Store;
  sealer: Sealer;
  settings: SettingsService;
  logger: Logger;
  /** How often due deliveries are looked for. */
  pollMs?: number;
  /** A receiver that has not answered after this long has failed this attempt. */
  timeoutMs?: number;
  /** A delivery is retried for this long after its event, then given up. */
  retryWindowMs?: number;
  /** A webhook without a single success for this long is disabled. */
  disableAfterMs?: number;
  /** Back-off between attempts: base·2^(n−1), capped, ±20 % jitter. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  concurrency?: number;
  /** On stop, how long deliveries in progress may take before they are cut off (tried again later). */
  stopGraceMs?: number;
}

export interface RoundReport {
  fannedOut: number;
  delivered: number;
  failedAttempts: number;
}

type DeliveryRow = Selectable<Database['webhook_deliveries']>;
type WebhookRow = Selectable<Database['webhooks']>;
type Answer = { status: number | null; excerpt: string };
interface Result {
  d: DeliveryRow;
  hook: WebhookRow;
  answer: Answer;
  now: number;
}

const DAY = 86_400_000;
const EXCERPT = 500;
/** Finished deliveries are looked for once an hour: retention counts in days. */
const PURGE_EVERY_MS = 3_600_000;

export class WebhookDeliverer {
  private readonly log: Logger;
  private readonly o: Required<Omit<DelivererOptions, 'store' | 'sealer' | 'settings' | 'logger'>>;
  /** The rounds: one, then pollMs. */
  private readonly loop: PollLoop;
  /** Set while a stop of the loop waits for the lanes: no delivery starts any more. */
  private stopping = false;
  private readonly purges: PurgeSchedule;
  /**
   * The deliveries this process claimed. Never renewed: a lease is 3 × the timeout, and a delivery
   * starts only while its lease still covers a whole attempt, else it waits for the next claim.
   */
  private readonly leases: Leases;
  /** The owners whose lane is delivering in this process, and the lane. */
  private readonly lanes = new Map<string, Promise<{ delivered: number; failed: number }>>();
  /** Deliveries in progress, cut off by a stop past its grace. */
  private readonly requests = new Set<http.ClientRequest>();
  /** SQLite: outcomes that arrive together share a commit, as the queue's do. */
  private readonly results: GroupCommit<Result, void>;
  constructor(private readonly opts: DelivererOptions) {
    this.log = opts.logger.child({ module: 'webhooks' });
    this.results = GroupCommit.withKysely(opts.store, (trx, r: Result) => this.record(trx, r));
    this.o = {
      pollMs: opts.pollMs ?? 1000,
      timeoutMs: opts.timeoutMs ?? 10_000,
      retryWindowMs: opts.retryWindowMs ?? DAY,
      disableAfterMs: opts.disableAfterMs ?? DAY,
      backoffBaseMs: opts.backoffBaseMs ?? 10_000,
      backoffCapMs: opts.backoffCapMs ?? 3_600_000,
      concurrency: opts.concurrency ?? 8,
      stopGraceMs: opts.stopGraceMs ?? 7_000,
    };
    this.leases = new Leases({ leaseMs: 3 * this.o.timeoutMs });
    this.purges = new PurgeSchedule({ failed: (err) => this.log.error({ err: errorMessage(err) }, 'webhook purge failed; the next one tries again') });
    this.loop = new PollLoop(
      async () => {
        await this.startRound(Date.now());
      },
      () => this.o.pollMs,
    );
  }

  start(): void {
    this.loop.start();
  }

  /** Lets the round and the lanes in progress finish (each request ends within the timeout). */
  async stop(): Promise<void> {
    // Only the loop's stop cuts the lanes short: rounds run by hand deliver what they claimed.
    this.stopping = this.loop.isRunning;
    // A receiver that does not answer must not hold the stop past its grace: cut off, the delivery
    // is recorded as a failed attempt and tried again later.
    const cut = setTimeout(() => {
      for (const req of this.requests) req.destroy(new Error('Postroom stopped before the receiver answered'));
    }, this.o.stopGraceMs);
    await this.loop.stop();
    await Promise.all(this.lanes.values());
    clearTimeout(cut);
    this.stopping = false;
  }

  /**
   * One round, waiting for the lanes it started. Never throws: a failing database is logged and
   * the next round tries again. The timer's rounds do not wait: a slow owner's lane goes on beside
   * the next rounds, which start lanes for the other owners.
   */
  async round(now = Date.now()): Promise<RoundReport> {
    const { report, started } = await this.startRound(now);
    for (const outcome of await Promise.all(started)) {
      report.delivered += outcome.delivered;
      report.failedAttempts += outcome.failed;
    }
    return report;
  }

  private async startRound(now: number): Promise<{ report: RoundReport; started: Promise<{ delivered: number; failed: number }>[] }> {
    const report: RoundReport = { fannedOut: 0, delivered: 0, failedAttempts: 0 };
    const started: Promise<{ delivered: number; failed: number }>[] = [];
    try {
      for (let n = await this.fanOut(now); n > 0; n = await this.fanOut(now)) report.fannedOut += n;
      for (const owner of await this.ownersDue(now)) {
        if (this.lanes.has(owner)) continue;
        const due = await this.claim(owner, now);
        if (due.length === 0) continue;
        const lane = this.deliverAll(due)
          .catch((err: unknown) => {
            this.log.error({ err: errorMessage(err) }, 'webhook deliveries failed; they are tried again after their lease');
            return { delivered: 0, failed: 0 };
          })
          .finally(() => {
            this.leases.drop(due.map((d) => d.id));
            this.lanes.delete(owner);
          });
        this.lanes.set(owner, lane);
        started.push(lane);
      }
      await this.purges.runIfDue(now, PURGE_EVERY_MS, () => this.purge(now));
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'webhook round failed; the next one tries again');
    }
    return { report, started };
  }

  /** Turns stored events into one delivery per listening webhook, in the same transaction as their removal. */
  private async fanOut(now: number): Promise<number> {
    const { store } = this.opts;
    return writeTransaction(store, async (trx) => {
      // Another instance fanning out at once takes the next events, not these.
      const events = await skipLocked(trx.selectFrom('email_events').selectAll().orderBy('id').limit(200), store.dialect).execute();
      if (events.length === 0) return 0;
      const hooks = await trx
        .selectFrom('webhooks as w')
        .leftJoin('api_tokens as t', 't.id', 'w.token_id')
        .select(['w.id', 'w.owner_source', 'w.events'])
        .where('w.disabled_at', 'is', null)
        // A revoked token's webhooks fall silent with it.
        .where((eb) => eb.or([eb('w.token_id', 'is', null), eb('t.revoked_at', 'is', null)]))
        .execute();
      const emailIds = [...new Set(events.map((e) => e.email_id))];
      const facts = new Map<number, EmailFacts>();
      for (let i = 0; i < emailIds.length; i += 500) {
        const rows = await trx
          .selectFrom('emails')
          .select(['id', 'message_id', 'idempotency_key', 'to_addrs', 'cc_addrs', 'bcc_addrs', 'subject', 'send_at'])
          .where('id', 'in', emailIds.slice(i, i + 500))
          .execute();
        for (const r of rows) facts.set(r.id, r);
      }
      const listening = hooks.map((h) => ({ ...h, types: new Set(JSON.parse(h.events) as string[]) }));
      const rows = [];
      for (const ev of events) {
        for (const type of deliveredTypes(ev)) {
          const targets = listening.filter((h) => (h.owner_source === null || h.owner_source === ev.source) && h.types.has(type));
          if (targets.length === 0) continue;
          const body = eventBody(ev, type, facts.get(ev.email_id));
          const payload = JSON.stringify(body);
          for (const h of targets) {
            rows.push({
              webhook_id: h.id,
              event_id: body.id,
              status_version: ev.id,
              type,
              email_id: ev.email_id,
              payload,
              status: 'pending' as const,
              attempts: 0,
              next_attempt_at: now,
              last_status: null,
              last_body_excerpt: null,
              created_at: now,
              delivered_at: null,
            });
          }
        }
      }
      for (let i = 0; i < rows.length; i += 200) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + 200)).execute();
      await trx.deleteFrom('email_events').where('id', 'in', events.map((e) => e.id)).execute();
      return events.length;
    });
  }

  /** The owners (a token's source; '' for the administrators' webhooks) with deliveries due. */
  private async ownersDue(now: number): Promise<string[]> {
    const rows = await this.opts.store.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
      .select((eb) => eb.fn.coalesce('w.owner_source', sql.lit('')).as('owner'))
      .distinct()
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where('w.disabled_at', 'is', null)
      .execute();
    return rows.map((r) => r.owner);
  }

  /**
   * Takes one owner's due deliveries under a lease (next_attempt_at moved past the longest its lane
   * can take): another instance skips them, and if this process dies they are due again after it.
   */
  private async claim(owner: string, now: number): Promise<DeliveryRow[]> {
    const { store } = this.opts;
    const limit = this.o.concurrency * 4;
    const rows = await writeTransaction(store, async (trx) => {
      const q = trx
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('webhook_id', 'in', (eb) => {
          const live = eb.selectFrom('webhooks').select('id').where('disabled_at', 'is', null);
          return owner === '' ? live.where('owner_source', 'is', null) : live.where('owner_source', '=', owner);
        })
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit);
      const ids = (await skipLocked(q, store.dialect).execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      const claimed = await trx.updateTable('webhook_deliveries').set({ next_attempt_at: this.leases.expiry(now) }).where('id', 'in', ids).returningAll().execute();
      return claimed.sort((a, b) => a.id - b.id);
    });
    this.leases.hold(rows.map((d) => d.id), now);
    return rows;
  }

  /** One e-mail's events to one webhook go one after the other, oldest first; the rest in parallel. */
  private async deliverAll(due: DeliveryRow[]): Promise<{ delivered: number; failed: number }> {
    const hooks = new Map<number, WebhookRow>();
    const ids = [...new Set(due.map((d) => d.webhook_id))];
    for (const h of await this.opts.store.db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute()) hooks.set(h.id, h);
    const chains = new Map<string, DeliveryRow[]>();
    for (const d of due) chains.set(`${d.webhook_id}:${d.email_id}`, [...(chains.get(`${d.webhook_id}:${d.email_id}`) ?? []), d]);
    const queue = [...chains.values()];
    const tally = { delivered: 0, failed: 0 };
    const worker = async () => {
      for (let chain = queue.shift(); chain; chain = queue.shift()) {
        for (const d of chain) {
          // Its lease must outlast a whole attempt, or it could be sent twice at once: left for the next claim.
          if (!this.leases.covers(d.id, Date.now() + this.o.timeoutMs) || this.stopping) break;
          const hook = hooks.get(d.webhook_id);
          if (!hook) continue; // removed meanwhile: its deliveries went with it
          const ok = await this.deliverOne(d, hook);
          tally[ok ? 'delivered' : 'failed']++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, queue.length) }, worker));
    return tally;
  }

  private async deliverOne(d: DeliveryRow, hook: WebhookRow): Promise<boolean> {
    let answer: Answer;
    try {
      const secret = this.opts.sealer.open(SECRET_NAME, hook.secret);
      // A private or loopback address only where an administrator allowed it, for this webhook.
      answer = await this.post(hook.url, d, secret, hook.private_allowed_by !== null);
    } catch (err) {
      answer = { status: null, excerpt: errorMessage(err) };
    }
    const result = { d, hook, answer, now: Date.now() };
    if (this.opts.store.dialect === 'sqlite') await this.results.submit(result);
    else await writeTransaction(this.opts.store, (trx) => this.record(trx, result));
    const ok = succeeded(answer);
    if (!ok) this.log.info({ webhook: hook.id, delivery: d.id, status: answer.status, reply: answer.excerpt.slice(0, 200) }, 'webhook delivery failed; retrying later');
    return ok;
  }

  private async record(trx: Kysely<Database>, { d, hook, answer, now }: Result): Promise<void> {
    if (succeeded(answer)) {
      await trx
        .updateTable('webhook_deliveries')
        .set({ status: 'delivered', attempts: d.attempts + 1, next_attempt_at: null, last_status: answer.status, last_body_excerpt: answer.excerpt, delivered_at: now })
        .where('id', '=', d.id)
        .execute();
      await trx.updateTable('webhooks').set({ failing_since: null }).where('id', '=', hook.id).where('failing_since', 'is not', null).execute();
      return;
    }
    const attempts = d.attempts + 1;
    const next = now + backoffDelay(attempts, { baseMs: this.o.backoffBaseMs, capMs: this.o.backoffCapMs });
    const giveUp = next >= d.created_at + this.o.retryWindowMs;
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: giveUp ? 'failed' : 'pending', attempts, next_attempt_at: giveUp ? null : next, last_status: answer.status, last_body_excerpt: answer.excerpt })
      .where('id', '=', d.id)
      .execute();
    // Read here, not from the round's copy: a success a moment ago ended the failing spell.
    const current = await trx.selectFrom('webhooks').select('failing_since').where('id', '=', hook.id).executeTakeFirst();
    if (!current) return;
    const failingSince = current.failing_since ?? now;
    if (current.failing_since === null) await trx.updateTable('webhooks').set({ failing_since: now }).where('id', '=', hook.id).execute();
    if (now - failingSince >= this.o.disableAfterMs) await this.disable(trx, hook, failingSince, answer, now);
  }

  private async disable(trx: Kysely<Database>, hook: WebhookRow, since: number, last: Answer, now: number) {
    const reason = `failing since ${new Date(since).toISOString()} (last answer: ${last.status ?? 'none'} ${last.excerpt.slice(0, 200)})`;
    const r = await trx
      .updateTable('webhooks')
      .set({ disabled_at: now, disabled_reason: reason })
      .where('id', '=', hook.id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return;
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed', next_attempt_at: null })
      .where('webhook_id', '=', hook.id)
      .where('status', '=', 'pending')
      .execute();
    await trx.insertInto('audit_log').values(audit(now, 'postroom', hook.id, { url: hook.url, state: 'enabled' }, { state: 'disabled', reason })).execute();
    this.log.warn({ webhook: hook.id, url: hook.url, reason }, 'webhook disabled');
  }

  /** POSTs the stored body, signed now; answers with the status and the start of the reply. */
  private post(urlText: string, d: DeliveryRow, secret: string, allowPrivate: boolean): Promise<{ status: number; excerpt: string }> {
    const url = new URL(urlText);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An IP in the URL never goes through a lookup: check it here.
    if (net.isIP(host)) {
      const refusal = addressRefusal(host, allowPrivate);
      if (refusal) return Promise.reject(new WebhookAddressError(refusal));
    }
    const body = Buffer.from(d.payload);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(allowPrivate),
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'user-agent': 'Postroom-Webhooks/1',
            [SIGNATURE_HEADER]: signPayload(body, secret),
            [EVENT_ID_HEADER]: d.event_id,
            'Postroom-Event-Type': d.type,
          },
          timeout: this.o.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < EXCERPT * 4) chunks.push(c);
            size += c.length;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, excerpt: Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT) }));
          res.on('error', reject);
        },
      );
      // The whole exchange, not only the connection, must end within the timeout.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.o.timeoutMs / 1000} s`)), this.o.timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs / 1000} s`)));
      this.requests.add(req);
      req.on('close', () => {
        clearTimeout(timer);
        this.requests.delete(req);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Finished deliveries go after the e-mails' retention. */
  private async purge(now: number): Promise<void> {
    const days = await this.opts.settings.value('retentionDays');
    await this.opts.store.db
      .deleteFrom('webhook_deliveries')
      .where('status', '!=', 'pending')
      .where('created_at', '<', now - days * DAY)
      .execute();
  }
}

const succeeded = (a: Answer) => a.status !== null && a.status >= 200 && a.status < 300;

