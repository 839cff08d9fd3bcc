// A private Postfix (Debian's package) on a loopback port, configured as a real submission relay:
// STARTTLS with the test CA's certificate, SASL (Cyrus sasldb) only after TLS, a login may send only as itself.
// With `bounces`, it also delivers to local Maildirs and refuses or defers chosen recipients, so its
// genuine DSNs (RFC 3464) land where a private Dovecot (dovecot.ts) serves them over IMAP.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopDaemon } from './daemons.js';
import { testPki } from './pki.js';

const MASTER = '/usr/lib/postfix/sbin/master';

export interface PostfixRelay {
  port: number;
  /** The SASL login and its password; it may send only as `login` (smtpd_sender_login_maps). */
  login: string;
  password: string;
  dir: string;
  /** Postfix's own log (maillog_file), for a failing test to show. */
  log(): string;
  close(): Promise<void>;
}

export interface PostfixOptions {
  /** Where Postfix relays what it accepts (an smtp-sink port), so a test sees the delivery. */
  relayPort: number;
  /**
   * Further MAIL FROM addresses the SASL login may use besides itself (smtpd_sender_login_maps),
   * e.g. the postmaster address Postroom sends from and that Postfix's bounces go back to.
   */
  senders?: string[];
  bounces?: PostfixBounces;
}

export interface PostfixBounces {
  /** The tree of `${mailRoot}/${address}/` Maildirs (owned by nobody) that a Dovecot serves too. */
  mailRoot: string;
  /** Addresses delivered into mailRoot (virtual(8)) instead of relayed, e.g. postmaster@example.com. */
  localMailboxes: string[];
  /**
   * recipient → reason with its enhanced status code ('5.1.1 User unknown'): accepted at RCPT TO
   * (250), then refused by error(8), so Postfix mails a failure DSN to the sender.
   */
  refuse?: Record<string, string>;
  /** Recipients that Postfix keeps deferring (retry(8), 4.4.1) and retries every second or two. */
  defer?: string[];
  /**
   * delay_warning_time in seconds: a "delayed" DSN goes to the sender of a message still deferred
   * after that long. Postfix takes seconds (any value from 1), but looks only when it retries the
   * message (every 1 to 2 s here) and allows a second's slack, so with 3 the notice comes 2 to 4 s
   * after the message. Its text then says "for more than 0 hour(s)" (the default template counts in
   * hours, and bounce logs a warning about it): genuine Postfix output nonetheless. Off when absent.
   */
  delayWarningSeconds?: number;
}

/** Fails loudly (never skips) when Postfix is not installed: .ci/run installs it. */
export function requirePostfix(): void {
  if (!fs.existsSync(MASTER) || !fs.existsSync('/usr/sbin/saslpasswd2')) {
    throw new Error('Postfix is not installed: apt-get install -y postfix sasl2-bin libsasl2-modules (.ci/run does it)');
  }
}

