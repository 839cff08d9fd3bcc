// One SMTP session over nodemailer's SMTPConnection, used to send, to check the route and to run
// Test connection: it knows the stage a failure happened in and, when asked, keeps the replies.
import { PassThrough } from 'node:stream';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';

/** Where a session was when something went wrong: decides what a failure means for delivery. */
export type SmtpStage = 'connect' | 'auth' | 'envelope' | 'data' | 'awaiting-reply';

export class SmtpStageError extends Error {
  override name = 'SmtpStageError';
  constructor(
    readonly stage: SmtpStage,
    override readonly cause: unknown,
    /** The connection had carried earlier messages (a dead idle connection is no news). */
    readonly reused: boolean,
    /** Time waited for the reply to the end of the message, when stage is awaiting-reply. */
    readonly waitedMs: number | null = null,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Why Postroom refused to sign in before anything secret left. */
export type RefusalReason = 'not-encrypted' | 'no-auth' | 'no-xoauth2' | 'no-plain-or-login';

/** Refused before anything secret left: the policy or the server's offer forbids signing in. */
export class SignInRefused extends Error {
  override name = 'SignInRefused';
  constructor(
    readonly reason: RefusalReason,
    /** The AUTH mechanisms the server offered. */
    readonly offered: string[] = [],
  ) {
    super(`sign-in refused: ${reason}`);
  }
}

export type SignIn =
  | { kind: 'password'; user: string; password: string }
  | { kind: 'xoauth2'; user: string; token: (renew: boolean) => Promise<string> };

export interface SessionOptions {
  host: string;
  port: number;
  implicitTls: boolean;
  startTls: boolean;
  tls: ConnectionOptions;
  connectionMs: number;
  greetingMs: number;
  socketMs: number;
  dataReplyMs: number;
  signIn: SignIn | null;
  allowPlaintextAuth: boolean;
  debug: boolean;
}

export interface TransactionResult {
  accepted: string[];
  /** nodemailer's per-recipient refusals (4xx and 5xx) while others were accepted. */
  rejectedErrors: unknown[];
  response: string;
}

/** A reply to one command: its code and its text as the server wrote it. */
export interface Reply {
  code: number;
  text: string;
}

/** The replies of a walk's envelope: MAIL FROM's, then RCPT TO's when MAIL FROM passed. */
export interface EnvelopeReplies {
  mail: Reply;
  rcpt: Reply | null;
}

/**
 * A hostile or broken server must not fill our memory: RFC 5321 §4.5.3.1.5 allows 512 octets per
 * reply line, and real EHLO replies run to a few dozen lines. A longer reply ends the session.
 */
export const MAX_REPLY_CHARS = 64 * 1024;

type SendCommand = (cmd: string) => Promise<{ status: number; response: string }>;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const asReply = (r: { status: number; response: string }): Reply => ({ code: r.status, text: r.response.trim() });

/** Signs in with what the server offers on this connection; throws SignInRefused before sending any secret. */
async function signIn(plan: SignIn, offered: string[], send: SendCommand): Promise<Reply> {
  const has = (m: string) => offered.some((o) => o.toUpperCase() === m);
  let reply: Reply;
  if (plan.kind === 'xoauth2') {
    if (!has('XOAUTH2')) throw new SignInRefused('no-xoauth2', offered);
    const token = await plan.token(false);
    reply = asReply(await send(`AUTH XOAUTH2 ${b64(`user=${plan.user}\x01auth=Bearer ${token}\x01\x01`)}`));
    // A 334 carries the error as base64 JSON; an empty line ends it and the server answers 535.
    if (reply.code === 334) reply = asReply(await send(''));
  } else if (has('PLAIN')) {
    reply = asReply(await send(`AUTH PLAIN ${b64(`\0${plan.user}\0${plan.password}`)}`));
  } else if (has('LOGIN')) {
    reply = asReply(await send('AUTH LOGIN'));
    if (reply.code === 334) reply = asReply(await send(b64(plan.user)));
    if (reply.code === 334) reply = asReply(await send(b64(plan.password)));
  } else {
    throw new SignInRefused('no-plain-or-login', offered);
  }
  if (reply.code !== 235) throw Object.assign(new Error('authentication failed'), { response: reply.text, responseCode: reply.code, code: 'EAUTH' });
  return reply;
}

/** Collects the server's replies through nodemailer's transaction log (never the client's lines, which carry AUTH). */
function recorder(replies: string[]) {
  const keep = (entry: { tnx?: string }, message: unknown) => {
    if (entry?.tnx === 'server' && typeof message === 'string') replies.push(message);
  };
  return { trace: keep, debug: keep, info: keep, warn: keep, error: keep, fatal: keep };
}

export class SmtpSession {
  messages = 0;
  idleSince = Date.now();
  /** The server refused the last transaction with a reply: RSET before the next one. */
  needsReset = false;
  /** The server's answer to the sign-in, null without one. */
  signInReply: Reply | null = null;
  private dead = false;
  /** The commands a walk sends through the command channel, run by the next login() call. */
  private walkCommands: ((send: SendCommand) => Promise<void>) | null = null;

  private constructor(
    private readonly conn: SMTPConnection,
    /** The server's replies so far, when recorded: the greeting first. */
    readonly replies: string[] | null,
  ) {
    // A failure outside a send (an idle connection dropped) only retires this session.
    conn.on('error', () => (this.dead = true));
    conn.on('end', () => (this.dead = true));
  }

  get usable(): boolean {
    return !this.dead;
  }

  /** TLSv1.3 and so on; null on a plain connection. */
  get secureProtocol(): string | null {
    if (!this.conn.secure) return null;
    // nodemailer keeps the socket to itself; the protocol's name is only shown to a person.
    const socket = (this.conn as unknown as { _socket?: Partial<TLSSocket> })._socket;
    return socket?.getProtocol?.() ?? 'TLS';
  }

  /**
   * Connects, secures and signs in. Fails with an SmtpStageError of stage connect or auth. With
   * `record`, the server's replies are pushed there as they come (for Test connection's steps),
   * so that they are known even when the session fails to open.
   */
  static async open(o: SessionOptions, record?: string[]): Promise<SmtpSession> {
    const replies = record ?? null;
    let session: SmtpSession | null = null;
    const customAuth = {
      POSTROOM: async (ctx: { authMethods: string[]; sendCommand: SendCommand }) => {
        if (o.signIn && session) session.signInReply = await signIn(o.signIn, ctx.authMethods, ctx.sendCommand);
      },
      // nodemailer hands a raw command channel only to an AUTH handler: the route check's MAIL FROM,
      // RCPT TO and RSET go through it, on the session that would send.
      'POSTROOM-WALK': async (ctx: { sendCommand: SendCommand }) => session?.walkCommands?.(ctx.sendCommand),
    };
    const conn = new SMTPConnection({
      host: o.host,
      port: o.port,
      secure: o.implicitTls,
      requireTLS: !o.implicitTls && o.startTls,
      ignoreTLS: !o.implicitTls && !o.startTls,
      connectionTimeout: o.connectionMs,
      greetingTimeout: o.greetingMs,
      socketTimeout: o.socketMs,
      tls: o.tls,
      maxResponseSize: MAX_REPLY_CHARS,
      customAuth,
      ...(replies ? { logger: recorder(replies) as unknown as boolean, transactionLog: true } : { logger: o.debug }),
      debug: o.debug,
    } as ConstructorParameters<typeof SMTPConnection>[0]);
    session = new SmtpSession(conn, replies);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(new SmtpStageError('connect', err, false));
      conn.once('error', onError);
      conn.connect((err) => {
        conn.off('error', onError);
        if (err) reject(new SmtpStageError('connect', err, false));
        else resolve();
      });
    });
    if (o.signIn) {
      try {
        // Checked again on the live connection: nodemailer would silently skip AUTH that is not offered.
        if (!conn.secure && !o.allowPlaintextAuth) throw new SignInRefused('not-encrypted');
        if (!conn.allowsAuth) throw new SignInRefused('no-auth');
        await session.channel('POSTROOM', o.signIn.user);
      } catch (err) {
        // The connection itself is sound: say goodbye (QUIT) rather than drop it.
        session.close();
        throw new SmtpStageError('auth', err, false);
      }
    }
    return session;
  }

