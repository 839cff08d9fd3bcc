// Crash: kill -9 of `postroom serve` in the middle of a 5,000-e-mail run, restart, wait; every
// e-mail must arrive, the only duplicates may be the sends done but not recorded at the kill (in
// flight, or their outcome being written: at most connections × (1 + outcomes in writing)), and the e-mails
// the dead process held must be sent again within a minute (default lease, not a shortened one).
//
// Run alone: node --import tsx bench/crash.ts [--quick]   (5,000 e-mails; quick: 400 and a 3 s lease,
// POSTROOM_LEASE_SECONDS=3 given to both serve processes, said so: the 60 s target is for the default lease, so
// quick mode reports the time without judging it; the delivery and duplicate checks are judged as in the full run)
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { CONNECTIONS, MASTER_KEY, heading, int, isEntry, message, onInterrupt, quickMode, openBenchPostroom, sinkSettings, sleep, startBoth, table, until } from './common.js';
import { inParallel } from './peers.js';
import { OUTCOMES_IN_WRITING_PER_SLOT } from '../src/dispatcher/index.js';
import { startCountingSink } from './sink.js';
import { serveCommand } from './served.js';

/** Sends a killed process can have done without recording them: in flight, or outcome being written. */
const UNRECORDED_AT_MOST = CONNECTIONS * (1 + OUTCOMES_IN_WRITING_PER_SLOT);

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Quick mode's lease (POSTROOM_LEASE_SECONDS): the default 30 s would be most of the quick run. */
const QUICK_LEASE_SECONDS = 3;

