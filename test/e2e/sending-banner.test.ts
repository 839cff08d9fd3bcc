// The route's state on every console page, in a real browser: while a wrong password keeps
// e-mails waiting, the banner says so with the server's reply and links to the setting; it goes
// once the password is right.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'sending banner e2e password';

describe('sending-stopped banner (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: 'right password' } });
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update(sinkSettings(sink.port, { smtpUser: 'relay', smtpPassword: 'wrong password' }), 'test');
    for (let i = 0; i < 2; i++) await postroom.queue.handOver({ to: ['alice@example.org'], subject: `waits ${i}`, text: '…' }, 'test');
    await postroom.dispatcher.start();
    server = await startHttp(postroom);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await sink?.close();
    await db?.cleanup();
  });

  for (const [locale, title, password, signIn] of [
    ['en-GB', 'Sending is stopped', 'Password', 'Sign in'],
    ['fr-FR', 'L’envoi est arrêté', 'Mot de passe', 'Se connecter'],
  ] as const) {
    it(`says on every page why sending is stopped, with the server's reply (${locale})`, async () => {
      const context = await browser.newContext({ locale });
      const page = await context.newPage();
      await page.goto(`${server.url}/outbox`);
      await page.getByLabel(password).fill(PASSWORD);
      const signedIn = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.ok());
      await page.getByRole('button', { name: signIn }).click();
      await signedIn;
      for (const where of ['/outbox', '/users', '/config/email']) {
        await page.goto(`${server.url}${where}`);
        const banner = page.locator('.sending-stopped');
        await banner.getByRole('heading', { name: title }).waitFor({ timeout: 15_000 });
        const text = await banner.innerText();
        assert.match(text, /535/, `the server's reply is shown on ${where}: ${text}`);
        assert.match(text, /\b2\b/, `how many e-mails wait is shown on ${where}: ${text}`);
        const link = banner.getByRole('link');
        assert.equal(await link.getAttribute('href'), '/config/email#field-smtpPassword', 'the link leads to the setting to fix');
      }
      await context.close();
    });
  }

  it('goes away once the password is right and the e-mails are sent', async () => {
    await postroom.settings.update({ smtpPassword: 'right password' }, 'test');
    postroom.dispatcher.wake();
    await sink.waitFor(2, 20_000);
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.url}/outbox`);
    await page.getByLabel('Password').fill(PASSWORD);
    // The console's first read of the sending state, awaited from before it is asked (waiting
    // after the page is up would wait for the next poll, 15 s later).
    const firstRead = page.waitForResponse((r) => r.url().endsWith('/api/v1/sending'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await firstRead;
    // Two frames: what that answer renders is on screen.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.equal(await page.locator('.sending-stopped').count(), 0, 'no banner while mail moves');
    await context.close();
  });

  it('retries the failed e-mails of a bad day from the outbox, after saying how many', async () => {
    sink.dataReplies.push({ code: 550, message: '5.7.1 Relay misconfigured for a while' }, { code: 550, message: '5.7.1 Relay misconfigured for a while' });
    for (let i = 0; i < 2; i++) await postroom.queue.handOver({ to: ['bob@example.org'], subject: `bad day ${i}`, text: '…' }, 'test');
    await postroom.dispatcher.runCampaign();
    assert.equal((await postroom.queue.counts()).failed, 2, 'both failed on the 550');
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${server.url}/outbox`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Retry failed e-mails…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('2 failed e-mails will be sent again').waitFor();
    await dialog.getByRole('button', { name: 'Retry and send' }).click();
    await page.getByRole('status').filter({ hasText: '2 e-mails sent again.' }).waitFor();
    const counts = await postroom.queue.counts();
    assert.equal(counts.failed, 0, 'none failed any more');
    assert.ok(counts.pending + counts.sending + counts.sent === 4, `the two are due again (${JSON.stringify(counts)})`);
    const audit = await postroom.settings.audit(5);
    assert.ok(audit.some((a) => a.key === 'queue.retry' && (a.newValue as { retried?: number }).retried === 2), 'the bulk retry is in the audit');
    await context.close();
  });
});
