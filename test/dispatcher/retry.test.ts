// Back-off and the retry window: when an e-mail in error is tried again, and when it gives up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, decideRetry } from '../../src/dispatcher/index.js';

const policy = { baseMs: 60_000, capMs: 3_600_000 };
const mid = () => 0.5; // no jitter

describe('back-off', () => {
  it('doubles from the base and stops at the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 20].map((n) => backoffDelay(n, policy, mid)), [60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000]);
  });

  it('spreads retries by ±20 % so a batch of failures does not retry in one burst', () => {
    assert.equal(backoffDelay(1, policy, () => 0), 48_000);
    assert.equal(backoffDelay(1, policy, () => 1), 72_000);
  });
});

describe('retry window', () => {
  const base = { firstFailureAt: 0, campaignIntervalMs: 20_000, policy, random: mid };

  it('schedules the next attempt by back-off while the window allows', () => {
    assert.deepEqual(decideRetry({ ...base, now: 0, failures: 1, windowMs: 86_400_000 }), { retryAt: 60_000 });
  });

  it('moves the last attempt forward so that a campaign runs it before the window closes', () => {
    const d = decideRetry({ ...base, now: 86_000_000, failures: 30, windowMs: 86_400_000 });
    assert.deepEqual(d, { retryAt: 86_400_000 - 20_000 });
  });

  it('expires once no attempt fits in the window', () => {
    assert.deepEqual(decideRetry({ ...base, now: 86_390_000, failures: 30, windowMs: 86_400_000 }), { expired: true });
  });

  it('never retries with a window of 0', () => {
    assert.deepEqual(decideRetry({ ...base, now: 0, failures: 1, windowMs: 0 }), { expired: true });
  });
});

describe("the server's Retry-After", () => {
  it('replaces the back-off, inside the window', () => {
    const base = { firstFailureAt: 0, campaignIntervalMs: 20_000, policy, random: mid, failures: 1, windowMs: 86_400_000 };
    assert.deepEqual(decideRetry({ ...base, now: 0, retryAfterMs: 5_000 }), { retryAt: 5_000 });
    assert.deepEqual(decideRetry({ ...base, now: 0, retryAfterMs: null }), { retryAt: 60_000 });
  });
});
