// `npm run bench [-- --quick] [NAME...]`: runs the benchmarks one after the other, each in a
// process of its own, and prints their figures and ratios. NAME: throughput handover
// handover-during-drain batch backlog purge latency crash bounces memory.
//
// A process each: memory (the backlog's RSS), JIT state and leftovers of one benchmark must not
// colour the next; and each file also runs alone (node --import tsx bench/NAME.ts [--quick]).
//
// --quick: each benchmark shrunk to a few seconds (under a minute in all on 2 cores; each file's
// head says what its quick mode leaves out), and stopped if it runs over QUICK_LIMIT_S: whatever
// it waits for, a quick run must end.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** A quick benchmark still running after this long is stopped (SIGTERM: it cleans up) and counts as failed. */
const QUICK_LIMIT_S = 120;

const ALL = ['throughput', 'handover', 'handover-during-drain', 'batch', 'backlog', 'purge', 'latency', 'crash', 'bounces', 'memory'] as const;
type Name = (typeof ALL)[number];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
// A name is lower-case words joined by hyphens; options start with -- and values are numbers.
const isName = (a: string) => /^[a-z]+(-[a-z]+)*$/.test(a);
const unknown = args.filter((a) => isName(a) && !(ALL as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  process.exit(2);
}
const chosen = ALL.filter((n) => args.includes(n));
const names: Name[] = chosen.length ? chosen : [...ALL];

console.log(`Postroom benchmarks${quick ? ' (--quick)' : ''}: ${names.join(', ')}`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, node ${process.version}, ${os.platform()} ${os.release()}`);

const started = performance.now();
let failed = 0;
for (const name of names) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  // Options (--quick, --n 20000, --rounds 3, --postgres) go to every benchmark; each ignores the others.
  const extra = args.filter((a) => !isName(a));
  const t0 = performance.now();
  let overran = false;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...extra], { stdio: 'inherit' });
    const timers: NodeJS.Timeout[] = [];
    if (quick) {
      timers.push(
        setTimeout(() => {
          overran = true;
          console.error(`benchmark ${name} still running after ${QUICK_LIMIT_S} s in quick mode: stopping it`);
          child.kill('SIGTERM');
          timers.push(setTimeout(() => child.kill('SIGKILL'), 15_000));
        }, QUICK_LIMIT_S * 1000),
      );
    }
    child.once('exit', (c, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve(c ?? (signal ? 1 : 0));
    });
  });
  if (code !== 0 || overran) {
    failed++;
    console.error(`benchmark ${name} failed (${overran ? `stopped after ${QUICK_LIMIT_S} s, ` : ''}exit ${code})`);
  }
  // Each one's share of the run: what to look at when the whole takes too long.
  console.log(`   (${name}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(`\n${names.length - failed} of ${names.length} benchmarks ran in ${((performance.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
