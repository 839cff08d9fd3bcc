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
