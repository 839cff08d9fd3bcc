// The tag every sent e-mail carries (X-Postroom-Id, and the SMTP envelope id) so that a delivery
// report can name its e-mail: "<id>.<mac>", the MAC keyed from the master key, so that a forged
// report cannot mark another e-mail bounced by guessing its number.
import crypto from 'node:crypto';

export const REPORT_TAG_HEADER = 'X-Postroom-Id';

/** 96 bits: a forger's chance of guessing one is nil; the header stays short. */
const MAC_HEX = 24;

export class ReportTags {
  private readonly key: Buffer;

  /** `masterKey`: the 32-byte key that seals the settings' secrets; a key of its own is derived. */
  constructor(masterKey: Buffer) {
    this.key = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'postroom report tag v1', 32));
  }

  /** The tag of e-mail `id`; the Message-ID is bound in, so a reused id cannot inherit old reports. */
  tag(id: number, messageId: string): string {
    return `${id}.${this.mac(id, messageId)}`;
  }

  /** Whether `tag` is this e-mail's; constant-time. */
  verify(tag: string, id: number, messageId: string): boolean {
    const parsed = readReportTag(tag);
    if (!parsed || parsed.id !== id) return false;
    const expected = Buffer.from(this.mac(id, messageId));
    const given = Buffer.from(parsed.mac);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  }

  private mac(id: number, messageId: string): string {
    return crypto.createHmac('sha256', this.key).update(`${id}\n${messageId}`).digest('hex').slice(0, MAC_HEX);
  }
}

/** The e-mail id a tag claims (not yet verified), or null when it is not a tag. */
export function readReportTag(text: string): { id: number; mac: string } | null {
  const m = /^\s*<?(\d{1,15})\.([0-9a-f]{8,64})>?\s*$/i.exec(text);
  if (!m) return null;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) && id > 0 ? { id, mac: (m[2] ?? '').toLowerCase() } : null;
}
