// The command line: `postroom <command>`.
export { main, describeError, UsageError } from './main.js';
