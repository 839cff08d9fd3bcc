// Bounces in the administration console (Debian's Chromium, real Postroom, Dovecot as the
// postmaster's mailbox): "Check now" on Configuration > Email, the bounced e-mails in the outbox,
// and each recipient's fate with the report as received, in English and in French.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { assertAccessible, assertNoEnglish, CHROMIUM } from '../helpers/console-checks.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { fillFixture, type SentFacts } from '../helpers/reports.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const PASSWORD = 'console bounce password';
const POSTMASTER = 'postmaster@example.com';
const MAILBOX_PASSWORD = 'Mailbox-Pa55';

/** What the administrator reads, written out here rather than taken from the catalogues. */
const WORDS = {
  en: {
    locale: 'en-GB',
    password: 'Password',
    signIn: 'Sign in',
    panel: 'Bounces from the postmaster’s mailbox',
    checkNow: 'Check now',
    checked: 'Checked.',
    found: /2 matched, 0 unmatched, 0 unreadable/,
    last24h: /2 hard, 0 soft, 0 delayed,\s+0 policy bounces/,
    bounced: 'Bounced',
    someBounced: '1 of 2 bounced',
    oneBounced: '1 bounced',
    hard: /hard bounce: the address is wrong or gone/,
    showRaw: 'Show the report as received',
    matchedBy: /matched by its X-Postroom-Id/,
  },
  fr: {
    locale: 'fr-FR',
    password: 'Mot de passe',
    signIn: 'Se connecter',
    panel: 'Retours d’erreur de la boîte du postmaster',
    checkNow: 'Vérifier maintenant',
    checked: 'Vérifié.',
    found: /2 reconnus, 0 non reconnus, 0 illisibles/,
    last24h: /2 définitifs, 0 temporaires, 0 retardés,\s+0 refus de principe/,
    bounced: 'Revenu en erreur',
    someBounced: '1 destinataire sur 2 revenu en erreur',
    oneBounced: '1 revenu en erreur',
    hard: /erreur définitive\u00a0: l’adresse est fausse ou n’existe plus/,
    showRaw: 'Afficher le rapport tel que reçu',
    matchedBy: /reconnu à son X-Postroom-Id/,
  },
} as const;

for (const lang of ['en', 'fr'] as const) {
  const W = WORDS[lang];

  describe(`bounces in the console (${W.locale})`, () => {
    let dovecot: DovecotServer;
    let sink: SmtpSink;
    let db: TestDatabase;
    let postroom: Postroom;
    let server: TestServer;
    let browser: Browser;
    let page: Page;
    const sent: (SentFacts & { id: number })[] = [];
    const check = async (where: string) => {
      await assertAccessible(page, `${where} (${lang})`);
      if (lang === 'fr') await assertNoEnglish(page, where);
    };

    before(async () => {
      dovecot = await startDovecot({ users: { [POSTMASTER]: MAILBOX_PASSWORD } });
      sink = await startSmtpSink({ auth: { user: POSTMASTER, pass: MAILBOX_PASSWORD } });
      db = await createTestDatabase('sqlite');
      postroom = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
      await postroom.admins.setPassword(PASSWORD);
      await postroom.settings.update(
        sinkSettings(sink.port, { smtpUser: POSTMASTER, smtpPassword: MAILBOX_PASSWORD, postmaster: POSTMASTER, bounceProcessing: true, imapPort: dovecot.imapPort }),
        'test',
      );
      for (const [to, subject] of [[['carol@example.net'], 'Invoice 2026-301'], [['alice@example.net', 'bob@example.net'], 'Invoice 2026-302']] as const) {
        const { id, messageId } = await postroom.queue.handOver({ to: [...to], subject, text: 'Attached.' }, 'test');
        sent.push({ id, postmaster: POSTMASTER, tag: postroom.tags.tag(id, messageId), messageId, recipients: [...to], subject });
      }
      await postroom.dispatcher.runCampaign();
      await dovecot.deliver(POSTMASTER, fillFixture('03-gmail-5-1-1-no-such-user.eml', sent[0] as SentFacts));
      await dovecot.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', { ...(sent[1] as SentFacts), recipients: ['alice@example.net'] }));
      server = await startHttp(postroom, { route: { ca: testPki().caPem } });
      browser = await chromium.launch(CHROMIUM);
      const context = await browser.newContext({ locale: W.locale, viewport: { width: 1280, height: 800 }, bypassCSP: true });
      page = await context.newPage();
      await page.goto(`${server.url}/config/email`);
      await page.getByLabel(W.password).fill(PASSWORD);
      await page.getByRole('button', { name: W.signIn }).click();
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await postroom?.close();
      await db?.cleanup();
      await sink?.close();
      await dovecot?.close();
    });

    it('Configuration > Email reads the mailbox on "Check now" and says what it found', async () => {
      const panel = page.getByRole('region', { name: W.panel });
      await panel.waitFor();
      await panel.getByRole('button', { name: W.checkNow }).click();
      await panel.getByRole('status').filter({ hasText: W.checked }).waitFor();
      const text = await panel.innerText();
      assert.match(text, W.found);
      assert.match(text, W.last24h);
      assert.equal((await postroom.queue.show(sent[0]?.id ?? 0)).status, 'bounced');
      await check('Configuration > Email with the bounce panel');
    });

    it('the outbox lists the bounced e-mail under its status, and says when some recipients bounced', async () => {
      await page.goto(`${server.url}/outbox?status=bounced`);
      const bounced = page.getByRole('row').filter({ hasText: 'Invoice 2026-301' });
      await bounced.waitFor();
      assert.match(await bounced.innerText(), new RegExp(W.bounced));
      assert.equal(await page.getByRole('row').filter({ hasText: 'Invoice 2026-302' }).count(), 0, 'sent to one of two: not bounced');
      await page.goto(`${server.url}/outbox`);
      const partly = page.getByRole('row').filter({ hasText: 'Invoice 2026-302' });
      await partly.waitFor();
      assert.match(await partly.innerText(), new RegExp(W.someBounced));
      // The chart counts it in the hour it finished, as bounced (no longer among the sent).
      await page.locator('.chart figcaption').getByText(W.oneBounced, { exact: true }).waitFor();
      await check('the outbox with a bounced e-mail');
    });

    it("an e-mail's page shows each recipient's fate and, on request, the report as received", async () => {
      await page.goto(`${server.url}/outbox/${sent[0]?.id}`);
      const recipients = page.locator('section[aria-labelledby="recipients-title"]');
      await recipients.waitFor();
      const row = recipients.getByRole('row').filter({ hasText: 'carol@example.net' });
      assert.match(await row.innerText(), new RegExp(W.bounced));
      assert.match(await row.innerText(), W.hard);
      assert.match(await row.innerText(), /550-5\.1\.1/, "the server's own words, as it wrote them");
      const reports = page.locator('section[aria-labelledby="reports-title"]');
      assert.match(await reports.innerText(), W.matchedBy);
      await reports.getByRole('button', { name: W.showRaw }).click();
      const raw = reports.locator('pre');
      await raw.waitFor();
      assert.match(await raw.innerText(), /Content-Type: multipart\/report/);
      await check("a bounced e-mail's page with its report");
    });
  });
}
