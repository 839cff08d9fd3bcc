// The settings as the sending process needs them, read once per cycle and derived into one
// typed policy: milliseconds, pacing, the sender policy, the route's identity.
import { findProblems, type EmailSettings, type Problem } from '../settings/index.js';
import { routeFingerprint } from '../transports/index.js';
import type { SenderPolicy } from '../mail/index.js';

export interface SendingPolicy {
  enabled: boolean;
  /** Problems between fields: while any is left, nothing is sent. */
  problems: Problem[];
  /** How often the idle process looks for due e-mails, and runs maintenance. */
  intervalMs: number;
  /** Sends in flight at once: smtpMaxConnections. */
  slots: number;
  /** 0 = unlimited. */
  maxPerMinute: number;
  retryWindowMs: number;
  retentionMs: number;
  sender: SenderPolicy;
  wakeOnHandOver: boolean;
  skipPendingAtStartup: boolean;
  /** Changes whenever what the route depends on changes. */
  routeKey: string;
  /** For building the route itself. */
  settings: EmailSettings;
}

export function derivePolicy(settings: EmailSettings): SendingPolicy {
  return {
    enabled: settings.enabled,
    problems: findProblems(settings),
    intervalMs: settings.campaignIntervalSeconds * 1000,
    slots: settings.smtpMaxConnections,
    maxPerMinute: settings.maxMessagesPerMinute,
    retryWindowMs: settings.maxRetrySeconds * 1000,
    retentionMs: settings.retentionDays * 86_400_000,
    sender: { forcePostmaster: settings.forcePostmaster, postmaster: settings.postmaster },
    wakeOnHandOver: settings.wakeOnHandOver,
    skipPendingAtStartup: settings.skipPendingAtStartup,
    routeKey: routeFingerprint(settings),
    settings,
  };
}

/** Why nothing may be sent under this policy, or null when sending may go on. */
export function sendingBlocked(policy: SendingPolicy): { state: 'disabled' } | { state: 'incomplete'; problems: Problem[] } | null {
  if (!policy.enabled) return { state: 'disabled' };
  if (policy.problems.length) return { state: 'incomplete', problems: policy.problems };
  return null;
}
