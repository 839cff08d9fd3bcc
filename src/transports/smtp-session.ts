// One SMTP connection over nodemailer's SMTPConnection, and a small pool of them: it knows the
// stage a failure happened in (connecting, signing in, the envelope, the message, its reply).
import { PassThrough } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
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

/** Refused before anything secret left: the policy or the server's offer forbids signing in. */
export class SignInRefused extends Error {
  override name = 'SignInRefused';
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

interface AuthReply {
  status: number;
  response: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Signs in with what the server offers on this connection; throws SignInRefused before sending any secret. */
async function signIn(plan: SignIn, offered: string[], send: (cmd: string) => Promise<AuthReply>): Promise<void> {
  const has = (m: string) => offered.some((o) => o.toUpperCase() === m);
  let reply: AuthReply;
  if (plan.kind === 'xoauth2') {
    if (!has('XOAUTH2')) throw new SignInRefused(`offers AUTH ${offered.join(' ') || '(none)'} but not XOAUTH2`);
    const token = await plan.token(false);
    reply = await send(`AUTH XOAUTH2 ${b64(`user=${plan.user}\x01auth=Bearer ${token}\x01\x01`)}`);
    // A 334 carries the error as base64 JSON; an empty line ends it and the server answers 535.
    if (reply.status === 334) reply = await send('');
  } else if (has('PLAIN')) {
    reply = await send(`AUTH PLAIN ${b64(`\0${plan.user}\0${plan.password}`)}`);
  } else if (has('LOGIN')) {
    reply = await send('AUTH LOGIN');
    if (reply.status === 334) reply = await send(b64(plan.user));
    if (reply.status === 334) reply = await send(b64(plan.password));
  } else {
    throw new SignInRefused(`offers AUTH ${offered.join(' ')} but neither PLAIN nor LOGIN`);
  }
  if (reply.status !== 235) throw Object.assign(new Error('authentication failed'), { response: reply.response, responseCode: reply.status, code: 'EAUTH' });
}

export class SmtpSession {
  messages = 0;
  idleSince = Date.now();
  /** The server refused the last transaction with a reply: RSET before the next one. */
  needsReset = false;
  private dead = false;

  private constructor(private readonly conn: SMTPConnection) {
    // A failure outside a send (an idle connection dropped) only retires this session.
    conn.on('error', () => (this.dead = true));
    conn.on('end', () => (this.dead = true));
  }

  get usable(): boolean {
    return !this.dead;
  }

  /** Connects, secures and signs in. Fails with an SmtpStageError of stage connect or auth. */
  static async open(o: SessionOptions): Promise<SmtpSession> {
    const customAuth = {
      POSTROOM: async (ctx: { authMethods: string[]; sendCommand: (cmd: string) => Promise<{ status: number; response: string }> }) =>
        o.signIn && signIn(o.signIn, ctx.authMethods, (cmd) => ctx.sendCommand(cmd)),
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
      customAuth,
      logger: o.debug,
      debug: o.debug,
    });
    const session = new SmtpSession(conn);
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
        if (!conn.secure && !o.allowPlaintextAuth) throw new SignInRefused('the connection is not encrypted');
        if (!conn.allowsAuth) throw new SignInRefused('offers no AUTH on this connection');
        await new Promise<void>((resolve, reject) => {
          // A connection lost mid-AUTH drops login()'s callback: the loss itself ends the wait.
          const lost = (err?: Error) => reject(err ?? Object.assign(new Error('the server closed the connection'), { code: 'ECONNECTION' }));
          const ended = () => lost();
          conn.once('error', lost);
          conn.once('end', ended);
          conn.login({ user: o.signIn?.user ?? '', pass: 'unused', method: 'POSTROOM' }, (err) => {
            conn.off('error', lost);
            conn.off('end', ended);
            if (err) reject(err);
            else resolve();
          });
        });
      } catch (err) {
        conn.close();
        throw new SmtpStageError('auth', err, false);
      }
    }
    return session;
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

/** At most `max` sessions; each carries up to 100 messages, and an idle one is closed after a while. */
export class SmtpPool {
  private idle: SmtpSession[] = [];
  private open = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  private sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: SessionOptions,
    private readonly max: number,
    private readonly idleMs = 30_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 10_000));
    this.sweeper.unref();
  }

  /** Runs `use` on a session (a fresh one when `fresh`), then gives it back or retires it. */
  async with<T>(use: (s: SmtpSession) => Promise<T>, fresh = false): Promise<T> {
    while (this.open >= this.max && !this.idle.length && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    if (this.closed) throw new SmtpStageError('connect', new Error('the route was closed'), false);
    if (fresh && this.open >= this.max) {
      // Room for the fresh session: the idle one it replaces is not trusted any more.
      this.idle.pop()?.close();
      this.open--;
    }
    let session = fresh ? undefined : this.takeIdle();
    if (!session) {
      this.open++;
      try {
        session = await SmtpSession.open(this.options);
      } catch (err) {
        this.release();
        throw err;
      }
    }
    try {
      return await use(session);
    } finally {
      if (session.usable && session.needsReset) await session.reset();
      if (session.usable && session.messages < 100 && !this.closed) {
        this.idle.push(session);
        this.waiters.shift()?.();
      } else {
        session.close();
        this.release();
      }
    }
  }

  private takeIdle(): SmtpSession | undefined {
    for (let s = this.idle.pop(); s; s = this.idle.pop()) {
      if (s.usable) return s;
      this.release();
    }
    return undefined;
  }

  private release(): void {
    this.open--;
    this.waiters.shift()?.();
  }

  private sweep(): void {
    const now = Date.now();
    this.idle = this.idle.filter((s) => {
      if (s.usable && now - s.idleSince < this.idleMs) return true;
      s.close();
      this.release();
      return false;
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const s of this.idle) s.close();
    this.open -= this.idle.length;
    this.idle = [];
    for (const w of this.waiters.splice(0)) w();
  }
}
