// One small HTTPS client for the Microsoft endpoints (token, Graph, upload URLs): node's https
// with an optional extra CA, a timeout, and the body read in full. Node 20's fetch cannot take a
// CA per request, and the stand-in servers of the tests need one.
import https from 'node:https';

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body was longer than maxBodyBytes: `body` is its beginning, the rest was not read. */
  truncated?: boolean;
}

export interface HttpsOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  ca?: string | string[] | undefined;
  timeoutMs?: number;
  /** Read at most this much of the body (a message from a mailbox anyone can write to). */
  maxBodyBytes?: number;
}

export function httpsRequest(url: string, options: HttpsOptions = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(options.ca ? { ca: options.ca } : {}),
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        const limit = options.maxBodyBytes ?? Infinity;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          if (size <= limit) return;
          // Enough: the rest is not read, the connection is dropped.
          res.removeAllListeners('data');
          res.removeAllListeners('end');
          req.destroy();
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).subarray(0, limit), truncated: true });
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${new URL(url).host} within ${options.timeoutMs ?? 30_000} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}
