// Moves SQLite's WAL checkpoints off the main thread. A checkpoint copies the WAL back into the
// database file and waits for the disk twice; run by the committing thread, it stalled sending.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Pages in the WAL past which the main connection still checkpoints by itself: a safety net
 * should the thread fall behind or stop, far above what it lets the WAL grow to.
 */
export const MAIN_THREAD_CHECKPOINT_PAGES = 20_000;

/** The thread's code is plain JavaScript, so it runs alike from src/ (under tsx) and from dist/. */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
// PASSIVE: copy what no reader still needs, never wait for (or block) readers and writers.
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next time */ } };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** Checkpoints `file`'s WAL every `everyMs` from a thread of its own connection. */
export function startCheckpointer(file: string, everyMs = 200): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, { eval: true, workerData: { file, everyMs, driver } });
  // A failing checkpointer costs a larger WAL, not an e-mail: the main connection's own
  // checkpoint (MAIN_THREAD_CHECKPOINT_PAGES) takes over.
  worker.on('error', () => undefined);
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Unreferenced while it runs (it must not keep a process alive); waited for when stopping.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
