import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../core/config/diagnostic.js';
import { yamlWithProgramFile } from '../core/config/fixtures.test-helper.js';
import { loadClusterFile } from './cluster-file.js';

describe('loadClusterFile', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haven-cluster-file-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const definition = async (programFile: string): Promise<string> => {
    const file = join(dir, 'cluster.yaml');
    await writeFile(file, yamlWithProgramFile(programFile));
    return file;
  };

  it("reads a user event's program file and makes its program the event's", async () => {
    const rp = join(dir, 'tmp_full.rp');
    await writeFile(rp, '# clean up\nevent "/usr/local/bin/clean /tmp" 0 NULL\n');
    const r = await loadClusterFile(await definition(rp));
    assert.ok(r.text?.includes('tmp_full'));
    assert.deepEqual(r.config?.userEvents[0]?.program, [
      { type: 'command', on: 'event', run: '/usr/local/bin/clean /tmp', expect: 0 },
    ]);
    assert.ok(!r.diagnostics.some((d) => d.file === rp));
  });

  it('reports a missing program file at the programFile line of the definition', async () => {
    const file = await definition(join(dir, 'missing.rp'));
    const r = await loadClusterFile(file);
    assert.equal(r.ok, false);
    const d = r.diagnostics.find((x) => x.code === 'program-file-unreadable');
    assert.ok(d, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(d.file, file);
    assert.match(formatDiagnostic(d), /programFile: cannot read .*missing\.rp: no such file/);
  });

  it('reports a mistake in the program file at its own line', async () => {
    const rp = join(dir, 'bad.rp');
    await writeFile(rp, 'event "/bin/true" 0 NULL\nbarrier\nevent /bin/false 0 NULL\n');
    const r = await loadClusterFile(await definition(rp));
    assert.equal(r.ok, false);
    const d = r.diagnostics.find((x) => x.file === rp);
    assert.ok(d, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(d.line, 3);
  });

  it('reports an unreadable definition without throwing', async () => {
    const r = await loadClusterFile(join(dir, 'nope.yaml'));
    assert.equal(r.ok, false);
    assert.equal(r.text, undefined);
    assert.match(r.diagnostics[0]?.message ?? '', /no such file/);
  });
});
