// `npm start` on a built checkout starts at once: its prestart step (scripts/build-if-stale.mjs)
// builds nothing when dist/ is newer than its sources. It rebuilt everything, 20 s, at every start.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { assertBuilt } from './helpers/built.js';

assertBuilt();

describe('npm start on a built checkout', () => {
  it('builds nothing when the server and the console are newer than their sources', () => {
    const r = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { encoding: 'utf8', env: { ...process.env, npm_execpath: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing was stale');
  });
});
