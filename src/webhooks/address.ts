// Where a webhook may point: http or https only; never link-local or cloud metadata addresses;
// private and loopback addresses only for a webhook an administrator allowed them (allowPrivateTarget).
import dns from 'node:dns';
import net from 'node:net';
import { embeddedIpv4 } from './ipv6.js';

/** A URL or an address that a webhook may not use; the message names the reason. */
export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
}

// Never reachable: link-local (cloud metadata services live there: 169.254.169.254,
// fd00:ec2::254), "this network", multicast, broadcast and the unspecified address.
const NEVER = new net.BlockList();
NEVER.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addSubnet('240.0.0.0', 4, 'ipv4');
NEVER.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
NEVER.addSubnet('fe80::', 10, 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');
NEVER.addAddress('::', 'ipv6');
NEVER.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

// The company's own network: allowed only per webhook, by an administrator. Loopback counts as private.
const PRIVATE = new net.BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('64:ff9b:1::', 48, 'ipv6'); // local-use NAT64 (RFC 8215): the IPv4 inside is the site's own

/** Why `address` (an IP) may not receive webhooks, or null when it may. */
export function addressRefusal(address: string, allowPrivate: boolean): string | null {
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  // An IPv6 form that carries an IPv4 address is judged as that address too (::ffff:a.b.c.d, NAT64, 6to4…).
  const judged: [string, 'ipv4' | 'ipv6'][] = [[address, family], ...(family === 'ipv6' ? embeddedIpv4(address) : []).map((v4): [string, 'ipv4'] => [v4, 'ipv4'])];
  for (const [a, f] of judged) {
    const carried = a === address ? '' : ` (it carries ${a})`;
    if (NEVER.check(a, f)) return `${address} is a link-local, metadata or reserved address${carried}`;
    if (!allowPrivate && PRIVATE.check(a, f)) {
      return `${address} is a private or loopback address${carried} (an administrator may allow it for one webhook: allowPrivateTarget)`;
    }
  }
  return null;
}

/** Checks the form of a webhook URL (not where it resolves); returns it parsed. */
export function parseWebhookUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookAddressError(`must be http or https, not ${url.protocol.replace(':', '')}`);
  // A password in the URL would be shown in every list of webhooks: the signature authenticates.
  if (url.username || url.password) throw new WebhookAddressError('may not contain a user name or password (the signature authenticates Postroom)');
  if (url.hash) throw new WebhookAddressError('may not contain a #fragment');
  if (text.length > 2000) throw new WebhookAddressError('is longer than 2000 characters');
  return url;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves the URL's host and checks every address it has. Run when the webhook is made and
 * again before each delivery (the addresses a name resolves to can change: DNS rebinding).
 */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean): Promise<void> {
  const host = hostOf(url);
  const addresses = net.isIP(host) ? [host] : await resolveAll(host);
  for (const a of addresses) {
    const refusal = addressRefusal(a, allowPrivate);
    if (refusal) throw new WebhookAddressError(net.isIP(host) ? refusal : `${host} resolves to ${refusal}`);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    const found = await dns.promises.lookup(host, { all: true, verbatim: true });
    if (found.length === 0) throw new Error('no address');
    return found.map((f) => f.address);
  } catch (err) {
    throw new WebhookAddressError(`cannot resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * A `lookup` for http.request that checks the address it hands to the socket: the connection
 * goes to an address that was checked, not to whatever a second resolution would give.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (err, found) => {
      if (err) return callback(err, '', 4);
      const list = found as unknown as dns.LookupAddress[];
      for (const f of list) {
        const refusal = addressRefusal(f.address, allowPrivate);
        if (refusal) return callback(new WebhookAddressError(`${hostname} resolves to ${refusal}`), '', 4);
      }
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new WebhookAddressError(`cannot resolve ${hostname}`), '', 4);
      callback(null, first.address, first.family);
    });
  };
}
