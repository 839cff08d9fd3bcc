// Group commit for SQLite: writes that arrive while one commit runs share the next one. A
// commit costs about the same for one row as for several, and it blocks the event loop.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { writeTransaction, type PreparedStatement, type Store } from './connect.js';
import type { StorageHealth } from './health.js';

interface Waiting<I, O> {
  item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

export interface GroupOptions {
  /**
   * How long the first write of a group waits for others to join it. Zero (the default): only
   * those of the same turn of the event loop. Worth it where no caller is held up by the wait.
   */
  gatherMs?: number;
  /** Which errors refuse one item only, so that the group is written again one by one (default: SQLite's constraints). */
  refusesOne?: (err: unknown) => boolean;
  /** Told of each commit's storage fault or success (the store's; /healthz reads it). */
  health?: StorageHealth;
}

/** Writes a group of items in one transaction, one result per item, in order. */
type CommitGroup<I, O> = (items: I[]) => Promise<O[]>;

const codeOf = (err: unknown): string => String((err as { code?: unknown } | null)?.code ?? '');

/** A constraint refused one row (a repeated unique key, say): the rest of the group is fine. */
export const refusesOneRow = (err: unknown): boolean => codeOf(err).startsWith('SQLITE_CONSTRAINT');

/** PostgreSQL's refusals of one row: integrity constraint violations (class 23: unique, foreign key…). */
export const refusesOneRowPg = (err: unknown): boolean => /^23\d{3}$/.test(codeOf(err));

/**
 * Each caller still waits for its own commit: nothing is reported done before it is stored.
 * When a constraint refuses one write of a group, the writes are tried again one by one, so that
 * one caller's refusal (a unique key, say) is that caller's alone.
 */
export class GroupCommit<I, O> {
  private readonly waiting: Waiting<I, O>[] = [];
  private running: Promise<void> | null = null;
  /** Ends the current gathering at once (see flush()). */
  private endGathering: (() => void) | null = null;

  constructor(
    private readonly commit: CommitGroup<I, O>,
    private readonly options: GroupOptions = {},
  ) {}

  /** Each item written by a Kysely statement (or several) in a shared write transaction. */
  static withKysely<I, O>(store: Store, write: (trx: Kysely<Database>, item: I) => Promise<O>): GroupCommit<I, O> {
    return new GroupCommit((items) =>
      writeTransaction(store, async (trx) => {
        const done: O[] = [];
        for (const item of items) done.push(await write(trx, item));
        return done;
      }),
    );
  }

  /** Each item written with prepared statements on SQLite's connection (see SqliteWriter). */
  static withStatements<I, O>(store: Store, write: (prepare: (sql: string) => PreparedStatement, item: I) => O, options: GroupOptions = {}): GroupCommit<I, O> {
    const sqlite = store.sqlite;
    if (!sqlite) throw new Error('prepared-statement group commits are for SQLite');
    return new GroupCommit((items) => sqlite.transaction((prepare) => items.map((item) => write(prepare, item))), { health: store.health, ...options });
  }

  /** Someone waits for this group: write what has gathered without waiting out gatherMs. */
  flush(): void {
    this.endGathering?.();
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.running ??= this.run();
    });
  }

  private async run(): Promise<void> {
    const gatherMs = this.options.gatherMs ?? 0;
    while (this.waiting.length > 0) {
      // Let the writes of this turn of the event loop (or of the gathering time) join the group;
      // every group, not only the first: those that arrived during a commit would go in ones and twos.
      await new Promise<void>((r) => {
        if (gatherMs <= 0) return void setImmediate(r);
        const timer = setTimeout(r, gatherMs);
        this.endGathering = () => {
          clearTimeout(timer);
          setImmediate(r);
        };
      });
      this.endGathering = null;
      const group = this.waiting.splice(0);
      try {
        const outs = await this.commit(group.map((w) => w.item));
        this.options.health?.succeeded();
        group.forEach((w, i) => w.resolve(outs[i] as O));
      } catch (err) {
        this.options.health?.failed(err);
        // Only a refusal of one row is worth writing the others again; a locked or broken
        // database would make each of them wait out the busy timeout once more.
        if (group.length > 1 && (this.options.refusesOne ?? refusesOneRow)(err)) {
          for (const w of group) await this.commit([w.item]).then((outs) => w.resolve(outs[0] as O), w.reject);
        } else {
          group.forEach((w) => w.reject(err));
        }
      }
    }
    this.running = null;
  }
}
