// Proves Configuration > Email keeps DESIGN §1 on each real backend: defaults, field-local refusals
// that store nothing, problems that never block, sealed and masked secrets, master key, presets, audit.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Postroom } from '../../src/app.js';
import { MasterKeyError, SETTING_KEYS, SettingsValidationError, type AuditEntry, type FieldError } from '../../src/settings/index.js';
import { BACKENDS, SKIP_POSTGRES, createTestDatabase, openTestPostroom, type TestDatabase } from '../helpers/backends.js';
import { testPki } from '../helpers/pki.js';

// Distinctive enough that finding them anywhere in storage can only mean a leak.
const SMTP_PASSWORD = 'Pw-7f3a9c-Relay-Hunter2';
const CLIENT_SECRET = 'Cs~Q8r.Zk3-Graph-0d1e2f';

/** Runs `fn` and hands back the validation errors it was refused with (failing if it was not). */
async function refusal(fn: () => Promise<unknown>): Promise<{ errors: FieldError[]; message: string }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SettingsValidationError, `expected a SettingsValidationError, got ${String(err)}`);
    return { errors: err.errors, message: err.message };
  }
  assert.fail('the change was accepted');
}

/** Everything the settings and audit tables hold, as stored: raw file bytes on SQLite, row text on PostgreSQL. */
async function rawStorage(db: TestDatabase, p: Postroom): Promise<string> {
  if (db.backend === 'sqlite') {
    const file = path.join(db.dataDir, 'postroom.sqlite');
    return [file, `${file}-wal`]
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f).toString('latin1'))
      .join('\n');
  }
  const rows = await sql<{ row: string }>`select s::text as row from settings s union all select a::text as row from audit_log a`.execute(p.store.db);
  return rows.rows.map((r) => r.row).join('\n');
}

