// postroom send --batch FILE.jsonl: a month-end run from a file, one e-mail a line in the API's
// JSON, handed over 500 at a time; a progress bar on a terminal, and a summary naming each refused line.
import fs from 'node:fs';
import readline from 'node:readline';
import type { Postroom } from '../app.js';
import { BATCH_MAX_EMAILS, type BatchItemResult } from '../queue/index.js';
import { visible } from './format.js';

export interface BatchSummary {
  queued: number;
  duplicates: number;
  /** Line number (from 1) and why. */
  refused: { line: number; reason: string }[];
}

/** One line of the file: what to hand over, or why it cannot be read. */
type Line = { line: number; email: unknown } | { line: number; unreadable: string };

async function* lines(file: string): AsyncGenerator<Line> {
  const input = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of input) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield { line, email: JSON.parse(text) as unknown };
    } catch (err) {
      yield { line, unreadable: `is not JSON (${(err as Error).message})` };
    }
  }
}

/** Counts the lines that hold an e-mail, for the progress bar's whole. */
async function countEmails(file: string): Promise<number> {
  let n = 0;
  for await (const l of lines(file)) if ('email' in l || 'unreadable' in l) n++;
  return n;
}

/** `[#########-----------]  4,500 / 8,000` on one line of the terminal, redrawn in place. */
function progressBar(total: number, out: NodeJS.WriteStream): (done: number) => void {
  if (!out.isTTY) return () => undefined;
  return (done) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}${done === total ? '\n' : ''}`);
  };
}

export async function sendBatch(postroom: Postroom, file: string, source: string, onResult?: (r: BatchItemResult & { line: number }) => void): Promise<BatchSummary> {
  const summary: BatchSummary = { queued: 0, duplicates: 0, refused: [] };
  const draw = progressBar(await countEmails(file), process.stderr);
  let done = 0;
  draw(0);
  let pending: { line: number; email: unknown }[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const results = await postroom.queue.handOverMany(
      pending.map((p) => p.email),
      source,
    );
    for (const r of results) {
      const line = pending[r.index]?.line ?? 0;
      onResult?.({ ...r, line });
      if ('error' in r) summary.refused.push({ line, reason: r.error.fields.map((f) => `${f.field}: ${f.message}`).join('; ') || r.error.message });
      else if (r.duplicate) summary.duplicates++;
      else summary.queued++;
    }
    done += pending.length;
    draw(done);
    pending = [];
  };
  for await (const l of lines(file)) {
    if ('unreadable' in l) {
      summary.refused.push({ line: l.line, reason: l.unreadable });
      done++;
      continue;
    }
    pending.push(l);
    if (pending.length === BATCH_MAX_EMAILS) await flush();
  }
  await flush();
  return summary;
}

export function formatBatchSummary(file: string, s: BatchSummary): string {
  const total = s.queued + s.duplicates + s.refused.length;
  const out = [`${total.toLocaleString('en-US')} e-mails in ${file}: ${s.queued.toLocaleString('en-US')} queued, ${s.duplicates.toLocaleString('en-US')} already handed over (same idempotency key), ${s.refused.length.toLocaleString('en-US')} refused`];
  for (const r of s.refused.slice(0, 50)) out.push(`  line ${r.line}: ${visible(r.reason)}`);
  if (s.refused.length > 50) out.push(`  … and ${s.refused.length - 50} more (--json lists every one)`);
  return out.join('\n');
}
