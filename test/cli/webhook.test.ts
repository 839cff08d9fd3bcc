// `postroom webhook add|list|remove|log` and `postroom send --at`, the real binary as an
// administrator runs it (compiled code: npm run build first), against a real HTTP receiver.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';
import { assertBuilt } from '../helpers/built.js';
import { postroomCommand } from '../helpers/cli.js';

// These tests run the built `postroom` command: a stale build would test old code.
assertBuilt();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-cli-webhook-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const postroom = postroomCommand({ POSTROOM_DATA_DIR: dir, POSTROOM_MASTER_KEY: '11'.repeat(32) });

describe('postroom webhook and send --at (the real binary)', () => {
  it('adds a webhook (secret printed once), lists it without the secret, refuses a bad URL, removes it', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const refused = await postroom('webhook', 'add', receiver.url);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /^postroom: webhook refused, nothing stored: url: 127\.0\.0\.1 is a private or loopback address .*allowPrivateTarget\)\n$/);
      const noToken = await postroom('webhook', 'add', receiver.url, '--allow-private', '--for-token', '7');
      assert.match(noToken.stderr, /forToken: token 7 does not exist or is revoked/);
      const metadata = await postroom('webhook', 'add', 'http://169.254.169.254/');
      assert.match(metadata.stderr, /link-local, metadata/);

      const added = await postroom('webhook', 'add', receiver.url, '--allow-private', '--event', 'email.sent', '--event', 'email.failed');
      assert.equal(added.code, 0, added.stderr);
      const secret = added.stdout.trim();
      assert.match(secret, /^whsec_[\w-]{43}$/, 'the secret alone on stdout');
      assert.match(added.stderr, /webhook 1 added .*email\.sent, email\.failed.*shown only now/);

      const list = await postroom('webhook', 'list');
      assert.match(list.stdout, /^\s+1 {2}http:\/\/127\.0\.0\.1:\d+\/hooks\/postroom \(private address allowed\) {2}all e-mails {2}\[email\.sent, email\.failed\] {2}active$/m);
      assert.ok(!list.stdout.includes(secret), 'the list never shows the secret');
      const json = JSON.parse((await postroom('webhook', 'list', '--json')).stdout) as { id: number; events: string[] }[];
      assert.deepEqual(json.map((h) => [h.id, h.events]), [[1, ['email.sent', 'email.failed']]]);
      assert.equal((await postroom('webhook', 'log', '1')).stdout.trim(), 'no deliveries yet');

      const badEvent = await postroom('webhook', 'add', receiver.url, '--allow-private', '--event', 'email.opened');
      assert.match(badEvent.stderr, /events\.0: must be one of email\.sent/);
      assert.equal((await postroom('webhook', 'remove', '1')).stdout.trim(), 'webhook 1 removed');
      const again = await postroom('webhook', 'remove', '1');
      assert.deepEqual([again.code, again.stderr], [1, 'postroom: webhook 1 does not exist\n']);
      assert.equal((await postroom('webhook', 'list')).stdout.trim(), 'no webhooks');
    } finally {
      await receiver.close();
    }
  });

  it('schedules an e-mail with send --at, and refuses a time that is not ISO 8601', async () => {
    assert.equal((await postroom('settings', 'set', 'postmaster=pm@example.com')).code, 0);
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const sent = await postroom('send', '--to', 'a@example.org', '--subject', 'Later', '--text', 'x', '--at', at);
    assert.match(sent.stdout, new RegExp(`^queued e-mail (\\d+) \\(pending\\) <[^>]+>, scheduled for ${at.replace(/\./g, '\\.')}\\n$`));
    const id = /e-mail (\d+)/.exec(sent.stdout)?.[1] ?? '';
    const shown = JSON.parse((await postroom('queue', 'show', id, '--json')).stdout) as { scheduledAt: string; status: string; waitingReason: { kind: string } };
    assert.deepEqual([shown.status, shown.scheduledAt, shown.waitingReason.kind], ['pending', at, 'scheduled']);
    const bad = await postroom('send', '--to', 'a@example.org', '--subject', 'Later', '--text', 'x', '--at', 'tomorrow 9am');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^postroom: e-mail refused, nothing stored: sendAt: is not an ISO 8601 date-time/);
  });
});
