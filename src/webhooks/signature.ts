// The Postroom-Signature header (Stripe's scheme): t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">. Self-contained (node:crypto only) so a host application can copy this file.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Postroom-Signature';
export const EVENT_ID_HEADER = 'Postroom-Event-Id';
/** How old a signature a receiver should accept by default: five minutes, as Stripe does. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, t: number, body: string | Buffer) =>
  crypto.createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

/** The header value for `body` signed at `timestampSeconds`. */
export function signPayload(body: string | Buffer, secret: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSeconds},v1=${hmac(secret, timestampSeconds, body)}`;
}

/**
 * For host applications: true when `header` (the Postroom-Signature value) signs `rawBody` (the
 * bytes exactly as received, before any JSON parsing) with `secret`, and its timestamp is within
 * `toleranceSeconds` of now (an old signature is refused: a captured request cannot be replayed
 * later). Several v1 entries may be present; one matching is enough.
 */
export function verifySignature(
  rawBody: string | Buffer,
  header: string | null | undefined,
  secret: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowMs: number = Date.now(),
): boolean {
  if (!header || !secret) return false;
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const key = part.slice(0, i).trim();
    const value = part.slice(i + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === null || signatures.length === 0) return false;
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(hmac(secret, t, rawBody), 'hex');
  return signatures.some((s) => crypto.timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
