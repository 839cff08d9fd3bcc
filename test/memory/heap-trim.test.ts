// The freed heap given back after a burst: the native binding really returns glibc's retained
// pages, and the trimmer asks for it only when the process grew and is quiet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { HeapTrimmer } from '../../src/memory/index.js';

const MB = 1024 * 1024;

describe('giving freed memory back to the system', () => {
  it('the binding built by npm install returns the pages glibc kept after a burst of allocations', () => {
    // A child process: Buffers of 100 KB (under glibc's 128 KB mmap threshold, so on its heap), all freed
    // but one kept at the top so the heap cannot simply shrink; RSS before and after trim().
    const script = `
      const { trim, supported } = require('postroom-heap-trim');
      const rss = () => process.memoryUsage.rss() / ${MB};
      let kept = [];
      for (let i = 0; i < 3000; i++) kept.push(Buffer.allocUnsafeSlow(100 * 1024).fill(1));
      const pin = Buffer.allocUnsafeSlow(1024).fill(2);
      kept = null;
      globalThis.gc();
      // V8 frees Buffers' memory on a thread of its own after the collection.
      setTimeout(() => {
        const before = rss();
        const released = trim();
        console.log(JSON.stringify({ supported, released, before, after: rss(), pin: pin.length }));
      }, 300);
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout) as { supported: boolean; released: boolean; before: number; after: number };
    assert.equal(r.supported, true, 'glibc here: the binding must have been built');
    assert.equal(r.released, true);
    assert.ok(r.before - r.after > 150, `trim gave back ${Math.round(r.before - r.after)} MB of the ~290 MB freed (before ${Math.round(r.before)} MB)`);
  });

  it('trims once the resident size grew and hand-overs ended, not while one is being received, and not again for nothing', () => {
    let rss = 200 * MB;
    let receiving = true;
    const trims: number[] = [];
    const trimmer = new HeapTrimmer({
      quiet: () => !receiving,
      rss: () => rss,
      binding: { supported: true, trim: () => (trims.push(rss), (rss = Math.max(rss - 300 * MB, 180 * MB)), true) },
    });
    rss = 600 * MB;
    assert.equal(trimmer.check(), false, 'a hand-over is being received: its memory is in use');
    receiving = false;
    assert.equal(trimmer.check(), true);
    assert.equal(rss, 300 * MB);
    // The 300 MB left are in use (a trim gives back nothing): not trimmed again and again.
    const busy = { supported: true, trim: () => (trims.push(rss), false) };
    const steady = new HeapTrimmer({ quiet: () => true, rss: () => rss, binding: busy });
    rss = 340 * MB;
    assert.equal(steady.check(), true, 'grew 40 MB over its floor: one trim');
    assert.equal(steady.check(), false, 'it gave nothing back: the floor is now 340 MB');
    rss = 360 * MB;
    assert.equal(steady.check(), false, '20 MB more: under the 32 MB worth a trim');
    rss = 380 * MB;
    assert.equal(steady.check(), true);
    assert.equal(trims.length, 3);
  });

  it('does nothing where memory cannot be given back (no binding)', () => {
    const trimmer = new HeapTrimmer({ quiet: () => true, rss: () => 900 * MB, binding: null });
    assert.equal(trimmer.supported, false);
    trimmer.start();
    assert.equal(trimmer.check(), false);
    trimmer.stop();
  });
});
