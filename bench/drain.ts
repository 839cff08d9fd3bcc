// Drain benchmark: a backlog of N e-mails handed over, then drained by the sending process to
// a loopback SMTP sink; against raw pooled nodemailer sending the same messages (the ceiling).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { openPostroom } from '../src/app.js';
import { startCountingSink, type CountingSink } from './sink.js';

const message = (i: number) => ({
  to: [`customer${i}@example.org`],
  subject: `Invoice ${i}`,
  text: `Dear customer,\n\nplease find invoice ${i} below.\n\n${'Lorem ipsum dolor sit amet. '.repeat(20)}`,
});

async function postroomDrain(sink: CountingSink, n: number, connections: number): Promise<{ handOverMs: number; drainMs: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-bench-'));
  const postroom = await openPostroom({ dataDir, masterKey: crypto.randomBytes(32), logger: pino({ level: 'silent' }), dispatcher: { batchSize: 200 } });
  try {
    await postroom.settings.update(
      { enabled: true, smtpHost: '127.0.0.1', smtpPort: sink.port, startTls: false, postmaster: 'pm@example.com', smtpMaxConnections: connections },
      'bench',
    );
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await postroom.queue.handOver(message(i), 'bench');
    const t1 = performance.now();
    sink.reset();
    while ((await postroom.queue.counts()).pending > 0) await postroom.dispatcher.runCampaign();
    await sink.waitFor(n, 60_000);
    const t2 = performance.now();
    return { handOverMs: t1 - t0, drainMs: t2 - t1 };
  } finally {
    await postroom.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function rawNodemailer(sink: CountingSink, n: number, connections: number): Promise<number> {
  const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port: sink.port, ignoreTLS: true, maxConnections: connections, maxMessages: 100 });
  sink.reset();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await transport.sendMail({ from: 'pm@example.com', ...message(i) });
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  await sink.waitFor(n, 60_000);
  const ms = performance.now() - t0;
  transport.close();
  return ms;
}

export async function drainBenchmark(quick: boolean): Promise<void> {
  const n = quick ? 1000 : 5000;
  const connections = 3;
  const sink = await startCountingSink();
  try {
    await rawNodemailer(sink, 200, connections); // warm-up: JIT, sockets
    const raw = await rawNodemailer(sink, n, connections);
    const pr = await postroomDrain(sink, n, connections);
    const rate = (ms: number) => Math.round((n / ms) * 1000);
    console.log(`drain ${n} e-mails, ${connections} SMTP connections, loopback sink`);
    console.log(`  raw nodemailer pool (no queue)   ${raw.toFixed(0).padStart(7)} ms  ${rate(raw)} e-mails/s`);
    console.log(`  Postroom SQLite: hand-over       ${pr.handOverMs.toFixed(0).padStart(7)} ms  ${rate(pr.handOverMs)} e-mails/s`);
    console.log(`  Postroom SQLite: drain backlog   ${pr.drainMs.toFixed(0).padStart(7)} ms  ${rate(pr.drainMs)} e-mails/s`);
    console.log(`  ratio Postroom drain / raw nodemailer throughput: ${(raw / pr.drainMs).toFixed(2)}`);
  } finally {
    await sink.close();
  }
}
