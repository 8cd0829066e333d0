// Every file in examples/ is a cluster definition an administrator may copy: it must load and
// verify without an error, and use only addresses reserved for documentation.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseClusterDefinition } from './core/config/load.js';
import { formatDiagnostic } from './core/config/diagnostic.js';
import type { Diagnostic } from './core/config/diagnostic.js';
import { parseCidr, parseIp, subnetsOverlap } from './core/net/ip.js';
import type { Cidr } from './core/net/ip.js';

// dist/examples.test.js -> the repository root.
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLES = join(ROOT, 'examples');

const files = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .sort();

function load(file: string) {
  const path = `examples/${file}`;
  return parseClusterDefinition(readFileSync(join(EXAMPLES, file), 'utf8'), path);
}

function show(ds: readonly Diagnostic[]): string {
  return ds.length === 0 ? '(none)' : ds.map(formatDiagnostic).join('\n');
}

/**
 * Warnings an example may have, by file, and why. An example should verify clean: a warning
 * listed here is one the example cannot avoid yet, and the file's comments explain it.
 */
const KNOWN_WARNINGS: Readonly<Record<string, readonly string[]>> = {};

// RFC 5737 (IPv4 documentation), RFC 3849 (IPv6 documentation), RFC 4193 (unique local).
const DOCUMENTATION_RANGES: readonly Cidr[] = [
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '2001:db8::/32',
  'fd00::/8',
].map((t) => {
  const c = parseCidr(t);
  assert.ok(c, t);
  return c;
});

function isDocumentationAddress(text: string): boolean {
  const ip = parseCidr(text)?.address ?? parseIp(text);
  if (!ip) return false;
  const host: Cidr = { address: ip, prefix: ip.family === 4 ? 32 : 128 };
  return DOCUMENTATION_RANGES.some((r) => subnetsOverlap(r, host));
}

describe('examples/', () => {
  it('holds the documented examples', () => {
    for (const f of [
      'two-node-hot-standby.yaml',
      'three-node-mutual-takeover.yaml',
      'n-plus-one.yaml',
    ]) {
      assert.ok(files.includes(f), `examples/${f} is missing`);
    }
  });

  it('has every example listed in examples/README.md', () => {
    const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');
    for (const f of files)
      assert.ok(readme.includes(f), `examples/README.md does not mention ${f}`);
  });

  for (const file of files) {
    describe(file, () => {
      it('has no warning beyond the known ones', () => {
        const allowed = KNOWN_WARNINGS[file] ?? [];
        const unexpected = load(file).diagnostics.filter(
          (d) => d.severity === 'warning' && !allowed.includes(d.code),
        );
        assert.equal(unexpected.length, 0, `examples/${file}:\n${show(unexpected)}`);
      });

      it('loads and verifies without an error', (t) => {
        const r = load(file);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        const warnings = r.diagnostics.filter((d) => d.severity === 'warning');
        assert.ok(
          r.ok && errors.length === 0 && r.config !== undefined,
          `examples/${file} must load cleanly.\nerrors:\n${show(errors)}\nwarnings:\n${show(warnings)}`,
        );
        // Warnings do not fail this test, but they are printed: an example should have none.
        for (const w of warnings) t.diagnostic(`warning: ${formatDiagnostic(w)}`);
      });

      it('uses only documentation and unique-local addresses', () => {
        const r = load(file);
        const config = r.config;
        assert.ok(config);
        const addresses = [
          ...config.nodes.flatMap((n) => [
            ...n.interfaces.flatMap((i) => (i.address ? [i.address.address.text] : [])),
            ...n.persistentLabels.map((p) => p.address.address.text),
          ]),
          ...config.resources.flatMap((res) => (res.kind === 'serviceIp' ? [res.address] : [])),
          // Addresses elsewhere, e.g. in OCF parameters or monitor commands.
          ...(readFileSync(join(EXAMPLES, file), 'utf8').match(/\b\d{1,3}(\.\d{1,3}){3}\b/g) ?? []),
        ];
        const outside = addresses.filter((a) => !isDocumentationAddress(a));
        assert.deepEqual(outside, [], `examples/${file} uses addresses outside the test ranges`);
      });
    });
  }
});
