// A host application's webhook endpoint for tests: node:http on 127.0.0.1 that keeps every request
// as received (raw body and headers) and answers as the test scripts it (status, delay, silence).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookEventBody } from '../../src/webhooks/index.js';

export interface ReceivedEvent {
  raw: string;
  body: WebhookEventBody;
  signature: string;
  eventId: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedEvent[];
  /** Answers for the next requests, in order; once used up, 200. "hang" never answers. */
  answers: (number | 'hang')[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hooks/postroom'): Promise<WebhookReceiver> {
  const received: ReceivedEvent[] = [];
  const hanging = new Set<http.ServerResponse>();
  const receiver = {
    received,
    answers: [] as (number | 'hang')[],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = receiver.answers.shift() ?? 200;
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      // Only answered requests count as received: a hung one was never acknowledged.
      if (answer >= 200 && answer < 300) {
        received.push({
          raw,
          body: JSON.parse(raw) as WebhookEventBody,
          signature: String(req.headers['postroom-signature'] ?? ''),
          eventId: String(req.headers['postroom-event-id'] ?? ''),
          receivedAt: Date.now(),
        });
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer >= 300 ? `receiver says ${answer}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    port,
    url: `http://127.0.0.1:${port}${path}`,
    async waitFor(count: number, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${count} webhook events, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return received;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
