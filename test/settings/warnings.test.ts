// Client-secret expiry: warnings from 30 days before the date the administrator recorded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIELDS, findProblems, findWarnings } from '../../src/settings/index.js';
import type { EmailSettings } from '../../src/settings/index.js';

const defaults = Object.fromEntries(Object.entries(FIELDS).map(([k, f]) => [k, f.default])) as unknown as EmailSettings;
const graph = { ...defaults, useGraph: true, tenantId: 't', clientId: 'c', clientSecret: 's', postmaster: 'pm@corp.example' };
const now = Date.parse('2026-11-24T12:00:00Z');

describe('client secret expiry', () => {
  it('says nothing more than 30 days ahead, or without a date', () => {
    assert.deepEqual(findWarnings({ ...graph, clientSecretExpiresAt: '2027-01-10' }, now), []);
    assert.deepEqual(findWarnings({ ...graph, clientSecretExpiresAt: '' }, now), []);
  });

  it('warns within 30 days, naming the date and the days left', () => {
    const [w] = findWarnings({ ...graph, clientSecretExpiresAt: '2026-12-04' }, now);
    assert.equal(w?.key, 'clientSecretExpiresAt');
    assert.match(w?.message ?? '', /expires on 2026-12-04 \(in 9 days\)/);
  });

  it('says it has expired, and how to fix it, once the date has passed', () => {
    const [w] = findWarnings({ ...graph, clientSecretExpiresAt: '2026-11-01' }, now);
    assert.match(w?.message ?? '', /expired on 2026-11-01: create a new one in Certificates & secrets and paste its Value here/);
  });

  it('does not stop sending: a warning is not a problem', () => {
    assert.deepEqual(findProblems({ ...graph, clientSecretExpiresAt: '2026-11-01' }), []);
  });
});
