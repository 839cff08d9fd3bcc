// One answer to "which route do these settings choose?": routeKind for the sending route, the
// routes in use for the console, and the same answer in GET /settings/email.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { activeRoutes, filesRouteCannotCarry, needsMicrosoftApp, routeKind, type EmailSettings } from '../../src/settings/index.js';
import { createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { Client, startHttp, type TestServer } from '../helpers/http.js';

const PASSWORD = 'correct horse battery staple';

describe('routeKind', () => {
  it('chooses SMTP, SMTP with OAuth or Graph from the two boxes; Graph is named when both are checked', () => {
    assert.equal(routeKind({ useOAuth: false, useGraph: false }), 'smtp');
    assert.equal(routeKind({ useOAuth: true, useGraph: false }), 'oauth');
    assert.equal(routeKind({ useOAuth: false, useGraph: true }), 'graph');
    assert.equal(routeKind({ useOAuth: true, useGraph: true }), 'graph');
  });

  it('adds drafts once an Outlook (New) mailbox is named, which needs the Microsoft app even on SMTP', () => {
    const smtp = { useOAuth: false, useGraph: false, outlookNewAddress: '' };
    assert.deepEqual(activeRoutes(smtp), ['smtp']);
    assert.equal(needsMicrosoftApp(smtp), false);
    const drafts = { ...smtp, outlookNewAddress: 'drafts@corp.example' };
    assert.deepEqual(activeRoutes(drafts), ['smtp', 'drafts']);
    assert.equal(needsMicrosoftApp(drafts), true);
    assert.equal(needsMicrosoftApp({ ...smtp, useOAuth: true }), true);
  });
});

describe('filesRouteCannotCarry', () => {
  const reader = (settings: Pick<EmailSettings, 'useGraph' | 'microsoftCloud'>, reads: string[]) =>
    async <K extends 'useGraph' | 'microsoftCloud'>(key: K): Promise<Pick<EmailSettings, 'useGraph' | 'microsoftCloud'>[K]> => {
      reads.push(key);
      return settings[key];
    };
  const files = [
    { filename: 'fine.bin', bytes: 2_999_999 },
    { filename: 'over.bin', bytes: 3_000_000 },
  ];

  it('names each file of 3 MB or more on Graph in a cloud without upload sessions, by its place', async () => {
    const refused = await filesRouteCannotCarry(files, reader({ useGraph: true, microsoftCloud: 'dod' }, []));
    assert.deepEqual(refused, [
      { index: 1, message: 'over.bin is 3000000 bytes: Microsoft Graph in US Government DoD (L5) has no upload sessions, so files of 3000000 bytes or more cannot be sent' },
    ]);
  });

  it('takes them in a cloud with upload sessions and on SMTP, and reads no setting without such a file', async () => {
    assert.deepEqual(await filesRouteCannotCarry(files, reader({ useGraph: true, microsoftCloud: 'worldwide' }, [])), []);
    const smtp: string[] = [];
    assert.deepEqual(await filesRouteCannotCarry(files, reader({ useGraph: false, microsoftCloud: 'gcc-high' }, smtp)), []);
    assert.deepEqual(smtp, ['useGraph']);
    const small: string[] = [];
    assert.deepEqual(await filesRouteCannotCarry([files[0] as (typeof files)[number]], reader({ useGraph: true, microsoftCloud: 'gcc-high' }, small)), []);
    assert.deepEqual(small, [], 'an ordinary hand-over reads no setting');
  });
});

describe('GET /settings/email names the routes in use', () => {
  let db: TestDatabase;
  let postroom: Postroom;
  let server: TestServer;
  let admin: Client;

  before(async () => {
    db = await createTestDatabase('sqlite');
    postroom = await openTestPostroom(db);
    await postroom.admins.setPassword(PASSWORD);
    server = await startHttp(postroom);
    admin = new Client(server.url);
    assert.equal((await admin.login(PASSWORD)).status, 200);
  });

  after(async () => {
    await server.close();
    await postroom.close();
    await db.cleanup();
  });

  it('follows each save, so the console shows the server\'s answer', async () => {
    type View = { route: string; routes: string[] };
    const fresh = await admin.get<View>('/api/v1/settings/email');
    assert.deepEqual([fresh.body.route, fresh.body.routes], ['smtp', ['smtp']], fresh.text);
    const oauth = await admin.patch<View>('/api/v1/settings/email', { useOAuth: true });
    assert.deepEqual([oauth.body.route, oauth.body.routes], ['oauth', ['oauth']], oauth.text);
    const graph = await admin.patch<View>('/api/v1/settings/email', { useOAuth: false, useGraph: true, outlookNewAddress: 'drafts@corp.example' });
    assert.deepEqual([graph.body.route, graph.body.routes], ['graph', ['graph', 'drafts']], graph.text);
    const view = await postroom.settings.view();
    assert.deepEqual([view.route, view.routes], ['graph', ['graph', 'drafts']], 'the CLI and library read the same view');
  });
});
