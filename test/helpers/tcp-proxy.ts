// A loopback TCP proxy in front of a real server (an SMTP relay, PostgreSQL), so that a test can
// break the network in between: reset every connection, refuse new ones, cut one mid-transfer.
import net, { type AddressInfo } from 'node:net';

export interface Pair {
  client: net.Socket;
  upstream: net.Socket;
}

/** Looks at what the client sends: returns the bytes to pass on, and whether to cut right after. */
export type Tap = (chunk: Buffer, pair: Pair) => { forward: Buffer; cut: boolean };

export interface TcpProxy {
  port: number;
  /** Connections open now. */
  readonly open: number;
  /** While set, a new connection is reset as soon as it arrives (the service is unreachable). */
  refusing: boolean;
  /** Resets every open connection: the client sees ECONNRESET, the server sees the client go. */
  dropAll(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy in front of a real server, so a test can break the network in between. */
export async function startProxy(targetHost: string, targetPort: number, tap?: Tap): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const cut = (pair: Pair) => {
    pairs.delete(pair);
    // RST towards Postroom, as when a server or a firewall drops the connection.
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    pair.upstream.destroy();
  };
  const proxy: TcpProxy = {
    port: 0,
    get open() {
      return pairs.size;
    },
    refusing: false,
    dropAll: () => [...pairs].forEach(cut),
    close: async () => undefined,
  };
  const server = net.createServer((client) => {
    if (proxy.refusing) {
      client.on('error', () => undefined);
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => cut(pair);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    let cutting = false;
    client.on('data', (chunk: Buffer) => {
      if (cutting) return; // what the client still sends after the cut goes nowhere
      if (!tap) return void upstream.write(chunk);
      const { forward, cut: cutNow } = tap(chunk, pair);
      cutting = cutNow;
      // When cutting, the forwarded part reaches the server before the connection goes.
      upstream.write(forward, cutNow ? end : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      proxy.dropAll();
      server.close(() => resolve());
    });
  return proxy;
}

