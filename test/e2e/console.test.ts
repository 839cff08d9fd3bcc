// The administration console in a real browser (Debian's Chromium driven by playwright-core)
// against a real Postroom HTTP server, SQLite store and SMTP server: what an administrator does,
// in English and in French, with axe-core checking every page against WCAG 2 A/AA.
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
import { CHROMIUM, assertAccessible, assertNoEnglish } from '../helpers/console-checks.js';

const PASSWORD = 'console e2e password';
const SECRET = 'app-pw-Zq81-never-in-the-page';
/** `POSTROOM_UPDATE_SCREENSHOTS=1` refreshes the README's pictures; otherwise they go to a temp dir. */
const SHOTS = process.env.POSTROOM_UPDATE_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-shots-'));

/** What the administrator reads, in each language: written out here, not taken from the catalogues. */
const WORDS = {
  en: {
    locale: 'en-GB',
    password: 'Password',
    signIn: 'Sign in',
    signInTitle: 'Sign in to Postroom',
    wrongPassword: 'wrong user name or password',
    config: 'Configuration > Email',
    incomplete: 'nothing is sent',
    keptNotLost: /kept, not lost/,
    save: 'Save',
    saved: 'Saved',
    smtpHost: 'SMTP host',
    smtpPort: 'SMTP port',
    smtpUser: 'SMTP user',
    smtpPassword: 'SMTP password',
    portTooHigh: /at most 65535/,
    smtpCa: "SMTP server's CA certificate",
    privateKeyRefused: /private key: paste only the CA's certificate/,
    certificateShown: /CN=Company Private CA, issued by CN=Company Private CA, expires \S+/,
    set: 'Set',
    setOn: /^Set on \d{1,2} \w{3} \d{4}/,
    postmaster: 'Mail postmaster',
    switchedOff: /Sending is switched off/,
    enabled: 'Process for sending emails enabled',
    testConnection: 'Test connection',
    connectionWorks: 'Connection works',
    useGraph: 'Use Graph API Library',
    notUsedByGraph: /Not used by the Microsoft Graph route/,
    apply: 'Apply',
    hostChange: /SMTP host\s+localhost\s+smtp\.gmail\.com/,
    clearsPassword: 'Saving clears the stored SMTP password',
    presetClears: /The stored SMTP password is cleared/,
    presetApplied: /Preset applied/,
    expired: 'Your session has expired',
    pending: /Pending/,
    cancelEmail: 'Cancel e-mail',
    cancelled: 'The e-mail is cancelled',
    retry: 'Retry',
    pendingAgain: 'The e-mail is pending again',
    attempts: 'Attempts',
    outcomeSent: /\tsent\t/,
    oneSent: '1 sent',
    status: 'Status',
    search: 'Search',
    searchLabel: 'Search subject or recipient',
    softwareOf: 'E-mail software of u-17',
    valueNotKept: /value not kept/,
    signOut: 'Sign out',
    guides: 'Setup guides',
    relayGuide: 'Company SMTP relay',
  },
  fr: {
    locale: 'fr-FR',
    password: 'Mot de passe',
    signIn: 'Se connecter',
    signInTitle: 'Connexion à Postroom',
    wrongPassword: 'nom d’utilisateur ou mot de passe incorrect',
    config: 'Configuration > E-mail',
    incomplete: 'rien n’est envoyé',
    keptNotLost: /conservés, pas perdus/,
    save: 'Enregistrer',
    saved: 'Enregistré',
    smtpHost: 'Hôte SMTP',
    smtpPort: 'Port SMTP',
    smtpUser: 'Utilisateur SMTP',
    smtpPassword: 'Mot de passe SMTP',
    portTooHigh: /au plus 65535/,
    smtpCa: 'Certificat de l’AC du serveur SMTP',
    privateKeyRefused: /clé privée\u00a0: collez seulement le certificat de l’AC/,
    certificateShown: /CN=Company Private CA, émis par CN=Company Private CA, expire le \S+/,
    set: 'Définir',
    setOn: /^Défini le \d{1,2} [a-zéû]+\.? \d{4}/,
    postmaster: 'Adresse du postmaster',
    switchedOff: /L’envoi est désactivé/,
    enabled: 'Processus d’envoi des e-mails activé',
    testConnection: 'Tester la connexion',
    connectionWorks: 'La connexion fonctionne',
    useGraph: 'Utiliser la bibliothèque Graph API',
    notUsedByGraph: /Non utilisé par le mode d’envoi Microsoft Graph/,
    apply: 'Appliquer',
    hostChange: /Hôte SMTP\s+localhost\s+smtp\.gmail\.com/,
    clearsPassword: 'Enregistrer efface le Mot de passe SMTP conservé',
    presetClears: /Le Mot de passe SMTP conservé est effacé/,
    presetApplied: /Préréglage appliqué/,
    expired: 'Votre session a expiré',
    pending: /En attente/,
    cancelEmail: 'Annuler l’e-mail',
    cancelled: 'L’e-mail est annulé',
    retry: 'Réessayer',
    pendingAgain: 'L’e-mail est de nouveau en attente',
    attempts: 'Tentatives',
    outcomeSent: /\tenvoyé\t/,
    oneSent: '1 envoyé',
    status: 'Statut',
    search: 'Rechercher',
    searchLabel: 'Rechercher dans l’objet ou les destinataires',
    softwareOf: 'Logiciel de messagerie de u-17',
    valueNotKept: /valeur non conservée/,
    signOut: 'Se déconnecter',
    guides: 'Guides',
    relayGuide: 'Relais SMTP d’entreprise',
  },
} as const;

