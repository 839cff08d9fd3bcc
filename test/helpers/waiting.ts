// Waiting in tests without fixed sleeps: poll until a condition holds (bounded), and close what a
// test opened, last first, after each test.
import { afterEach } from 'node:test';

export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Closable = { close(): Promise<void> } | { cleanup(): Promise<void> };

/** Call inside a describe(): returns track(x), which closes x after the current test. */
export function closeAfterEach(): { track: <T extends Closable>(x: T) => T; cleanups: (() => Promise<void>)[] } {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()?.();
  });
  const track = <T extends Closable>(x: T): T => {
    cleanups.push(() => ('cleanup' in x ? x.cleanup() : x.close()));
    return x;
  };
  return { track, cleanups };
}
