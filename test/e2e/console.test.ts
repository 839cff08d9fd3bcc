// The administration console in a real browser (Debian's Chromium driven by playwright-core)
// against a real Postroom HTTP server, SQLite store and SMTP server: what an administrator does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { privatePki, testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'console e2e password';
const SECRET = 'app-pw-Zq81-never-in-the-page';
/** `POSTROOM_UPDATE_SCREENSHOTS=1` refreshes the README's pictures; otherwise they go to a temp dir. */
const SHOTS = process.env.POSTROOM_UPDATE_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-shots-'));

describe('administration console (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;
  let page: Page;

  const row = (key: string) => page.locator(`form[data-key="${key}"]`);
  const stored = async () => postroom.settings.load();

  before(async () => {
    sink = await startSmtpSink();
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom, { route: { ca: testPki().caPem } });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Everything the console loads must come from Postroom itself.
    page.on('request', (req) => assert.ok(req.url().startsWith(server.url) || req.url().startsWith('data:'), `request left the machine: ${req.url()}`));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await sink?.close();
    await db?.cleanup();
    if (process.env.POSTROOM_UPDATE_SCREENSHOTS !== '1') fs.rmSync(SHOTS, { recursive: true, force: true });
  });

  it('asks to sign in, refuses a wrong password, then opens Configuration > Email', async () => {
    await page.goto(`${server.url}/config/email`);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Configuration > Email' }).waitFor();
  });

  it('shows one labelled row per setting, with the problems banner of a fresh configuration', async () => {
    const keys = await page.locator('form[data-key]').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-key')));
    assert.deepEqual(keys, Object.keys(await stored()));
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select')].filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
    );
    assert.deepEqual(unlabelled, [], 'every input has a label');
    const banner = page.getByRole('alert').filter({ hasText: 'nothing is sent' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /kept, not lost/);
    assert.match(await banner.innerText(), /SMTP host/);
  });

  it('saves the SMTP host on its own; after a reload it is still there', async () => {
    const save = row('smtpHost').getByRole('button', { name: 'Save' });
    assert.equal(await save.isDisabled(), true, 'Save is off while nothing changed');
    await page.getByLabel('SMTP host', { exact: true }).fill('localhost');
    assert.equal(await save.isDisabled(), false);
    await save.click();
    await row('smtpHost').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).smtpHost, 'localhost');
    await page.reload();
    assert.equal(await page.getByLabel('SMTP host', { exact: true }).inputValue(), 'localhost');
  });

  it('refuses a bad port under the field and keeps the stored value', async () => {
    await page.getByLabel('SMTP port', { exact: true }).fill('99999');
    await row('smtpPort').getByRole('button', { name: 'Save' }).click();
    const error = row('smtpPort').getByRole('alert');
    await error.waitFor();
    assert.match(await error.innerText(), /at most 65535/);
    assert.equal((await stored()).smtpPort, 587);
    await page.getByLabel('SMTP port', { exact: true }).fill(String(sink.port));
    await row('smtpPort').getByRole('button', { name: 'Save' }).click();
    await row('smtpPort').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).smtpPort, sink.port);
  });

  it('takes a CA certificate in a text area, refuses a private key under the field, and shows subject and expiry', async () => {
    const company = privatePki('Company Private CA');
    const field = page.getByLabel("SMTP server's CA certificate", { exact: true });
    await field.fill(company.keyPem);
    await row('smtpCaCertificate').getByRole('button', { name: 'Save' }).click();
    const error = row('smtpCaCertificate').getByRole('alert');
    await error.waitFor();
    assert.match(await error.innerText(), /private key: paste only the CA's certificate/);
    assert.equal((await stored()).smtpCaCertificate, '', 'nothing stored');
    await field.fill(company.caPem);
    await row('smtpCaCertificate').getByRole('button', { name: 'Save' }).click();
    await row('smtpCaCertificate').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const shown = await row('smtpCaCertificate').locator('.certificates').innerText();
    assert.match(shown, /CN=Company Private CA, issued by CN=Company Private CA, expires \S+/, shown);
    assert.equal((await stored()).smtpCaCertificate, company.caPem.trim());
    await field.fill('');
    await row('smtpCaCertificate').getByRole('button', { name: 'Save' }).click();
    await row('smtpCaCertificate').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).smtpCaCertificate, '', 'cleared');
  });

  it('sets a secret that is then nowhere in the page, its storage or its inputs', async () => {
    await row('smtpPassword').getByRole('button', { name: 'Set' }).click();
    await page.getByLabel('SMTP password', { exact: true }).fill(SECRET);
    await row('smtpPassword').getByRole('button', { name: 'Save' }).click();
    await row('smtpPassword').getByText(/^Set on /).waitFor();
    assert.equal((await stored()).smtpPassword, SECRET);
    const inPage = async () => {
      const html = await page.content();
      const state = await page.evaluate(() => ({
        local: JSON.stringify({ ...localStorage }),
        session: JSON.stringify({ ...sessionStorage }),
        inputs: [...document.querySelectorAll('input')].map((i) => i.value).join('\n'),
        text: document.body.innerText,
      }));
      return [html, state.local, state.session, state.inputs, state.text].some((s) => s.includes(SECRET));
    };
    assert.equal(await inPage(), false, 'not in the page after saving');
    await page.reload();
    await row('smtpPassword').getByText(/^Set on /).waitFor();
    assert.equal(await inPage(), false, 'not in the page after a reload');
  });

  it('the problems banner disappears once the configuration is complete', async () => {
    await page.getByLabel('Mail postmaster', { exact: true }).fill('postmaster@example.com');
    await row('postmaster').getByRole('button', { name: 'Save' }).click();
    await row('postmaster').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'nothing is sent' }).waitFor({ state: 'detached' });
    // Sending is still switched off: the screen says so, without calling it a problem.
    await page.getByText(/Sending is switched off/).waitFor();
    await page.getByLabel('Process for sending emails enabled').check();
    await row('enabled').getByRole('button', { name: 'Save' }).click();
    await page.getByText(/Sending is switched off/).waitFor({ state: 'detached' });
    assert.equal((await stored()).enabled, true);
  });

  it('test connection shows each step with the server reply', async () => {
    await page.getByRole('button', { name: 'Test connection' }).click();
    const result = page.locator('.test-result');
    await result.getByText('Connection works').waitFor({ timeout: 15_000 });
    assert.match(await result.innerText(), /starttls/i);
  });

  it('dims the SMTP rows when Graph is the route, and keeps them editable', async () => {
    await page.getByLabel('Use Graph API Library').check();
    await row('useGraph').getByRole('button', { name: 'Save' }).click();
    await row('smtpHost').and(page.locator('.dimmed')).waitFor();
    assert.match(await row('smtpHost').innerText(), /Not used by the Microsoft Graph route/);
    assert.equal(await page.getByLabel('SMTP host', { exact: true }).isEditable(), true);
    assert.equal(await row('tenantId').evaluate((f) => f.classList.contains('dimmed')), false);
    await page.getByRole('alert').filter({ hasText: 'nothing is sent' }).waitFor();
    await page.getByLabel('Use Graph API Library').uncheck();
    await row('useGraph').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'nothing is sent' }).waitFor({ state: 'detached' });
  });

  it('shows what the Google Workspace preset changes and applies it on confirmation', async () => {
    await page.getByRole('button', { name: /Google Workspace/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /SMTP host\s+localhost\s+smtp\.gmail\.com/);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/Preset applied/).waitFor();
    const s = await stored();
    assert.equal(s.smtpHost, 'smtp.gmail.com');
    assert.equal(s.maxMessagesPerMinute, 60);
    assert.equal(s.smtpPassword, SECRET, 'a preset never touches secrets');
    assert.equal(await page.getByLabel('SMTP host', { exact: true }).inputValue(), 'smtp.gmail.com');
    const audit = await postroom.settings.audit(50);
    assert.ok(audit.some((a) => a.key === 'smtpHost' && a.newValue === 'smtp.gmail.com' && a.actor.startsWith('admin:admin')));
    // Back to the local SMTP server for the outbox tests.
    await postroom.settings.update(sinkSettings(sink.port), 'test');
  });

  it('keeps what was typed when the session expires, and saves it after signing in again', async () => {
    await page.reload();
    await page.getByLabel('SMTP user', { exact: true }).fill('relay@example.com');
    await postroom.sessions.destroyAll('admin');
    await row('smtpUser').getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Your session has expired' }).waitFor();
    await dialog.getByLabel('Password').fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await row('smtpUser').getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await stored()).smtpUser, 'relay@example.com');
    assert.equal(await page.getByLabel('SMTP user', { exact: true }).inputValue(), 'relay@example.com');
    await postroom.settings.update({ smtpUser: '', smtpPassword: '' }, 'test');
    await page.screenshot({ path: path.join(SHOTS, 'configuration.png'), fullPage: false });
  });

  it('reads well at 400 px wide: nothing overflows sideways', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await page.reload();
    await page.getByRole('heading', { name: 'Configuration > Email' }).waitFor();
    const overflow = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 1);
      return { by: document.documentElement.scrollWidth - width, culprits: wide.slice(0, 5).map((el) => el.outerHTML.slice(0, 120)) };
    });
    assert.ok(overflow.by <= 0, `the page is ${overflow.by} px wider than the screen: ${overflow.culprits.join('\n')}`);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('the outbox shows an e-mail handed over by the API; cancel and retry work; the chart counts it once sent', async () => {
    const admin = new Client(server.url);
    await admin.login(PASSWORD);
    const { body: token } = await admin.request<{ token: string }>('POST', '/api/v1/tokens', { name: 'erp' });
    const host = Client.withToken(server.url, token.token);
    const handed = await host.request<{ id: number }>('POST', '/api/v1/emails', { to: ['carol@example.org'], subject: 'Invoice 2026-117', text: 'Please find…' });
    assert.equal(handed.status, 202);

    await page.goto(`${server.url}/outbox`);
    const line = page.getByRole('row').filter({ hasText: 'Invoice 2026-117' });
    await line.waitFor();
    assert.match(await line.innerText(), /Pending/);
    assert.match(await line.innerText(), /carol@example\.org/);

    await line.getByRole('link', { name: 'Invoice 2026-117' }).click();
    await page.getByRole('button', { name: 'Cancel e-mail' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel e-mail' }).click();
    await page.getByText('The e-mail is cancelled').waitFor();
    assert.equal((await postroom.queue.show(handed.body.id)).status, 'cancelled');

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Retry' }).click();
    await page.getByText('The e-mail is pending again').waitFor();
    assert.equal((await postroom.queue.show(handed.body.id)).status, 'pending');

    await postroom.dispatcher.runCampaign();
    await sink.waitFor(1);
    await page.reload();
    await page.getByText('Attempts').first().waitFor();
    assert.match(await page.locator('table').innerText(), /sent/);

    await page.goto(`${server.url}/outbox`);
    await page.locator('.chart figcaption').getByText('1 sent', { exact: true }).waitFor();
    const bars = await page.locator('.chart rect.bar-sent').evaluateAll((rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length);
    assert.equal(bars, 1, 'one hour has a bar');
    assert.equal(await page.locator('.chart rect.bar-sent').count(), 24);
    await page.screenshot({ path: path.join(SHOTS, 'outbox.png'), fullPage: false });
    assert.ok(fs.statSync(path.join(SHOTS, 'outbox.png')).size > 10_000);
  });

  it('filters the outbox by status and searches by recipient', async () => {
    const host = new Client(server.url);
    await host.login(PASSWORD);
    for (const to of ['dave@example.org', 'erin@example.org']) {
      await host.request('POST', '/api/v1/emails', { to: [to], subject: `Reminder for ${to}`, text: 'x' });
    }
    await page.goto(`${server.url}/outbox`);
    await page.getByRole('row').filter({ hasText: 'Reminder for erin' }).waitFor();
    await page.getByLabel('Status', { exact: true }).selectOption('sent');
    await page.getByRole('row').filter({ hasText: 'Reminder' }).first().waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'Invoice 2026-117' }).waitFor();
    assert.match(page.url(), /status=sent/, 'the filter is in the address, so a reload keeps it');
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await page.getByLabel('Search subject or recipient').fill('erin@');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('row').filter({ hasText: 'dave@example.org' }).waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: 'erin@example.org' }).waitFor();
    assert.equal(await page.getByRole('row').filter({ hasText: 'dave@example.org' }).count(), 0);
  });

  it('edits a user’s e-mail software and shows the audit of settings changes', async () => {
    await postroom.users.upsert('u-17', { email: 'frank@example.com', name: 'Frank', emailSoftware: 'server' });
    await page.goto(`${server.url}/users`);
    await page.getByLabel('E-mail software of u-17').selectOption('outlook-new');
    await page.getByRole('row').filter({ hasText: 'u-17' }).getByRole('button', { name: 'Save' }).click();
    await page.getByRole('row').filter({ hasText: 'u-17' }).getByText('Saved').waitFor();
    assert.equal((await postroom.users.list()).find((u) => u.id === 'u-17')?.emailSoftware, 'outlook-new');

    await page.goto(`${server.url}/audit`);
    const secretLine = page.getByRole('row').filter({ hasText: 'smtpPassword' }).first();
    await secretLine.waitFor();
    assert.match(await secretLine.innerText(), /value not kept/);
    assert.ok(!(await page.content()).includes(SECRET));
  });

  it('signs out back to the sign-in page', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Postroom' }).waitFor();
    const res = await page.request.get(`${server.url}/api/v1/settings/email`);
    assert.equal(res.status(), 401);
  });
});
