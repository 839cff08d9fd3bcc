// Configuration messages in French: every message the rules can produce has a French wording,
// the settings they name keep the console's French labels, and the API answers in the language
// of Accept-Language while the CLI and logs stay in English.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultSettings } from '../../src/settings/fields.js';
import { FIELDS, SETTING_KEYS, expiryWarnings, findProblems, findWarnings, FRENCH_LABELS, messageId, translateMessage, type EmailSettings } from '../../src/settings/index.js';
import { preferredLanguage } from '../../src/http/language.js';
import type { Postroom } from '../../src/app.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';
import { testPki } from '../helpers/pki.js';
import fr from '../../web/src/i18n/fr.json' with { type: 'json' };

/** French typography, as the catalogue writes it: a no-break space inside « » and before : ; ? ! */
const nb = (s: string) => s.replace(/« /g, '«\u00a0').replace(/ ([»:;?!])/g, '\u00a0$1');

/** Values each kind of setting refuses, to make every field message the rules have. */
const BAD: Record<string, unknown[]> = {
  bool: ['yes', 1],
  int: ['ten', 1.5, -1, 10_000_000_000],
  string: ['a\nb', 'x'.repeat(2000), 'not a host!', 'zz'],
  email: ['bad', `${'a'.repeat(250)}@example.com`],
  secret: ['a\u0000b', 'x'.repeat(2000)],
  date: ['31/12/2026'],
  pem: [
    'not a certificate',
    `${testPki().caPem}\ntrailing words`,
    testPki().keyPem,
    `${testPki().caPem}\n${testPki().keyPem}`,
    '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    'x'.repeat(1_000_001),
  ],
};

function fieldMessages(): string[] {
  const out = new Set<string>();
  for (const key of SETTING_KEYS) {
    for (const value of BAD[FIELDS[key].kind] ?? []) {
      const r = FIELDS[key].schema.safeParse(value);
      if (!r.success) out.add(r.error.issues[0]?.message ?? '');
    }
  }
  return [...out];
}

function problemMessages(): string[] {
  const base = defaultSettings();
  const cases: Partial<EmailSettings>[] = [
    {},
    { useOAuth: true, useGraph: true },
    { useOAuth: true },
    { useGraph: true },
    { smtpUser: 'relay@example.com' },
  ];
  const now = Date.parse('2026-12-01T00:00:00Z');
  const warnings = ['2026-11-20', '2026-12-02', '2026-12-20'].flatMap((d) => findWarnings({ ...base, useGraph: true, clientSecretExpiresAt: d }, now));
  const ca = { subject: 'CN=Company Root CA', issuer: 'CN=Company Root CA', isCA: true };
  const caWarnings = ['2026-11-20', '2026-12-02', '2026-12-20'].flatMap((d) => expiryWarnings([{ ...ca, expiresAt: `${d}T12:00:00.000Z` }], now));
  return [...cases.flatMap((c) => findProblems({ ...base, ...c })).map((p) => p.message), ...warnings.map((p) => p.message), ...caWarnings];
}