  /** Runs one custom AUTH method of this session; a connection lost meanwhile ends the wait. */
  private channel(method: string, user: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // A connection lost mid-command drops login()'s callback: the loss itself ends the wait.
      const lost = (err?: Error) => reject(err ?? Object.assign(new Error('the server closed the connection'), { code: 'ECONNECTION' }));
      const ended = () => lost();
      this.conn.once('error', lost);
      this.conn.once('end', ended);
      this.conn.login({ user, pass: 'unused', method }, (err) => {
        this.conn.off('error', lost);
        this.conn.off('end', ended);
        // nodemailer hands back the handler's own error (a SignInRefused stays one), with its code added.
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /**
   * The route check's envelope: MAIL FROM, RCPT TO, RSET, and no DATA. A refused MAIL FROM fails
   * with an SmtpStageError of stage envelope, as a send's would; RCPT TO's reply is returned.
   */
  async envelope(from: string, to: string): Promise<EnvelopeReplies> {
    let replies: EnvelopeReplies | null = null;
    this.walkCommands = async (send) => {
      const mail = asReply(await send(`MAIL FROM:<${from}>`));
      replies = { mail, rcpt: null };
      if (mail.code !== 250) return;
      replies.rcpt = asReply(await send(`RCPT TO:<${to}>`));
      await send('RSET');
    };
    try {
      await this.channel('POSTROOM-WALK', from);
    } catch (err) {
      throw new SmtpStageError('envelope', err, false);
    } finally {
      this.walkCommands = null;
    }
    const got = replies as EnvelopeReplies | null;
    if (!got) throw new SmtpStageError('envelope', new Error('no reply to MAIL FROM'), false);
    if (got.mail.code !== 250) {
      throw new SmtpStageError('envelope', Object.assign(new Error(got.mail.text), { command: 'MAIL FROM', response: got.mail.text, responseCode: got.mail.code }), false);
    }
    return got;
  }

  /**
   * One transaction: MAIL FROM, RCPT TO for each recipient, DATA, the message, and its reply,
   * waited for at most dataReplyMs after the last byte went out. `envelopeId`: asks a server that
   * offers DSN (RFC 3461) for reports of failures and delays only, with the original's headers
   * only (not its files), naming this id, so that bounce processing can match them.
   */
  transaction(from: string, to: string[], raw: Buffer, dataReplyMs: number, envelopeId?: string | null): Promise<TransactionResult> {
    const reused = this.messages > 0;
    this.messages++;
    return new Promise<TransactionResult>((resolve, reject) => {
      let stage: SmtpStage = 'envelope';
      let sentAt = 0;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.idleSince = Date.now();
        fn();
      };
      const fail = (err: unknown) => {
        const code = (err as { responseCode?: number }).responseCode;
        // A reply (other than 421) ends the transaction and leaves the connection usable.
        if (code && code !== 421 && stage !== 'awaiting-reply') this.needsReset = true;
        else this.dead = true;
        settle(() => reject(new SmtpStageError(stage, err, reused, sentAt ? Date.now() - sentAt : null)));
      };
      const body = new PassThrough();
      // nodemailer reads the message only after the server's 354 to DATA.
      body.once('resume', () => (stage = 'data'));
      body.once('end', () => {
        stage = 'awaiting-reply';
        sentAt = Date.now();
        timer = setTimeout(() => {
          this.dead = true;
          this.conn.close();
          fail(Object.assign(new Error(`no reply within ${Math.round(dataReplyMs / 1000)} s`), { code: 'ETIMEDOUT' }));
        }, dataReplyMs);
      });
      body.end(raw);
      // nodemailer adds these only when the server advertises DSN.
      const dsn = envelopeId ? { dsn: { ret: 'HDRS', envid: envelopeId, notify: ['FAILURE', 'DELAY'] } } : {};
      this.conn.send({ from, to, size: raw.length, ...dsn } as Parameters<SMTPConnection['send']>[0], body, (err, info) => {
        if (err) return fail(err);
        settle(() => resolve({ accepted: info.accepted.map(String), rejectedErrors: info.rejectedErrors ?? [], response: info.response }));
      });
    });
  }

  /** Ends a transaction that was refused at the envelope, so the connection can carry the next. */
  reset(): Promise<void> {
    this.needsReset = false;
    return new Promise((resolve) =>
      this.conn.reset((err) => {
        if (err) this.dead = true;
        resolve();
      }),
    );
  }

  close(): void {
    this.dead = true;
    this.conn.quit();
    // quit() waits for the server's 221; a server that never answers must not hold the socket.
    setTimeout(() => this.conn.close(), 1000).unref();
  }
}
