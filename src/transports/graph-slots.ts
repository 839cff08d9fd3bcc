// Microsoft Graph allows four concurrent requests per mailbox ("Microsoft Graph service-specific
// throttling limits", Outlook service limits). Slots counted in this process, or in PostgreSQL's
// graph_slots table so that every instance and the drafts endpoint share the same four.
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../db/index.js';

export const GRAPH_SLOTS_PER_MAILBOX = 4;

export interface MailboxSlots {
  /** Waits for a free slot of the mailbox; the returned function gives it back. */
  acquire(mailbox: string): Promise<() => Promise<void>>;
}

export async function withSlot<T>(slots: MailboxSlots, mailbox: string, fn: () => Promise<T>): Promise<T> {
  const release = await slots.acquire(mailbox.toLowerCase());
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** One process (SQLite is for one machine): a counter and a queue per mailbox. */
export class ProcessSlots implements MailboxSlots {
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  async acquire(mailbox: string): Promise<() => Promise<void>> {
    let s = this.slots.get(mailbox);
    if (!s) this.slots.set(mailbox, (s = { active: 0, waiting: [] }));
    const slot = s;
    if (slot.active >= GRAPH_SLOTS_PER_MAILBOX) await new Promise<void>((r) => slot.waiting.push(r));
    slot.active++;
    return async () => {
      slot.active--;
      const next = slot.waiting.shift();
      if (next) next();
      else if (slot.active === 0) this.slots.delete(mailbox);
    };
  }
}

/**
 * Slots as rows (mailbox, slot 0..3) in PostgreSQL. A slot is taken by inserting its row, or by
 * taking over a row whose lease ran out (its instance died); it is given back by deleting the row.
 * The lease is long enough for a 150 MB upload and renewed while the holder works.
 */
export class DatabaseSlots implements MailboxSlots {
  private readonly holderPrefix = crypto.randomUUID();

  constructor(
    private readonly store: Store,
    private readonly leaseMs = 10 * 60_000,
    private readonly pollMs = 50,
  ) {}

  async acquire(mailbox: string): Promise<() => Promise<void>> {
    const holder = `${this.holderPrefix}:${crypto.randomUUID()}`;
    for (let wait = this.pollMs; ; wait = Math.min(wait * 2, 500)) {
      const slot = await this.take(mailbox, holder);
      if (slot !== null) {
        const renew = setInterval(() => {
          void this.store.db
            .updateTable('graph_slots')
            .set({ expires_at: Date.now() + this.leaseMs })
            .where('mailbox', '=', mailbox)
            .where('slot', '=', slot)
            .where('holder', '=', holder)
            .execute()
            .catch(() => undefined);
        }, this.leaseMs / 3);
        renew.unref();
        return async () => {
          clearInterval(renew);
          await this.store.db.deleteFrom('graph_slots').where('mailbox', '=', mailbox).where('slot', '=', slot).where('holder', '=', holder).execute();
        };
      }
      await sleep(wait);
    }
  }

  private async take(mailbox: string, holder: string): Promise<number | null> {
    const now = Date.now();
    for (let slot = 0; slot < GRAPH_SLOTS_PER_MAILBOX; slot++) {
      const row = { mailbox, slot, holder, expires_at: now + this.leaseMs };
      const taken = await this.store.db
        .insertInto('graph_slots')
        .values(row)
        .onConflict((oc) => oc.columns(['mailbox', 'slot']).doUpdateSet({ holder, expires_at: row.expires_at }).where('graph_slots.expires_at', '<', now))
        .returning('slot')
        .executeTakeFirst();
      if (taken) return slot;
    }
    return null;
  }
}

const processSlots = new ProcessSlots();

/** PostgreSQL shares the slots between instances; SQLite (one machine, one process) counts here. */
export function mailboxSlotsFor(store: Store | undefined): MailboxSlots {
  return store?.dialect === 'postgres' ? new DatabaseSlots(store) : processSlots;
}
