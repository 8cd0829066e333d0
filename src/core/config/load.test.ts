import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseClusterDefinition, programFilesOf } from './load.js';
import { formatDiagnostic } from './diagnostic.js';
import { baseYaml, yamlWithProgramFile } from './fixtures.test-helper.js';

const load = (text: string) => parseClusterDefinition(text, 'c.yaml', { verify: false });
const codes = (text: string) => load(text).diagnostics.map((d) => d.code);

describe('parseClusterDefinition', () => {
  it('accepts the base definition and normalises it', () => {
    const r = load(baseYaml());
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.ok, true);
    const c = r.config!;
    assert.equal(c.tunables.heartbeat.intervalMs, 200);
    assert.equal(c.networks[2]!.ipat, undefined);
    assert.equal(c.networks[1]!.ipat, 'alias', 'alias is the default IPAT');
    assert.equal(c.nodes[0]!.interfaces[2]!.slot, 1, 'a diskhb slot defaults to the node id');
    assert.equal(c.nodes[1]!.interfaces[0]!.name, 'node2-eth0');
    const g = c.resourceGroups[0]!;
    assert.deepEqual(
      [g.startup, g.fallover, g.fallback],
      ['home-node', 'next-priority', 'higher-priority'],
    );
  });

  it('places an unknown key at its line and column, with a suggestion', () => {
    const text = baseYaml().replace('  sensitivity: 4', '  sensitivty: 4');
    const line = text.split('\n').findIndex((l) => l.includes('sensitivty')) + 1;
    const [d] = load(text).diagnostics;
    assert.equal(d?.code, 'unknown-key');
    assert.equal(d.line, line);
    assert.equal(d.column, 5);
    assert.deepEqual(d.path, ['tunables', 'heartbeat', 'sensitivty']);
    assert.match(d.message, /did you mean "sensitivity"/);
  });

  it('reports every error at once, in file order', () => {
    const text = baseYaml()
      .replace('type: ether\n', 'type: ethernet\n')
      .replace('id: 42', 'id: 0')
      .replace('interval: 200ms', 'interval: 200');
    const ds = load(text).diagnostics;
    assert.deepEqual(
      ds.map((d) => d.path.join('.')),
      ['cluster.id', 'tunables.heartbeat.interval', 'networks.0.type'],
    );
    assert.ok(ds.every((d, i) => i === 0 || ds[i - 1]!.line <= d.line));
    assert.match(ds[1]!.expected ?? '', /duration with a unit/);
    assert.match(ds[2]!.message, /did you mean "ether"/);
  });

  it('names a missing required field at its parent', () => {
    const text = baseYaml().replace(/ {2}id: 42\n/, '');
    const [d] = load(text).diagnostics;
    assert.equal(d?.code, 'missing-key');
    assert.deepEqual(d.path, ['cluster', 'id']);
    assert.equal(d.line, 2);
  });

  it('reports YAML syntax errors with their position', () => {
    const r = load('cluster:\n  name: "unterminated\nnodes: []\n');
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0]?.code, 'yaml-syntax');
    assert.ok(r.diagnostics[0].line >= 2);
  });

  it('refuses duplicate keys', () => {
    assert.deepEqual(codes('cluster: {name: a, id: 1}\ncluster: {name: b, id: 2}\n'), [
      'yaml-syntax',
    ]);
  });

  it('refuses a file that is not a mapping', () => {
    assert.deepEqual(codes(''), ['not-a-mapping']);
    assert.deepEqual(codes('- a\n- b\n'), ['not-a-mapping']);
    assert.deepEqual(codes('just text'), ['not-a-mapping']);
  });

  it('refuses an oversized file without parsing it', () => {
    assert.deepEqual(codes('#'.repeat(5 * 1024 * 1024)), ['file-too-large']);
  });

  it('rejects a legacy policy combined with explicit policies', () => {
    const text = baseYaml().replace(
      'policy: cascading',
      'policy: rotating\n    startup: home-node',
    );
    const r = load(text);
    assert.deepEqual(
      r.diagnostics.map((d) => d.code),
      ['legacy-policy-conflict'],
    );
    assert.equal(r.ok, false);
  });

  it('expands cascading with inactive takeover and without fallback', () => {
    const text = baseYaml().replace(
      'policy: cascading',
      'policy: cascading\n    inactiveTakeover: true\n    cascadingWithoutFallback: true',
    );
    const g = load(text).config!.resourceGroups[0]!;
    assert.deepEqual([g.startup, g.fallback], ['first-available', 'never']);
  });

  it('rejects cascading attributes on other policies', () => {
    const text = baseYaml().replace(
      'policy: cascading',
      'policy: concurrent\n    inactiveTakeover: true',
    );
    assert.deepEqual(codes(text), ['cascading-attribute']);
  });

  it('explains an unknown dependency type with the allowed ones', () => {
    const text = `${baseYaml()}dependencies:\n  - type: parent-chld\n    parent: a\n    child: b\n`;
    const [d] = load(text).diagnostics;
    assert.match(d!.message, /did you mean "parent-child"/);
    assert.match(d!.expected ?? '', /same-node/);
  });

  it('formats a diagnostic as file:line:column', () => {
    const [d] = load(baseYaml().replace('id: 42', 'id: -1')).diagnostics;
    assert.match(
      formatDiagnostic(d!),
      /^c\.yaml:\d+:\d+: error \[invalid-value\] cluster\.id: found number -1/,
    );
  });
});