async function waitForGreeting(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.setEncoding('utf8');
      s.once('data', (d: string) => {
        s.end('QUIT\r\n');
        resolve(d.startsWith('220'));
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Postfix did not greet on port ${port} within ${timeoutMs} ms; its log:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPostfix(options: PostfixOptions): Promise<PostfixRelay> {
  requirePostfix();
  const pki = testPki();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-postfix-'));
  fs.chmodSync(dir, 0o755);
  const etc = path.join(dir, 'etc');
  const spool = path.join(dir, 'spool');
  const data = path.join(dir, 'data');
  // Debian's Postfix reads $config_directory/sasl/smtpd.conf (it does not honour cyrus_sasl_config_path).
  const sasl = path.join(etc, 'sasl');
  for (const d of [etc, spool, data, sasl]) fs.mkdirSync(d, { mode: 0o755 });
  execFileSync('chown', ['postfix:postfix', data]);
  const port = await freePort();
  const login = 'relay@example.com';
  const password = 'relay-pass-123';
  const maillog = path.join(dir, 'maillog');

  fs.copyFileSync(path.join(pki.dir, 'server.pem'), path.join(etc, 'cert.pem'));
  fs.copyFileSync(path.join(pki.dir, 'server.key'), path.join(etc, 'key.pem'));
  fs.chmodSync(path.join(etc, 'key.pem'), 0o600);

  // The settings of a typical submission relay (Postfix's SASL_README and TLS_README).
  const main = {
    compatibility_level: '3.6',
    config_directory: etc,
    queue_directory: spool,
    data_directory: data,
    meta_directory: '/etc/postfix',
    mail_owner: 'postfix',
    setgid_group: 'postdrop',
    inet_interfaces: '127.0.0.1',
    inet_protocols: 'ipv4',
    myhostname: 'relay.example.com',
    mydomain: 'example.com',
    mydestination: '',
    mynetworks: '127.0.0.254/32',
    relayhost: `[127.0.0.1]:${options.relayPort}`,
    smtp_tls_security_level: 'none',
    maillog_file: maillog,
    maillog_file_prefixes: dir,
    smtpd_banner: '$myhostname ESMTP Postfix (Postroom test)',
    smtpd_tls_cert_file: path.join(etc, 'cert.pem'),
    smtpd_tls_key_file: path.join(etc, 'key.pem'),
    smtpd_tls_security_level: 'may',
    smtpd_tls_auth_only: 'yes',
    smtpd_sasl_auth_enable: 'yes',
    smtpd_sasl_type: 'cyrus',
    smtpd_sasl_path: 'smtpd',
    cyrus_sasl_config_path: sasl,
    smtpd_sasl_local_domain: '',
    smtpd_sender_login_maps: `inline:{ ${[login, ...(options.senders ?? [])].map((a) => `${a.toLowerCase()}=${login}`).join(', ')} }`,
    smtpd_sender_restrictions: 'reject_sender_login_mismatch',
    smtpd_relay_restrictions: 'permit_sasl_authenticated, reject_unauth_destination',
    smtpd_recipient_restrictions: '',
    smtpd_client_restrictions: '',
    alias_maps: '',
    alias_database: '',
    biff: 'no',
    // Quick retries to the sink: a test waits seconds, not minutes.
    queue_run_delay: '1s',
    minimal_backoff_time: '1s',
    maximal_backoff_time: '2s',
    ...(options.bounces ? bounceSettings(options.bounces, etc) : {}),
  };
  fs.writeFileSync(path.join(etc, 'main.cf'), Object.entries(main).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n');
  const services = [
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'tlsmgr unix - - n 1000? 1 tlsmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    // Runs as root to become the mailbox owner (virtual_uid_maps) for each delivery.
    'virtual unix - n n - - virtual',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
  ];
  fs.writeFileSync(path.join(etc, 'master.cf'), services.join('\n') + '\n');

  const sasldb = path.join(sasl, 'sasldb2');
  fs.writeFileSync(path.join(sasl, 'smtpd.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: ${sasldb}\n`);
  const [user, realm] = login.split('@') as [string, string];
  execFileSync('/usr/sbin/saslpasswd2', ['-p', '-c', '-f', sasldb, '-u', realm, user], { input: password, stdio: ['pipe', 'pipe', 'pipe'] });
  execFileSync('chown', ['postfix:postfix', sasldb]);
  fs.chmodSync(sasldb, 0o640);

  // The queue directories with the owners and modes of Postfix's postfix-files (what `postfix
  // check` would make, in a tenth of the time).
  const queue: [string, number, string][] = [
    ...['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'private', 'saved', 'trace'].map((d): [string, number, string] => [d, 0o700, 'postfix:root']),
    ['maildrop', 0o730, 'postfix:postdrop'],
    ['public', 0o710, 'postfix:postdrop'],
    ['pid', 0o755, 'root:root'],
  ];
  for (const [d, mode, owner] of queue) {
    fs.mkdirSync(path.join(spool, d), { mode });
    fs.chmodSync(path.join(spool, d), mode);
    execFileSync('chown', [owner, path.join(spool, d)]);
  }
  const env = { ...process.env, MAIL_CONFIG: etc };
  // Postfix's daemons inherit the standard streams: ignored, they cannot keep this process alive.
  // Their messages go to maillog_file.
  const master: ChildProcess = spawn(MASTER, ['-c', etc, '-d'], { env, stdio: 'ignore' });
  // A test process that ends without close() must not leave a Postfix running (SIGTERM stops its daemons too).
  const stop = () => master.exitCode === null && master.kill('SIGTERM');
  process.once('exit', stop);
  const log = () => (fs.existsSync(maillog) ? fs.readFileSync(maillog, 'utf8') : '');
  try {
    await waitForGreeting(port, 15_000, log);
  } catch (err) {
    master.kill('SIGTERM');
    throw err;
  }

  return {
    port,
    login,
    password,
    dir,
    log,
    async close() {
      process.off('exit', stop);
      await stopDaemon(master);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The main.cf lines for `bounces`. Local mailboxes and refused or deferred recipients are routed by
 * transport_maps (texthash: a reason may hold spaces), not by making their domain a virtual mailbox
 * domain, so every other address of that domain is still relayed to relayPort as without `bounces`.
 */
function bounceSettings(b: PostfixBounces, etc: string): Record<string, string> {
  fs.chownSync(b.mailRoot, 65534, 65534); // virtual(8) makes the Maildirs as nobody
  const transport = [
    ...b.localMailboxes.map((a) => `${a.toLowerCase()} virtual:`),
    ...Object.entries(b.refuse ?? {}).map(([a, reason]) => `${a.toLowerCase()} error:${reason}`),
    ...(b.defer ?? []).map((a) => `${a.toLowerCase()} retry:4.4.1 Connection timed out (deferred by the test relay)`),
  ];
  fs.writeFileSync(path.join(etc, 'transport'), transport.join('\n') + '\n');
  // A trailing "/" makes virtual(8) write a Maildir, at virtual_mailbox_base/<address>/.
  fs.writeFileSync(path.join(etc, 'mailboxes'), b.localMailboxes.map((a) => `${a.toLowerCase()} ${a.toLowerCase()}/`).join('\n') + '\n');
  return {
    transport_maps: `texthash:${path.join(etc, 'transport')}`,
    // Otherwise smtpd, seeing error: or retry: as their transport, refuses them at RCPT TO (550/450),
    // and no DSN is ever made. No other address is affected: this relay has no local or relay domains.
    smtpd_reject_unlisted_recipient: 'no',
    virtual_mailbox_domains: '',
    virtual_mailbox_base: b.mailRoot,
    virtual_mailbox_maps: `texthash:${path.join(etc, 'mailboxes')}`,
    virtual_uid_maps: 'static:65534',
    virtual_gid_maps: 'static:65534',
    ...(b.delayWarningSeconds ? { delay_warning_time: `${b.delayWarningSeconds}s` } : {}),
  };
}
