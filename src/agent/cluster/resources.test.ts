import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { haltScript } from './resources.js';

describe('the halt script', () => {
  it('is empty when nothing is held', () => {
    assert.deepEqual(haltScript([]), []);
    assert.deepEqual(haltScript([[], []]), []);
  });

  it("halts every group at once: one group's slow stop does not hold back another's", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haven-halt-'));
    try {
      const script = join(dir, 'halt.sh');
      const slow = join(dir, 'slow-done');
      const quick = join(dir, 'quick-done');
      const order = join(dir, 'order');
      await writeFile(
        script,
        haltScript([
          [`sleep 3; touch ${slow}`],
          [`echo first >> ${order}`, `echo second >> ${order}`, `touch ${quick}`],
        ]).join('\n') + '\n',
      );
      // Sourced by /bin/sh, as the dead man switch's sentinel does.
      const sh = spawn('/bin/sh', ['-c', '. "$1"', 'sh', script], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => {
        sh.once('exit', () => {
          r();
        });
      });
      for (let i = 0; i < 100 && !existsSync(quick); i++)
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(existsSync(quick), 'the quick group was halted');
      assert.ok(!existsSync(slow), 'while the slow one was still stopping');
      await exited;
      assert.ok(existsSync(slow), 'the script waits for every group');
      assert.equal(await readFile(order, 'utf8'), 'first\nsecond\n', 'in order within a group');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
