// Who an e-mail is from, decided when it is sent (DESIGN §2), so that a settings change also
// applies to what is still queued.
import { PostroomError } from '../errors.js';
import type { Address } from './address.js';

/** The e-mail cannot be given a sender under the current settings; it waits for a fix. */
export class NoSenderError extends PostroomError {
  override name = 'NoSenderError';
  readonly code = 'no_sender';
}

export interface SenderPolicy {
  forcePostmaster: boolean;
  postmaster: string;
}

export interface SenderPolicyResult {
  from: Address;
  replyTo: Address[];
}

/**
 * Forced: From "<user name>" <postmaster>, Reply-To the user; whatever sender the host asked for
 * is not used as From. Not forced: From the user, or the postmaster without one.
 */
export function applySenderPolicy(settings: SenderPolicy, user: Address | null): SenderPolicyResult {
  if (settings.forcePostmaster) {
    if (!settings.postmaster) throw new NoSenderError('no sender: "Force postmaster" is checked but no Mail postmaster is set');
    const from: Address = user?.name ? { email: settings.postmaster, name: user.name } : { email: settings.postmaster };
    const sameAsPostmaster = user && user.email.toLowerCase() === settings.postmaster.toLowerCase();
    return { from, replyTo: user && !sameAsPostmaster ? [user] : [] };
  }
  if (user) return { from: user, replyTo: [] };
  if (settings.postmaster) return { from: { email: settings.postmaster }, replyTo: [] };
  throw new NoSenderError('no sender: the e-mail names no user and no Mail postmaster is set');
}
