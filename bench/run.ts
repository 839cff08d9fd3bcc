// `npm run bench [-- --quick]`: runs the benchmarks and prints their figures and ratios.
import { drainBenchmark } from './drain.js';

const quick = process.argv.includes('--quick');
await drainBenchmark(quick);
