import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import * as z from 'zod';
import {
  BEGIN_MARKER,
  END_MARKER,
  extractGenerated,
  headingAnchor,
  renderConfigReference,
  spliceGenerated,
  undocumentedFields,
} from './reference-doc.js';
import {
  cidrSchema,
  clusterJsonSchema,
  commandSchema,
  durationSchema,
  nameSchema,
} from './schema.js';
import { RESOURCE_VARIABLES } from '../expr/variables.js';

// dist/core/config/ -> the repository root.
const ROOT = new URL('../../../', import.meta.url);
const DOC = fileURLToPath(new URL('docs/configuration.md', ROOT));
const REGENERATE = 'run `npm run build && npm run docs:config`';

const generated = (): string =>
  renderConfigReference(clusterJsonSchema(), { variables: RESOURCE_VARIABLES });

/** Headings of a Markdown document, outside fenced code blocks. */
function headings(markdown: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^(```|~~~)/.test(line)) fence = !fence;
    else if (!fence) {
      const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (m?.[1] !== undefined) out.push(m[1]);
    }
  }
  return out;
}

/** The anchors GitHub gives the headings: duplicates get -1, -2, ... */
function anchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  return headings(markdown).map((h) => {
    const base = headingAnchor(h);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

/** The cells of the row for `key` in the table under the heading `heading`. */
function row(markdown: string, heading: string, key: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `no heading ${heading}`);
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (line.startsWith(`| \`${key}\` |`)) {
      return line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
    }
  }
  assert.fail(`no row ${key} under ${heading}`);
}

