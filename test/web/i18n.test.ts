// The console's message catalogues: both languages have every message (with the plural forms
// and placeholders each needs), every key the code asks for exists, and no visible text in the
// components is written outside the catalogues.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { fieldCatalogue } from '../../src/settings/fields.js';
import { PRESETS } from '../../src/settings/presets.js';
import { GUIDES } from '../../web/src/guides/content.js';
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import fr from '../../web/src/i18n/fr.json' with { type: 'json' };

type Catalogue = { [key: string]: string | Catalogue };
const WEB = path.resolve('web/src');
const PLURAL = /_(zero|one|two|few|many|other)$/;

function flatten(c: Catalogue, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(c)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

const flat = { en: flatten(en), fr: flatten(fr) };
/** Setting labels and helps: English comes from the server's field catalogue, French from fr.json. */
const isFieldText = (key: string) => key.startsWith('fields.');
const bases = (m: Map<string, string>) => new Set([...m.keys()].filter((k) => !isFieldText(k)).map((k) => k.replace(PLURAL, '')));
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]).sort();
const has = (lang: 'en' | 'fr', key: string) => flat[lang].has(key) || flat[lang].has(`${key}_other`);

function sources(dir = WEB): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && e.name !== 'types.ts' ? [p] : [];
  });
}

describe('console message catalogues', () => {
  it('English and French have the same messages', () => {
    const missingInFr = [...bases(flat.en)].filter((k) => !bases(flat.fr).has(k));
    const missingInEn = [...bases(flat.fr)].filter((k) => !bases(flat.en).has(k));
    assert.deepEqual({ missingInFr, missingInEn }, { missingInFr: [], missingInEn: [] });
  });

  it('each language has the plural forms its grammar needs, and no message is empty', () => {
    const wrong: string[] = [];
    for (const lang of ['en', 'fr'] as const) {
      const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      const plurals = new Set([...flat[lang].keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
      for (const base of plurals) for (const form of needed) if (!flat[lang].has(`${base}_${form}`)) wrong.push(`${lang}: ${base}_${form} missing`);
      for (const [k, v] of flat[lang]) if (v.trim() === '') wrong.push(`${lang}: ${k} is empty`);
    }
    assert.deepEqual(wrong, []);
  });

  it('a message has the same placeholders in both languages', () => {
    const differ: string[] = [];
    for (const [k, v] of flat.en) {
      const other = flat.fr.get(k) ?? flat.fr.get(k.replace(PLURAL, '_other'));
      if (other !== undefined && placeholders(v).join() !== placeholders(other).join()) differ.push(`${k}: ${placeholders(v)} / ${placeholders(other)}`);
    }
    assert.deepEqual(differ, []);
  });

  it('French names every setting of the server’s field catalogue, with its help text', () => {
    const missing = fieldCatalogue().flatMap((f) => ['label', 'help'].map((part) => `fields.${f.key}.${part}`)).filter((k) => !flat.fr.has(k));
    assert.deepEqual(missing, [], 'add these to web/src/i18n/fr.json');
    assert.equal(Object.hasOwn(en, 'fields'), false, 'English labels come from the server, not from en.json');
  });

  it('the presets’ English titles and next steps are the server’s own, and French has them too', () => {
    for (const p of Object.values(PRESETS)) {
      assert.equal(flat.en.get(`presetText.${p.name}.title`), p.title, `title of preset ${p.name}`);
      assert.equal(flat.en.get(`presetText.${p.name}.next`), p.next, `next step of preset ${p.name}`);
    }
  });

  it('every guide, step, status and route the code names has its messages', () => {
    const wanted = [
      ...GUIDES.flatMap((g) => [`guides.${g.name}.title`, `guides.${g.name}.intro`, ...g.steps.map((s) => `guides.steps.${s.text}`)]),
      ...['pending', 'sending', 'sent', 'error', 'failed', 'held', 'cancelled', 'bounced'].map((s) => `status.${s}`),
      ...['sent', 'transient', 'permanent', 'interrupted'].map((o) => `outcome.${o}`),
      ...['smtp', 'oauth', 'graph', 'drafts'].map((r) => `route.${r}`),
    ];
    const missing = wanted.flatMap((k) => (['en', 'fr'] as const).filter((l) => !has(l, k)).map((l) => `${l}: ${k}`));
    assert.deepEqual(missing, []);
    assert.ok(
      GUIDES.some((g) => g.name === 'company-relay'),
      'a guide for a plain company relay sits beside the cloud ones',
    );
  });

  it('every key the code asks for with t(\'…\') exists in both catalogues', () => {
    const missing: string[] = [];
    for (const file of sources()) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([\w.-]+)'/g)) {
        const key = m[1] ?? '';
        for (const lang of ['en', 'fr'] as const) if (!has(lang, key)) missing.push(`${path.relative(WEB, file)}: ${lang} ${key}`);
      }
    }
    assert.deepEqual(missing, []);
  });
});

