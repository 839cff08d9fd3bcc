// The loopback SMTP sink every contender sends to: plain SMTP, accepts everything, counts.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CountingSink {
  port: number;
  received: number;
  reset(): void;
  waitFor(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingSink(): Promise<CountingSink> {
  const sink = { received: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        sink.received++;
        cb(null, 'OK');
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.server.address() as AddressInfo).port,
    get received() {
      return sink.received;
    },
    reset() {
      sink.received = 0;
    },
    async waitFor(n, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (sink.received < n) {
        if (Date.now() > deadline) throw new Error(`sink got ${sink.received} of ${n}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
