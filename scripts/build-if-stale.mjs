// `npm start` builds only what is older than its sources: the server (src/ → dist/, with the API
// types made from its routes) and the console (web/ → dist/web/). A built checkout starts at once;
// rebuilding everything took 20 s on every start. Plain JS: it runs before tsx is known to work.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time of the files under `dir` whose name matches (0: none). */
function newest(dir, match, skip = () => false) {
  if (!existsSync(dir)) return 0;
  let at = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (skip(p)) continue;
    if (entry.isDirectory()) at = Math.max(at, newest(p, match, skip));
    else if (match.test(entry.name)) at = Math.max(at, statSync(p).mtimeMs);
  }
  return at;
}

const within = (sub) => path.join(root, sub);
const serverSources = Math.max(newest(within('src'), /\.(ts|c|json)$/), statSync(within('tsconfig.build.json')).mtimeMs, statSync(within('package.json')).mtimeMs);
const serverBuilt = newest(within('dist'), /\.js$/, (p) => p.startsWith(within('dist/web')));
// The console's sources include web/src/api-types.ts, which the server build rewrites when the API changed.
const webSources = newest(within('web'), /\.(tsx?|css|json|html|svg|png)$/, (p) => p.includes(`${path.sep}node_modules`));
const webBuilt = existsSync(within('dist/web/index.html')) ? newest(within('dist/web'), /./) : 0;

const npm = process.env.npm_execpath;
const run = (...args) => {
  const r = npm ? spawnSync(process.execPath, [npm, 'run', ...args], { stdio: 'inherit', cwd: root }) : spawnSync('npm', ['run', ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (serverSources > serverBuilt) {
  console.error('postroom: building the server (src/ changed since the last build)…');
  run('build:server');
}
if (webSources > webBuilt) {
  console.error('postroom: building the console (web/ changed since the last build)…');
  run('build:web');
}
