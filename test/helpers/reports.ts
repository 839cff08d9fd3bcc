// The delivery-report fixtures of test/fixtures/reports with their placeholders filled in for an
// e-mail Postroom really sent: what a provider would have mailed back to the postmaster.
import fs from 'node:fs';
import path from 'node:path';

export interface FixtureRecipient {
  recipient: string;
  action: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  status: string;
  type: 'hard' | 'soft' | 'policy' | null;
  diagnosticIncludes: string;
  reportingMta: string | null;
  remoteMta: string | null;
}

export interface Fixture {
  file: string;
  title: string;
  kind: 'report' | 'auto-reply' | 'not-report';
  format: 'dsn' | 'plain-text' | null;
  match: { by: 'postroom-id' | 'message-id' | 'in-reply-to' | 'envelope-id' | null; expected: 'matched' | 'unmatched' | null };
  recipients: FixtureRecipient[];
}

const DIR = path.join(import.meta.dirname, '..', 'fixtures', 'reports');

export const FIXTURES = JSON.parse(fs.readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as Fixture[];

export interface SentFacts {
  postmaster: string;
  /** The X-Postroom-Id Postroom gave the e-mail (tags.tag(id, messageId)); also its envelope id. */
  tag: string;
  messageId: string;
  recipients: string[];
  subject: string;
}

/** The fixture's bytes for this e-mail. */
export function fillFixture(file: string, sent: SentFacts): Buffer {
  const id = sent.tag.split('.')[0] ?? '0';
  const values: Record<string, string> = {
    POSTMASTER: sent.postmaster,
    POSTROOM_ID: sent.tag,
    // The same e-mail's id with a MAC of the right length that is not its own.
    POSTROOM_ID_WRONG_MAC: `${id}.${'0123456789ab'.repeat(2)}`,
    MESSAGE_ID: sent.messageId,
    UNRELATED_MESSAGE_ID: '<unrelated.4711@mail.example.org>',
    ENVID: sent.tag,
    RCPT1: sent.recipients[0] ?? '',
    RCPT2: sent.recipients[1] ?? '',
    SUBJECT: sent.subject,
    DATE: 'Sun, 06 Dec 2026 09:00:00 +0000',
  };
  const raw = fs.readFileSync(path.join(DIR, file)).toString('latin1');
  return Buffer.from(raw.replace(/\{\{([A-Z0-9_]+)\}\}/g, (m, name: string) => values[name] ?? m), 'latin1');
}

/** The recipient a manifest line names, for this e-mail. */
export const fixtureRecipient = (r: FixtureRecipient, sent: SentFacts): string =>
  r.recipient === '{{RCPT1}}' ? (sent.recipients[0] ?? '') : r.recipient === '{{RCPT2}}' ? (sent.recipients[1] ?? '') : r.recipient;

/** A message's top-level headers, names in lower case, values unfolded: what a mailbox listing gives. */
export function topHeaders(raw: Buffer): Record<string, string> {
  const text = raw.toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const out: Record<string, string> = {};
  let last: string | null = null;
  for (const line of (end < 0 ? text : text.slice(0, end)).split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      out[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).toLowerCase();
    if (!(last in out)) out[last] = line.slice(colon + 1).trim();
    else last = null;
  }
  return out;
}
