// DESIGN §2, the sender policy: who the From is, and the Reply-To, under each setting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applySenderPolicy, NoSenderError } from '../../src/mail/index.js';

const user = { email: 'bob@corp.example', name: 'Bob Martin' };

describe('sender policy', () => {
  it('forced: From is "<user name>" <postmaster>, Reply-To the user', () => {
    assert.deepEqual(applySenderPolicy({ forcePostmaster: true, postmaster: 'pm@corp.example' }, user), {
      from: { email: 'pm@corp.example', name: 'Bob Martin' },
      replyTo: [user],
    });
  });

  it('forced without a user: the postmaster alone', () => {
    assert.deepEqual(applySenderPolicy({ forcePostmaster: true, postmaster: 'pm@corp.example' }, null), {
      from: { email: 'pm@corp.example' },
      replyTo: [],
    });
  });

  it('forced without a postmaster: no sender, the e-mail waits', () => {
    assert.throws(() => applySenderPolicy({ forcePostmaster: true, postmaster: '' }, user), NoSenderError);
  });

  it('not forced: From is the user', () => {
    assert.deepEqual(applySenderPolicy({ forcePostmaster: false, postmaster: 'pm@corp.example' }, user), { from: user, replyTo: [] });
  });

  it('not forced, no user: the postmaster; neither: no sender', () => {
    assert.deepEqual(applySenderPolicy({ forcePostmaster: false, postmaster: 'pm@corp.example' }, null).from, { email: 'pm@corp.example' });
    assert.throws(() => applySenderPolicy({ forcePostmaster: false, postmaster: '' }, null), /names no user and no Mail postmaster/);
  });
});
