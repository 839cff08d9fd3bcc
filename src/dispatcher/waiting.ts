// Why an e-mail that has not gone yet is waiting, in one answer for the e-mail page, `queue show`
// and the API: scheduled, held, sending stopped (and why), a retry after a failure, or due now.
import type { EmailStatus } from '../db/index.js';
import type { SendingState } from './sending-state.js';

export type WaitingKind = 'scheduled' | 'held' | 'no-process' | 'sending-stopped' | 'retry' | 'due' | 'being-sent';

export interface WaitingReason {
  kind: WaitingKind;
  /** In plain words (English); the console words each kind in its language from the fields. */
  message: string;
  /** When it goes (scheduled, retry), ISO. */
  at: string | null;
  /** Why sending is stopped, with the server's reply (sending-stopped), or the last reply (retry). */
  reason: string | null;
  /** The setting to look at (sending-stopped). */
  setting: string | null;
}

export interface WaitingEmail {
  status: EmailStatus;
  nextAttemptAt: string | null;
  scheduledAt: string | null;
  lastReply: string | null;
}

/** Null once the e-mail no longer waits (sent, failed, cancelled, bounced). */
export function waitingReason(email: WaitingEmail, sending: SendingState, now = Date.now()): WaitingReason | null {
  const make = (kind: WaitingKind, message: string, more: Partial<WaitingReason> = {}): WaitingReason => ({ kind, message, at: null, reason: null, setting: null, ...more });
  if (email.status === 'held') return make('held', 'held at start-up ("At the starting, do not send the pending emails"): it goes once the held e-mails are released');
  if (email.status === 'sending') return make('being-sent', 'being sent now');
  if (email.status !== 'pending' && email.status !== 'error') return null;
  if (email.scheduledAt && Date.parse(email.scheduledAt) > now) return make('scheduled', `scheduled for ${email.scheduledAt}`, { at: email.scheduledAt });
  if (sending.state === 'no-process') return make('no-process', 'no sending process is running: it goes once postroom serve runs');
  if (sending.state === 'stopped') {
    const resumes = sending.resumesWhen ? `; it goes once ${sending.resumesWhen}` : '';
    return make('sending-stopped', `sending is stopped: ${sending.reason ?? 'see the banner'}${resumes}`, { reason: sending.reason, setting: sending.setting });
  }
  const next = email.nextAttemptAt && Date.parse(email.nextAttemptAt) > now ? email.nextAttemptAt : null;
  if (email.status === 'error' && next) {
    return make('retry', `the last attempt failed${email.lastReply ? ` (${email.lastReply})` : ''}: tried again at ${next}`, { at: next, reason: email.lastReply });
  }
  if (next) return make('retry', `tried again at ${next}`, { at: next, reason: email.lastReply });
  return make('due', 'due: the next campaign sends it');
}
