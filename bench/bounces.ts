// Bounce processing: a postmaster mailbox full of ordinary mail with a few delivery reports among
// it, read over IMAP (a real Dovecot) and through Graph (the Microsoft stand-in). Prints the time of
// the first check, which lists everything once, and of a later one, which must list only what is new.
//
// Run alone: node --import tsx bench/bounces.ts [--quick]
// Quick: 2,000 ordinary messages (full: 100,000). The later / first ratio then mostly measures a
// check's fixed cost (sign-in, one listing): it is printed as indicative, and what the target stands
// for, that a later check lists only the new message, is judged instead.
import { heading, int, isEntry, judged, ms, openBenchPostroom, quickMode, sinkSettings, startBoth, table } from './common.js';
import { startCountingSink } from './sink.js';
import { startDovecot } from '../test/helpers/dovecot.js';
import { startMicrosoftStandIn } from '../test/helpers/microsoft-standin.js';
import { testPki } from '../test/helpers/pki.js';
import { fillFixture, type SentFacts } from '../test/helpers/reports.js';
import type { CheckOutcome } from '../src/bounces/index.js';
import type { Postroom } from '../src/app.js';

const POSTMASTER = 'postmaster@example.com';
const PASSWORD = 'bench-mailbox-pw';
const REPORTS = 50;

const ordinary = (i: number) =>
  [`From: <customer${i}@example.org>`, `To: ${POSTMASTER}`, `Subject: Order ${i}`, `Message-ID: <o${i}@example.org>`, 'Content-Type: text/plain', '', `Where is order ${i}?`, ''].join('\r\n');

async function sendReportedEmails(postroom: Postroom): Promise<SentFacts[]> {
  const sent: SentFacts[] = [];
  for (let i = 0; i < REPORTS; i++) {
    const { id, messageId } = await postroom.queue.handOver({ to: [`r${i}@example.net`], subject: `Invoice ${i}`, text: 'Invoice.' }, 'bench');
    sent.push({ postmaster: POSTMASTER, tag: postroom.tags.tag(id, messageId), messageId, recipients: [`r${i}@example.net`], subject: `Invoice ${i}` });
  }
  await postroom.dispatcher.runCampaign();
  return sent;
}

async function timed(postroom: Postroom): Promise<{ ms: number; outcome: CheckOutcome }> {
  const t0 = performance.now();
  const outcome = await postroom.bounces.checkNow();
  if (outcome.state !== 'done') throw new Error(`the check did not end well: ${JSON.stringify(outcome)}`);
  return { ms: performance.now() - t0, outcome };
}

const counts = (o: CheckOutcome) => (o.state === 'done' ? `${int(o.counts.seen)} listed, ${int(o.counts.read)} downloaded, ${int(o.counts.matched)} matched` : o.state);

/** Quick mode's judgement of a later check: it listed the one new message and downloaded nothing. */
const onlyNew = (o: CheckOutcome) => (o.state === 'done' && o.counts.seen === 1 && o.counts.read === 0 ? 'met' : 'MISSED');

export async function bouncesBenchmark(quick: boolean): Promise<void> {
  const ordinaryCount = quick ? 2_000 : 100_000;
  heading(
    'Bounce processing',
    `a postmaster mailbox of ${int(ordinaryCount)} ordinary messages and ${REPORTS} reports spread among them; a later check after 1 new message${quick ? ' (QUICK MODE: the full run has 100,000)' : ''}`,
  );
  const judgements: string[] = [];
  const rows: (string | number)[][] = [['mailbox', 'first check', 'later check', 'later / first', 'first check found', 'later check found']];
  // IMAP: Dovecot, STARTTLS, a password (started with the sink).
  let dovecotStopped = Promise.resolve();
  const [sink, dovecot] = await startBoth(startCountingSink(), startDovecot({ users: { [POSTMASTER]: PASSWORD } }), (s) => s.close(), (d) => d.close());
  try {
    let bench = await openBenchPostroom('sqlite', { dispatcher: { route: { ca: testPki().caPem } } });
    try {
      const p = bench.postroom;
      await p.settings.update(sinkSettings(sink.port, { bounceProcessing: true, postmaster: POSTMASTER, imapHost: 'localhost', imapPort: dovecot.imapPort, imapUser: POSTMASTER, imapPassword: PASSWORD }), 'bench');
      const sent = await sendReportedEmails(p);
      const every = Math.floor(ordinaryCount / REPORTS);
      for (let i = 0; i < ordinaryCount; i++) {
        await dovecot.deliver(POSTMASTER, ordinary(i));
        if (i % every === every - 1) await dovecot.deliver(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', sent[Math.floor(i / every)] as SentFacts));
      }
      const first = await timed(p);
      await dovecot.deliver(POSTMASTER, ordinary(ordinaryCount + 1));
      const later = await timed(p);
      rows.push(['IMAP (Dovecot, STARTTLS)', `${ms(first.ms)} ms`, `${ms(later.ms)} ms`, judged(later.ms / first.ms, 0.05, '<', quick), counts(first.outcome), counts(later.outcome)]);
      judgements.push(`IMAP: the later check lists only the new message: ${onlyNew(later.outcome)}`);
    } finally {
      await bench.cleanup();
      // Dovecot takes about a second to stop: quick mode goes on with Graph meanwhile (which uses
      // nothing of Dovecot's) and waits for the stop at the end (the outer finally).
      dovecotStopped = dovecot.close();
      if (!quick) await dovecotStopped;
    }

    // Graph: the stand-in's Inbox, delta query.
    const standIn = await startMicrosoftStandIn({ clientSecret: 'bench-secret' });
    bench = await openBenchPostroom('sqlite', { dispatcher: { route: { ca: testPki().caPem }, endpoints: standIn.endpoints } });
    try {
      const p = bench.postroom;
      await p.settings.update(
        { enabled: true, useGraph: true, tenantId: standIn.app.tenantId, clientId: standIn.app.clientId, clientSecret: 'bench-secret', postmaster: POSTMASTER, bounceProcessing: true },
        'bench',
      );
      const sent = await sendReportedEmails(p);
      const every = Math.floor(ordinaryCount / REPORTS);
      for (let i = 0; i < ordinaryCount; i++) {
        standIn.deliverToMailbox(POSTMASTER, ordinary(i));
        if (i % every === every - 1) standIn.deliverToMailbox(POSTMASTER, fillFixture('15-postfix-undelivered-5-1-1-user-unknown.eml', sent[Math.floor(i / every)] as SentFacts));
      }
      const first = await timed(p);
      standIn.deliverToMailbox(POSTMASTER, ordinary(ordinaryCount + 1));
      const later = await timed(p);
      rows.push(['Microsoft Graph (stand-in, delta)', `${ms(first.ms)} ms`, `${ms(later.ms)} ms`, judged(later.ms / first.ms, 0.05, '<', quick), counts(first.outcome), counts(later.outcome)]);
      judgements.push(`Graph: the later check lists only the new message: ${onlyNew(later.outcome)}`);
    } finally {
      await bench.cleanup();
      await standIn.close();
    }
  } finally {
    await sink.close();
    await dovecotStopped;
  }
  table(rows);
  if (quick) for (const line of judgements) console.log(`   ${line}`);
}

if (isEntry(import.meta.url)) await bouncesBenchmark(quickMode());
