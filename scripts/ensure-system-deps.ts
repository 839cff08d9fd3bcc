// `npm test`'s first step: the system packages the tests need (openssl for the test CA, Debian's
// Chromium for the console tests, Postfix with Cyrus SASL for the relay tests). Installs what is
// missing with apt-get when it can (root, apt-get present); otherwise stops at once with the one
// command to run. Run: node --import tsx scripts/ensure-system-deps.ts
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Requirement {
  /** The Debian package that provides it. */
  pkg: string;
  /** Why the tests need it, for the message. */
  why: string;
}

export const REQUIREMENTS: Requirement[] = [
  { pkg: 'openssl', why: 'makes the test certificate authorities' },
  { pkg: 'chromium', why: 'runs the console tests (/usr/bin/chromium)' },
  { pkg: 'postfix', why: 'a real relay for the SMTP tests' },
  { pkg: 'sasl2-bin', why: "the relay's SMTP AUTH (saslauthd, saslpasswd2)" },
  { pkg: 'libsasl2-modules', why: 'the PLAIN and LOGIN mechanisms of SMTP AUTH' },
  { pkg: 'dovecot-imapd', why: "a real IMAP server for the bounce tests (the postmaster's mailbox)" },
];

export interface Facts {
  missing: string[];
  isRoot: boolean;
  hasAptGet: boolean;
}

export type Plan =
  | { action: 'nothing' }
  | { action: 'install'; commands: string[][] }
  | { action: 'stop'; message: string };

/** What to do, from the facts alone (tested without touching the machine). */
export function plan(facts: Facts): Plan {
  if (facts.missing.length === 0) return { action: 'nothing' };
  const list = facts.missing.join(' ');
  if (facts.isRoot && facts.hasAptGet) {
    return {
      action: 'install',
      commands: [
        ['apt-get', 'update', '-qq'],
        ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...facts.missing],
      ],
    };
  }
  const why = facts.missing.map((p) => `  ${p}: ${REQUIREMENTS.find((r) => r.pkg === p)?.why ?? 'needed by the tests'}`).join('\n');
  const command = `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${list}`;
  const how = facts.hasAptGet
    ? `Run this once, then npm test again:\n\n  ${command}\n`
    : `This system has no apt-get: install the equivalents of these Debian packages, then run npm test again.\n(On Debian or Ubuntu: ${command})\n`;
  return { action: 'stop', message: `The tests need system packages that are missing:\n${why}\n\n${how}` };
}

/** Whether a Debian package is installed; without dpkg, whether what it provides is there. */
export function installed(pkg: string): boolean {
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg], { encoding: 'utf8' });
  if (!dpkg.error) return dpkg.status === 0 && dpkg.stdout.startsWith('ii');
  const provides: Record<string, string[]> = {
    openssl: ['openssl'],
    chromium: ['/usr/bin/chromium'],
    postfix: ['/usr/sbin/postfix'],
    'sasl2-bin': ['/usr/sbin/saslauthd', '/usr/sbin/saslpasswd2'],
    'dovecot-imapd': ['/usr/sbin/dovecot', '/usr/lib/dovecot/imap'],
  };
  return (provides[pkg] ?? []).every((p) => (p.startsWith('/') ? fs.existsSync(p) : onPath(p)));
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, command)));
}

function main(): number {
  const facts: Facts = {
    missing: REQUIREMENTS.map((r) => r.pkg).filter((p) => !installed(p)),
    isRoot: process.getuid?.() === 0,
    hasAptGet: onPath('apt-get'),
  };
  const next = plan(facts);
  if (next.action === 'nothing') return 0;
  if (next.action === 'stop') {
    console.error(next.message);
    return 1;
  }
  console.error(`Installing the system packages the tests need: ${facts.missing.join(', ')} (apt-get)…`);
  for (const [cmd, ...args] of next.commands) {
    try {
      execFileSync(cmd as string, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch {
      console.error(`"${[cmd, ...args].join(' ')}" failed (see above); install ${facts.missing.join(' ')} by hand, then run npm test again.`);
      return 1;
    }
  }
  const still = facts.missing.filter((p) => !installed(p));
  if (still.length) {
    console.error(`apt-get finished but ${still.join(', ')} is still missing.`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = main();
