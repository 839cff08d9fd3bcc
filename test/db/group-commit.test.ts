// Writes that arrive close together share one commit, each caller still gets its own result (or
// its own refusal), and with a gathering time the writes that arrive during a commit wait for
// each other instead of following it in ones and twos.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/db/index.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('writes what arrives in one turn of the event loop as one group, results in order', async () => {
    const groups: number[][] = [];
    const writer = new GroupCommit<number, string>(async (items) => {
      groups.push(items);
      return items.map((i) => `row ${i}`);
    });
    const results = await Promise.all([1, 2, 3].map((i) => writer.submit(i)));
    assert.deepEqual(results, ['row 1', 'row 2', 'row 3'], 'each caller gets the result of its own item');
    assert.deepEqual(groups, [[1, 2, 3]], 'three submits of one turn shared one commit');
  });

  it('gathers the writes that arrive during a commit, and just after it, into the next group', async () => {
    const groups: string[][] = [];
    const later: Promise<string>[] = [];
    const writer: GroupCommit<string, string> = new GroupCommit<string, string>(
      async (items) => {
        groups.push(items);
        if (items.includes('a')) {
          // B arrives while A's commit runs, C a moment after it ended.
          later.push(writer.submit('b'));
          setTimeout(() => later.push(writer.submit('c')), 1);
          await tick();
        }
        return items;
      },
      { gatherMs: 40 },
    );
    assert.equal(await writer.submit('a'), 'a', 'the first write is committed on its own');
    while (later.length < 2) await tick();
    assert.deepEqual(await Promise.all(later), ['b', 'c'], 'the later writes are committed too');
    assert.deepEqual(groups, [['a'], ['b', 'c']], 'B did not go alone: it waited the gathering time, and C joined it');
  });

  it("refuses only the item a constraint refused: the group is written again one by one", async () => {
    const commits: number[][] = [];
    const duplicate = Object.assign(new Error('UNIQUE constraint failed: emails.idempotency_key'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    const writer = new GroupCommit<number, number>(async (items) => {
      commits.push(items);
      if (items.includes(2)) throw duplicate;
      return items;
    });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => writer.submit(i)));
    assert.deepEqual(
      settled.map((s) => s.status),
      ['fulfilled', 'rejected', 'fulfilled'],
      'only the refused item fails; its neighbours are stored',
    );
    assert.deepEqual(commits, [[1, 2, 3], [1], [2], [3]], 'one try as a group, then one commit per item');
  });

  it('writes at once what has gathered when someone waits for it (flush), not after the gathering time', async () => {
    const groups: number[][] = [];
    const writer = new GroupCommit<number, number>(
      async (items) => {
        groups.push(items);
        return items;
      },
      { gatherMs: 60_000 },
    );
    const written = Promise.all([writer.submit(1), writer.submit(2)]);
    await tick();
    assert.deepEqual(groups, [], 'nothing written yet: the group is gathering');
    const started = Date.now();
    writer.flush();
    assert.deepEqual(await written, [1, 2]);
    assert.ok(Date.now() - started < 5_000, 'the flushed group did not wait out the gathering time');
    assert.deepEqual(groups, [[1, 2]], 'what had gathered went as one group');
    writer.flush(); // nothing gathering: no effect, no error
  });
});
