// A private Dovecot (Debian's dovecot-imapd) on loopback ports, set up like a provider's IMAP: implicit
// TLS and STARTTLS with the test CA, no plaintext login before TLS, Maildir as nobody, XOAUTH2 by introspection.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { freePort, stopDaemon } from './daemons.js';
import { testPki, type TestPki } from './pki.js';

const DOVECOT = '/usr/sbin/dovecot';
/** nobody:nogroup, who owns every mail file, so that Postfix's virtual(8) can deliver into the same tree. */
export const MAIL_UID = 65534;

export type OAuthCheckResult = { ok: true } | { ok: false; reason: string };

export interface DovecotOptions {
  /** address → password (PLAIN and LOGIN). */
  users?: Record<string, string>;
  /**
   * Where the Maildirs live (`${mailRoot}/${address}/`): createMailRoot() makes one to share with
   * startPostfix({ bounces }). Without it, a directory of the instance's own, removed on close.
   */
  mailRoot?: string;
  /** The CA that signs the server certificate: testPki() unless given (privatePki() for an untrusted one). */
  pki?: TestPki;
  /** The implicit-TLS port; default a free one (993 for the test of Postroom's "993 means TLS" rule). */
  imapsPort?: number;
  /** false: imapPort neither offers nor accepts STARTTLS (so nobody can log in there). Default true. */
  startTls?: boolean;
  /**
   * The hierarchy separator. '/' (default, as Exchange Online and Gmail show it): Maildir with
   * LAYOUT=fs, `Postroom/Processed/` under the INBOX Maildir. '.': Dovecot's own Maildir++ default,
   * `.Postroom.Processed/`.
   */
  separator?: '/' | '.';
  /**
   * Offer AUTH=XOAUTH2, as Exchange Online does; each token goes to check() with the mailbox it logs
   * into. oauthBearer: offer AUTH=OAUTHBEARER too (as Gmail does), which imapflow then prefers.
   */
  oauth2?: { check(token: string, user: string): Promise<OAuthCheckResult>; oauthBearer?: boolean };
}

export interface DeliverOptions {
  /** As IMAP names it, with the server's separator; INBOX by default; ASCII only (Dovecot stores others in modified UTF-7). Made when missing. */
  folder?: string;
  seen?: boolean;
  /** The INTERNALDATE (the file's mtime). */
  date?: Date;
}

export interface StoredMessage {
  raw: Buffer;
  flags: string[];
  folder: string;
}

export interface DovecotServer {
  host: string;
  /** Cleartext IMAP offering STARTTLS (like 143), unless startTls: false. */
  imapPort: number;
  /** Implicit TLS (like 993). */
  imapsPort: number;
  mailRoot: string;
  separator: '/' | '.';
  /** The CA that signed the server's certificate. */
  caPem: string;
  /** Every token introspection Dovecot asked for, in order. */
  oauthChecks: { token: string; user: string; result: OAuthCheckResult }[];
  addUser(address: string, password: string): Promise<void>;
  /** Drops a message straight into the Maildir (no IMAP, no Dovecot): new/ when unseen. */
  deliver(address: string, raw: Buffer | string, opts?: DeliverOptions): Promise<void>;
  /** What the Maildir holds, read from the disk, oldest delivery first; flags from the `:2,` suffix, keywords included. */
  messages(address: string, folder?: string): Promise<StoredMessage[]>;
  /** The selectable folders as IMAP names them (INBOX first), read from the disk. */
  folders(address: string): Promise<string[]>;
  /** Dovecot's log, for a failing test to show. */
  log(): string;
  close(): Promise<void>;
}

/** Fails loudly (never skips) when Dovecot is not installed. */
export function requireDovecot(): void {
  if (!fs.existsSync(DOVECOT) || !fs.existsSync('/usr/lib/dovecot/imap')) {
    throw new Error('Dovecot is not installed: apt-get install -y --no-install-recommends dovecot-imapd');
  }
}

