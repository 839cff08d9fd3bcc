// A long-running SQLite writer (the sending process) has its WAL copied back into the database
// file by a thread of its own, so its commits never wait for a checkpoint; and closing stops it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/db/index.js';

const PAGE = 4096;

describe('background WAL checkpoints (SQLite)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('copies committed pages into the database file without the writer checkpointing, and stops on close', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postroom-ckpt-'));
    dirs.push(dataDir);
    const file = path.join(dataDir, 'postroom.sqlite');
    const store = await openStore({ dataDir });
    assert.ok(store.sqlite, 'a SQLite store offers its writer');
    store.sqlite.checkpointInBackground();
    // 1,500 pages: more than SQLite's own checkpoint threshold (1,000), less than the writer's
    // safety net once the thread has taken over, so only the thread may copy them.
    await store.sqlite.transaction((prepare) => {
      prepare('create table filler (b blob)').run();
      const insert = prepare('insert into filler (b) values (?)');
      for (let i = 0; i < 1_500; i++) insert.run(Buffer.alloc(PAGE - 100, i % 251));
    });
    const deadline = Date.now() + 5_000;
    while (fs.statSync(file).size < 1_500 * PAGE && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fs.statSync(file).size >= 1_500 * PAGE, `the database file holds the committed pages (${fs.statSync(file).size} bytes)`);
    await store.close();

    const again = await openStore({ dataDir });
    try {
      assert.ok(again.sqlite, 'reopened on SQLite');
      const rows = await again.sqlite.transaction((prepare) => prepare('select count(*) as n from filler').get() as { n: number });
      assert.equal(rows.n, 1_500, 'every committed row is there after a reopen');
    } finally {
      await again.close();
    }
  });
});
