// npm runs `prepare` after `npm install` (so that `npm start` finds the project built), and also
// when npx links this directory to run its bin: there the tree is built already, and building it
// again would rewrite dist/ under whatever is running from it (a server, a test suite). Plain JS:
// it runs before anything else is known to be installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const built = existsSync(new URL('../dist/cli/index.js', import.meta.url));
if (process.env.npm_command === 'exec' && built) process.exit(0);
// The npm that runs this script (npm_execpath) builds too; `npm` from the PATH otherwise.
const npm = process.env.npm_execpath;
const result = npm ? spawnSync(process.execPath, [npm, 'run', 'build'], { stdio: 'inherit' }) : spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
