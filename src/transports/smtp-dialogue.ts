// A minimal SMTP client that speaks one command at a time, for the connection test: it must
// report each step (connect, STARTTLS, AUTH, MAIL FROM, RCPT TO) with the server's own reply,
// and stop before DATA, which the pooled sender of nodemailer does not let us observe.
import net from 'node:net';
import tls from 'node:tls';


export interface SmtpReply {
  code: number;
  text: string;
  lines: string[];
}

/**
 * A hostile or broken server must not fill our memory: RFC 5321 (4.5.3.1.5) allows 512 octets
 * per reply line; real EHLO replies run to a few dozen lines. Past these, the test stops.
 */
export const REPLY_LIMITS = { lineChars: 4096, lines: 200, replyChars: 64 * 1024, pendingReplies: 16 } as const;

export class SmtpDialogue {
  private buffer = '';
  private waiting: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | null = null;
  private pending: SmtpReply[] = [];
  private lines: string[] = [];
  /** Characters of the reply being read, so far. */
  private replyChars = 0;
  private failure: Error | null = null;

  private constructor(
    private socket: net.Socket | tls.TLSSocket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  static async open(host: string, port: number, options: { implicitTls: boolean; tls: tls.ConnectionOptions; timeoutMs: number }): Promise<SmtpDialogue> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = options.implicitTls ? tls.connect({ host, port, ...options.tls }) : net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no connection within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      s.once(options.implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    return new SmtpDialogue(socket, options.timeoutMs);
  }

  get secureProtocol(): string | null {
    return this.socket instanceof tls.TLSSocket ? this.socket.getProtocol() : null;
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }


  private onData(chunk: string): void {
    if (this.failure) return;
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, i).replace(/\r$/, '');
      this.buffer = this.buffer.slice(i + 1);
      if (line.length > REPLY_LIMITS.lineChars || this.lines.length >= REPLY_LIMITS.lines || this.replyChars > REPLY_LIMITS.replyChars) {
        return this.overflow(`a reply of more than ${REPLY_LIMITS.lines} lines or ${REPLY_LIMITS.replyChars} characters`);
      }
      this.lines.push(line);
      this.replyChars += line.length;
      // "250-…" continues a reply, "250 …" ends it.
      if (/^\d{3}(?: |$)/.test(line)) {
        const reply = { code: Number(line.slice(0, 3)), text: this.lines.join('\n'), lines: this.lines };
        this.lines = [];
        this.replyChars = 0;
        if (!this.waiting && this.pending.length >= REPLY_LIMITS.pendingReplies) return this.overflow('replies nobody asked for');
        if (this.waiting) {
          this.waiting.resolve(reply);
          this.waiting = null;
        } else this.pending.push(reply);
      }
    }
    if (this.buffer.length > REPLY_LIMITS.lineChars) this.overflow(`a reply line of more than ${REPLY_LIMITS.lineChars} characters`);
  }

  /** The server sent more than any SMTP server needs to: stop reading and hang up. */
  private overflow(what: string): void {
    this.buffer = '';
    this.lines = [];
    this.fail(new Error(`the server sent ${what}; the test stopped reading`));
    this.socket.destroy();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiting?.reject(e);
    this.waiting = null;
  }

  /** The next reply from the server. */
  read(): Promise<SmtpReply> {
    const ready = this.pending.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(new Error(`no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  async command(line: string): Promise<SmtpReply> {
    if (this.failure) throw this.failure;
    this.socket.write(line + '\r\n');
    return this.read();
  }

  /** After a 220 to STARTTLS: the same connection, now encrypted and certificate-checked. */
  async upgrade(options: tls.ConnectionOptions): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('error');
    const secured = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: plain, ...options });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
    this.socket = secured;
    this.attach(secured);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    if (!this.failure) this.socket.end('QUIT\r\n');
    this.socket.destroy();
  }
}
