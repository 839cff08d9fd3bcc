#!/usr/bin/env node
// Entry point of the `postroom` command; the code lives in src/cli (compiled to dist/cli).
import { main, describeError } from '../dist/cli/index.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    const { message, code } = describeError(err);
    console.error(`postroom: ${message}`);
    process.exit(code);
  },
);
