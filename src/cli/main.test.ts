import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './main.js';
import type { Output } from './output.js';

const ROOT = new URL('../../', import.meta.url);
const example = (name: string): string => new URL(`examples/${name}`, ROOT).pathname;

async function haven(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Output = {
    out: (t) => (out += t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => (err += t.endsWith('\n') ? t : `${t}\n`),
  };
  const code = await run(['node', 'haven', ...args], io);
  return { code, out, err };
}

describe('haven command line', () => {
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'haven-cli-'))));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('verify exits 0 on a clean definition', async () => {
    const r = await haven('verify', example('two-node-hot-standby.yaml'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /verified, no errors, no warnings/);
  });

  it('verify exits 2 on warnings only, and names them', async () => {
    // A group with no resources is a warning, not an error.
    const text = readFileSync(example('three-node-mutual-takeover.yaml'), 'utf8');
    const file = join(dir, 'warn.yaml');
    writeFileSync(
      file,
      text.replace(
        /^resourceGroups:\n/m,
        'resourceGroups:\n  - { name: rg_empty, nodes: [ha1, ha2] }\n',
      ),
    );
    const r = await haven('verify', file);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /warning \[group-no-resources\] resourceGroups\[0\]/);
    assert.match(r.out, /0 errors, 1 warning\./);
  });

  it('verify exits 1 on errors, each at file:line:column', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'cluster:\n  name: x\n  id: 1\n  colour: blue\nnetworks: []\nnodes: []\n');
    const r = await haven('verify', file);
    assert.equal(r.code, 1);
    assert.match(r.out, new RegExp(`^${file}:4:3: error \\[unknown-key\\] cluster\\.colour`, 'm'));
    assert.match(r.out, /3 errors, 0 warnings\./);
  });

  it('verify exits 1 when the file cannot be read', async () => {
    const r = await haven('verify', join(dir, 'missing.yaml'));
    assert.equal(r.code, 1);
    assert.match(r.out, /cannot read the cluster definition: no such file/);
  });

  it('verify --json prints one parseable object with positions and detection times', async () => {
    const r = await haven('verify', '--json', example('n-plus-one.yaml'));
    const j = JSON.parse(r.out) as {
      exitCode: number;
      ok: boolean;
      diagnostics: { severity: string; line: number }[];
      detection: { nodes: { node: string; ms: number }[] };
    };
    assert.equal(j.exitCode, r.code);
    assert.equal(j.ok, true);
    assert.ok(j.detection.nodes.length === 4 && j.detection.nodes.every((n) => n.ms > 0));
  });

  it('explain says what the cluster will do', async () => {
    const r = await haven('explain', example('two-node-hot-standby.yaml'));
    assert.equal(r.code, 0);
    assert.match(r.out, /^Failure detection$/m);
    assert.match(r.out, /When its node fails it moves to the next node/);
    assert.match(r.out, /^Quorum$/m);
  });

  it('schema prints a JSON Schema', async () => {
    const r = await haven('schema');
    const s = JSON.parse(r.out) as { $schema: string; properties: Record<string, unknown> };
    assert.match(s.$schema, /json-schema\.org/);
    assert.ok('resourceGroups' in s.properties);
  });

  it('a wrong command line exits 64; --help and --version exit 0', async () => {
    assert.equal((await haven('verfy', 'x')).code, 64);
    assert.equal((await haven('verify')).code, 64);
    assert.equal((await haven()).code, 64);
    const help = await haven('verify', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /Exit status: 0 clean, 1 errors, 2 warnings only/);
    assert.match((await haven('--version')).out, /^\d+\.\d+\.\d+/);
  });
});
