// What the tests' private servers (Postfix, Dovecot) share: a free loopback port to give them,
// and a stop that waits for the master process to end, but not forever.
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** SIGTERM to the master (it stops its own children), then at most 5 s for it to exit. */
export async function stopDaemon(master: ChildProcess): Promise<void> {
  if (master.exitCode !== null) return;
  const exited = new Promise<void>((r) => master.once('exit', () => r()));
  master.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
}