describe('docs/configuration.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('holds the reference generated from the current schema', () => {
    const current = extractGenerated(doc);
    assert.ok(
      current !== undefined,
      `docs/configuration.md lost its markers ${BEGIN_MARKER} / ${END_MARKER}`,
    );
    const want = generated();
    if (current !== want) {
      const have = current.split('\n');
      const lines = want.split('\n');
      const i = lines.findIndex((l, n) => l !== have[n]);
      assert.fail(
        `the reference in docs/configuration.md is not what the schema says: ${REGENERATE}.\n` +
          `first difference, line ${i + 1} of the generated part:\n` +
          `  docs:   ${have[i] ?? '(end)'}\n  schema: ${lines[i] ?? '(end)'}`,
      );
    }
  });

  it('links only to headings that exist, and no two headings share an anchor', () => {
    const all = anchors(doc);
    const dupes = all.filter((a, i) => all.indexOf(a) !== i);
    assert.deepEqual(dupes, [], 'headings with the same anchor: links would reach the first only');
    const have = new Set(all);
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
    assert.ok(links.length > 20, 'expected the reference to link its sections');
    assert.deepEqual(
      links.filter((l) => !have.has(l)),
      [],
      'links to missing headings',
    );
  });

  it('has YAML examples that parse', () => {
    const blocks = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
    assert.ok(blocks.length > 5);
    for (const block of blocks) {
      const parsed = parseDocument(block);
      assert.deepEqual(
        parsed.errors.map((e) => e.message),
        [],
        block,
      );
    }
  });

  it('links only to files that exist', () => {
    const links = [...doc.matchAll(/\]\((\.\.\/[^)#]+)\)/g)].map((m) => m[1] ?? '');
    for (const l of links) {
      if (l.endsWith('src/core/expr/README.md')) continue; // written by the predicate language's author
      assert.doesNotThrow(() => readFileSync(new URL(l, new URL('docs/', ROOT))), l);
    }
  });
});

describe('the schema', () => {
  // The generic descriptions of the shared scalar types: a field that carries only one of them
  // says what to write but not what the field is for.
  const generic = new Set(
    [nameSchema, durationSchema, cidrSchema, commandSchema].map((s) => {
      const d = z.toJSONSchema(s).description;
      assert.ok(d !== undefined);
      return d;
    }),
  );

  // Fields known to lack a description of their own, to be described in schema.ts. Remove an
  // entry when its field gets a description (the test fails until you do). Do not add to it.
  const KNOWN_UNDOCUMENTED: readonly string[] = [];

  it('describes every field', () => {
    const missing = undocumentedFields(clusterJsonSchema(), generic);
    assert.deepEqual(
      missing.filter((p) => !KNOWN_UNDOCUMENTED.includes(p)),
      [],
      'every field in schema.ts needs .meta({ description }) saying what it is for; then ' +
        REGENERATE,
    );
    assert.deepEqual(
      KNOWN_UNDOCUMENTED.filter((p) => !missing.includes(p)),
      [],
      'these fields are described now: remove them from KNOWN_UNDOCUMENTED',
    );
  });

  it('is shown with the types an administrator reads', () => {
    const md = generated();
    const type = (heading: string, key: string): string => row(md, heading, key)[1] ?? '';
    assert.equal(type('### `cluster`', 'name'), 'name');
    assert.equal(type('### `cluster`', 'id'), 'whole number from 1 to 65535');
    assert.equal(type('### `tunables.heartbeat`', 'interval'), 'duration');
    assert.equal(type('### `nodes[].interfaces[]`', 'address'), 'address/prefix');
    assert.equal(type('### `resources.applications[]`', 'start'), 'command');
    assert.equal(type('### `resources.filesystems[]`', 'mountpoint'), 'absolute path');
    assert.equal(type('### `resources.filesystems[]`', 'fsck'), 'true or false');
    assert.equal(type('### `networks[]`', 'type'), 'one of "ether" \\| "diskhb"');
    assert.equal(type('### `resourceGroups[]`', 'nodes'), 'list of names (at least 1)');
    assert.match(
      type('### Top level', 'nodes'),
      /^list of mappings \(at least 1\), see \[`nodes\[\]`\]\(#nodes\)$/,
    );
    assert.match(type('### `events.<name>`', 'pre'), /^command or list of commands$/);
    assert.match(type('### `userEvents[]`', 'program'), /^list of "barrier" or mappings/);
  });

  it('gives defaults and required flags as the loader applies them', () => {
    const md = generated();
    assert.deepEqual(row(md, '### `tunables.heartbeat`', 'interval').slice(2, 4), [
      '`150ms`',
      'no',
    ]);
    assert.deepEqual(row(md, '### `cluster`', 'id').slice(2, 4), ['', 'yes']);
    assert.deepEqual(row(md, '### `resourceGroups[]`', 'resources').slice(2, 4), [
      'empty list',
      'no',
    ]);
  });

  it('gives each kind of dependency its own section', () => {
    const md = generated();
    for (const kind of [
      'parent-child',
      'start-after',
      'stop-after',
      'same-node',
      'different-nodes',
    ]) {
      assert.ok(md.includes(`### \`dependencies[]\` with \`type: ${kind}\``), kind);
    }
  });

  it('lists every resource variable', () => {
    const md = generated();
    for (const v of RESOURCE_VARIABLES) assert.ok(md.includes(`#### \`${v.name}\``), v.name);
  });
});

describe('renderConfigReference', () => {
  it('follows $ref into $defs, with the siblings of $ref taking precedence', () => {
    const md = renderConfigReference({
      type: 'object',
      properties: {
        a: { $ref: '#/$defs/Thing', description: 'The first thing.' },
        b: { $ref: '#/$defs/Thing' },
      },
      required: ['a'],
      $defs: {
        Thing: {
          type: 'object',
          description: 'A thing.',
          properties: { size: { type: 'integer', minimum: 1, description: 'How big.' } },
        },
      },
    });
    assert.match(md, /\| `a` \| mapping, see \[`a`\]\(#a\) \| {2}\| yes \| The first thing\. \|/);
    // The second use of the same definition links to the section already written.
    assert.match(md, /\| `b` \| mapping, see \[`a`\]\(#a\) \| {2}\| no \| A thing\. \|/);
    assert.match(md, /\| `size` \| whole number of at least 1 \|/);
    assert.equal(md.match(/^### `b`/m), null);
  });

  it('stops at a recursive $ref', () => {
    const md = renderConfigReference({
      type: 'object',
      properties: { child: { $ref: '#' } },
    });
    assert.match(md, /\| `child` \|/);
  });

  it('writes records, unions, enums and constants as an administrator reads them', () => {
    const md = renderConfigReference({
      type: 'object',
      properties: {
        labels: {
          type: 'object',
          propertyNames: { type: 'string' },
          additionalProperties: { type: ['string', 'number'] },
          description: 'Labels.',
        },
        mode: { type: 'string', enum: ['on', 'off'], default: 'on', description: 'Mode.' },
        step: {
          description: 'A step.',
          anyOf: [
            { type: 'string', const: 'wait', description: 'Pause.' },
            { type: 'object', properties: { run: { type: 'string', description: 'Run it.' } } },
          ],
        },
      },
    });
    assert.match(md, /\| `labels` \| mapping from keys to text values or numbers \|/);
    assert.match(md, /\| `mode` \| one of "on" \\\| "off" \| `on` \| no \| Mode\. \|/);
    assert.match(md, /\| `step` \| "wait" or mapping, see \[`step`\]\(#step\) \|/);
    assert.match(md, /Instead of a mapping, an entry may be `"wait"`: Pause\./);
  });

  it('keeps table cells on one line, with pipes and HTML escaped', () => {
    const md = renderConfigReference({
      type: 'object',
      properties: {
        x: { type: 'string', pattern: '^(a|b)$', description: 'One <b>bold</b>\nline | two.' },
      },
    });
    assert.ok(
      md.includes(
        '| `x` | text matching `^(a\\|b)$` |  | no | One &lt;b&gt;bold&lt;/b&gt; line \\| two. |',
      ),
      md,
    );
  });

  it('names the kinds of a discriminated union after their discriminator', () => {
    const md = renderConfigReference({
      type: 'object',
      properties: {
        shapes: {
          type: 'array',
          items: {
            oneOf: [
              {
                type: 'object',
                description: 'Round.',
                properties: {
                  kind: { const: 'circle' },
                  r: { type: 'number', description: 'Radius.' },
                },
              },
              {
                type: 'object',
                description: 'Square.',
                properties: {
                  kind: { const: 'square' },
                  side: { type: 'number', description: 'Side.' },
                },
              },
            ],
          },
        },
      },
    });
    assert.match(md, /\| \[`kind: circle`\]\(#shapes-with-kind-circle\) \| Round\. \|/);
    assert.match(md, /### `shapes\[\]` with `kind: square`/);
    assert.match(md, /\| `kind` \| "square" \| {2}\| no \| Says which kind this is\. \|/);
  });
});

describe('spliceGenerated / extractGenerated', () => {
  const doc = `# Title\n\nHand-written.\n\n${BEGIN_MARKER}\nold\n${END_MARKER}\n\nAfter.\n`;

  it('replaces only the text between the markers', () => {
    const out = spliceGenerated(doc, 'new text\n');
    assert.equal(
      out,
      `# Title\n\nHand-written.\n\n${BEGIN_MARKER}\nnew text\n${END_MARKER}\n\nAfter.\n`,
    );
    assert.equal(extractGenerated(out), 'new text\n');
  });

  it('refuses a document without both markers in order', () => {
    assert.equal(spliceGenerated('# Title\n', 'x'), undefined);
    assert.equal(spliceGenerated(`${END_MARKER}\n${BEGIN_MARKER}\n`, 'x'), undefined);
    assert.equal(extractGenerated('# Title\n'), undefined);
  });
});

describe('headingAnchor', () => {
  it('makes the anchors GitHub makes', () => {
    assert.equal(headingAnchor('`nodes[].interfaces[]`'), 'nodesinterfaces');
    assert.equal(headingAnchor('Checking a file: `haven verify`'), 'checking-a-file-haven-verify');
    assert.equal(headingAnchor('1. The cluster'), '1-the-cluster');
    assert.equal(headingAnchor('`events.<name>`'), 'eventsname');
    assert.equal(
      headingAnchor('`dependencies[]` with `type: parent-child`'),
      'dependencies-with-type-parent-child',
    );
  });
});
