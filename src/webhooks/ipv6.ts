// The IPv4 addresses an IPv6 address carries: a router or the host's own stack turns these forms
// into IPv4 traffic, so [::7f00:1] is 127.0.0.1 and must be judged as it.

/** The 16 bytes of an IPv6 address (net.isIPv6 already said yes), or null. */
export function ipv6Bytes(address: string): Uint8Array | null {
  let text = address.toLowerCase();
  const bytes = new Uint8Array(16);
  // A trailing dotted quad (::ffff:1.2.3.4) is the last 32 bits.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  let tail: number[] = [];
  if (quad) {
    tail = quad.slice(1).map(Number);
    if (tail.some((n) => n > 255)) return null;
    text = `${text.slice(0, quad.index)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  for (const [i, g] of all.entries()) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  }
  if (quad) bytes.set(tail, 12);
  return bytes;
}

const quadOf = (b: Uint8Array, at: number, flip = 0) => [0, 1, 2, 3].map((i) => ((b[at + i] as number) ^ flip).toString()).join('.');
const zero = (b: Uint8Array, from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
const word = (b: Uint8Array, at: number) => ((b[at] as number) << 8) | (b[at + 1] as number);

/**
 * The IPv4 addresses inside `address` (an IPv6 address): IPv4-mapped ::ffff:0:0/96 and
 * IPv4-compatible ::/96 (RFC 4291 §2.5.5), SIIT ::ffff:0:0:0/96 (RFC 6052 §2.1), NAT64
 * 64:ff9b::/96 (RFC 6052), 6to4 2002::/16 (RFC 3056 §2), Teredo 2001::/32 server and client
 * (RFC 4380 §4). Empty for any other address, and for :: and ::1 themselves.
 */
export function embeddedIpv4(address: string): string[] {
  const b = ipv6Bytes(address);
  if (!b) return [];
  if (zero(b, 0, 10) && word(b, 10) === 0xffff) return [quadOf(b, 12)];
  if (zero(b, 0, 12)) return zero(b, 12, 15) && (b[15] as number) <= 1 ? [] : [quadOf(b, 12)];
  if (zero(b, 0, 8) && word(b, 8) === 0xffff && word(b, 10) === 0) return [quadOf(b, 12)];
  if (word(b, 0) === 0x64 && word(b, 2) === 0xff9b && zero(b, 4, 12)) return [quadOf(b, 12)];
  if (word(b, 0) === 0x2002) return [quadOf(b, 2)];
  if (word(b, 0) === 0x2001 && word(b, 2) === 0) return [quadOf(b, 4), quadOf(b, 12, 0xff)];
  return [];
}
