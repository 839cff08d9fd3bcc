// Why an e-mail that has not gone yet is waiting, in one answer for the e-mail page, `queue show`
// and the API: scheduled, held, sending stopped (and why), a retry after a failure, or due now.
import type { EmailStatus } from '../db/index.js';
import { catalogue, NB, say } from '../i18n/index.js';
import type { SendingState } from './sending-state.js';

export type WaitingKind = 'scheduled' | 'held' | 'no-process' | 'sending-stopped' | 'retry' | 'due' | 'being-sent';

export interface WaitingReason {
  kind: WaitingKind;
  /** In plain words (English, from WAITING); the console words each kind in its language from the fields. */
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

/** Why an e-mail waits, in words (the console words each kind itself from the fields; the CLI reads these). */
export const WAITING = catalogue({
  held: {
    en: 'held at start-up ("At the starting, do not send the pending emails"): it goes once the held e-mails are released',
    fr: `retenu au démarrage («${NB}Au démarrage, ne pas envoyer les e-mails en attente${NB}»)${NB}: il partira une fois les e-mails retenus libérés`,
  },
  beingSent: { en: 'being sent now', fr: 'en cours d’envoi' },
  scheduled: { en: 'scheduled for {at}', fr: 'programmé pour {at}' },
  noProcess: { en: 'no sending process is running: it goes once postroom serve runs', fr: `aucun processus d’envoi ne tourne${NB}: il partira quand postroom serve tournera` },
  stopped: { en: 'sending is stopped: {why}', fr: `l’envoi est arrêté${NB}: {why}` },
  stoppedUntil: { en: 'sending is stopped: {why}; it goes once {resumes}', fr: `l’envoi est arrêté${NB}: {why}${NB}; il partira quand {resumes}` },
  failedRetry: { en: 'the last attempt failed ({detail}): tried again at {at}', fr: `la dernière tentative a échoué ({detail})${NB}: nouvel essai à {at}` },
  failedRetryBare: { en: 'the last attempt failed: tried again at {at}', fr: `la dernière tentative a échoué${NB}: nouvel essai à {at}` },
  retry: { en: 'tried again at {at}', fr: 'nouvel essai à {at}' },
  due: { en: 'due: the next campaign sends it', fr: `à envoyer${NB}: la prochaine campagne l’enverra` },
});

/** Null once the e-mail no longer waits (sent, failed, cancelled, bounced). */
export function waitingReason(email: WaitingEmail, sending: SendingState, now = Date.now()): WaitingReason | null {
  const make = (kind: WaitingKind, message: string, more: Partial<WaitingReason> = {}): WaitingReason => ({ kind, message, at: null, reason: null, setting: null, ...more });
  if (email.status === 'held') return make('held', say(WAITING.held));
  if (email.status === 'sending') return make('being-sent', say(WAITING.beingSent));
  if (email.status !== 'pending' && email.status !== 'error') return null;
  if (email.scheduledAt && Date.parse(email.scheduledAt) > now) return make('scheduled', say(WAITING.scheduled, { at: email.scheduledAt }), { at: email.scheduledAt });
  if (sending.state === 'no-process') return make('no-process', say(WAITING.noProcess));
  if (sending.state === 'stopped') {
    const why = sending.reason ?? '';
    const message = sending.resumesWhen ? say(WAITING.stoppedUntil, { why, resumes: sending.resumesWhen }) : say(WAITING.stopped, { why });
    return make('sending-stopped', message, { reason: sending.reason, setting: sending.setting });
  }
  const next = email.nextAttemptAt && Date.parse(email.nextAttemptAt) > now ? email.nextAttemptAt : null;
  if (email.status === 'error' && next) {
    const message = email.lastReply ? say(WAITING.failedRetry, { detail: email.lastReply, at: next }) : say(WAITING.failedRetryBare, { at: next });
    return make('retry', message, { at: next, reason: email.lastReply });
  }
  if (next) return make('retry', say(WAITING.retry, { at: next }), { at: next, reason: email.lastReply });
  return make('due', say(WAITING.due));
}
