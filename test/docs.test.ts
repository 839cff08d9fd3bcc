// The documentation holds together: every relative link of README.md and docs/*.md reaches a file
// of the repository (and, with #anchor, a heading of that file, by GitHub's anchor rules), every
// src/, test/, bench/ or scripts/ path the pages name exists, the README stays a short page, and
// the setup guides' pages are what scripts/guides-doc.ts makes from the console's guides now.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { GUIDE_LANGUAGES, GUIDES_DOC, guidesDoc, headingAnchor } from '../scripts/guides-doc.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const README_LIMIT_BYTES = 12_000;

const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].sort();

/** The page's lines outside fenced code blocks, each with its 1-based line number. */
function proseLines(text: string): { line: string; n: number }[] {
  const out: { line: string; n: number }[] = [];
  let fence: string | null = null;
  text.split('\n').forEach((line, i) => {
    const opening = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === null && opening?.[1]) fence = opening[1];
    else if (fence !== null && opening?.[1]?.startsWith(fence[0] ?? '') && opening[1].length >= fence.length && line.trim() === opening[1]) fence = null;
    else if (fence === null) out.push({ line, n: i + 1 });
  });
  return out;
}

/** Inline code spans removed (a link or a path in them is an example, not a link). */
const withoutCode = (line: string) => line.replace(/(`+)(?:(?!\1).)+?\1/g, '');

/** Every anchor GitHub gives the page's headings (a repeated heading gets -1, -2…). */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const { line } of proseLines(fs.readFileSync(file, 'utf8'))) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/\\(.)/g, '$1');
    const base = headingAnchor(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  n: number;
  target: string;
}

function linksOf(page: string): Link[] {
  const links: Link[] = [];
  for (const { line, n } of proseLines(fs.readFileSync(path.join(ROOT, page), 'utf8'))) {
    for (const m of withoutCode(line).matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ page, n, target: m[1] ?? '' });
  }
  return links;
}

const external = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('documentation', () => {
  it('finds the pages', () => {
    for (const page of ['README.md', 'docs/ARCHITECTURE.md', 'docs/administration.md', 'docs/setup-guides.md', 'docs/host-applications.md', 'docs/operations.md', 'docs/security.md', 'docs/testing.md']) {
      assert.ok(pages.includes(page), `${page} is missing`);
    }
  });

  it('links only to files of the repository, and to headings they have', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const { n, target } of linksOf(page)) {
        if (external(target)) {
          if (!/^(https?|mailto):/i.test(target)) broken.push(`${page}:${n}: ${target}: only public web pages may be linked outside the repository`);
          continue;
        }
        const [rawFile = '', anchor] = target.split('#', 2);
        const file = rawFile === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(rawFile));
        const shown = `${page}:${n}: ${target}`;
        if (path.relative(ROOT, file).startsWith('..') || path.isAbsolute(path.relative(ROOT, file))) {
          broken.push(`${shown}: outside the repository`);
          continue;
        }
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
          broken.push(`${shown}: no such file`);
          continue;
        }
        if (anchor !== undefined) {
          if (!file.endsWith('.md')) broken.push(`${shown}: an anchor in a file that is not Markdown`);
          else if (!anchorsOf(file).has(anchor)) broken.push(`${shown}: no heading with that anchor in ${path.relative(ROOT, file)}`);
        }
      }
    }
    assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
  });

  it('names only src/, test/, bench/ and scripts/ paths that exist', () => {
    const missing: string[] = [];
    const exists = (p: string) => {
      if (!p.includes('*')) return fs.existsSync(path.join(ROOT, p));
      // A pattern such as test/integration/bounces-*.test.ts: some file of its folder must match.
      const dir = path.join(ROOT, path.dirname(p));
      const pattern = new RegExp(`^${path.basename(p).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
      return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => pattern.test(f));
    };
    for (const page of pages) {
      const named = proseLines(fs.readFileSync(path.join(ROOT, page), 'utf8')).flatMap(({ line, n }) => [...line.matchAll(/`([^`]+)`/g)].map((m) => ({ n, text: m[1] ?? '' })));
      const linked = linksOf(page)
        .filter((l) => !external(l.target))
        .map((l) => ({ n: l.n, text: path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, page)), l.target.split('#')[0] ?? '')) }));
      for (const { n, text } of [...named, ...linked]) {
        for (const m of text.matchAll(/(?:^|[\s("'=])((?:src|test|bench|scripts)\/[\w.*/-]*)/g)) {
          const p = (m[1] ?? '').replace(/[.,;:]+$/, '');
          if (!exists(p)) missing.push(`${page}:${n}: ${p}`);
        }
      }
    }
    assert.deepEqual(missing, [], `paths that do not exist:\n${missing.join('\n')}`);
  });

  it(`keeps README.md under ${README_LIMIT_BYTES.toLocaleString('en')} bytes`, () => {
    const size = fs.statSync(path.join(ROOT, 'README.md')).size;
    assert.ok(size < README_LIMIT_BYTES, `README.md is ${size} bytes: move the detail to a page under docs/ and link it`);
  });

  for (const language of GUIDE_LANGUAGES) {
    it(`has ${path.relative(ROOT, GUIDES_DOC[language])} as the console's guides make it now`, () => {
      const file = GUIDES_DOC[language];
      assert.ok(fs.existsSync(file), `${path.relative(ROOT, file)} is missing: run npm run gen:guides`);
      assert.equal(
        fs.readFileSync(file, 'utf8'),
        guidesDoc(language),
        `${path.relative(ROOT, file)} differs from the console's guides (web/src/guides/content.ts, web/src/i18n/${language}.json): run npm run gen:guides`,
      );
    });
  }
});
