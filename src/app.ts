// Wires Postroom together for a host process (the CLI, an embedding application, a test):
// storage, settings, queue and sending process, closed again in the right order.
import pino, { type Logger } from 'pino';
import { openStore, type Store } from './db/index.js';
import { Dispatcher, type DispatcherOptions } from './dispatcher/index.js';
import { Queue } from './queue/index.js';
import { Sealer, SettingsService, loadMasterKey, parseMasterKey } from './settings/index.js';
import { UserDirectory } from './users/index.js';
import { AdminAccounts, ApiTokens, Sessions } from './access/index.js';
import { mailboxSlotsFor, type MailboxSlots } from './transports/index.js';

export interface PostroomOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL schema to use instead of the default search path. */
  pgSchema?: string | undefined;
  /** 32-byte key; else POSTROOM_MASTER_KEY, else the key file in dataDir. */
  masterKey?: Buffer | string | undefined;
  logger?: Logger;
  dispatcher?: Omit<DispatcherOptions, 'store' | 'settings' | 'queue' | 'logger'>;
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
  /** Graph's four requests per mailbox, shared by the sending process and drafts (and instances on PostgreSQL). */
  graphSlots: MailboxSlots;
  logger: Logger;
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
  const settings = new SettingsService(store, new Sealer(key), async (email) => {
    const user = await users.findByEmail(email);
    return user ? `"${user.id}"` : null;
  });
  const queue = new Queue(store, settings);
  const graphSlots = mailboxSlotsFor(store);
  const dispatcher = new Dispatcher({ ...options.dispatcher, route: { ...options.dispatcher?.route, graphSlots }, store, settings, queue, logger });
  return {
    store,
    settings,
    queue,
    dispatcher,
    users,
    admins: new AdminAccounts(store),
    sessions: new Sessions(store),
    tokens: new ApiTokens(store),
    graphSlots,
    logger,
    async close() {
      await dispatcher.stop();
      await store.close();
    },
  };
}
