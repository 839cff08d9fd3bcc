// The job engine e-mails and webhook deliveries share (src/jobs/): leases renewed before they lapse
// and only while held, the purge schedule's interval and stop, and the loop's rounds, waits and wakes.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Leases, PollLoop, PurgeSchedule } from '../../src/jobs/index.js';

/** Lets the renewal's awaited promise settle after a mocked timer fired. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('leases', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('renews what it holds every third of a lease, before it lapses, and keeps only what the renewal extended', async () => {
    const calls: { ids: number[]; until: number; at: number }[] = [];
    const leases = new Leases({
      leaseMs: 30_000,
      // Job 2 went to another instance: the owner-guarded statement does not extend it.
      renew: async (ids, until) => {
        calls.push({ ids, until, at: Date.now() });
        return ids.filter((id) => id !== 2);
      },
    });
    leases.hold([1, 2], Date.now());
    const heldAt = Date.now();
    assert.equal(leases.covers(1, heldAt + 29_999), true, 'a fresh lease covers its whole length');
    assert.equal(leases.covers(1, heldAt + 30_000), false, 'and not a moment past it');

    mock.timers.tick(10_000);
    await settle();
    assert.deepEqual(calls, [{ ids: [1, 2], until: heldAt + 40_000, at: heldAt + 10_000 }], 'renewed a third of the way into the lease');

    mock.timers.tick(25_000); // 35 s after the claim: past the first lease
    await settle();
    assert.equal(leases.covers(1, Date.now()), true, 'job 1 is still held after its first lease would have lapsed');
    assert.equal(leases.covers(2, Date.now()), false, 'job 2, not extended by the statement, has lapsed');
    assert.equal(calls.length, 3, 'renewed at 10 s, 20 s and 30 s');
  });

  it('stops renewing once nothing is held, and starts again with the next claim', async () => {
    let renewals = 0;
    const leases = new Leases({ leaseMs: 3_000, renew: async (ids) => (renewals++, ids) });
    leases.hold([7], Date.now());
    mock.timers.tick(1_000);
    await settle();
    assert.equal(renewals, 1);
    leases.drop([7]);
    mock.timers.tick(10_000);
    await settle();
    assert.equal(renewals, 1, 'no renewal after the last lease was dropped');
    leases.hold([8], Date.now());
    mock.timers.tick(1_000);
    await settle();
    assert.equal(renewals, 2, 'the next claim renews again');
    leases.clear();
  });

  it('says a failed renewal, and the lease then lapses on time', async () => {
    const failures: unknown[] = [];
    const leases = new Leases({ leaseMs: 3_000, renew: () => Promise.reject(new Error('database gone')), onRenewFailed: (err) => failures.push(err) });
    leases.hold([1], Date.now());
    const heldAt = Date.now();
    mock.timers.tick(3_000);
    await settle();
    assert.equal(failures.length, 3, 'each renewal failure is reported');
    assert.equal(leases.covers(1, heldAt + 3_000), false, 'a lease never renewed lapses after leaseMs');
    leases.clear();
  });

  it('without a renew, a lease is fixed: what starts must fit in it', () => {
    const leases = new Leases({ leaseMs: 30_000 });
    leases.hold([1], Date.now());
    mock.timers.tick(25_000);
    assert.equal(leases.covers(1, Date.now()), true);
    assert.equal(leases.covers(1, Date.now() + 10_000), false, 'an attempt of 10 s would outlive the lease: not started');
  });
});

describe('purge schedule', () => {
  it('purges at the first call, then once per interval, never two at once, and stops for good on stop', async () => {
    const started: number[] = [];
    let finish: () => void = () => undefined;
    const purges = new PurgeSchedule({ failed: (err) => assert.fail(`unexpected failure: ${String(err)}`) });
    let seenSignal: AbortSignal | null = null;
    const purge = (at: number) => (signal: AbortSignal) => {
      started.push(at);
      seenSignal = signal;
      return new Promise<void>((resolve) => (finish = resolve));
    };

    const first = purges.runIfDue(1_000_000, 60_000, purge(1_000_000));
    await purges.runIfDue(1_030_000, 60_000, purge(1_030_000));
    assert.deepEqual(started, [1_000_000], 'not again within the interval');
    await purges.runIfDue(1_060_000, 60_000, purge(1_060_000));
    assert.deepEqual(started, [1_000_000], 'the interval has passed, but the last purge still runs: that one counts');
    finish();
    await first;
    await purges.runIfDue(1_100_000, 60_000, purge(1_100_000));
    assert.deepEqual(started, [1_000_000], 'the interval counts from the skipped one at 1,060,000');
    const fourth = purges.runIfDue(1_120_000, 60_000, purge(1_120_000));
    assert.deepEqual(started, [1_000_000, 1_120_000], 'and runs once it has passed');

    const stopped = purges.stop();
    assert.equal((seenSignal as AbortSignal | null)?.aborted, true, 'stop tells the purge under way to end');
    let stopDone = false;
    void stopped.then(() => (stopDone = true));
    await settle();
    assert.equal(stopDone, false, 'stop waits for the purge under way');
    finish();
    await fourth;
    await stopped;
    await purges.runIfDue(9_000_000, 60_000, async () => void started.push(9_000_000));
    assert.deepEqual(started, [1_000_000, 1_120_000], 'no purge after stop');
  });

  it('says a failure and tries again at the next interval', async () => {
    const failures: unknown[] = [];
    const purges = new PurgeSchedule({ failed: (err) => failures.push(err) });
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error('disk full');
    };
    await purges.runIfDue(100_000, 50_000, failing);
    assert.equal(failures.length, 1, 'the failure is said, not thrown');
    await purges.runIfDue(150_000, 50_000, failing);
    assert.equal(runs, 2, 'the next interval tries again');
  });
});

describe('poll loop', () => {
  it('runs a round, waits the interval, runs the next; a wake cuts the wait short; stop ends it after the round', async () => {
    const rounds: number[] = [];
    let release: () => void = () => undefined;
    let holding = false;
    const loop = new PollLoop(async () => {
      rounds.push(Date.now());
      if (holding) await new Promise<void>((resolve) => (release = resolve));
    }, () => 60_000);
    loop.start();
    await sleep(20);
    assert.equal(rounds.length, 1, 'one round at start, then the wait');
    loop.wake();
    await sleep(20);
    assert.equal(rounds.length, 2, 'a wake runs the next round at once');

    holding = true;
    loop.wake();
    await sleep(20);
    assert.equal(rounds.length, 3, 'the third round is under way');
    loop.wake(); // during the round: the next runs as soon as this one ends
    holding = false;
    release();
    await sleep(20);
    assert.equal(rounds.length, 4, 'a wake during a round runs the next one without waiting');

    holding = true;
    loop.wake();
    await sleep(20);
    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await sleep(20);
    assert.equal(stopped, false, 'stop lets the round under way finish');
    release();
    const before = Date.now();
    await stopping;
    assert.ok(Date.now() - before < 1_000, 'and does not wait an interval after it');
    assert.equal(rounds.length, 5, 'no round after stop');
    assert.equal(loop.isRunning, false);
  });
});
