// Configuration > Email for a person filling a route (issue 25, item 4): the route's settings in
// one group, in the order a guide fills them, then the sending process's; "Save all changes (N)"
// at the foot of the window once two settings are edited, which saves them in one go, keeps a
// refused one edited with the server's reason, and can drop every edit; in French the header
// holds on one line at 1280 px. In a real browser (Debian's Chromium), axe-core on each state.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { CHROMIUM, assertAccessible, assertNoEnglish } from '../helpers/console-checks.js';

const PASSWORD = 'save-all e2e password';
const SECRET = 'relay-pw-Hx42-never-echoed';
const SMTP_ROUTE = ['smtpHost', 'smtpPort', 'startTls', 'smtpUser', 'smtpPassword', 'postmaster', 'smtpCaCertificate'];
const SENDING = ['enabled', 'maxRetrySeconds', 'campaignIntervalSeconds', 'retentionDays', 'skipPendingAtStartup'];

describe('Configuration > Email: groups and "Save all changes" (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let browser: Browser;
  let page: Page;

  const row = (key: string) => page.locator(`form[data-key="${key}"]`);
  const stored = async () => postroom.settings.load();
  const keysIn = (group: string) =>
    page.getByRole('region', { name: group, exact: true }).locator('form[data-key]').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-key')));
  const bar = () => page.getByRole('region', { name: 'Unsaved changes' });

  async function signIn(p: Page, words: { password: string; signIn: string; title: string }) {
    await p.goto(`${server.url}/config/email`);
    await p.getByLabel(words.password).fill(PASSWORD);
    await p.getByRole('button', { name: words.signIn }).click();
    await p.getByRole('heading', { name: words.title }).waitFor();
    await p.locator('form[data-key]').first().waitFor();
  }

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom);
    browser = await chromium.launch(CHROMIUM);
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 800 }, bypassCSP: true });
    page = await context.newPage();
    await signIn(page, { password: 'Password', signIn: 'Sign in', title: 'Configuration > Email' });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await db?.cleanup();
  });

  it('puts the route’s settings in one group headed by the route, in a guide’s order, then the sending process', async () => {
    const groups = await page.locator('.config section.group h2').allInnerTexts();
    assert.deepEqual(groups, ['SMTP route', 'Sending process', 'Other settings']);
    assert.deepEqual(await keysIn('SMTP route'), SMTP_ROUTE);
    assert.deepEqual(await keysIn('Sending process'), SENDING);
    const other = await keysIn('Other settings');
    assert.ok(!other.some((k) => SMTP_ROUTE.includes(k ?? '') || SENDING.includes(k ?? '')), `each setting once: ${other.join(', ')}`);
    assert.equal(await bar().count(), 0, 'no bar while nothing is edited');

    // Microsoft Graph: its own rows come together under it, the SMTP rows go to the rest (dimmed).
    await postroom.settings.update({ useGraph: true }, 'test');
    await page.reload();
    await page.getByRole('heading', { name: 'Microsoft Graph route' }).waitFor();
    const graph = await keysIn('Microsoft Graph route');
    assert.deepEqual(graph.slice(0, 4), ['useGraph', 'tenantId', 'clientId', 'clientSecret'], graph.join(', '));
    assert.ok(graph.includes('postmaster') && !graph.includes('smtpHost'), graph.join(', '));
    assert.ok((await keysIn('Other settings')).includes('smtpHost'), 'the SMTP host is among the rest');
    await postroom.settings.update({ useGraph: false }, 'test');
    await page.reload();
    await page.getByRole('heading', { name: 'SMTP route' }).waitFor();
  });

  it('one edit keeps the row’s own Save; a second shows "Save all changes (2)" at the foot of the window', async () => {
    await page.getByLabel('SMTP host', { exact: true }).fill('relay.example.com');
    assert.equal(await bar().count(), 0, 'one edit: the row’s Save is enough');
    await page.getByLabel('SMTP port', { exact: true }).fill('2525');
    const saveAll = bar().getByRole('button', { name: 'Save all changes (2)' });
    await saveAll.waitFor();
    // Stuck to the bottom of the viewport while the top of the page is in view.
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = await bar().boundingBox();
    assert.ok(box && Math.abs(box.y + box.height - 800) <= 2, `the bar sits at the foot of the window: ${JSON.stringify(box)}`);
    assert.match(await bar().innerText(), /2 settings changed, not saved yet/);
    await assertAccessible(page, 'Configuration > Email with the "Save all changes" bar');
  });

  it('"Save all changes" saves both at once; after a reload both are there', async () => {
    const patches: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push(r.postData() ?? '');
    });
    await bar().getByRole('button', { name: 'Save all changes (2)' }).click();
    await bar().waitFor({ state: 'detached' });
    await row('smtpHost').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await row('smtpPort').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.deepEqual(patches.map((p) => JSON.parse(p) as unknown), [{ smtpHost: 'relay.example.com', smtpPort: 2525 }], 'one request');
    const s = await stored();
    assert.equal(s.smtpHost, 'relay.example.com');
    assert.equal(s.smtpPort, 2525);
    await page.getByRole('status').filter({ hasText: '2 changes saved.' }).waitFor();
    await page.reload();
    assert.equal(await page.getByLabel('SMTP host', { exact: true }).inputValue(), 'relay.example.com');
    assert.equal(await page.getByLabel('SMTP port', { exact: true }).inputValue(), '2525');
  });

  it('a refused value stays edited with the server’s reason; the others are saved', async () => {
    await page.getByLabel('SMTP user', { exact: true }).fill('relay@example.com');
    await page.getByLabel('SMTP port', { exact: true }).fill('99999');
    await page.getByLabel('Mail postmaster', { exact: true }).fill('postmaster@example.com');
    await bar().getByRole('button', { name: 'Save all changes (3)' }).click();
    const reason = row('smtpPort').getByRole('alert');
    await reason.waitFor();
    assert.match(await reason.innerText(), /at most 65535/);
    assert.equal(await page.getByLabel('SMTP port', { exact: true }).inputValue(), '99999', 'still as typed');
    assert.equal(await page.getByLabel('SMTP port', { exact: true }).getAttribute('aria-invalid'), 'true');
    // The bar stays for the one left, and says which was refused and why.
    const summary = bar().getByRole('alert');
    await summary.waitFor();
    assert.match(await summary.innerText(), /2 other changes are saved\. 1 change was not saved and stays edited:\s+SMTP port: .*at most 65535/s);
    assert.equal(await bar().getByRole('button', { name: 'Save all changes (1)' }).count(), 1);
    await row('smtpUser').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const s = await stored();
    assert.equal(s.smtpUser, 'relay@example.com');
    assert.equal(s.postmaster, 'postmaster@example.com');
    assert.equal(s.smtpPort, 2525, 'the refused port is not stored');
    await assertAccessible(page, 'Configuration > Email with a refused value after "Save all changes"');
    if (process.env.POSTROOM_UPDATE_SCREENSHOTS === '1') {
      await page.getByLabel('SMTP port', { exact: true }).scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.resolve('docs/screenshots/configuration-save-all.png'), fullPage: false });
    }
    // Corrected, it saves from its own row.
    await page.getByLabel('SMTP port', { exact: true }).fill('587');
    await row('smtpPort').getByRole('button', { name: 'Save', exact: true }).click();
    await row('smtpPort').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).smtpPort, 587);
  });

  it('saves a secret with the rest, never showing it, and holds it back when its new server is refused', async () => {
    await page.getByLabel('SMTP host', { exact: true }).fill('not a host!');
    await row('smtpPassword').getByRole('button', { name: 'Set', exact: true }).click();
    await page.getByLabel('SMTP password', { exact: true }).fill(SECRET);
    await bar().getByRole('button', { name: 'Save all changes (2)' }).click();
    await row('smtpHost').getByRole('alert').filter({ hasText: /not a host name/ }).waitFor();
    // Typed for the refused host: not sent anywhere, still there to save once the host is right.
    assert.match(await row('smtpPassword').getByRole('alert').innerText(), /not sent: it was typed for the new SMTP host/);
    assert.equal((await stored()).smtpPassword, '');
    assert.equal((await stored()).smtpHost, 'relay.example.com');
    await page.getByLabel('SMTP host', { exact: true }).fill('smtp.example.net');
    await bar().getByRole('button', { name: 'Save all changes (2)' }).click();
    await bar().waitFor({ state: 'detached' });
    await row('smtpPassword').getByText(/^Set on /).waitFor();
    const s = await stored();
    assert.equal(s.smtpHost, 'smtp.example.net');
    assert.equal(s.smtpPassword, SECRET, 'saved with the host, not cleared by it');
    const inPage = await page.evaluate((secret) => document.documentElement.outerHTML.includes(secret) || [...document.querySelectorAll('input')].some((i) => i.value === secret), SECRET);
    assert.equal(inPage, false, 'the secret is nowhere in the page once saved');
  });

  it('"Discard changes" drops every edit and shows the stored values again', async () => {
    await page.getByLabel('SMTP user', { exact: true }).fill('someone-else@example.com');
    await page.getByLabel('Time interval between two email campaigns', { exact: true }).fill('45');
    await bar().getByRole('button', { name: 'Discard changes' }).click();
    await bar().waitFor({ state: 'detached' });
    assert.equal(await page.getByLabel('SMTP user', { exact: true }).inputValue(), 'relay@example.com');
    assert.equal(await page.getByLabel('Time interval between two email campaigns', { exact: true }).inputValue(), '20');
    assert.equal((await stored()).smtpUser, 'relay@example.com', 'nothing saved');
  });

  it('in French at 1280 px, the header holds on one line; the groups and the bar are in French', async () => {
    const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 800 }, bypassCSP: true });
    const fr = await context.newPage();
    try {
      await signIn(fr, { password: 'Mot de passe', signIn: 'Se connecter', title: 'Configuration > E-mail' });
      const lines = await fr.evaluate(() => {
        const header = document.querySelector('header.topbar');
        const items = [...(header?.querySelectorAll('.brand, nav li, .who > *') ?? [])].map((el) => el.getBoundingClientRect());
        const tops = items.map((r) => r.top + r.height / 2);
        return { count: items.length, spread: Math.max(...tops) - Math.min(...tops), height: header?.getBoundingClientRect().height ?? 0 };
      });
      assert.ok(lines.count >= 9, `the header's items: ${lines.count}`);
      assert.ok(lines.spread < 12, `every item of the header on one line (their middles ${lines.spread} px apart)`);
      assert.ok(lines.height < 64, `the header is one line high: ${lines.height} px`);
      await fr.getByRole('region', { name: 'Mode d’envoi SMTP', exact: true }).waitFor();
      await fr.getByRole('region', { name: 'Processus d’envoi', exact: true }).waitFor();
      await fr.getByLabel('Utilisateur SMTP', { exact: true }).fill('autre@example.com');
      await fr.getByLabel('Port SMTP', { exact: true }).fill('70000');
      const frBar = fr.getByRole('region', { name: 'Modifications non enregistrées' });
      await frBar.getByRole('button', { name: 'Tout enregistrer (2)' }).click();
      const summary = frBar.getByRole('alert');
      await summary.waitFor();
      assert.match(await summary.innerText(), /1 autre modification est enregistrée\. 1 modification n’a pas été enregistrée et reste en cours\u00a0:\s+Port SMTP\u00a0: .*au plus 65535/s);
      await assertAccessible(fr, 'Configuration > E-mail avec une valeur refusée (fr)');
      await assertNoEnglish(fr, 'Configuration > E-mail with the bar');
      await frBar.getByRole('button', { name: 'Abandonner les modifications' }).click();
      await frBar.waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
  });
});
