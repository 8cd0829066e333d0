// Keeps README.md (the configuration reference for predicates) true to the code.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { checkPredicate } from './check.js';
import { parsePredicate } from './parser.js';
import { findVariable, RESOURCE_VARIABLES } from './variables.js';

// Tests run from dist/core/expr/; the README stays in src/.
const readme = readFileSync(new URL('../../../src/core/expr/README.md', import.meta.url), 'utf8');

function section(heading: string): string {
  const start = readme.indexOf(`${heading}\n`);
  assert.ok(start >= 0, heading);
  const next = readme.indexOf('\n#', start + heading.length);
  return readme.slice(start, next < 0 ? undefined : next);
}

/** Cells of the table rows of a section, code spans unwrapped; header and rule skipped. */
function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')),
    );
}

describe('README.md', () => {
  it('shows the error messages the parser gives', () => {
    const block = /```\n([^`]*)```/.exec(section('### Errors'))?.[1] ?? '';
    const lines = block.trim().split('\n');
    assert.ok(lines.length >= 5);
    for (const line of lines) {
      const [text = '', message = ''] = line.split(/ {2,}/);
      const r = parsePredicate(text);
      assert.equal(r.ok ? 'parses' : r.error.message, message, text);
    }
  });

  it('gives examples that parse and suit their variables', () => {
    const examples = rows(section('### Examples'));
    assert.ok(examples.length >= 5);
    for (const [name = '', predicate = '', rearm = ''] of examples) {
      const variable = findVariable(name);
      assert.ok(variable, name);
      for (const text of rearm === '' ? [predicate] : [predicate, rearm]) {
        const r = parsePredicate(text);
        assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error.message}`);
        assert.deepEqual(checkPredicate(variable, r.expr), [], text);
      }
    }
  });

  it('lists exactly the variables of the catalogue', () => {
    assert.deepEqual(
      rows(section('## Variables')).map((r) => r[0]),
      RESOURCE_VARIABLES.map((v) => v.name),
    );
  });
});