type Lang = keyof typeof WORDS;

for (const lang of ['en', 'fr'] as const satisfies Lang[]) {
  const W = WORDS[lang];

  describe(`administration console in ${lang === 'en' ? 'English' : 'French'} (browser, ${W.locale})`, () => {
    let db: TestDatabase;
    let postroom: Postroom;
    let server: TestServer;
    let sink: SmtpSink;
    let browser: Browser;
    let page: Page;

    const row = (key: string) => page.locator(`form[data-key="${key}"]`);
    const stored = async () => postroom.settings.load();
    /** Axe-core on the page as it is, and in French no English left on it. */
    const check = async (where: string) => {
      await assertAccessible(page, `${where} (${lang})`);
      if (lang === 'fr') await assertNoEnglish(page, where);
    };

    before(async () => {
      sink = await startSmtpSink();
      db = await createTestDatabase('sqlite');
      postroom = await openTestPostroom(db, { dispatcher: { route: { ca: testPki().caPem } } });
      await postroom.admins.setPassword(PASSWORD);
      server = await startHttp(postroom, { route: { ca: testPki().caPem } });
      browser = await chromium.launch(CHROMIUM);
      // The browser's language chooses the console's; bypassCSP only lets axe-core be injected.
      const context = await browser.newContext({ locale: W.locale, viewport: { width: 1280, height: 800 }, bypassCSP: true });
      page = await context.newPage();
      // Everything the console loads must come from Postroom itself.
      page.on('request', (req) => assert.ok(req.url().startsWith(server.url) || req.url().startsWith('data:'), `request left the machine: ${req.url()}`));
    });

    after(async () => {
      await browser?.close();
      await server?.close();
      await postroom?.close();
      await sink?.close();
      await db?.cleanup();
    });

    it('asks to sign in, refuses a wrong password, then opens Configuration > Email', async () => {
      await page.goto(`${server.url}/config/email`);
      await page.getByRole('heading', { name: W.signInTitle }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang, 'the page says which language it is in');
      await check('the sign-in page');
      await page.getByLabel(W.password).fill('not the password');
      await page.getByRole('button', { name: W.signIn }).click();
      await page.getByRole('alert').filter({ hasText: W.wrongPassword }).waitFor();
      await page.getByLabel(W.password).fill(PASSWORD);
      await page.getByRole('button', { name: W.signIn }).click();
      await page.getByRole('heading', { name: W.config }).waitFor();
    });

    it('shows one labelled row per setting, with the problems banner of a fresh configuration', async () => {
      const keys = await page.locator('form[data-key]').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-key')));
      // Every setting has its row; a provider's own rows the route does not use are folded at the end.
      assert.deepEqual([...keys].sort(), Object.keys(await stored()).sort());
      const folded = await page.locator('details.unused-rows form[data-key]').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-key')));
      assert.ok(folded.includes('tenantId') && folded.includes('googleServiceAccountKey') && !folded.includes('smtpHost'), `folded: ${folded.join(', ')}`);
      assert.equal(await page.locator('details.unused-rows').getAttribute('open'), null, 'folded until asked for');
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, select')].filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
      );
      assert.deepEqual(unlabelled, [], 'every input has a label');
      const banner = page.getByRole('alert').filter({ hasText: W.incomplete });
      await banner.waitFor();
      assert.match(await banner.innerText(), W.keptNotLost);
      assert.match(await banner.innerText(), new RegExp(W.smtpHost));
      await check('Configuration > Email with the problems banner and dimmed rows');
    });

    it('saves the SMTP host on its own; after a reload it is still there', async () => {
      const save = row('smtpHost').getByRole('button', { name: W.save });
      assert.equal(await save.isDisabled(), true, 'Save is off while nothing changed');
      await page.getByLabel(W.smtpHost, { exact: true }).fill('localhost');
      assert.equal(await save.isDisabled(), false);
      await save.click();
      await row('smtpHost').getByRole('status').filter({ hasText: W.saved }).waitFor();
      assert.equal((await stored()).smtpHost, 'localhost');
      await page.reload();
      assert.equal(await page.getByLabel(W.smtpHost, { exact: true }).inputValue(), 'localhost');
    });

    it('refuses a bad port under the field, in the console’s language, and keeps the stored value', async () => {
      await page.getByLabel(W.smtpPort, { exact: true }).fill('99999');
      await row('smtpPort').getByRole('button', { name: W.save }).click();
      const error = row('smtpPort').getByRole('alert');
      await error.waitFor();
      assert.match(await error.innerText(), W.portTooHigh);
      assert.equal((await stored()).smtpPort, 587);
      await page.getByLabel(W.smtpPort, { exact: true }).fill(String(sink.port));
      await row('smtpPort').getByRole('button', { name: W.save }).click();
      await row('smtpPort').getByRole('status').filter({ hasText: W.saved }).waitFor();
      assert.equal((await stored()).smtpPort, sink.port);
    });

    it('takes a CA certificate in a text area, refuses a private key under the field, and shows subject and expiry', async () => {
      const company = privatePki('Company Private CA');
      const field = page.getByLabel(W.smtpCa, { exact: true });
      await field.fill(company.keyPem);
      await row('smtpCaCertificate').getByRole('button', { name: W.save }).click();
      const error = row('smtpCaCertificate').getByRole('alert');
      await error.waitFor();
      assert.match(await error.innerText(), W.privateKeyRefused);
      assert.equal((await stored()).smtpCaCertificate, '', 'nothing stored');
      await field.fill(company.caPem);
      await row('smtpCaCertificate').getByRole('button', { name: W.save }).click();
      await row('smtpCaCertificate').getByRole('status').filter({ hasText: W.saved }).waitFor();
      const shown = await row('smtpCaCertificate').locator('.certificates').innerText();
      assert.match(shown, W.certificateShown, shown);
      assert.equal((await stored()).smtpCaCertificate, company.caPem.trim());
      await check('Configuration > Email with a CA certificate shown');
      await field.fill('');
      await row('smtpCaCertificate').getByRole('button', { name: W.save }).click();
      await row('smtpCaCertificate').getByRole('status').filter({ hasText: W.saved }).waitFor();
      assert.equal((await stored()).smtpCaCertificate, '', 'cleared');
    });

    it('sets a secret that is then nowhere in the page, its storage or its inputs', async () => {
      await row('smtpPassword').getByRole('button', { name: W.set, exact: true }).click();
      await page.getByLabel(W.smtpPassword, { exact: true }).fill(SECRET);
      await row('smtpPassword').getByRole('button', { name: W.save }).click();
      await row('smtpPassword').getByText(W.setOn).waitFor();
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
      await row('smtpPassword').getByText(W.setOn).waitFor();
      assert.equal(await inPage(), false, 'not in the page after a reload');
    });

    it('says before the save that a new SMTP port would clear the stored password', async () => {
      const port = page.getByLabel(W.smtpPort, { exact: true });
      const before = await port.inputValue();
      await port.fill('2525');
      await row('smtpPort').getByRole('note').filter({ hasText: W.clearsPassword }).waitFor();
      await port.fill(before);
      await row('smtpPort').getByRole('note').waitFor({ state: 'detached' });
      assert.equal((await stored()).smtpPassword, SECRET, 'nothing was saved');
    });

    it('the problems banner disappears once the configuration is complete', async () => {
      await page.getByLabel(W.postmaster, { exact: true }).fill('postmaster@example.com');
      await row('postmaster').getByRole('button', { name: W.save }).click();
      await row('postmaster').getByRole('status').filter({ hasText: W.saved }).waitFor();
      await page.getByRole('alert').filter({ hasText: W.incomplete }).waitFor({ state: 'detached' });
      // Sending is still switched off: the screen says so, without calling it a problem.
      await page.getByText(W.switchedOff).waitFor();
      await page.getByLabel(W.enabled).check();
      await row('enabled').getByRole('button', { name: W.save }).click();
      await page.getByText(W.switchedOff).waitFor({ state: 'detached' });
      assert.equal((await stored()).enabled, true);
    });

    it('test connection shows each step with the server reply', async () => {
      const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/settings/email/test-connection'));
      await page.getByRole('button', { name: W.testConnection }).click();
      const result = page.locator('.test-result');
      await result.getByText(W.connectionWorks).waitFor({ timeout: 15_000 });
      const shown = await result.innerText();
      assert.match(shown, /starttls/i);
      const { steps } = (await (await answer).json()) as { steps: { step: string; reply?: string }[] };
      const replies = steps.flatMap((s) => (s.reply ? [s.reply] : []));
      assert.ok(replies.some((r) => /^250 /.test(r)), `the server answered MAIL FROM with 250: ${JSON.stringify(steps)}`);
      for (const reply of replies) assert.ok(shown.includes(reply), `the server's reply "${reply}" is on the screen:\n${shown}`);
    });

    it('dims the SMTP rows when Graph is the route, and keeps them editable', async () => {
      await page.getByLabel(W.useGraph).check();
      await row('useGraph').getByRole('button', { name: W.save }).click();
      await row('smtpHost').and(page.locator('.dimmed')).waitFor();
      assert.match(await row('smtpHost').innerText(), W.notUsedByGraph);
      assert.equal(await page.getByLabel(W.smtpHost, { exact: true }).isEditable(), true);
      assert.equal(await row('tenantId').evaluate((f) => f.classList.contains('dimmed')), false);
      await page.getByRole('alert').filter({ hasText: W.incomplete }).waitFor();
      await check('Configuration > Email with the SMTP rows dimmed');
      await page.getByLabel(W.useGraph).uncheck();
      await row('useGraph').getByRole('button', { name: W.save }).click();
      await page.getByRole('alert').filter({ hasText: W.incomplete }).waitFor({ state: 'detached' });
    });

    it('shows what the Google Workspace preset changes and applies it on confirmation', async () => {
      await page.getByRole('button', { name: /^Google Workspace \(/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), W.hostChange);
      assert.match(await dialog.innerText(), W.presetClears, 'said before applying');
      await check('the preset confirmation');
      await dialog.getByRole('button', { name: W.apply }).click();
      await page.getByText(W.presetApplied).waitFor();
      const s = await stored();
      assert.equal(s.smtpHost, 'smtp.gmail.com');
      assert.equal(s.maxMessagesPerMinute, 60);
      assert.equal(s.smtpPassword, '', 'the password was saved for localhost: a preset that moves the host clears it');
      assert.equal(await page.getByLabel(W.smtpHost, { exact: true }).inputValue(), 'smtp.gmail.com');
      const audit = await postroom.settings.audit(50);
      assert.ok(audit.some((a) => a.key === 'smtpHost' && a.newValue === 'smtp.gmail.com' && a.actor.startsWith('admin:admin')), 'the preset is in the audit log');
      // Back to the local SMTP server for the outbox tests.
      await postroom.settings.update(sinkSettings(sink.port), 'test');
    });

    it('keeps what was typed when the session expires, and saves it after signing in again', async () => {
      await page.reload();
      await page.getByLabel(W.smtpUser, { exact: true }).fill('relay@example.com');
      await postroom.sessions.destroyAll('admin');
      await row('smtpUser').getByRole('button', { name: W.save }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('heading', { name: W.expired }).waitFor();
      await dialog.getByLabel(W.password).fill(PASSWORD);
      await dialog.getByRole('button', { name: W.signIn }).click();
      await row('smtpUser').getByRole('status').filter({ hasText: W.saved }).waitFor();
      assert.equal((await stored()).smtpUser, 'relay@example.com');
      assert.equal(await page.getByLabel(W.smtpUser, { exact: true }).inputValue(), 'relay@example.com');
      await postroom.settings.update({ smtpUser: '', smtpPassword: '' }, 'test');
      await page.reload();
      await page.getByRole('heading', { name: W.config }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, lang === 'en' ? 'configuration.png' : 'configuration-fr.png'), fullPage: false });
    });

    it('reads well at 400 px wide: nothing overflows sideways', async () => {
      await page.setViewportSize({ width: 400, height: 800 });
      await page.reload();
      await page.getByRole('heading', { name: W.config }).waitFor();
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 1);
        return { by: document.documentElement.scrollWidth - width, culprits: wide.slice(0, 5).map((el) => el.outerHTML.slice(0, 120)) };
      });
      assert.ok(overflow.by <= 0, `the page is ${overflow.by} px wider than the screen: ${overflow.culprits.join('\n')}`);
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it('the setup guides, the plain company relay among them, link to the settings they fill', async () => {
      await page.getByRole('link', { name: W.guides }).click();
      await page.getByRole('link', { name: W.relayGuide }).click();
      await page.getByRole('heading', { name: W.relayGuide }).waitFor();
      const guide = await page.locator('article').innerText();
      for (const key of ['smtpHost', 'smtpPort', 'startTls', 'smtpUser', 'smtpPassword', 'postmaster']) assert.match(guide, new RegExp(key), `the relay guide names ${key}`);
      assert.match(guide, /587/);
      assert.match(guide, /STARTTLS/);
      for (const name of ['exchange365-oauth', 'graph', 'google-workspace', 'company-relay']) {
        await page.goto(`${server.url}/guides/${name}`);
        await page.locator('article h1').waitFor();
        await check(`the ${name} guide`);
      }
      await page.goto(`${server.url}/guides/company-relay`);
      await page.getByRole('link', { name: 'smtpHost' }).first().click();
      await page.getByRole('heading', { name: W.config }).waitFor();
      await page.waitForFunction(() => document.activeElement?.id === 'field-smtpHost');
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
      assert.match(await line.innerText(), W.pending);
      assert.match(await line.innerText(), /carol@example\.org/);

      await line.getByRole('link', { name: 'Invoice 2026-117' }).click();
      await page.getByRole('button', { name: W.cancelEmail }).click();
      await check('the cancel confirmation');
      await page.getByRole('dialog').getByRole('button', { name: W.cancelEmail }).click();
      await page.getByText(W.cancelled).waitFor();
      assert.equal((await postroom.queue.show(handed.body.id)).status, 'cancelled');

      await page.getByRole('button', { name: W.retry }).click();
      await page.getByRole('dialog').getByRole('button', { name: W.retry }).click();
      await page.getByText(W.pendingAgain).waitFor();
      assert.equal((await postroom.queue.show(handed.body.id)).status, 'pending');

      await postroom.dispatcher.runCampaign();
      await sink.waitFor(1);
      await page.reload();
      await page.getByText(W.attempts).first().waitFor();
      assert.match(await page.locator('section[aria-labelledby="attempts-title"] table').innerText(), W.outcomeSent);
      await check('an e-mail’s page');

      await page.goto(`${server.url}/outbox`);
      await page.locator('.chart figcaption').getByText(W.oneSent, { exact: true }).waitFor();
      const bars = await page.locator('.chart rect.bar-sent').evaluateAll((rects) => rects.filter((r) => Number(r.getAttribute('height')) > 0).length);
      assert.equal(bars, 1, 'one hour has a bar');
      assert.equal(await page.locator('.chart rect.bar-sent').count(), 24);
      await check('the outbox');
      if (lang === 'en') {
        await page.screenshot({ path: path.join(SHOTS, 'outbox.png'), fullPage: false });
        assert.ok(fs.statSync(path.join(SHOTS, 'outbox.png')).size > 10_000, 'the outbox screenshot has content');
      }
    });

    it('filters the outbox by status and searches by recipient', async () => {
      const host = new Client(server.url);
      await host.login(PASSWORD);
      for (const to of ['dave@example.org', 'erin@example.org']) {
        await host.request('POST', '/api/v1/emails', { to: [to], subject: `Reminder for ${to}`, text: 'x' });
      }
      await page.goto(`${server.url}/outbox`);
      await page.getByRole('row').filter({ hasText: 'Reminder for erin' }).waitFor();
      await page.getByLabel(W.status, { exact: true }).selectOption('sent');
      await page.getByRole('row').filter({ hasText: 'Reminder' }).first().waitFor({ state: 'detached' });
      await page.getByRole('row').filter({ hasText: 'Invoice 2026-117' }).waitFor();
      assert.match(page.url(), /status=sent/, 'the filter is in the address, so a reload keeps it');
      await page.getByLabel(W.status, { exact: true }).selectOption('');
      await page.getByLabel(W.searchLabel).fill('erin@');
      await page.getByRole('button', { name: W.search, exact: true }).click();
      await page.getByRole('row').filter({ hasText: 'dave@example.org' }).waitFor({ state: 'detached' });
      await page.getByRole('row').filter({ hasText: 'erin@example.org' }).waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: 'dave@example.org' }).count(), 0);
    });

    it('edits a user’s e-mail software and shows the audit of settings changes', async () => {
      await postroom.users.upsert('u-17', { email: 'frank@example.com', name: 'Frank', emailSoftware: 'server' });
      await page.goto(`${server.url}/users`);
      await page.getByLabel(W.softwareOf).selectOption('outlook-new');
      await page.getByRole('row').filter({ hasText: 'u-17' }).getByRole('button', { name: W.save }).click();
      await page.getByRole('row').filter({ hasText: 'u-17' }).getByText(W.saved).waitFor();
      assert.equal((await postroom.users.list()).find((u) => u.id === 'u-17')?.emailSoftware, 'outlook-new');
      await check('the users page');

      await page.goto(`${server.url}/tokens`);
      await page.getByRole('row').filter({ hasText: 'erp' }).waitFor();
      await check('the API tokens page');

      await page.goto(`${server.url}/audit`);
      const secretLine = page.getByRole('row').filter({ hasText: 'smtpPassword' }).first();
      await secretLine.waitFor();
      assert.match(await secretLine.innerText(), W.valueNotKept);
      assert.ok(!(await page.content()).includes(SECRET), 'the secret is not on the audit page');
      await check('the audit page');
    });

    it('signs out back to the sign-in page', async () => {
      await page.getByRole('button', { name: W.signOut }).click();
      await page.getByRole('heading', { name: W.signInTitle }).waitFor();
      const res = await page.request.get(`${server.url}/api/v1/settings/email`);
      assert.equal(res.status(), 401);
    });
  });
}

