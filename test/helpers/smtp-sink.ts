// A real SMTP server (smtp-server) on a loopback port for tests: STARTTLS with the test CA's
// certificate, optional AUTH, and scripted replies to play a difficult server.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { testPki } from './pki.js';

export interface Reply {
  code: number;
  message: string;
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
  /** TLS was in force when the message was sent. */
  secure: boolean;
  user: string | undefined;
  /** The connection it came over (smtp-server's session id). */
  connection: string;
  /** With `dsn`: what MAIL FROM and RCPT TO asked for (RFC 3461), as the server read it. */
  dsn?: { ret: string | null | undefined; envid: string | null | undefined; notify: (string[] | null | undefined)[] };
}

export interface SinkOptions {
  /** Offer STARTTLS (default true). */
  startTls?: boolean;
  /** Implicit TLS from the first byte (port 465 style). */
  secure?: boolean;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Require AUTH XOAUTH2 (only): accept when this says the token is good for the user. */
  xoauth2?: (user: string, token: string) => boolean;
  /** Fixed port (default: any free port). */
  port?: number;
  /** Refuse a recipient at RCPT TO. */
  rcptReply?: (address: string) => Reply | null;
  /** Refuse the sender at MAIL FROM. */
  mailFromReply?: (address: string) => Reply | null;
  /** Replies to the next DATA commands, in order; once used up, messages are accepted. */
  dataReplies?: Reply[];
  /** Holds DATA this long before answering (to catch a send in flight). */
  dataDelayMs?: number;
  /** The server's certificate and key (default: the test CA's localhost certificate). */
  certificate?: { certPem: string; keyPem: string };
  /** Never answers the end of DATA for a message whose raw text matches (a hung relay). */
  hangOn?: RegExp;
  /** Accepts at most this many recipients per transaction, then answers 452 4.5.3 (RFC 5321 §4.5.3.1.10). */
  maxRecipients?: number;
  /** Answers the greeting with this reply and closes (e.g. 421 4.3.2 busy). */
  connectReply?: Reply;
  /** Takes the whole message and never answers its end (the reply to DATA never comes). */
  silentAfterData?: boolean;
  /** Offer AUTH on a connection without TLS (a server that lets a password travel in clear). */
  insecureAuth?: boolean;
  /** Offer no AUTH at all, and accept mail without it (an open relay on a trusted network). */
  noAuth?: boolean;
  /** Closes a connection idle this long (with "421 Timeout"), as servers do. */
  idleTimeoutMs?: number;
  /** Advertise DSN (RFC 3461) and record what each transaction asked for. */
  dsn?: boolean;
}

export interface SmtpSink {
  port: number;
  messages: ReceivedMessage[];
  /** Connections open at once, at the most. */
  maxConcurrentConnections: number;
  /** Connections open now. */
  readonly openConnections: number;
  /** Messages whose DATA was received and never answered (hangOn). */
  hung: number;
  /** Every plain-text DATA attempt (should stay 0 when STARTTLS is required). */
  plaintextData: number;
  authFailures: number;
  /** Every AUTH the server received, and whether TLS was on: a password never sent shows as none. */
  authAttempts: { user: string; secure: boolean }[];
  /** Transactions that reached DATA (each is one copy of a message). */
  transactions: number;
  dataReplies: Reply[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

function smtpError(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const pki = testPki();
  let open = 0;
  const sink: SmtpSink = {
    port: 0,
    messages: [],
    maxConcurrentConnections: 0,
    get openConnections() {
      return open;
    },
    hung: 0,
    plaintextData: 0,
    authFailures: 0,
    authAttempts: [],
    transactions: 0,
    dataReplies: [...(options.dataReplies ?? [])],
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (sink.messages.length < count) {
        if (Date.now() > deadline) throw new Error(`sink received ${sink.messages.length} of ${count} messages in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return sink.messages;
    },
    close: async () => undefined,
  };

  const serverOptions: SMTPServerOptions = {
    secure: options.secure ?? false,
    key: options.certificate?.keyPem ?? pki.keyPem,
    cert: options.certificate?.certPem ?? pki.certPem,
    hideSTARTTLS: options.startTls === false,
    hideDSN: !options.dsn,
    disabledCommands: [...(options.startTls === false && !options.secure ? ['STARTTLS'] : []), ...(options.noAuth ? ['AUTH'] : [])],
    authOptional: options.noAuth || (!options.auth && !options.xoauth2),
    authMethods: options.xoauth2 ? ['XOAUTH2'] : ['PLAIN', 'LOGIN'],
    allowInsecureAuth: options.insecureAuth ?? false,
    logger: false,
    closeTimeout: 200,
    ...(options.idleTimeoutMs ? { socketTimeout: options.idleTimeoutMs } : {}),
    size: 50 * 1024 * 1024,
    onConnect(_session, cb) {
      open++;
      sink.maxConcurrentConnections = Math.max(sink.maxConcurrentConnections, open);
      cb(options.connectReply ? smtpError(options.connectReply) : undefined);
    },
    onClose() {
      open--;
    },
    onAuth(auth, session, cb) {
      sink.authAttempts.push({ user: auth.username ?? '', secure: session.secure });
      if (options.xoauth2) {
        if (auth.method === 'XOAUTH2' && auth.accessToken && options.xoauth2(auth.username ?? '', auth.accessToken)) {
          return cb(null, { user: auth.username });
        }
        sink.authFailures++;
        // What Exchange Online answers to a refused token.
        return cb(smtpError({ code: 535, message: '5.7.3 Authentication unsuccessful' }));
      }
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        return cb(null, { user: auth.username });
      }
      sink.authFailures++;
      return cb(smtpError({ code: 535, message: '5.7.8 Authentication credentials invalid' }));
    },
    onMailFrom(address, _session, cb) {
      const r = options.mailFromReply?.(address.address);
      cb(r ? smtpError(r) : undefined);
    },
    onRcptTo(address, session, cb) {
      if (options.maxRecipients !== undefined && session.envelope.rcptTo.length >= options.maxRecipients) {
        return cb(smtpError({ code: 452, message: '4.5.3 Error: too many recipients' }));
      }
      const r = options.rcptReply?.(address.address);
      cb(r ? smtpError(r) : undefined);
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        sink.transactions++;
        if (options.silentAfterData) return;
        void (async () => {
          if (options.hangOn?.test(Buffer.concat(chunks).toString('utf8'))) {
            sink.hung++;
            return; // no reply, ever: the client's wait is all that ends it
          }
          // unref: a held DATA must not keep the test process alive after the sink is closed.
          if (options.dataDelayMs) await new Promise((r) => setTimeout(r, options.dataDelayMs).unref());
          if (!session.secure) sink.plaintextData++;
          const scripted = sink.dataReplies.shift();
          if (scripted) return cb(smtpError(scripted));
          const raw = Buffer.concat(chunks).toString('utf8');
          sink.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            parsed: await simpleParser(raw),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            connection: session.id,
            ...(options.dsn
              ? { dsn: { ret: session.envelope.dsn?.ret, envid: session.envelope.dsn?.envid, notify: session.envelope.rcptTo.map((r) => r.dsn?.notify) } }
              : {}),
          });
          cb(null, 'OK queued');
        })();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  sink.port = (server.server.address() as AddressInfo).port;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}
