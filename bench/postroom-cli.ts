// The `postroom` command run from src through tsx: what bin/postroom.js runs from dist, for the
// crash benchmark when dist is older than src (building is `npm run build`, not the bench's job).
import { main, describeError } from '../src/cli/index.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const { message, code } = describeError(err);
    console.error(`postroom: ${message}`);
    process.exit(code);
  },
);