// The backends share nothing, so their suites run side by side to keep the file quick.
describe('email settings', { concurrency: BACKENDS.length }, () => {
  for (const backend of BACKENDS) {
    describe(`email settings (${backend})`, { concurrency: 1, skip: backend === 'postgres' && SKIP_POSTGRES ? 'POSTROOM_TEST_POSTGRES=skip' : false }, () => {
      let db: TestDatabase;
      let p: Postroom;
      const extra: Postroom[] = [];

      beforeEach(async () => {
        db = await createTestDatabase(backend);
        p = await openTestPostroom(db);
      });

      afterEach(async () => {
        while (extra.length) await extra.pop()?.close();
        await p.close();
        await db.cleanup();
      });

      it('shows the DESIGN §1 default of every key on a fresh database, with nothing audited', async () => {
        const view = await p.settings.view();
        const shown: Record<string, unknown> = view.settings;
        const design: Record<string, unknown> = {
          enabled: false,
          smtpHost: '',
          smtpPort: 587,
          smtpUser: '',
          smtpPassword: { set: false, updatedAt: null },
          useOAuth: false,
          useGraph: false,
          tenantId: '',
          clientId: '',
          clientSecret: { set: false, updatedAt: null },
          startTls: true,
          postmaster: '',
          outlookNewAddress: '',
          forcePostmaster: true,
          maxRetrySeconds: 86400,
          campaignIntervalSeconds: 20,
          retentionDays: 30,
          skipPendingAtStartup: false,
          maxMessagesPerMinute: 0,
          smtpMaxConnections: 3,
          allowPlaintextAuth: false,
          clientSecretExpiresAt: '',
        };
        for (const [key, value] of Object.entries(design)) assert.deepEqual(shown[key], value, `default of ${key}`);
        assert.deepEqual(Object.keys(shown).sort(), [...SETTING_KEYS].sort(), 'every setting is shown, none twice');
        const effective = await p.settings.load();
        assert.equal(effective.smtpPassword, '');
        assert.equal(effective.clientSecret, '');
        // A fresh install is incomplete (no host, forced postmaster without address), not broken.
        assert.deepEqual(view.problems.map((x) => x.key).sort(), ['postmaster', 'smtpHost']);
        assert.deepEqual(await p.settings.audit(), []);
      });

      it('audits a CA certificate as what it holds, not as its base64', async () => {
        const ca = testPki().caPem;
        await p.settings.update({ smtpCaCertificate: ca }, 'alice');
        await p.settings.update({ smtpCaCertificate: `${ca}\n${ca}` }, 'alice');
        const [second, first] = (await p.settings.audit()).filter((e) => e.key === 'smtpCaCertificate');
        assert.match(String(first?.newValue), /^1 certificate: CN=Postroom Test CA, until \d{4}-\d{2}-\d{2}$/);
        assert.match(String(second?.oldValue), /^1 certificate: CN=Postroom Test CA/);
        assert.match(String(second?.newValue), /^2 certificates: CN=Postroom Test CA, until \d{4}-\d{2}-\d{2} and 1 more$/);
        assert.equal(JSON.stringify(await p.settings.audit()).includes('BEGIN CERTIFICATE'), false);
      });

      it('refuses a field-local bad value with an error naming the key and the reason', async () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
          [{ smtpPort: 99999 }, 'smtpPort', /at most 65535/],
          [{ smtpPort: 0 }, 'smtpPort', /at least 1/],
          [{ smtpPort: 25.5 }, 'smtpPort', /whole number/],
          [{ postmaster: 'not an address' }, 'postmaster', /not a valid e-mail address/],
          [{ outlookNewAddress: 'drafts@' }, 'outlookNewAddress', /not a valid e-mail address/],
          [{ campaignIntervalSeconds: 0 }, 'campaignIntervalSeconds', /at least 1/],
          [{ retentionDays: 0 }, 'retentionDays', /at least 1/],
          [{ maxRetrySeconds: -1 }, 'maxRetrySeconds', /at least 0/],
          [{ smtpMaxConnections: 51 }, 'smtpMaxConnections', /at most 50/],
          [{ smtpHost: 'smtp relay!' }, 'smtpHost', /not a host name/],
          [{ smtpUser: 'relay\r\nRCPT TO:<x@evil.example>' }, 'smtpUser', /line break/],
          [{ clientId: 'my-app' }, 'clientId', /not a GUID/],
          [{ clientSecretExpiresAt: '2026-13-45' }, 'clientSecretExpiresAt', /not a date/],
          [{ smtpPorts: 25 }, 'smtpPorts', /is not a setting/],
        ];
        for (const [patch, key, reason] of cases) {
          const { errors, message } = await refusal(() => p.settings.update(patch, 'alice'));
          assert.equal(errors.length, 1, JSON.stringify(errors));
          assert.equal(errors[0]?.key, key);
          assert.match(errors[0]?.message ?? '', reason);
          assert.match(message, new RegExp(`^${key}: `), 'the message names the key first');
        }
        await refusal(() => p.settings.update({}, 'alice'));
        assert.deepEqual(await p.settings.audit(), [], 'no refused change is audited');
      });

      it('stores nothing of an update that mixes valid and invalid keys', async () => {
        await p.settings.update({ smtpHost: 'old.corp.example' }, 'alice');
        const before = await p.settings.view();
        const { errors } = await refusal(() =>
          p.settings.update(
            { smtpHost: 'new.corp.example', smtpPort: 99999, smtpPassword: SMTP_PASSWORD, enabled: true, bogus: 1, postmaster: 'pm@corp.example' },
            'mallory',
          ),
        );
        assert.deepEqual(errors.map((e) => e.key).sort(), ['bogus', 'smtpPort'], 'every bad key is reported at once');
        assert.deepEqual((await p.settings.view()).settings, before.settings);
        assert.equal((await p.settings.load()).smtpPassword, '');
        const audit = await p.settings.audit();
        assert.deepEqual(audit.map((a) => [a.key, a.actor]), [['smtpHost', 'alice']], 'no audit row for the refused update');
      });

      it('saves despite cross-field problems, reports them, and clears them once fixed', async () => {
        let view = await p.settings.update({ enabled: true }, 'alice');
        assert.equal(view.settings.enabled, true, 'a problem never blocks a save');
        assert.deepEqual(view.problems.map((x) => x.key).sort(), ['postmaster', 'smtpHost']);
        assert.match(view.problems.find((x) => x.key === 'smtpHost')?.message ?? '', /SMTP host is required/);

        view = await p.settings.update({ useOAuth: true, postmaster: 'pm@corp.example' }, 'alice');
        assert.equal(view.settings.useOAuth, true);
        assert.deepEqual(view.problems.map((x) => x.key).sort(), ['clientId', 'clientSecret', 'tenantId']);
        for (const problem of view.problems) assert.match(problem.message, /required when "Use OAUTH authentication/);

        view = await p.settings.update({ useGraph: true }, 'alice');
        assert.ok(view.problems.some((x) => x.key === 'useGraph' && /cannot both be checked/.test(x.message)), 'OAuth and Graph together is a problem');

        view = await p.settings.update(
          { useGraph: false, tenantId: 'corp.onmicrosoft.com', clientId: '0b3c6f8e-1d2a-4c5b-9e8f-7a6b5c4d3e2f', clientSecret: CLIENT_SECRET },
          'alice',
        );
        assert.deepEqual(view.problems, []);
        view = await p.settings.update({ useOAuth: false, smtpHost: 'relay.corp.example', smtpUser: 'relay' }, 'alice');
        assert.deepEqual(view.problems.map((x) => x.key), ['smtpPassword'], 'an SMTP user without a password is incomplete');

        view = await p.settings.update({ smtpPassword: 'relay-pass', startTls: false }, 'alice');
        assert.deepEqual(view.problems.map((x) => x.key), ['startTls'], 'a password over a connection that is not encrypted is incomplete');
        assert.match(view.problems[0]?.message ?? '', /unchecked on port 587, so the SMTP password would cross the network unencrypted: .*"Allow a password over an unencrypted connection"/);
        // A new port clears the password saved for the old one (it is bound to host, port and user): given again.
        assert.deepEqual((await p.settings.update({ smtpPort: 465, smtpPassword: 'relay-pass' }, 'alice')).problems, [], 'port 465 is TLS from the first byte');
        await p.settings.update({ smtpPort: 25, smtpPassword: 'relay-pass' }, 'alice');
        // Allowing plain-text AUTH clears the password saved without it (bound to how it travels): given again.
        assert.deepEqual((await p.settings.update({ allowPlaintextAuth: true, smtpPassword: 'relay-pass' }, 'alice')).problems, [], 'allowed on purpose');
      });

      it('returns secrets masked, never in clear, and clears them on request', async () => {
        const before = Date.now();
        const view = await p.settings.update({ smtpUser: 'relay', smtpPassword: SMTP_PASSWORD, clientSecret: CLIENT_SECRET }, 'alice');
        for (const key of ['smtpPassword', 'clientSecret'] as const) {
          const state = view.settings[key];
          assert.equal(state.set, true);
          assert.ok(state.updatedAt !== null && Date.parse(state.updatedAt) >= before - 1000, `${key} shows when it was set`);
        }
        const shown = JSON.stringify([view, await p.settings.view(), await p.settings.audit()]);
        assert.ok(!shown.includes(SMTP_PASSWORD) && !shown.includes(CLIENT_SECRET), 'no read shows a secret');

        // The sending process, and only it, gets them back in clear.
        const effective = await p.settings.load();
        assert.equal(effective.smtpPassword, SMTP_PASSWORD);
        assert.equal(effective.clientSecret, CLIENT_SECRET);

        let cleared = await p.settings.update({ smtpPassword: null }, 'alice');
        assert.deepEqual(cleared.settings.smtpPassword, { set: false, updatedAt: null });
        assert.equal(cleared.settings.clientSecret.set, true, 'clearing one secret leaves the other');
        cleared = await p.settings.update({ clientSecret: '' }, 'alice');
        assert.deepEqual(cleared.settings.clientSecret, { set: false, updatedAt: null });
        const after = await p.settings.load();
        assert.equal(after.smtpPassword, '');
        assert.equal(after.clientSecret, '');
      });

      it('seals secrets: the plaintext is in neither the settings nor the audit storage', async () => {
        await p.settings.update({ smtpUser: 'relay-user-4711', smtpPassword: SMTP_PASSWORD, clientSecret: CLIENT_SECRET }, 'alice');
        await p.settings.update({ smtpPassword: `${SMTP_PASSWORD}-v2` }, 'alice');
        const raw = await rawStorage(db, p);
        // Proves the look reaches the stored data: the non-secret value saved alongside is there.
        assert.ok(raw.includes('relay-user-4711'), 'the raw storage read holds the saved settings');
        assert.ok(!raw.includes(SMTP_PASSWORD), 'smtpPassword is stored sealed');
        assert.ok(!raw.includes(CLIENT_SECRET), 'clientSecret is stored sealed');

        const audit = await p.settings.audit();
        const secretRows = audit.filter((a) => a.key === 'smtpPassword' || a.key === 'clientSecret');
        assert.equal(secretRows.length, 3, 'each secret change is audited');
        for (const row of secretRows) {
          assert.equal(row.secret, true);
          assert.equal(row.oldValue, null);
          assert.equal(row.newValue, null);
        }
      });

      it('with another master key, reading a sealed secret fails clearly without revealing it; entering it again recovers', async () => {
        await p.settings.update({ smtpHost: 'relay.corp.example', smtpPassword: SMTP_PASSWORD }, 'alice');
        const other = await openTestPostroom(db, { masterKey: crypto.randomBytes(32) });
        extra.push(other);
        const check = (err: unknown) => {
          assert.ok(err instanceof MasterKeyError, `expected MasterKeyError, got ${String(err)}`);
          assert.match(err.message, /smtpPassword was sealed with another master key/);
          assert.match(err.message, /POSTROOM_MASTER_KEY/, 'says how to fix it');
          assert.ok(!err.message.includes(SMTP_PASSWORD), 'the error never carries the secret');
          return true;
        };
        await assert.rejects(other.settings.load(), check);
        // The screen still opens: the sealed secret is a problem to fix there, not an error.
        const seen = await other.settings.view();
        const problem = seen.problems.find((x) => x.key === 'smtpPassword');
        assert.ok(problem, 'the wrong key shows as a problem on smtpPassword');
        check(new MasterKeyError(problem.message));
        assert.equal(seen.settings.smtpHost, 'relay.corp.example');

        // The message's own advice: enter the password again under the new key.
        const view = await other.settings.update({ smtpPassword: 'NewPw-after-key-change' }, 'alice');
        assert.equal(view.settings.smtpPassword.set, true);
        assert.equal((await other.settings.load()).smtpPassword, 'NewPw-after-key-change');
        assert.equal((await other.settings.load()).smtpHost, 'relay.corp.example', 'other settings survive the key change');
      });

      // Once is enough: the key file does not depend on the backend, and the test changes process.env.
      it('without POSTROOM_MASTER_KEY, creates a 0600 key file in the data dir and reuses it on the next open', { skip: backend !== 'sqlite' && 'the key file is the same for every backend' }, async () => {
        const saved = process.env.POSTROOM_MASTER_KEY;
        delete process.env.POSTROOM_MASTER_KEY;
        try {
          const first = await openTestPostroom(db, { masterKey: undefined });
          const file = path.join(db.dataDir, 'master.key');
          assert.ok(fs.existsSync(file), 'the key file is created in the data directory');
          assert.equal(fs.statSync(file).mode & 0o777, 0o600);
          const key = fs.readFileSync(file, 'utf8');
          assert.match(key.trim(), /^[0-9a-f]{64}$/);
          await first.settings.update({ smtpPassword: SMTP_PASSWORD }, 'alice');
          await first.close();

          const second = await openTestPostroom(db, { masterKey: undefined });
          extra.push(second);
          assert.equal(fs.readFileSync(file, 'utf8'), key, 'the key file is reused, not replaced');
          assert.equal((await second.settings.load()).smtpPassword, SMTP_PASSWORD);

          // A key file others can read is refused rather than used.
          fs.chmodSync(file, 0o644);
          await assert.rejects(openTestPostroom(db, { masterKey: undefined }), (err: unknown) => {
            assert.ok(err instanceof MasterKeyError, `expected MasterKeyError, got ${String(err)}`);
            assert.match(err.message, /readable by other users.*chmod 600/);
            return true;
          });
        } finally {
          if (saved === undefined) delete process.env.POSTROOM_MASTER_KEY;
          else process.env.POSTROOM_MASTER_KEY = saved;
        }
      });

      it('applies the Google Workspace preset as one audited change that keeps addresses and clears the password saved for the old host', async () => {
        await p.settings.update(
          {
            smtpHost: 'relay.corp.example',
            smtpPort: 25,
            startTls: false,
            useOAuth: true,
            smtpMaxConnections: 10,
            smtpUser: 'sender@corp.example',
            smtpPassword: SMTP_PASSWORD,
            postmaster: 'pm@corp.example',
          },
          'alice',
        );
        const auditedBefore = (await p.settings.audit()).length;
        const view = await p.settings.applyPreset('google-workspace', 'alice');
        const s = view.settings;
        assert.deepEqual(
          [s.smtpHost, s.smtpPort, s.startTls, s.useOAuth, s.useGraph, s.smtpMaxConnections, s.maxMessagesPerMinute],
          ['smtp.gmail.com', 587, true, false, false, 3, 60],
        );
        assert.equal(s.smtpUser, 'sender@corp.example');
        assert.equal(s.postmaster, 'pm@corp.example');
        assert.equal((await p.settings.load()).smtpPassword, '', 'the password was for relay.corp.example: never sent to Google');
        assert.deepEqual(view.cleared.map((c) => [c.key, c.because]), [['smtpPassword', ['smtpHost', 'smtpPort', 'startTls']]]);

        const audit = await p.settings.audit();
        const presetRows = audit.slice(0, audit.length - auditedBefore);
        assert.deepEqual(
          presetRows.map((a) => a.key).sort(),
          ['maxMessagesPerMinute', 'smtpHost', 'smtpMaxConnections', 'smtpPassword', 'smtpPort', 'startTls', 'useOAuth'],
        );
        for (const row of presetRows) {
          const expected = row.key === 'smtpPassword' ? 'alice (preset google-workspace) (cleared: smtpHost, smtpPort, startTls changed)' : 'alice (preset google-workspace)';
          assert.equal(row.actor, expected);
        }
        assert.equal(new Set(presetRows.map((a) => a.at)).size, 1, 'one change, one moment');
      });

      it('applies the Exchange 365 OAuth and Graph presets, each switching the other route off', async () => {
        let view = await p.settings.applyPreset('exchange365-oauth', 'alice');
        let s = view.settings;
        assert.deepEqual(
          [s.smtpHost, s.smtpPort, s.startTls, s.useOAuth, s.useGraph, s.smtpMaxConnections, s.maxMessagesPerMinute],
          ['smtp.office365.com', 587, true, true, false, 3, 30],
        );
        // What the preset leaves to the administrator shows up as problems.
        assert.deepEqual(view.problems.map((x) => x.key).sort(), ['clientId', 'clientSecret', 'postmaster', 'tenantId']);

        view = await p.settings.applyPreset('graph', 'bob');
        s = view.settings;
        assert.equal(s.useGraph, true);
        assert.equal(s.useOAuth, false);
        assert.equal(s.maxMessagesPerMinute, 30);
        assert.ok(!view.problems.some((x) => x.key === 'useGraph'), 'the two routes are never both left on');

        const audit = await p.settings.audit();
        assert.ok(audit.some((a) => a.key === 'useOAuth' && a.newValue === true && a.actor === 'alice (preset exchange365-oauth)'), 'the Exchange preset is audited');
        assert.ok(audit.some((a) => a.key === 'useGraph' && a.newValue === true && a.actor === 'bob (preset graph)'), 'the Graph preset is audited');

        const { errors } = await refusal(() => p.settings.applyPreset('sendgrid', 'alice'));
        assert.equal(errors[0]?.key, 'preset');
        assert.match(errors[0]?.message ?? '', /unknown preset "sendgrid".*google-workspace/);
      });

      it('audits every change with key, old and new value, when and who; secrets only as changed', async () => {
        const t0 = Date.now();
        await p.settings.update({ smtpPort: 2525, smtpPassword: SMTP_PASSWORD }, 'alice');
        const t1 = Date.now();
        await p.settings.update({ smtpPort: 2525 }, 'bob');
        await p.settings.update({ smtpPort: 465, smtpPassword: null }, 'carol');
        await p.settings.update({ clientSecret: null }, 'dave');

        const audit = await p.settings.audit();
        const brief = (a: AuditEntry) => [a.actor, a.key, a.oldValue, a.newValue, a.secret];
        assert.deepEqual(audit.map(brief), [
          ['carol', 'smtpPassword', null, null, true],
          ['carol', 'smtpPort', 2525, 465, false],
          ['alice', 'smtpPassword', null, null, true],
          ['alice', 'smtpPort', 587, 2525, false],
        ]);
        // bob saved the value already stored and dave cleared an unset secret: neither changed anything.
        const first = audit.at(-1);
        assert.ok(first && Date.parse(first.at) >= t0 - 5 && Date.parse(first.at) <= t1 + 5, 'the audit says when');
        assert.ok(!JSON.stringify(audit).includes(SMTP_PASSWORD), 'the audit never holds a secret');
      });

      it('refuses a postmaster that is an existing user\'s address, whatever its case, and stores nothing', async () => {
        await p.users.upsert('u-bob', { email: 'Bob.Martin@Corp.example', name: 'Bob Martin' });
        const { errors } = await refusal(() => p.settings.update({ postmaster: 'bob.martin@CORP.EXAMPLE', smtpHost: 'relay.corp.example' }, 'alice'));
        assert.equal(errors[0]?.key, 'postmaster');
        assert.match(errors[0]?.message ?? '', /is the address of user "u-bob"/);
        const view = await p.settings.view();
        assert.equal(view.settings.postmaster, '');
        assert.equal(view.settings.smtpHost, '', 'the valid key of the refused update is not stored either');
        assert.deepEqual(await p.settings.audit(), []);

        await p.settings.update({ postmaster: 'noreply@corp.example' }, 'alice');
        assert.equal((await p.settings.view()).settings.postmaster, 'noreply@corp.example');
        // The rule holds both ways: no user may take the postmaster's address.
        await assert.rejects(p.users.upsert('u-x', { email: 'NoReply@corp.example' }), /Mail postmaster's address/);
      });
    });
  }
});