describe('configuration messages in French', () => {
  it('every message a refused value can get has a French wording', () => {
    const messages = fieldMessages();
    assert.ok(messages.length >= 8, `the bad values make ${messages.length} distinct messages`);
    const untranslated = messages.filter((m) => messageId(m) === null || translateMessage(m, 'fr') === m);
    assert.deepEqual(untranslated, []);
    assert.equal(translateMessage('must be at most 65535', 'fr'), 'doit valoir au plus 65535');
    assert.equal(translateMessage('must be at most 65535', 'en'), 'must be at most 65535');
    assert.ok(messages.includes("is a private key: paste only the CA's certificate, never a key"), messages.join('\n'));
    assert.equal(translateMessage("block 2 is a private key: paste only the CA's certificate, never a key", 'fr'), nb('le bloc 2 est une clé privée : collez seulement le certificat de l’AC, jamais une clé'));
  });

  it('every problem between settings and every warning has a French wording, naming settings by their French labels', () => {
    const messages = problemMessages();
    assert.ok(messages.length >= 8, `the cases make ${messages.length} messages`);
    const untranslated = messages.filter((m) => messageId(m) === null);
    assert.deepEqual(untranslated, []);
    const french = messages.map((m) => translateMessage(m, 'fr'));
    assert.ok(french.includes(nb('« ID de locataire » est obligatoire quand « Utiliser la bibliothèque Graph API » est cochée')), french.join('\n'));
    assert.ok(french.includes(nb('« Hôte SMTP » est obligatoire pour envoyer en SMTP')), french.join('\n'));
    assert.ok(french.some((m) => m.startsWith('le secret client expire le 2 décembre 2026 (dans 1 jour)')), french.join('\n'));
    assert.ok(french.includes('le certificat CN=Company Root CA expire le 2 décembre 2026 (dans 1 jour)'), french.join('\n'));
    assert.ok(french.includes(nb('le certificat CN=Company Root CA a expiré le 20 novembre 2026 : les connexions qui s’y fient échouent')), french.join('\n'));
    const englishLabels = SETTING_KEYS.map((k) => FIELDS[k].label).filter((l) => l.length > 8);
    const leftovers = french.filter((m) => englishLabels.some((l) => m.includes(l)));
    assert.deepEqual(leftovers, [], 'no English label inside a French message');
  });

  it('the server’s French labels are the console’s', () => {
    const consoleLabels = Object.fromEntries(Object.entries(fr.fields).map(([k, v]) => [k, v.label]));
    assert.deepEqual(FRENCH_LABELS, consoleLabels);
  });

  it('reads Accept-Language by quality, English when it names no language Postroom speaks', () => {
    assert.equal(preferredLanguage('fr-FR,fr;q=0.9,en;q=0.8'), 'fr');
    assert.equal(preferredLanguage('en-US,fr;q=0.9'), 'en');
    assert.equal(preferredLanguage('de-DE, fr;q=0.5, en;q=0.3'), 'fr');
    assert.equal(preferredLanguage('en;q=0.2, fr;q=0.8'), 'fr');
    assert.equal(preferredLanguage('de'), 'en');
    assert.equal(preferredLanguage('fr;q=0'), 'en');
    assert.equal(preferredLanguage(undefined), 'en');
  });
});

describe('settings API in the language of Accept-Language', () => {
  const PASSWORD = 'messages test password';
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let client: Client;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom);
    client = new Client(server.url);
    assert.equal((await client.login(PASSWORD)).status, 200);
  });

  after(async () => {
    await server?.close();
    await postroom?.close();
    await db?.cleanup();
  });

  it('words a refused value in French for Accept-Language: fr, in English otherwise, and stores nothing', async () => {
    client.extraHeaders = { 'accept-language': 'fr-FR,fr;q=0.9' };
    const frAnswer = await client.patch<{ message: string; fields: { field: string; message: string }[] }>('/api/v1/settings/email', { smtpPort: 99999 });
    assert.equal(frAnswer.status, 400);
    assert.deepEqual(frAnswer.body.fields, [{ field: 'smtpPort', message: 'doit valoir au plus 65535' }]);
    assert.equal(frAnswer.body.message, 'paramètres refusés, rien n’est enregistré: smtpPort: doit valoir au plus 65535');
    client.extraHeaders = {};
    const enAnswer = await client.patch<{ message: string; fields: { field: string; message: string }[] }>('/api/v1/settings/email', { smtpPort: 99999 });
    assert.deepEqual(enAnswer.body.fields, [{ field: 'smtpPort', message: 'must be at most 65535' }]);
    assert.equal(enAnswer.body.message, 'settings refused, nothing saved: smtpPort: must be at most 65535');
    assert.equal((await postroom.settings.load()).smtpPort, 587);
  });

  it('words the configuration problems in French, and leaves the stored rules and the CLI in English', async () => {
    client.extraHeaders = { 'accept-language': 'fr' };
    const view = await client.get<{ problems: { key: string; message: string }[] }>('/api/v1/settings/email');
    assert.equal(view.status, 200);
    assert.deepEqual(view.body.problems, [
      { key: 'smtpHost', message: nb('« Hôte SMTP » est obligatoire pour envoyer en SMTP') },
      { key: 'postmaster', message: nb('« Adresse du postmaster » est obligatoire quand « Forcer le postmaster comme expéditeur de tous les e-mails » est cochée') },
    ]);
    const patched = await client.patch<{ problems: { key: string; message: string }[] }>('/api/v1/settings/email', { useGraph: true });
    assert.equal(patched.status, 200);
    assert.ok(patched.body.problems.some((p) => p.message === nb('« ID client » est obligatoire quand « Utiliser la bibliothèque Graph API » est cochée')), JSON.stringify(patched.body.problems));
    client.extraHeaders = {};
    const english = await client.get<{ problems: { key: string; message: string }[] }>('/api/v1/settings/email');
    assert.ok(english.body.problems.some((p) => p.message === 'Client ID is required when "Use Graph API Library" is checked'), JSON.stringify(english.body.problems));
    assert.ok((await postroom.settings.view()).problems.every((p) => !/obligatoire/.test(p.message)), 'the service itself speaks English');
  });
});
