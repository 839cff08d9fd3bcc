// Starts Postroom's HTTP server on a free loopback port and gives tests a client that behaves
// like the console (cookies, CSRF header, Origin) or like a host application (bearer token).
import type { AddressInfo } from 'node:net';
import type { Postroom } from '../../src/app.js';
import { buildHttpServer, type HttpOptions } from '../../src/http/index.js';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function startHttp(postroom: Postroom, options: HttpOptions = {}): Promise<TestServer> {
  const app = await buildHttpServer(postroom, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

export interface Answer<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export class Client {
  readonly cookies = new Map<string, string>();
  /** Set false to leave out the CSRF header, or to a string to send that Origin instead. */
  csrf = true;
  origin: string | null;
  bearer: string | null = null;
  /** Sent with every request, e.g. accept-language. */
  extraHeaders: Record<string, string> = {};

  constructor(readonly base: string) {
    this.origin = base;
  }

  static withToken(base: string, token: string): Client {
    const c = new Client(base);
    c.bearer = token;
    c.origin = null;
    return c;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, raw?: { body: string; type?: string }): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...this.extraHeaders };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.csrf && this.cookies.has('csrf')) headers['x-csrf-token'] = this.cookies.get('csrf') as string;
    if (this.origin) headers.origin = this.origin;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    let payload: string | undefined;
    if (raw) {
      payload = raw.body;
      headers['content-type'] = raw.type ?? 'application/json';
    } else if (body !== undefined && method !== 'GET' && method !== 'HEAD') {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers, body: payload });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (!name) continue;
      if (/max-age=0|expires=Thu, 01 Jan 1970/i.test(c) || value.join('=') === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.join('='));
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (metrics)
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }

  get = <T = Record<string, unknown>>(path: string) => this.request<T>('GET', path);
  post = <T = Record<string, unknown>>(path: string, body?: unknown) => this.request<T>('POST', path, body ?? {});
  patch = <T = Record<string, unknown>>(path: string, body: unknown) => this.request<T>('PATCH', path, body);
  put = <T = Record<string, unknown>>(path: string, body: unknown) => this.request<T>('PUT', path, body);
  del = <T = Record<string, unknown>>(path: string) => this.request<T>('DELETE', path);

  async login(password: string, username = 'admin'): Promise<Answer> {
    return this.post('/api/v1/auth/login', { username, password });
  }
}
