// What every console test checks on a page: axe-core's WCAG 2 A/AA rules, and in French that no
// English is left; and how the tests start Debian's Chromium.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { fieldCatalogue } from '../../src/settings/fields.js';
import en from '../../web/src/i18n/en.json' with { type: 'json' };
import fr from '../../web/src/i18n/fr.json' with { type: 'json' };

/** axe-core's browser build, injected into the page as it is (nothing fetched from elsewhere). */
const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
export const CHROMIUM = { executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] };

interface Violation {
  id: string;
  help: string;
  nodes: string[];
}

/** axe-core's WCAG 2.0 and 2.1 level A and AA rules on the page as it is now. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    type Axe = { run(ctx: Document, opts: object): Promise<{ violations: { id: string; help: string; nodes: { target: string[]; failureSummary?: string }[] }[] }> };
    const axe = (window as unknown as { axe: Axe }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
  });
}

export async function assertAccessible(page: Page, where: string): Promise<void> {
  assert.deepEqual(await axeViolations(page), [], `axe-core finds WCAG 2 A/AA violations on ${where}`);
}

type Catalogue = { [key: string]: string | Catalogue };
const strings = (c: Catalogue): string[] => Object.values(c).flatMap((v) => (typeof v === 'string' ? [v] : strings(v)));

/**
 * English a French page must not show: the console's English messages (their fixed parts) and the
 * server's English setting labels and help texts, leaving out what both languages write alike.
 */
const ENGLISH_ONLY = (() => {
  const french = new Set(strings(fr));
  const pieces = [...strings(en), ...fieldCatalogue().flatMap((f) => [f.label, f.help])]
    .filter((s) => !french.has(s))
    .flatMap((s) => s.split(/\{\{[^}]*\}\}/))
    .map((s) => s.trim())
    .filter((s) => s.length >= 12 && /[a-z]{3}/.test(s));
  return [...new Set(pieces)];
})();

export async function assertNoEnglish(page: Page, where: string): Promise<void> {
  const text = await page.evaluate(() => document.body.innerText);
  assert.deepEqual(ENGLISH_ONLY.filter((s) => text.includes(s)), [], `English left on ${where} in French`);
}

