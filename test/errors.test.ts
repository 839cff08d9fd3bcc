// The error code table: every code has an HTTP status and an exit code, and every error class
// Postroom throws answers HTTP and the CLI through it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, PostroomError, type ErrorCode } from '../src/errors.js';
import { toHttpError } from '../src/http/errors.js';
import { describeError, UsageError } from '../src/cli/index.js';
import { ConfigError } from '../src/config.js';
import { EmailInputError, EmailNotFoundError, EmailStateError } from '../src/queue/index.js';
import { NoSenderError } from '../src/mail/index.js';
import { MasterKeyError, SettingsValidationError } from '../src/settings/index.js';
import { PostmasterConflictError } from '../src/users/index.js';
import { PasswordPolicyError, TokenNameError } from '../src/access/index.js';
import { MissingGraphSettingsError } from '../src/outlook/index.js';
import { DeliveryError } from '../src/transports/index.js';

describe('error codes', () => {
  it('gives every code a meaning, an HTTP error status and a non-zero exit code', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[a-z_]+$/, 'codes are snake_case words');
      assert.ok(Number.isInteger(e.status) && e.status >= 400 && e.status <= 599, `${code}: status ${e.status} is an HTTP error status`);
      assert.ok(Number.isInteger(e.exit) && e.exit >= 1 && e.exit <= 125, `${code}: exit code ${e.exit} is a failure a shell can see`);
      assert.ok(e.meaning.length > 10, `${code} says what it means`);
    }
  });

  // Each class as the code raises it, with the HTTP answer and exit code users see today.
  const cases: { err: PostroomError; code: ErrorCode; status: number; exit: number; fields?: string[] }[] = [
    { err: new EmailInputError([{ field: 'to', message: 'at least one recipient' }]), code: 'invalid_request', status: 400, exit: 1, fields: ['to'] },
    { err: new SettingsValidationError([{ key: 'smtpPort', message: 'must be 1-65535' }]), code: 'invalid_request', status: 400, exit: 1, fields: ['smtpPort'] },
    { err: new PasswordPolicyError('too short'), code: 'invalid_request', status: 400, exit: 1, fields: ['password'] },
    { err: new TokenNameError('bad name'), code: 'invalid_request', status: 400, exit: 1, fields: ['name'] },
    { err: new UsageError('no such command'), code: 'usage', status: 400, exit: 2 },
    { err: new EmailNotFoundError(7), code: 'not_found', status: 404, exit: 1 },
    { err: new EmailStateError('a sent e-mail cannot be cancelled'), code: 'conflict', status: 409, exit: 1 },
    { err: new PostmasterConflictError('is the postmaster'), code: 'postmaster_conflict', status: 409, exit: 1, fields: ['email'] },
    { err: new MissingGraphSettingsError(['tenantId', 'clientId']), code: 'graph_settings_missing', status: 409, exit: 1, fields: ['tenantId', 'clientId'] },
    { err: new NoSenderError('no sender'), code: 'no_sender', status: 409, exit: 1 },
    { err: new MasterKeyError('wrong key'), code: 'master_key', status: 500, exit: 1 },
    { err: new ConfigError('POSTROOM_PORT'), code: 'config', status: 500, exit: 1 },
    { err: new DeliveryError('535 5.7.8 refused', 'permanent', 'route', 535), code: 'upstream', status: 502, exit: 1 },
  ];

  for (const c of cases) {
    it(`${c.err.name} is ${c.code}: HTTP ${c.status}, exit ${c.exit}`, () => {
      assert.equal(c.err.code, c.code);
      const http = toHttpError(c.err);
      assert.equal(http?.status, c.status);
      assert.equal(http?.code, c.code, 'the JSON error field is the code');
      assert.equal(http?.message, c.err.publicMessage);
      assert.deepEqual(http?.fields.map((f) => f.field), c.fields ?? []);
      assert.deepEqual(describeError(c.err), { message: c.err.publicMessage, code: c.exit });
    });
  }

  it('says what was refused before the reasons, the same on HTTP and the CLI', () => {
    const err = new EmailInputError([{ field: 'subject', message: 'is required' }]);
    assert.equal(toHttpError(err)?.message, 'e-mail refused, nothing stored: subject: is required');
    assert.equal(describeError(err).message, 'e-mail refused, nothing stored: subject: is required');
  });
});