/** JSX attributes whose text a user sees or hears. */
const VISIBLE_ATTRIBUTES = new Set(['title', 'aria-label', 'placeholder', 'alt', 'label', 'confirmLabel', 'aria-description']);
/** Text that is the same in every language: products, protocols, codes and punctuation. */
const UNIVERSAL = /^(Postroom|SMTP|Message-ID|erp-production|[^\p{L}]*)$/u;

/** Visible text written directly in the components, outside the catalogues. */
function literalsIn(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const report = (node: ts.Node, text: string) => {
    const t = text.replace(/\s+/g, ' ').trim();
    if (t && !UNIVERSAL.test(t)) found.push(`${path.relative(WEB, file)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${t}`);
  };
  /** Whether a string literal ends up as the value of the JSX expression around it. */
  const flowsToOutput = (node: ts.Node): boolean => {
    let child = node;
    let parent = node.parent;
    while (parent) {
      if (ts.isParenthesizedExpression(parent) || ts.isTemplateSpan(parent) || ts.isTemplateExpression(parent)) {
        // A template's text flows on with the template.
      } else if (ts.isConditionalExpression(parent)) {
        if (child === parent.condition) return false;
      } else if (ts.isBinaryExpression(parent)) {
        const op = parent.operatorToken.kind;
        if (op !== ts.SyntaxKind.AmpersandAmpersandToken && op !== ts.SyntaxKind.BarBarToken && op !== ts.SyntaxKind.QuestionQuestionToken && op !== ts.SyntaxKind.PlusToken) return false;
      } else if (ts.isJsxExpression(parent)) {
        const holder = parent.parent;
        if (ts.isJsxAttribute(holder)) return VISIBLE_ATTRIBUTES.has(holder.name.getText());
        return ts.isJsxElement(holder) || ts.isJsxFragment(holder);
      } else {
        return false;
      }
      child = parent;
      parent = parent.parent;
    }
    return false;
  };
  const visit = (node: ts.Node) => {
    // Commands and headers in <code> are typed as they are, in every language.
    if (ts.isJsxText(node)) {
      if (!(ts.isJsxElement(node.parent) && node.parent.openingElement.tagName.getText() === 'code')) report(node, node.text);
    }
    else if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer) && VISIBLE_ATTRIBUTES.has(node.name.getText())) report(node, node.initializer.text);
    else if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && flowsToOutput(node)) report(node, node.text);
    else if (ts.isTemplateExpression(node) && flowsToOutput(node)) report(node, [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' '));
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('console components', () => {
  it('write no visible text outside the catalogues', () => {
    const files = sources().filter((f) => f.endsWith('.tsx'));
    assert.ok(files.length > 10, `found ${files.length} components`);
    assert.deepEqual(files.flatMap(literalsIn), []);
  });

  it('the check finds text written outside t()', () => {
    const dir = fs.mkdtempSync(path.join(WEB, '..', '.i18n-probe-'));
    try {
      const probe = path.join(dir, 'Probe.tsx');
      fs.writeFileSync(
        probe,
        `export const P = ({ ok, t }: { ok: boolean; t: (k: string) => string }) => (
          <p title="Hover text" className="x">Plain words {ok ? 'Yes' : t('common.save')} {ok && \`\${1} left\`} {t('common.cancel')}</p>
        );`,
      );
      assert.deepEqual(
        literalsIn(probe).map((l) => l.replace(/^.*?: /, '')),
        ['Hover text', 'Plain words', 'Yes', 'left'],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
