// Where each sending process says it is alive and how its last campaign went, and how any
// process reads that back ("is mail moving, and if not, why?").
import os from 'node:os';
import type { Store } from '../db/index.js';
import type { CampaignReport } from './dispatcher.js';

export interface InstanceStatus {
  id: string;
  hostname: string;
  pid: number;
  startedAt: string;
  heartbeatAt: string;
  /** Heard from within three campaign intervals (or a minute). */
  alive: boolean;
  stoppedAt: string | null;
  lastCampaign: CampaignReport | null;
}

export class StatusBoard {
  constructor(private readonly store: Store) {}

  async register(id: string, now: number): Promise<void> {
    await this.store.db
      .insertInto('instances')
      .values({ id, hostname: os.hostname(), pid: process.pid, started_at: now, heartbeat_at: now, stopped_at: null, last_campaign: null })
      // The same dispatcher started again after a stop (an embedding application may do that).
      .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: now, heartbeat_at: now, stopped_at: null }))
      .execute();
  }

  async heartbeat(id: string, now: number, report?: CampaignReport): Promise<void> {
    await this.store.db
      .updateTable('instances')
      .set({ heartbeat_at: now, ...(report ? { last_campaign: JSON.stringify(report) } : {}) })
      .where('id', '=', id)
      .execute();
  }

  async stopped(id: string, now: number): Promise<void> {
    await this.store.db.updateTable('instances').set({ stopped_at: now, heartbeat_at: now }).where('id', '=', id).execute();
  }

  /** Instances heard from in the last day, newest first; older ones are forgotten. */
  async list(now: number, aliveWithinMs: number): Promise<InstanceStatus[]> {
    await this.store.db.deleteFrom('instances').where('heartbeat_at', '<', now - 86_400_000).execute();
    const rows = await this.store.db.selectFrom('instances').selectAll().orderBy('started_at', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      pid: r.pid,
      startedAt: new Date(r.started_at).toISOString(),
      heartbeatAt: new Date(r.heartbeat_at).toISOString(),
      alive: r.stopped_at === null && now - r.heartbeat_at <= aliveWithinMs,
      stoppedAt: r.stopped_at === null ? null : new Date(r.stopped_at).toISOString(),
      lastCampaign: r.last_campaign ? (JSON.parse(r.last_campaign) as CampaignReport) : null,
    }));
  }
}
