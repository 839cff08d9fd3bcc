// The Webhooks page in a real browser (Debian's Chromium through playwright-core) against a real
// server and receiver: add one (secret shown once), a refused URL, the delivery log, and the
// banner on every page while a webhook is disabled. Needs npm run build (dist/web).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'webhooks e2e password';

describe('Webhooks page (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { webhooks: { disableAfterMs: 50, backoffBaseMs: 10, backoffCapMs: 10 } });
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update({ postmaster: 'noreply@example.com' }, 'test');
    server = await startHttp(postroom);
    receiver = await startWebhookReceiver();
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}/outbox`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await receiver?.close();
    await db?.cleanup();
  });

  it('refuses a private address unless allowed for this webhook, naming why under the field', async () => {
    await page.getByLabel('Receiver URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const why = page.locator('#webhook-url-error');
    await why.waitFor();
    assert.match(await why.innerText(), /private or loopback address.*allowPrivateTarget/);
    assert.equal((await postroom.webhooks.list({ kind: 'admin', actor: 'test' })).length, 0, 'nothing stored');
  });

  it('adds a webhook for some events, shows its secret once, and lists it as active', async () => {
    await page.getByLabel(/Allow a private or loopback address/).check();
    await page.getByLabel('email.held').uncheck();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.locator('.token-value').innerText()).trim();
    assert.match(secret, /^whsec_/);
    const [stored] = await postroom.webhooks.list({ kind: 'admin', actor: 'test' });
    assert.deepEqual(stored?.events, ['email.sent', 'email.failed', 'email.deferred', 'email.recipient_refused', 'email.cancelled']);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.reload();
    await page.getByRole('cell', { name: receiver.url }).waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');
    assert.match(await page.locator('tbody tr').first().innerText(), /private address allowed[\s\S]*every e-mail[\s\S]*active/);
    assert.equal(stored?.allowPrivateTarget, true);
  });

  it("shows the delivery log with the receiver's answer", async () => {
    const e = await postroom.queue.handOver({ to: ['a@example.org'], subject: 'x', text: 'x' }, 'test');
    await postroom.queue.cancel(e.id);
    await postroom.deliverer.round();
    await page.getByRole('button', { name: 'Delivery log' }).click();
    const log = page.getByRole('table', { name: /Deliveries of webhook/ });
    await log.waitFor();
    const text = await log.innerText();
    assert.match(text, /email\.cancelled/);
    assert.match(text, new RegExp(`#${e.id}`));
    assert.match(text, /delivered/);
    assert.match(text, /200 ok/);
    // POSTROOM_UPDATE_SCREENSHOTS=1 refreshes the README's picture of this page.
    if (process.env.POSTROOM_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: path.resolve('docs/screenshots/webhooks.png'), fullPage: false });
  });

  it('shows a banner on every page while a webhook is disabled, until it is enabled again', async () => {
    receiver.answers.push(500, 500, 500);
    const e = await postroom.queue.handOver({ to: ['a@example.org'], subject: 'y', text: 'y' }, 'test');
    await postroom.queue.cancel(e.id);
    await postroom.deliverer.round();
    await new Promise((r) => setTimeout(r, 80));
    await postroom.deliverer.round();
    assert.ok((await postroom.webhooks.list({ kind: 'admin', actor: 'test' }))[0]?.disabledAt, 'disabled after failing');
    await page.getByRole('link', { name: 'Outbox' }).click();
    const banner = page.getByRole('alert', { name: 'Disabled webhooks' });
    await banner.waitFor();
    assert.match(await banner.innerText(), new RegExp(`${receiver.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*failing since.*500`, 's'));
    await banner.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('active', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    // The banner looks again on each page change: it goes once that answer is in.
    await banner.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await banner.count(), 0, 'no banner once enabled');
  });
});
