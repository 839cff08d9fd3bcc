// Reads the environment once: where the data lives, which database, the master key source.
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
  /** POSTROOM_TRUST_PROXY=true when a reverse proxy sets X-Forwarded-For. */
  trustProxy: boolean;
  /** POSTROOM_LEASE_SECONDS: how long a claimed e-mail stays with a process that stopped answering. */
  leaseMs: number;
}

export class ConfigError extends PostroomError {
  override name = 'ConfigError';
  readonly code = 'config';
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
    dataDir: path.resolve(env.POSTROOM_DATA_DIR || 'data'),
    databaseUrl,
    logLevel: env.POSTROOM_LOG_LEVEL || 'info',
    port,
    host: env.POSTROOM_HOST || '127.0.0.1',
    secureCookies: env.POSTROOM_SECURE_COOKIES === 'true',
    trustProxy: env.POSTROOM_TRUST_PROXY === 'true',
  };
}