describe('console language switch and first start (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    server = await startHttp(postroom);
    browser = await chromium.launch(CHROMIUM);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await db?.cleanup();
    if (process.env.POSTROOM_UPDATE_SCREENSHOTS !== '1') fs.rmSync(SHOTS, { recursive: true, force: true });
  });

  it('after the setup password is chosen, the administrator lands on Configuration > Email, in the browser’s language', async () => {
    const state = await postroom.admins.prepare(undefined);
    assert.equal(state.state, 'setup');
    const token = state.state === 'setup' ? state.setupToken : '';
    const context = await browser.newContext({ locale: 'fr-FR' });
    const page = await context.newPage();
    await page.goto(`${server.url}/setup#token=${token}`);
    await page.getByRole('heading', { name: 'Choisissez le mot de passe administrateur' }).waitFor();
    await assertAccessible(page, 'the setup page');
    await page.getByLabel(/Nouveau mot de passe/).fill(PASSWORD);
    await page.getByLabel('Le même mot de passe, à nouveau').fill(PASSWORD);
    await page.getByRole('button', { name: 'Enregistrer le mot de passe' }).click();
    await page.waitForURL(`${server.url}/config/email`);
    await page.getByRole('heading', { name: 'Configuration > E-mail' }).waitFor();
    await context.close();
  });

  it('serves a favicon at /favicon.ico and /favicon.svg', async () => {
    const ico = await fetch(`${server.url}/favicon.ico`);
    assert.equal(ico.status, 200);
    assert.equal(ico.headers.get('content-type'), 'image/x-icon');
    const bytes = Buffer.from(await ico.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 1, 0], 'an ICO header');
    const svg = await fetch(`${server.url}/favicon.svg`);
    assert.equal(svg.status, 200);
    assert.match(await svg.text(), /^<svg /);
  });

  it('switches language from the header, remembers it, and words dates in it', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${server.url}/config/email`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Configuration > Email' }).waitFor();
    await page.getByRole('banner').getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Configuration > E-mail' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Boîte d’envoi' }).count(), 1, 'the navigation is in French');
    await page.reload();
    await page.getByRole('heading', { name: 'Configuration > E-mail' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'fr');
    await page.goto(`${server.url}/audit`);
    await page.getByRole('heading', { name: 'Journal des modifications' }).waitFor();
    await page.getByRole('banner').getByLabel('Langue').selectOption('en');
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    await context.close();
  });
});
