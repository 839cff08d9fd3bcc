// Tests that run the `postroom` command run dist/, the build: after a change to src/ without
// `npm run build`, they would test the code before the change. Said at once, not as a mystery.
import fs from 'node:fs';
import path from 'node:path';

function newest(dir: string, ext: RegExp): { file: string; at: number } {
  let best = { file: '', at: 0 };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = newest(p, ext);
      if (inner.at > best.at) best = inner;
    } else if (ext.test(entry.name)) {
      const at = fs.statSync(p).mtimeMs;
      if (at > best.at) best = { file: p, at };
    }
  }
  return best;
}

/** Throws when a source file is newer than the newest compiled file: run `npm run build` first. */
export function assertBuilt(root = process.cwd()): void {
  const source = newest(path.join(root, 'src'), /\.ts$/);
  const dist = path.join(root, 'dist');
  const built = fs.existsSync(dist) ? newest(dist, /\.js$/) : { file: '', at: 0 };
  if (source.at > built.at) {
    throw new Error(
      `dist/ is older than src/ (${path.relative(root, source.file)} changed after the last build): these tests run the built postroom command; run npm run build first`,
    );
  }
}
