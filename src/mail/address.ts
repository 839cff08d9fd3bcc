// An e-mail address with an optional display name: the one shape every part of Postroom passes
// around (hand-over, the stored record, the sender policy, the transports).
export interface Address {
  email: string;
  name?: string;
}

/** An address without an empty name, so that it compares and serialises the same everywhere. */
export function address(email: string, name?: string | null): Address {
  return name ? { email, name } : { email };
}

/** Each mailbox once, in first-seen order, compared without case: one copy per person. */
export function uniqueMailboxes(all: readonly Address[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const a of all) {
    const k = a.email.toLowerCase();
    if (!seen.has(k)) {
      seen.add(k);
      out.push(a.email);
    }
  }
  return out;
}

/** Why an address is refused, in words: the first rule it breaks (the API and the command line say it alike). */
export function whyInvalid(email: string, name = ''): string {
  const example = 'write alice@example.org or "Alice <alice@example.org>"';
  if (!email) return name ? `no @ in it: ${example}` : `it is empty: ${example}`;
  if (email.length > 254) return 'it is longer than 254 characters';
  if (/\s/.test(email)) return 'it contains a space';
  const at = email.split('@');
  if (at.length === 1) return `no @ in it: ${example}`;
  if (at.length > 2) return 'it has more than one @';
  const [local = '', domain = ''] = at;
  if (!local) return 'nothing before the @';
  if (!domain) return 'no domain after the @';
  if (!domain.includes('.')) return `the domain "${domain}" has no dot: a full domain such as example.org is needed`;
  if (domain.split('.').some((label) => !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(label) && !/^xn--/i.test(label))) {
    return `"${domain}" is not a valid domain name`;
  }
  if (/^\.|\.$|\.\./.test(local)) return `"${local}" may not start or end with a dot or hold two dots in a row`;
  return `"${local}" holds a character an address may not have`;
}
