// What a recipient's report means for the product: a hard bounce (the address is wrong or gone),
// a soft one (the recipient's side, for now: mailbox full, a domain not found), or a policy refusal
// (a problem of ours: DMARC, a block, our own provider's quota), from RFC 3463's status codes.
import type { BounceType, ReportAction } from '../queue/index.js';

export interface Classified {
  /** Null for anything but a failure: a delay or a success changes no recipient's state. */
  type: BounceType | null;
  /** The status the classification read (the report's, else one found in the diagnostic or reply code). */
  status: string | null;
}

/** Words our own provider uses when it refuses us for sending too much (Exchange Online's 5.2.2). */
const OWN_QUOTA = /submission ?quota|sending limit|SubmissionQuotaExceeded|exceeded your (?:sending|message) limit|RecipientRateLimitExceeded|MessageRateLimitExceeded/i;

export function classify(r: { action: ReportAction; status: string | null; diagnostic: string | null; remoteMta: string | null }): Classified {
  const status = r.status ?? statusFromReply(r.diagnostic);
  if (r.action !== 'failed') return { type: null, status };
  if (!status) return { type: 'hard', status };
  const [klass, subject, detail] = status.split('.').map(Number);
  if (klass === 4) return { type: 'soft', status };
  if (klass !== 5) return { type: 'hard', status };
  if (subject === 7) return { type: 'policy', status };
  if (subject === 6) return { type: 'policy', status };
  if (subject === 2 && detail === 2) {
    // X.2.2 is the recipient's mailbox full, unless no remote server took part and our own
    // provider says we sent too much: then the refusal is about us.
    return { type: !r.remoteMta && OWN_QUOTA.test(r.diagnostic ?? '') ? 'policy' : 'soft', status };
  }
  if (subject === 2 && detail === 3) return { type: 'policy', status };
  if (subject === 3 && detail === 4) return { type: 'policy', status };
  // X.4.7: delivery time expired — the address may well be right; it was unreachable for days.
  if (subject === 4 && detail === 7) return { type: 'soft', status };
  return { type: 'hard', status };
}

/** A basic reply code in a diagnostic ("550 Requested action not taken") as a status. */
function statusFromReply(diagnostic: string | null): string | null {
  const m = /(?:^|\D)([45])\d\d(?:[ -]|$)/.exec(diagnostic ?? '');
  return m ? `${m[1]}.0.0` : null;
}