describe('parseClusterDefinition with program files', () => {
  const withUserEvent = (): string => yamlWithProgramFile('/etc/haven/tmp_full.rp');
  const line = (text: string, needle: string): number =>
    text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('names the files to read, and leaves them alone when not given', () => {
    const r = parseClusterDefinition(withUserEvent(), 'c.yaml', { verify: false });
    assert.ok(r.ok, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.deepEqual(programFilesOf(r.config), ['/etc/haven/tmp_full.rp']);
    assert.equal(r.config?.userEvents[0]?.program, undefined);
  });

  it("makes the file's program the event's", () => {
    const programFiles = new Map([
      ['/etc/haven/tmp_full.rp', { text: 'event "/usr/local/bin/clean /tmp" 0 NULL\nbarrier\n' }],
    ]);
    const r = parseClusterDefinition(withUserEvent(), 'c.yaml', { programFiles, verify: false });
    assert.ok(r.ok, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.deepEqual(r.config?.userEvents[0]?.program, [
      { type: 'command', on: 'event', run: '/usr/local/bin/clean /tmp', expect: 0 },
      { type: 'barrier' },
    ]);
  });

  it('reports a file that cannot be read at the programFile field', () => {
    const text = withUserEvent();
    const programFiles = new Map([['/etc/haven/tmp_full.rp', { error: 'no such file' }]]);
    const r = parseClusterDefinition(text, 'c.yaml', { programFiles, verify: false });
    assert.equal(r.ok, false);
    const d = r.diagnostics.find((x) => x.code === 'program-file-unreadable');
    assert.ok(d);
    assert.equal(d.file, 'c.yaml');
    assert.equal(d.line, line(text, 'programFile:'));
    assert.match(d.message, /tmp_full\.rp: no such file/);
  });

  it('reports a mistake in the file at its own line', () => {
    const programFiles = new Map([
      [
        '/etc/haven/tmp_full.rp',
        { text: '# cleanup\nevent "/bin/true" 0 NULL\nsome "/bin/x" 0\n' },
      ],
    ]);
    const r = parseClusterDefinition(withUserEvent(), 'c.yaml', { programFiles, verify: false });
    assert.equal(r.ok, false);
    const d = r.diagnostics.find((x) => x.file === '/etc/haven/tmp_full.rp');
    assert.ok(d, r.diagnostics.map(formatDiagnostic).join('\n'));
    assert.equal(d.line, 3);
    assert.equal(r.config?.userEvents[0]?.program, undefined);
  });

  it("warns about a file's command found through PATH at its line, as verify does inline", () => {
    const programFiles = new Map([
      [
        '/etc/haven/tmp_full.rp',
        {
          text: 'event "/bin/true" 0 NULL\nall "logger tmp full" X NULL\nall "node_up_complete" X NULL\n',
        },
      ],
    ]);
    const r = parseClusterDefinition(withUserEvent(), 'c.yaml', { programFiles, verify: false });
    assert.ok(r.ok, r.diagnostics.map(formatDiagnostic).join('\n'));
    const found = r.diagnostics.filter((x) => x.code === 'command-relative-path');
    assert.equal(found.length, 1, r.diagnostics.map(formatDiagnostic).join('\n'));
    const [d] = found;
    assert.ok(d);
    assert.equal(d.file, '/etc/haven/tmp_full.rp');
    assert.equal(d.line, 2);
    assert.match(d.message, /step 2 of user event tmp_full runs "logger"/);
    assert.equal(r.config?.userEvents[0]?.program?.length, 3);
  });
});