export async function crashBenchmark(quick: boolean): Promise<void> {
  const COUNT = quick ? 400 : 5_000;
  // A wait that never ends is an error (the count so far in its message), not a hang.
  const timeoutMs = quick ? 60_000 : 300_000;
  const command = serveCommand();
  const lease = quick
    ? `lease ${QUICK_LEASE_SECONDS} s (QUICK MODE: POSTROOM_LEASE_SECONDS=${QUICK_LEASE_SECONDS}; the full run has the default)`
    : 'default lease (POSTROOM_LEASE_SECONDS unset)';
  heading('Crash', `${int(COUNT)} e-mails${quick ? ' (QUICK MODE: the full run has 5,000)' : ''}, ${CONNECTIONS} connections, SQLite, ${lease}; kill -9 at half-way (mid-batch), restart; ${command.label}`);
  const [sink, bench] = await startBoth(startCountingSink({ record: true }), openBenchPostroom('sqlite'), (s) => s.close(), (b) => b.cleanup());
  const { postroom } = bench;
  const children: ChildProcess[] = [];
  const killAll = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  const forget = onInterrupt(killAll);
  const serve = () => {
    const child = spawn(process.execPath, command.args, {
      cwd: ROOT,
      env: {
        ...process.env,
        POSTROOM_DATA_DIR: bench.dataDir,
        POSTROOM_DATABASE_URL: '',
        POSTROOM_MASTER_KEY: MASTER_KEY.toString('hex'),
        POSTROOM_PORT: '0',
        POSTROOM_ADMIN_PASSWORD: 'crash benchmark password',
        POSTROOM_LEASE_SECONDS: quick ? String(QUICK_LEASE_SECONDS) : '',
        POSTROOM_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return { child, exited: new Promise<void>((r) => child.once('exit', () => r())) };
  };
  try {
    await postroom.settings.update(sinkSettings(sink.port, { campaignIntervalSeconds: 1 }), 'bench');
    await inParallel(COUNT, 8, (i) => postroom.queue.handOver(message(i), 'bench'));
    await sink.reset();

    const first = serve();
    // Mid-batch (batches of 100): at a batch boundary nothing may be in flight to interrupt.
    await sink.waitFor(COUNT / 2 + 50, timeoutMs);
    first.child.kill('SIGKILL');
    const killedAt = performance.now();
    await first.exited;
    await sleep(200); // whatever was on the wire reaches the sink
    const atKill = await sink.arrivals();
    const deliveredAtKill = new Set(atKill.map((a) => a.messageId));
    // Claimed by the dead process and not recorded as finished: these wait for their lease.
    const claimed = await postroom.store.db.selectFrom('emails').select('message_id').where('status', '=', 'sending').execute();
    // Of those, the sink already has these: their send completed but was not recorded, so they
    // will go out again: the sends in flight, or whose outcome was being written, at the kill.
    const inFlightDelivered = claimed.filter((r) => deliveredAtKill.has(r.message_id)).length;

    const restartedAt = performance.now();
    const second = serve();
    // The e-mails the dead process held: how long until every one of them is sent again.
    const orphans = (await postroom.store.db.selectFrom('emails').select('id').where('status', '=', 'sending').execute()).map((r) => r.id);
    let orphansSentMs = 0;
    const watchOrphans = (async () => {
      if (orphans.length === 0) return;
      await until(
        'the dead process\'s e-mails sent again',
        async () => (await postroom.store.db.selectFrom('emails').select('id').where('id', 'in', orphans).where('status', '!=', 'sent').execute()).length === 0,
        timeoutMs,
        100,
      );
      orphansSentMs = performance.now() - killedAt;
    })();
    let distinct = 0;
    await until(
      'every e-mail at the sink after the restart',
      async () => {
        distinct = new Set((await sink.arrivals()).map((a) => a.messageId)).size;
        return distinct >= COUNT;
      },
      timeoutMs,
      200,
    );
    await until('every e-mail recorded as sent', async () => (await postroom.queue.counts()).sent === COUNT, 60_000, 100);
    const recoveryMs = performance.now() - restartedAt;
    await watchOrphans;
    second.child.kill('SIGTERM');
    const timer = setTimeout(() => second.child.kill('SIGKILL'), 40_000);
    await second.exited;
    clearTimeout(timer);

    const all = await sink.arrivals();
    const duplicates = all.length - new Set(all.map((a) => a.messageId)).size;
    const interrupted = await sql<{ n: number }>`select count(*) as n from attempts where outcome = 'interrupted'`.execute(postroom.store.db);
    const counts = await postroom.queue.counts();
    table([
      ['delivered at the kill', int(atKill.length)],
      ['claimed by the killed process, not finished', int(claimed.length)],
      ['  of which already at the sink (send done, not recorded)', int(inFlightDelivered)],
      ['done but not recorded at most (connections × (1 + outcomes in writing))', UNRECORDED_AT_MOST],
      ['restart to all delivered and recorded (lease included)', `${(recoveryMs / 1000).toFixed(1)} s`],
      ['kill to every e-mail the dead process held sent again', `${(orphansSentMs / 1000).toFixed(1)} s (${orphans.length} e-mails)`],
      ['distinct e-mails at the sink', `${int(distinct)} of ${int(COUNT)}`],
      ['e-mails sent (database)', int(counts.sent)],
      ['duplicates at the sink', int(duplicates)],
      ['interrupted attempts recorded', int(Number(interrupted.rows[0]?.n ?? 0))],
    ]);
    const ok = distinct === COUNT && counts.sent === COUNT && duplicates <= inFlightDelivered && duplicates <= UNRECORDED_AT_MOST;
    console.log(`   every e-mail delivered, duplicates (${duplicates}) ≤ done but not recorded at the kill (${inFlightDelivered}, at most ${UNRECORDED_AT_MOST}): ${ok ? 'met' : 'MISSED'}`);
    if (quick) console.log(`   the dead process's e-mails sent again ${(orphansSentMs / 1000).toFixed(1)} s after the kill with a ${QUICK_LEASE_SECONDS} s lease (quick: indicative; target within 60 s with the default lease)`);
    else console.log(`   the dead process's e-mails sent again within 60 s of the kill (${(orphansSentMs / 1000).toFixed(1)} s): ${orphansSentMs <= 60_000 ? 'met' : 'MISSED'}`);
  } finally {
    await killAll();
    forget();
    await bench.cleanup();
    await sink.close();
  }
}

if (isEntry(import.meta.url)) await crashBenchmark(quickMode());