/**
 * Where the instance and the Maildirs go: tmpfs (/dev/shm) when there is one, since a Maildir is a
 * file per message: 10,000 of them take 0.2 s there and 4 to 6 s on this VM's disk (/tmp).
 */
function scratchBase(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/**
 * A fresh mail root owned by nobody, for a test that gives the same tree to startDovecot and
 * startPostfix({ bounces }); removed when the test process ends.
 */
export function createMailRoot(): string {
  const root = fs.mkdtempSync(path.join(scratchBase(), 'postroom-mail-'));
  fs.chownSync(root, MAIL_UID, MAIL_UID);
  fs.chmodSync(root, 0o755);
  process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

async function listen(server: net.Server | http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** True once the port answers with an IMAP greeting (through TLS when `secure`). */
function greets(port: number, secure: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const s = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.once('data', (d: string) => {
      s.destroy();
      resolve(d.startsWith('* OK'));
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

const FLAG_LETTERS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  requireDovecot();
  const pki = options.pki ?? testPki();
  const separator = options.separator ?? '/';
  const dir = fs.mkdtempSync(path.join(scratchBase(), 'postroom-dovecot-'));
  // Dovecot's unprivileged processes (dovecot, dovenull, nobody) reach their sockets and homes in here.
  fs.chmodSync(dir, 0o755);
  const mailRoot = options.mailRoot ?? path.join(dir, 'mail');
  fs.mkdirSync(mailRoot, { recursive: true });
  fs.chownSync(mailRoot, MAIL_UID, MAIL_UID);
  const homes = path.join(dir, 'home');
  fs.mkdirSync(homes);
  fs.chownSync(homes, MAIL_UID, MAIL_UID);
  const file = (name: string) => path.join(dir, name);
  fs.copyFileSync(path.join(pki.dir, 'server.pem'), file('cert.pem'));
  fs.copyFileSync(path.join(pki.dir, 'server.key'), file('key.pem'));
  fs.chmodSync(file('key.pem'), 0o600);

  // One passwd-file per user (args ${dir}/users/%u), read by the auth process (user dovecot). Not one
  // file for all: Dovecot looks at a passwd-file's mtime at most once a second, so a user added just
  // after a login would stay unknown for up to a second; a new file is read at once.
  const userDir = file('users');
  const dovecotGid = Number(execFileSync('getent', ['group', 'dovecot'], { encoding: 'utf8' }).split(':')[2]);
  fs.mkdirSync(userDir, { mode: 0o750 });
  fs.chownSync(userDir, 0, dovecotGid);
  const writeUser = (address: string, password: string) => {
    const u = address.toLowerCase();
    const tmp = path.join(userDir, `.${u}.tmp`);
    // PLAIN.BASE64: a password may hold any character, ':' included.
    fs.writeFileSync(tmp, `${u}:{PLAIN.BASE64}${Buffer.from(password).toString('base64')}\n`, { mode: 0o640 });
    fs.chownSync(tmp, 0, dovecotGid);
    fs.renameSync(tmp, path.join(userDir, u));
  };
  for (const [u, p] of Object.entries(options.users ?? {})) writeUser(u, p);

  const oauthChecks: DovecotServer['oauthChecks'] = [];
  const oauth = options.oauth2 ? await startIntrospection(options.oauth2, oauthChecks) : undefined;

  const oauthMechanisms = !oauth ? '' : options.oauth2?.oauthBearer ? ' xoauth2 oauthbearer' : ' xoauth2';
  const imapsPort = options.imapsPort ?? (await freePort());
  const innerImapPort = await freePort();
  const layout = separator === '/' ? ':LAYOUT=fs' : '';
  const conf = `
base_dir = ${file('run')}
state_dir = ${file('state')}
instance_name = ${path.basename(dir)}
protocols = imap
listen = 127.0.0.1
log_path = ${file('dovecot.log')}
ssl = yes
ssl_cert = <${file('cert.pem')}
ssl_key = <${file('key.pem')}
disable_plaintext_auth = yes
auth_verbose = yes
# A refused login answers at once: a real server waits 2 s, which only slows the tests.
auth_failure_delay = 0
auth_mechanisms = plain login${oauthMechanisms}
mail_location = maildir:${mailRoot}/%u${layout}
mail_uid = ${MAIL_UID}
mail_gid = ${MAIL_UID}
namespace inbox {
  inbox = yes
  separator = ${separator}
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = ${userDir}/%u
}
${oauth ? `passdb {\n  driver = oauth2\n  mechanisms =${oauthMechanisms}\n  args = ${file('oauth2.conf')}\n}\n${oauth.policyConf}` : ''}
userdb {
  driver = static
  args = uid=${MAIL_UID} gid=${MAIL_UID} home=${homes}/%u
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = ${imapsPort}
    ssl = yes
  }
}
# The cleartext port in a login service of its own, so that startTls: false can turn TLS off there
# alone (Dovecot 2.3 has no per-listener ssl setting).
service imap-login-cleartext {
  type = login
  protocol = imap
  executable = imap-login${options.startTls === false ? ' -o ssl=no' : ''}
  user = $default_login_user
  chroot = login
  inet_listener imap-cleartext {
    port = ${innerImapPort}
  }
}
# Failed logins are not slowed down more each time (auth penalty): the auth process finds no
# anvil-auth-penalty socket and does without.
service anvil {
  unix_listener anvil-auth-penalty {
    path = anvil-auth-penalty-off
  }
}
`;
  fs.writeFileSync(file('dovecot.conf'), conf);
  if (oauth) fs.writeFileSync(file('oauth2.conf'), oauth.passdbConf);

  const log = () => (fs.existsSync(file('dovecot.log')) ? fs.readFileSync(file('dovecot.log'), 'utf8') : '');
  const relay = await startCleartextRelay(innerImapPort);
  const master: ChildProcess = spawn(DOVECOT, ['-F', '-c', file('dovecot.conf')], { stdio: 'ignore' });
  const cleanup = () => {
    if (master.exitCode === null) master.kill('SIGTERM');
    relay.close();
    oauth?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // A test process that ends without close() must not leave a Dovecot running or its files behind.
  process.once('exit', cleanup);
  try {
    const deadline = Date.now() + 10_000;
    while (!((await greets(imapsPort, true)) && (await greets(relay.port, false)))) {
      if (master.exitCode !== null || Date.now() > deadline) throw new Error(`Dovecot did not start; its log:\n${log()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } catch (err) {
    process.off('exit', cleanup);
    cleanup();
    throw err;
  }

  const maildir = (address: string, folder: string) => {
    const base = path.join(mailRoot, address.toLowerCase());
    if (folder.toUpperCase() === 'INBOX') return base;
    // LAYOUT=fs: one directory per level; Maildir++: one dot-prefixed directory per folder.
    return separator === '/' ? path.join(base, ...folder.split('/')) : path.join(base, `.${folder}`);
  };
  // Makes the folder's Maildir (and the directories above it) when missing, owned by nobody as
  // Dovecot and Postfix make them.
  const ensureMaildir = (address: string, folder: string) => {
    const target = maildir(address, folder);
    if (fs.existsSync(path.join(target, 'tmp'))) return target;
    const rel = path.relative(mailRoot, target).split(path.sep);
    const dirs = [...rel.map((_, i) => path.join(mailRoot, ...rel.slice(0, i + 1))), ...['cur', 'new', 'tmp'].map((d) => path.join(target, d))];
    for (const d of dirs.filter((d) => !fs.existsSync(d))) {
      fs.mkdirSync(d, { mode: 0o700 });
      fs.chownSync(d, MAIL_UID, MAIL_UID);
    }
    // Maildir++ marks a folder (not the INBOX) with this file.
    if (separator === '.' && folder.toUpperCase() !== 'INBOX') {
      fs.writeFileSync(path.join(target, 'maildirfolder'), '');
      fs.chownSync(path.join(target, 'maildirfolder'), MAIL_UID, MAIL_UID);
    }
    return target;
  };

  let sequence = 0;
  const host = os.hostname().replace(/[/:]/g, '_');
  return {
    host: '127.0.0.1',
    imapPort: relay.port,
    imapsPort,
    mailRoot,
    separator,
    caPem: pki.caPem,
    oauthChecks,
    async addUser(address, password) {
      writeUser(address, password);
    },
    async deliver(address, raw, opts = {}) {
      const target = ensureMaildir(address, opts.folder ?? 'INBOX');
      const data = typeof raw === 'string' ? Buffer.from(raw) : raw;
      // Maildir's unique name: seconds, microseconds, pid, a counter, the host; zero-padded so that
      // the name order (which Dovecot follows when it numbers new mail) is the delivery order.
      const now = Date.now();
      const unique = `${Math.floor(now / 1000)}.M${String((now % 1000) * 1000).padStart(6, '0')}P${process.pid}Q${String(++sequence).padStart(8, '0')}.${host}`;
      // S= is the size Dovecot would otherwise stat the file for.
      const name = `${unique},S=${data.length}`;
      const tmp = path.join(target, 'tmp', name);
      // Synchronous calls: a delivery is four short system calls, not worth four thread-pool round trips.
      fs.writeFileSync(tmp, data, { mode: 0o600 });
      fs.chownSync(tmp, MAIL_UID, MAIL_UID);
      if (opts.date) fs.utimesSync(tmp, opts.date, opts.date);
      fs.renameSync(tmp, opts.seen ? path.join(target, 'cur', `${name}:2,S`) : path.join(target, 'new', name));
    },
    async messages(address, folder = 'INBOX') {
      const target = maildir(address, folder);
      const keywords = readKeywords(target);
      const found: { file: string; flags: string[] }[] = [];
      for (const sub of ['new', 'cur']) {
        const d = path.join(target, sub);
        if (!fs.existsSync(d)) continue;
        for (const name of await fs.promises.readdir(d)) {
          const info = name.includes(':2,') ? name.slice(name.indexOf(':2,') + 3) : '';
          const flags = [...info].map((c) => FLAG_LETTERS[c] ?? keywords.get(c)).filter((f): f is string => !!f);
          found.push({ file: path.join(d, name), flags });
        }
      }
      // Both Dovecot's and Postfix's names start with the delivery's seconds, then tell apart within one.
      found.sort((a, b) => byDelivery(path.basename(a.file), path.basename(b.file)));
      return Promise.all(found.map(async (m) => ({ raw: await fs.promises.readFile(m.file), flags: m.flags, folder })));
    },
    async folders(address) {
      const base = path.join(mailRoot, address.toLowerCase());
      const names: string[] = [];
      // A folder is a directory with cur/ (a bare parent such as Postroom/ is \Noselect in IMAP).
      const walk = (d: string, prefix: string[]) => {
        for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
          if (!e.isDirectory() || ['cur', 'new', 'tmp'].includes(e.name)) continue;
          const isFolder = fs.existsSync(path.join(d, e.name, 'cur'));
          if (separator === '.') {
            if (e.name.startsWith('.') && isFolder) names.push(e.name.slice(1));
            continue;
          }
          if (isFolder) names.push([...prefix, e.name].join('/'));
          walk(path.join(d, e.name), [...prefix, e.name]);
        }
      };
      walk(base, []);
      // IMAP always shows the INBOX, made or not.
      return ['INBOX', ...names.sort()];
    },
    log,
    async close() {
      process.off('exit', cleanup);
      await stopDaemon(master);
      cleanup();
    },
  };
}

/** Maildir names: `<seconds>.<unique part>`; orders by the seconds, then by the name. */
function byDelivery(a: string, b: string): number {
  const sa = Number(a.split('.')[0]);
  const sb = Number(b.split('.')[0]);
  return sa !== sb && Number.isFinite(sa) && Number.isFinite(sb) ? sa - sb : a < b ? -1 : a > b ? 1 : 0;
}

/** Dovecot's dovecot-keywords file: which letter (a, b, …) of a Maildir name is which keyword. */
function readKeywords(maildir: string): Map<string, string> {
  const map = new Map<string, string>();
  const f = path.join(maildir, 'dovecot-keywords');
  if (!fs.existsSync(f)) return map;
  for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
    const m = /^(\d+) (.+)$/.exec(line);
    if (m && Number(m[1]) < 26) map.set(String.fromCharCode(97 + Number(m[1])), m[2] as string);
  }
  return map;
}

/**
 * Dovecot counts a connection whose remote address equals its local one (any loopback client) as
 * secure, and would then take a password in clear text before STARTTLS. This byte-for-byte pipe
 * reaches Dovecot from 127.0.0.2, so the cleartext port behaves as a real server's does.
 */
async function startCleartextRelay(dovecotPort: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ port: dovecotPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  const port = await listen(server);
  return {
    port,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * The token check. Dovecot 2.3's oauth2 passdb sends an introspection request (RFC 7662) with the
 * token alone: introspection_url is not variable-expanded (a %u there makes the auth process
 * crash), and the X-Dovecot-Auth-* headers carry only the service and the two endpoints. So the
 * login name comes from Dovecot's auth policy request, made just before the passdb lookup with the
 * login name and the client's endpoint; the introspection request names the same endpoint in
 * X-Dovecot-Auth-Remote. The answer names that user (username), and Dovecot itself compares it
 * with the login (username_format %Lu on both sides), as it would with a real identity provider.
 */
async function startIntrospection(
  oauth2: NonNullable<DovecotOptions['oauth2']>,
  checks: DovecotServer['oauthChecks'],
): Promise<{ passdbConf: string; policyConf: string; close(): void }> {
  // client endpoint "ip:port" → the login name it gave; an entry lives from policy to introspection.
  const logins = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void answer(req, Buffer.concat(chunks).toString('utf8')).then((body) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
      });
    });
  });
  const answer = async (req: http.IncomingMessage, body: string): Promise<object> => {
    if (req.url?.startsWith('/policy')) {
      const q = JSON.parse(body) as { login?: string; remote?: string; mech?: string };
      if (q.login && q.remote && /OAUTH/.test(q.mech ?? '')) logins.set(q.remote, q.login);
      return { status: 0, msg: '' }; // the policy lets every login through to the passdb
    }
    const token = new URLSearchParams(body).get('token') ?? '';
    const remote = String(req.headers['x-dovecot-auth-remote'] ?? '');
    const user = logins.get(remote);
    logins.delete(remote);
    let result: OAuthCheckResult;
    if (user === undefined) result = { ok: false, reason: `no login seen from ${remote}` };
    else {
      try {
        result = await oauth2.check(token, user);
      } catch (err) {
        result = { ok: false, reason: `check threw: ${String(err)}` };
      }
    }
    checks.push({ token, user: user ?? '', result });
    // RFC 7662: an inactive token is described by nothing but active: false.
    return result.ok ? { active: true, username: user, token_type: 'Bearer', scope: 'https://outlook.office365.com/.default' } : { active: false };
  };
  const port = await listen(server);
  const url = `http://127.0.0.1:${port}`;
  return {
    passdbConf: [
      `introspection_url = ${url}/introspect`,
      'introspection_mode = post',
      'force_introspection = yes',
      'send_auth_headers = yes',
      'username_attribute = username',
      'active_attribute = active',
      'active_value = true',
      '',
    ].join('\n'),
    policyConf: [
      `auth_policy_server_url = ${url}/policy`,
      `auth_policy_hash_nonce = ${randomBytes(16).toString('hex')}`,
      'auth_policy_request_attributes = login=%{orig_user} remote=%{rip}:%{rport} mech=%m',
      'auth_policy_check_after_auth = no',
      'auth_policy_report_after_auth = no',
      '',
    ].join('\n'),
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}
