// Serves the administration console built by Vite into dist/web: the files are read once at
// start into memory (a few hundred KB), so no request path ever reaches the filesystem.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The console's own pages; each answers with index.html and the client draws the page. */
const CONSOLE_PATHS = ['/', '/login', '/config/email', '/guides/:name', '/outbox', '/outbox/:id', '/users', '/audit', '/tokens', '/webhooks'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

// Everything the console loads comes from this server: no CDN, no inline script.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  body: Buffer;
  type: string;
}

/** dist/web under the package root, whether this file runs from src/ (tests) or dist/. */
export function consoleDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.join(dir, 'dist', 'web');
}

function readAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!fs.existsSync(root)) return assets;
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const type = TYPES[path.extname(file)];
    if (!type) continue;
    assets.set('/' + path.relative(root, file).split(path.sep).join('/'), { body: fs.readFileSync(file), type });
  }
  return assets;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Postroom</title>
<p>The administration console is not built. Run <code>npm run build</code> (npm install and npm start do it).</p>`;

export function consoleRoutes(app: FastifyInstance, root = consoleDir()): void {
  const assets = readAssets(root);
  const index = assets.get('/index.html');
  const page = (reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('referrer-policy', 'same-origin')
      .send(index?.body ?? NOT_BUILT);

  for (const p of CONSOLE_PATHS) app.get(p, (_req, reply) => page(reply));
  for (const [url, asset] of assets) {
    if (url === '/index.html') continue;
    // Vite names built files by their content hash, so they can be cached for good.
    const cache = url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    app.get(url, (_req, reply) => reply.type(asset.type).header('cache-control', cache).send(asset.body));
  }
}
