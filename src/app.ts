// Wires Postroom together for a host process (the CLI, an embedding application, a test):
// storage, settings, queue and sending process, closed again in the right order.
import pino, { type Logger } from 'pino';
import { openStore, type Store } from './db/index.js';
import { Dispatcher, sendingNow, waitingReason, type DispatcherOptions, type SendingSources, type SendingState, type WaitingEmail, type WaitingReason } from './dispatcher/index.js';
import { FINISHED, Queue } from './queue/index.js';
import { Sealer, SettingsService, loadMasterKey, parseMasterKey } from './settings/index.js';
import { UserDirectory } from './users/index.js';
import { AdminAccounts, ApiTokens, Sessions, type SessionTimes } from './access/index.js';
import { WebhookDeliverer, Webhooks, type DelivererOptions } from './webhooks/index.js';
import { mailboxSlotsFor, type MailboxSlots } from './transports/index.js';
import { ReportTags } from './mail/index.js';
import { BounceChecker, type CheckerOptions } from './bounces/index.js';
import { Composer, OutlookDrafts, type ComposeResult } from './outlook/index.js';

export interface PostroomOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use instead of the default search path. */
  pgSchema?: string | undefined;
  /** 32-byte key; else POSTROOM_MASTER_KEY, else the key file in dataDir. */
  masterKey?: Buffer | string | undefined;
  logger?: Logger;
  dispatcher?: Omit<DispatcherOptions, 'store' | 'settings' | 'queue' | 'logger'>;
  /** Console session idle timeout and lifetime (defaults: 30 minutes, 12 hours). */
  sessions?: Partial<SessionTimes>;
  webhooks?: Omit<DelivererOptions, 'store' | 'sealer' | 'settings' | 'logger'>;
  bounces?: Pick<CheckerOptions, 'endpoints' | 'ca' | 'pollMs'>;
}

export interface Postroom {
  store: Store;
  settings: SettingsService;
  queue: Queue;
  dispatcher: Dispatcher;
  users: UserDirectory;
  admins: AdminAccounts;
  sessions: Sessions;
  tokens: ApiTokens;
  webhooks: Webhooks;
  /** Delivers webhook events on its own timer; `serve` starts it. */
  deliverer: WebhookDeliverer;
  /** Graph's four requests per mailbox, shared by the sending process and drafts (and instances on PostgreSQL). */
  graphSlots: MailboxSlots;
  /** The X-Postroom-Id of each e-mail sent, keyed from the master key: what matches its reports. */
  tags: ReportTags;
  /** Reads the postmaster's mailbox for delivery reports on its own timer; `serve` starts it. */
  bounces: BounceChecker;
  /** Outlook (New) drafts, made through Graph at the sending process's Microsoft endpoints and CA. */
  drafts: OutlookDrafts;
  logger: Logger;
  /**
   * Hands an e-mail over as POST /emails does: with compose: true for a user whose e-mail software
   * is Outlook (New), a draft in Outlook instead ({composed: 'outlook-new', draft}); else queued.
   * `source` is where it came from, as for queue.handOver.
   */
  compose(input: unknown, source: string): Promise<ComposeResult>;
  /** Is mail moving, and if not why: from every live sending process's report and the settings now. */
  sending(): Promise<SendingState>;
  /**
   * Why this e-mail has not gone yet (null once finished, or when the state cannot be read): what
   * GET /emails/{id} and `queue show` say. Reads no queue counts, which a poll of one e-mail need not pay.
   */
  whyWaiting(email: WaitingEmail): Promise<WaitingReason | null>;
  close(): Promise<void>;
}

export async function openPostroom(options: PostroomOptions): Promise<Postroom> {
  const logger = options.logger ?? pino({ level: 'info' });
  const key =
    options.masterKey === undefined
      ? loadMasterKey(process.env, options.dataDir).key
      : typeof options.masterKey === 'string'
        ? parseMasterKey(options.masterKey)
        : options.masterKey;
  const store = await openStore({ databaseUrl: options.databaseUrl, dataDir: options.dataDir, pgSchema: options.pgSchema });
  const users: UserDirectory = new UserDirectory(store, async () => (await settings.load()).postmaster);
  const sealer = new Sealer(key);
  const settings = new SettingsService(store, sealer, async (email) => {
    const user = await users.findByEmail(email);
    return user ? `"${user.id}"` : null;
  });
  const queue = new Queue(store, settings);
  const graphSlots = mailboxSlotsFor(store);
  const tags = new ReportTags(key);
  const dispatcher = new Dispatcher({ ...options.dispatcher, route: { ...options.dispatcher?.route, graphSlots }, store, settings, queue, logger, tags });
  const bounces = new BounceChecker({
    ...options.bounces,
    endpoints: options.bounces?.endpoints ?? options.dispatcher?.endpoints,
    ca: options.bounces?.ca ?? options.dispatcher?.route?.ca,
    store,
    settings,
    queue,
    tags,
    logger,
    graphSlots,
  });
  const deliverer = new WebhookDeliverer({ ...options.webhooks, store, sealer, settings, logger });
  const drafts = new OutlookDrafts(settings, users, options.dispatcher?.endpoints, options.dispatcher?.route?.ca, graphSlots);
  const composer = new Composer(queue, users, drafts);
  /** Where the sending state is read from; `counted`: with the e-mails waiting (a count over the queue). */
  const sendingSources = (counted: boolean): SendingSources => ({
    instances: () => dispatcher.status.list(Date.now(), dispatcher.aliveWithinMs),
    waiting: async () => {
      if (!counted) return 0;
      const counts = await queue.counts();
      return counts.pending + counts.error;
    },
    settings: async () => {
      const view = await settings.view();
      return { enabled: view.settings.enabled, problems: view.problems };
    },
  });

  return {
    store,
    settings,
    queue,
    dispatcher,
    users,
    admins: new AdminAccounts(store),
    sessions: new Sessions(store, options.sessions),
    tokens: new ApiTokens(store),
    webhooks: new Webhooks(store, sealer),
    deliverer,
    graphSlots,
    tags,
    bounces,
    drafts,
    logger,
    compose: (input, source) => composer.compose(input, source),
    sending: () => sendingNow(sendingSources(true)),
    async whyWaiting(email) {
      if (FINISHED.includes(email.status)) return null;
      const state = await sendingNow(sendingSources(false)).catch(() => null);
      return state ? waitingReason(email, state) : null;
    },
    async close() {
      // Side by side: each keeps to its own grace, and the whole stop to the longest of them.
      await Promise.all([bounces.stop(), dispatcher.stop(), deliverer.stop()]);
      await store.close();
    },
  };
}
