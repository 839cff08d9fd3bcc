// The HTTPS side of the test stand-ins (Microsoft, Google): listening on a free loopback port with
// a certificate of the test CA, and closing a server Postroom's HTTPS agent still holds
// keep-alive sockets to, which would otherwise keep close() waiting.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testPki } from './pki.js';

/** Listens on 127.0.0.1 (a free port) with `certificate`, else the test CA's localhost certificate. */
export async function listenHttps(handler: http.RequestListener, certificate?: { certPem: string; keyPem: string }): Promise<{ server: https.Server; port: number }> {
  const pki = certificate ?? testPki();
  const server = https.createServer({ key: pki.keyPem, cert: pki.certPem }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export function closeHttpsServer(server: https.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
