// A throw-away certificate authority and a server certificate for localhost, made with openssl
// at test time, so TLS tests verify certificates exactly as production does.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  dir: string;
  caPem: string;
  caFile: string;
  certPem: string;
  keyPem: string;
}

let cached: TestPki | undefined;
const others = new Map<string, TestPki>();

export function testPki(): TestPki {
  cached ??= makePki('Postroom Test CA');
  return cached;
}

/**
 * Another CA, trusted by nothing in the tests (not NODE_EXTRA_CA_CERTS, not route.ca): a company's
 * private CA, for the tests of the CA certificate settings.
 */
export function privatePki(name = 'Company Private CA'): TestPki {
  let pki = others.get(name);
  if (!pki) others.set(name, (pki = makePki(name)));
  return pki;
}

function makePki(caName: string): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${caName}`);
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  const pki = { dir, caPem: read('ca.pem'), caFile: path.join(dir, 'ca.pem'), certPem: read('server.pem'), keyPem: read('server.key') };
  // The keys live as long as the test process, not longer.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return pki;
}
