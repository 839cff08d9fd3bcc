// Reads the environment once: where the data lives, which database, the master key source,
// and the security knobs (proxy trust, metrics access, hand-over limits, session timeouts).
import net from 'node:net';
import path from 'node:path';
import { PostroomError } from './errors.js';

export interface RuntimeConfig {
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: string;
  port: number;
  host: string;
  /** POSTROOM_SECURE_COOKIES=true when users reach Postroom over HTTPS (through a proxy). */
  secureCookies: boolean;
  /**
   * POSTROOM_TRUST_PROXY: false (the default), a number of proxy hops in front (true = 1), or the
   * addresses/subnets of the proxies; the client address is read from X-Forwarded-For that far.
   */
  trustProxy: TrustProxy;
  /** POSTROOM_METRICS_ALLOW: addresses and subnets that may read /metrics without a token. */
  metricsAllow: string[];
  /** POSTROOM_METRICS_TOKEN: the bearer token Prometheus sends for /metrics. */
  metricsToken: string | undefined;
  /** POSTROOM_METRICS_HOSTS: names Prometheus scrapes by, for an address in POSTROOM_METRICS_ALLOW (IP addresses and localhost always). */
  metricsHosts: string[];
  /**
   * POSTROOM_HANDOVER_PER_MINUTE, POSTROOM_HANDOVER_CONCURRENCY: per token; 0 = no limit.
   * POSTROOM_HANDOVER_MAX_MB_IN_FLIGHT: the bodies of every hand-over in progress, all callers together.
   */
  handOver: { perMinute: number; concurrent: number; maxBytesInFlight: number };
  /** POSTROOM_SESSION_IDLE_MINUTES, POSTROOM_SESSION_HOURS. */
  session: { idleMs: number; lifetimeMs: number };
  /** POSTROOM_REQUEST_TIMEOUT_SECONDS: a request must arrive in full within this (a body sent slowly holds memory and a slot). */
  requestTimeoutMs: number;
  /** POSTROOM_LEASE_SECONDS: how long a claimed e-mail stays with a process that stopped answering. */
  leaseMs: number;
  /**
   * POSTROOM_SHUTDOWN_GRACE_SECONDS: on SIGTERM, how long sends at a server may take before they are
   * cut off and their e-mails given back (default 7: the whole stop within Docker's 10 s).
   */
  shutdownGraceMs: number;
}

export class ConfigError extends PostroomError {
  override name = 'ConfigError';
  readonly code = 'config';
}

export type TrustProxy = false | number | string[];

/** An IPv4/IPv6 address, or one with a /prefix. */
export function isAddressOrSubnet(text: string): boolean {
  const [address = '', prefix, extra] = text.split('/');
  const family = net.isIP(address);
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

function addressList(name: string, text: string | undefined): string[] {
  const items = (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((i) => !isAddressOrSubnet(i));
  if (bad.length) throw new ConfigError(`${name} must be a comma-separated list of IP addresses or subnets (10.0.0.0/8), not "${bad.join(', ')}"`);
  return items;
}

function hostList(name: string, text: string | undefined): string[] {
  const items = (text ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = items.filter((i) => !/^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*\.?$/.test(i) || i.length > 253);
  if (bad.length) throw new ConfigError(`${name} must be a comma-separated list of host names (postroom.internal), not "${bad.join(', ')}"`);
  return items;
}

export function parseTrustProxy(text: string | undefined): TrustProxy {
  const t = (text ?? '').trim();
  if (t === '' || t === 'false') return false;
  // One hop: the proxy in front appends the address it saw, the rightmost entry; anything to its
  // left was written by the client and is not believed.
  if (t === 'true') return 1;
  if (/^\d+$/.test(t)) {
    const hops = Number(t);
    if (hops < 1 || hops > 10) throw new ConfigError(`POSTROOM_TRUST_PROXY hops must be 1 to 10, not ${t}`);
    return hops;
  }
  return addressList('POSTROOM_TRUST_PROXY (true, a number of hops, or the proxies\' addresses)', t);
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number of at least ${min}, not "${raw}"`);
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const port = Number(env.POSTROOM_PORT ?? 8030);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`POSTROOM_PORT must be a port number (0-65535), not "${env.POSTROOM_PORT}"`);
  }
  const databaseUrl = env.POSTROOM_DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('POSTROOM_DATABASE_URL must start with postgres:// (leave it unset for the embedded SQLite)');
  }
  const lease = Number(env.POSTROOM_LEASE_SECONDS || 30);
  if (!Number.isInteger(lease) || lease < 1) throw new ConfigError(`POSTROOM_LEASE_SECONDS must be a whole number of seconds (at least 1), not "${env.POSTROOM_LEASE_SECONDS}"`);
  return {
    leaseMs: lease * 1000,
    shutdownGraceMs: wholeNumber(env, 'POSTROOM_SHUTDOWN_GRACE_SECONDS', 7, 0) * 1000,
    dataDir: path.resolve(env.POSTROOM_DATA_DIR || 'data'),
    databaseUrl,
    logLevel: env.POSTROOM_LOG_LEVEL || 'info',
    port,
    host: env.POSTROOM_HOST || '127.0.0.1',
    secureCookies: env.POSTROOM_SECURE_COOKIES === 'true',
    trustProxy: parseTrustProxy(env.POSTROOM_TRUST_PROXY),
    metricsAllow: addressList('POSTROOM_METRICS_ALLOW', env.POSTROOM_METRICS_ALLOW),
    metricsToken: env.POSTROOM_METRICS_TOKEN || undefined,
    metricsHosts: hostList('POSTROOM_METRICS_HOSTS', env.POSTROOM_METRICS_HOSTS),
    handOver: {
      perMinute: wholeNumber(env, 'POSTROOM_HANDOVER_PER_MINUTE', 120_000, 0),
      concurrent: wholeNumber(env, 'POSTROOM_HANDOVER_CONCURRENCY', 32, 0),
      maxBytesInFlight: wholeNumber(env, 'POSTROOM_HANDOVER_MAX_MB_IN_FLIGHT', 200, 0) * 1024 * 1024,
    },
    requestTimeoutMs: wholeNumber(env, 'POSTROOM_REQUEST_TIMEOUT_SECONDS', 120, 1) * 1000,
    session: {
      idleMs: wholeNumber(env, 'POSTROOM_SESSION_IDLE_MINUTES', 30, 1) * 60_000,
      lifetimeMs: wholeNumber(env, 'POSTROOM_SESSION_HOURS', 12, 1) * 3600_000,
    },
  };
}
