import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkPredicate } from './check.js';
import { checkInstance, parseInstance } from './instance.js';
import { parsePredicate } from './parser.js';
import { findVariable, lookupVariable, RESOURCE_VARIABLES } from './variables.js';

describe('RESOURCE_VARIABLES', () => {
  it('has the variables the configuration reference documents', () => {
    assert.deepEqual(
      RESOURCE_VARIABLES.map((v) => v.name),
      [
        'fs.used_percent',
        'fs.inodes_used_percent',
        'memory.free_percent',
        'swap.free_percent',
        'cpu.idle_percent',
        'load.average1',
        'process.count',
        'net.interface_up',
        'disk.busy_percent',
      ],
    );
  });

  for (const v of RESOURCE_VARIABLES) {
    describe(v.name, () => {
      it('is consistently described', () => {
        assert.match(v.name, /^[a-z]+\.[a-z0-9_]+$/);
        assert.ok(v.description.length > 0 && v.unit.length > 0 && v.linux.length > 0);
        assert.equal(v.kind === 'structured', v.fields.length > 0);
        assert.deepEqual(
          v.fields.map((f) => f.index),
          v.fields.map((_, i) => i),
        );
        const fields = [...v.instance.required, ...v.instance.optional].map((f) => f.name);
        assert.equal(new Set(fields).size, fields.length, 'instance field names are unique');
        assert.ok(fields.includes('node'), 'every variable can be limited to some nodes');
      });

      it(`has a working example: ${v.example.instance} ${v.example.predicate} / ${v.example.rearm}`, () => {
        for (const text of [v.example.predicate, v.example.rearm]) {
          const r = parsePredicate(text);
          assert.ok(r.ok, r.ok ? '' : r.error.message);
          assert.deepEqual(checkPredicate(v, r.expr), []);
        }
        const instance = parseInstance(v.example.instance);
        assert.ok(instance.ok);
        assert.deepEqual(checkInstance(v, instance.instance), []);
      });
    });
  }

  it('names are unique', () => {
    const names = RESOURCE_VARIABLES.map((v) => v.name);
    assert.equal(new Set(names).size, names.length);
  });

  it("describes process.count as the reference's structured byte string", () => {
    const v = findVariable('process.count');
    assert.deepEqual(
      v?.fields.map((f) => f.kind),
      ['number', 'number', 'list'],
    );
    assert.deepEqual(
      v.instance.required.map((f) => f.name),
      ['name'],
    );
  });
});

describe('lookupVariable', () => {
  it('finds a variable by name', () => {
    const r = lookupVariable('fs.used_percent');
    assert.equal(r.ok && r.variable.unit, '%');
  });

  it('translates a PSSP resource variable name', () => {
    assert.deepEqual(lookupVariable('IBM.PSSP.aixos.FS.%totused'), {
      ok: false,
      message:
        "'IBM.PSSP.aixos.FS.%totused' is a PSSP resource variable; in Haven it is 'fs.used_percent'",
      suggestion: 'fs.used_percent',
    });
    const r = lookupVariable('IBM.PSSP.Prog.xpcount');
    assert.equal(!r.ok && r.suggestion, 'process.count');
  });

  it('suggests the closest name for a typo', () => {
    const r = lookupVariable('fs.used_percnt');
    assert.equal(!r.ok && r.suggestion, 'fs.used_percent');
    assert.match(
      !r.ok ? r.message : '',
      /^unknown resource variable 'fs.used_percnt'; did you mean 'fs.used_percent'\? \(the variables are fs.used_percent, /,
    );
  });

  it('lists the variables when nothing is close', () => {
    const r = lookupVariable('temperature');
    assert.equal(r.ok, false);
    assert.equal('suggestion' in r, false);
    assert.match(r.message, /^unknown resource variable 'temperature' \(the variables are /);
  });
});
