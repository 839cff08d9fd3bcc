#!/usr/bin/env node
// Entry point of the `postroom` command; the code lives in src/cli (compiled to dist/cli).
import { main, describeError } from '../dist/cli/index.js';

// Exits once what was written has left: past the pipe's 64 KB, stdout is written asynchronously,
// and process.exit() would drop the rest (a long `send --batch --json` lost its tail).
function exit(code) {
  let waiting = 2;
  const done = () => --waiting === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv.slice(2)).then(exit, (err) => {
  const { message, code } = describeError(err);
  console.error(`postroom: ${message}`);
  exit(code);
});
