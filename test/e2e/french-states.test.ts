// The console switched to French in the states where the server's words reach the page (issue 25):
// the route failing (a relay that refuses the password: the banner, the e-mail waiting), Test
// connection passing and failing, e-mails in error and failed (their page and the Outbox), a
// webhook disabled after failures. No English sentence may be left on any page, outside what a
// server wrote itself (an SMTP reply, a receiver's body): the console marks that as .server-words
// and the check skips it. Axe-core stays at 0 violations in every state. Needs npm run build (dist/web).
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, sinkSettings, type TestDatabase } from '../helpers/backends.js';
import { CHROMIUM, assertAccessible, assertNoEnglish } from '../helpers/console-checks.js';
import { startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const PASSWORD = 'french states e2e password';
const ADMIN = { kind: 'admin', actor: 'admin:test' } as const;

/**
 * English words no French sentence of the console holds: function words and Postroom's own words
 * (written out here, not taken from the catalogues). Left out: words French writes too (a, on, an,
 * as, or, son, test, message, route, permissions, e-mail, webhook, STARTTLS, SMTP…).
 */
const ENGLISH = new Set(
  (
    'the is was were are be been being not no nor and with without of to for from into this that these those it its ' +
    'has have had will would could should may might must can cannot can’t don’t isn’t wasn’t which what when where who why how ' +
    'there then than while before after again only also every any some nothing none yes your you please once until since ' +
    'failed failing failure refused refuses cannot connection connected sending sent send server servers check checked ' +
    'email emails answered answer reply replied waiting waits stopped running process password user name host certificate ' +
    'trusted unable verify first invalid error disabled enabled last delivered pending retry signed sign settings save saved ' +
    'accepted recipient recipients sender token mailbox deferred unknown denied tried try later issued expires encrypted ' +
    'plain text offers requires allow allowed set up enable start stop'
  ).split(/\s+/),
);

/** Tokens that are no words of a sentence: addresses, hosts, ports, paths, URLs, codes, identifiers. */
const NOT_A_WORD = /[@/\\=<>_#]|\w\.\w|:\d|\d|[a-z][A-Z]|^[A-Z][A-Z0-9.+-]+$/;

/** The English words of one visible piece of text. */
function englishWords(text: string): string[] {
  return text
    .split(/[\s\u00a0\u202f]+/)
    .filter((token) => token && !NOT_A_WORD.test(token))
    .flatMap((token) => token.toLowerCase().match(/[a-zà-ÿœæ’'-]+/g) ?? [])
    // "server's", "l’envoi": each side of the apostrophe is a word.
    .flatMap((word) => word.replace(/^[-’']+|[-’']+$/g, '').split(/[’']/))
    .filter((w) => ENGLISH.has(w));
}


interface Found {
  text: string;
  words: string[];
  where: string;
}

/** Every visible text node outside .server-words, with the element it sits in. */
async function visibleTexts(page: Page): Promise<{ text: string; where: string }[]> {
  return page.evaluate(() => {
    const out: { text: string; where: string }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent?.trim() ?? '';
      const el = n.parentElement;
      if (!text || !el || el.closest('script, style, .server-words')) continue;
      // The closed <select>'s other options are not on screen, but a user opens them: checked too.
      if (!el.closest('option') && (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false }) || el.getClientRects().length === 0)) continue;
      const where = [el.tagName.toLowerCase(), el.className && typeof el.className === 'string' ? `.${el.className.split(' ').join('.')}` : ''].join('');
      out.push({ text, where });
    }
    return out;
  });
}

describe('the console in French where the server speaks (browser)', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;
  let deferredId: number;
  let failedId: number;
  /** Axe-core, the English words in the page (strict), and what the server has not worded yet (reported). */
  const check = async (t: TestContext, where: string) => {
    await assertAccessible(page, `${where} (fr)`);
    await assertNoEnglish(page, where);
    const found: Found[] = [];
    for (const { text, where: el } of await visibleTexts(page)) {
      const words = englishWords(text);
      if (words.length === 0) continue;
      found.push({ text, words, where: el });
    }
    assert.deepEqual(found, [], `English on ${where} in French`);
    // The server's own words are there and marked: never translated, their language said.
    for (const marked of await page.locator('.server-words').all()) {
      assert.equal(await marked.getAttribute('translate'), 'no', `a server's words on ${where} are not for a translator`);
      assert.notEqual(await marked.getAttribute('lang'), null, `a server's words on ${where} say their language`);
    }
  };

  const serverWords = async () => (await page.locator('.server-words').allInnerTexts()).join('\n');

  before(async () => {
    sink = await startSmtpSink({ auth: { user: 'relay', pass: 'right password' } });
    receiver = await startWebhookReceiver();
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db, {
      dispatcher: { route: { ca: testPki().caPem } },
      webhooks: { disableAfterMs: 50, backoffBaseMs: 10, backoffCapMs: 10 },
    });
    await postroom.admins.setPassword(PASSWORD);
    await postroom.settings.update(
      sinkSettings(sink.port, { smtpUser: 'relay', smtpPassword: 'right password', smtpCaCertificate: testPki().caPem, postmaster: 'facturation@example.com' }),
      'test',
    );
    // One e-mail deferred (451 at DATA), one failed (550): the relay's replies in English.
    sink.dataReplies.push({ code: 451, message: '4.3.0 Temporary local problem, try later' }, { code: 550, message: '5.7.1 Relay access denied for this sender' });
    deferredId = (await postroom.queue.handOver({ to: ['alice@example.org'], subject: 'Facture de mars', text: 'Bonjour' }, 'test')).id;
    failedId = (await postroom.queue.handOver({ to: ['bob@example.org'], subject: 'Relevé d’avril', text: 'Bonjour' }, 'test')).id;
    await postroom.dispatcher.start();
    for (const until = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 50))) {
      const counts = await postroom.queue.counts();
      if (counts.error === 1 && counts.failed === 1) break;
      if (Date.now() > until) throw new Error(`the two e-mails did not fail: ${JSON.stringify(counts)}`);
    }
    server = await startHttp(postroom);
    browser = await chromium.launch(CHROMIUM);
    // bypassCSP only lets axe-core be injected.
    page = await browser.newPage({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await page.goto(`${server.url}/outbox`);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    // Switched in the console itself, not by the browser's language.
    await page.locator('#language').selectOption('fr');
    await page.getByRole('heading', { name: 'Boîte d’envoi' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await postroom?.close();
    await receiver?.close();
    await sink?.close();
    await db?.cleanup();
  });

  it('tells English from French (the check itself)', () => {
    assert.deepEqual(englishWords('Sending is stopped: the server refused the password.'), ['sending', 'is', 'stopped', 'the', 'server', 'refused', 'the', 'password']);
    assert.deepEqual(englishWords('l’authentification en tant que relay auprès de localhost:2525 a échoué\u00a0: vérifiez «\u00a0Mot de passe SMTP\u00a0»'), []);
    assert.deepEqual(englishWords('facturation@example.com http://127.0.0.1:8080/hooks SMTP.SendAsApp smtpCaCertificate STARTTLS'), []);
  });

  it('asks the API in the console’s language', async () => {
    const asked = page.waitForRequest((r) => r.url().endsWith('/api/v1/sending'));
    await page.reload();
    assert.match((await asked).headers()['accept-language'] ?? '', /^fr\b/);
  });

  it('shows a passing Test connection in French', async (t) => {
    await page.goto(`${server.url}/config/email`);
    await page.getByRole('button', { name: 'Tester la connexion' }).click();
    const result = page.locator('.test-result');
    await result.waitFor({ timeout: 20_000 });
    assert.match(await result.innerText(), /La connexion fonctionne/);
    await check(t, 'Configuration > E-mail, Test connection passing');
  });

  it('shows e-mails in error and failed in French, the relay’s replies as written (Outbox and their pages)', async (t) => {
    await page.goto(`${server.url}/outbox`);
    await page.getByRole('link', { name: 'Facture de mars' }).waitFor();
    await page.locator('td.reply .server-words').first().waitFor();
    assert.match(await serverWords(), /451 4\.3\.0 Temporary local problem, try later/);
    assert.match(await serverWords(), /550 5\.7\.1 Relay access denied for this sender/);
    await check(t, 'Outbox with e-mails in error');
    for (const [id, reply] of [
      [deferredId, /451 4\.3\.0 Temporary local problem/],
      [failedId, /550 5\.7\.1 Relay access denied/],
    ] as const) {
      await page.goto(`${server.url}/outbox/${id}`);
      await page.getByRole('heading', { name: 'Tentatives' }).waitFor();
      assert.match(await serverWords(), reply);
      await check(t, `the page of e-mail ${id}`);
    }
  });

  it('says in French why sending is stopped while the relay refuses the password, and on the waiting e-mail', async (t) => {
    await postroom.settings.update({ smtpPassword: 'wrong password' }, 'test');
    const waiting = await postroom.queue.handOver({ to: ['carole@example.org'], subject: 'Bon de commande', text: 'Bonjour' }, 'test');
    postroom.dispatcher.wake();
    await page.goto(`${server.url}/outbox`);
    const banner = page.locator('.sending-stopped');
    await banner.getByRole('heading', { name: 'L’envoi est arrêté' }).waitFor({ timeout: 20_000 });
    assert.match(await banner.locator('.server-words').innerText(), /^535 5\.7\.8 Authentication credentials invalid$/);
    await check(t, 'Outbox while sending is stopped');
    await page.goto(`${server.url}/outbox/${waiting.id}`);
    await page.locator('.waiting').waitFor();
    await check(t, 'a waiting e-mail while sending is stopped');
  });

  it('shows a failing Test connection in French, the server’s reply as written', async (t) => {
    await page.goto(`${server.url}/config/email`);
    await page.getByRole('button', { name: 'Tester la connexion' }).click();
    const result = page.locator('.test-result');
    await result.waitFor({ timeout: 20_000 });
    assert.match(await result.innerText(), /La connexion a échoué/);
    assert.match(await result.locator('li.bad .server-words').first().innerText(), /535 5\.7\.8 Authentication credentials invalid/);
    await check(t, 'Configuration > E-mail, Test connection failing');
  });

  it('says in French that a webhook is disabled, the receiver’s answer as written', async (t) => {
    await postroom.webhooks.create({ allowPrivateTarget: true, url: receiver.url, events: ['email.cancelled'] }, ADMIN);
    receiver.answers.push(...Array<number>(10).fill(500));
    const e = await postroom.queue.handOver({ to: ['denis@example.org'], subject: 'Annulé', text: 'Bonjour' }, 'test');
    await postroom.queue.cancel(e.id);
    await postroom.deliverer.round();
    await new Promise((r) => setTimeout(r, 80));
    await postroom.deliverer.round();
    assert.ok((await postroom.webhooks.list(ADMIN))[0]?.disabledAt, 'disabled after failing');
    await page.goto(`${server.url}/outbox`);
    const banner = page.getByRole('alert', { name: 'Webhooks désactivés' });
    await banner.waitFor();
    assert.match(await banner.locator('.server-words').innerText(), /^receiver says 500$/);
    await check(t, 'Outbox with a webhook disabled');
    await page.goto(`${server.url}/webhooks`);
    await page.getByRole('button', { name: 'Réactiver' }).waitFor();
    await page.locator('tbody tr').first().getByRole('button', { name: /journal/i }).click();
    await page.getByRole('table', { name: /Livraisons du webhook/ }).waitFor();
    await check(t, 'Webhooks with one disabled, its delivery log open');
  });
});
