// The command line: `postroom <command>`. What bin/postroom.js runs, and what tests and benchmarks
// call in-process: the dispatcher, its error-to-exit-code rule, and the usage mistake.
export { main, describeError } from './main.js';
export { UsageError } from './command.js';
