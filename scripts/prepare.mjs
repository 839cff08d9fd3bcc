// npm runs `prepare` after `npm install` (so that `npm start` finds the project built), and also
// when npx links this directory to run its bin: there the tree is built already, and building it
// again would rewrite dist/ under whatever is running from it (a server, a test suite). Plain JS:
// it runs before anything else is known to be installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const built = existsSync(new URL('../dist/cli/index.js', import.meta.url));
if (process.env.npm_command === 'exec' && built) process.exit(0);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
